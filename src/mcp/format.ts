// The engine's results as the tools return them: the structured value (checked against schemas.ts) and the readable
// text next to it, which is what most clients put in front of the model (the extension's Language Model tool returns
// the same text of a search, so both agent paths read alike). Text is exact, as in the CLI's --json: it is
// read by a model or shown in a chat, never written to a terminal. File text sits in fences longer than any backtick
// run inside it, so a file cannot close its fence and pose as the server's own words.
import type { z } from 'zod';
import type { Answer } from '../core/answer';
import { embeddedPercent, type IndexReport } from '../core/indexer';
import type { WorkspaceStatus } from '../core/ports';
import type { Retrieval, Source } from '../core/retrieve';
import type { WorkspaceSpec } from '../core/workspace';
import type { askOutput, reindexOutput, searchOutput, statusOutput } from './schemas';

const workspaceOf = (ws: WorkspaceSpec) => ({ id: ws.id, name: ws.name, roots: ws.roots.map((r) => r.path) });

export const describeRoots = (ws: WorkspaceSpec): string => ws.roots.map((r) => r.path).join(', ');

const sourceOf = (s: Source): z.infer<typeof searchOutput>['sources'][number] => ({
  n: s.n,
  path: s.path,
  startLine: s.startLine,
  endLine: s.endLine,
  language: s.language,
  score: s.score,
  via: s.via,
  symbol: s.symbol,
  headingPath: s.headingPath,
  text: s.text,
});

/** `[n] path:start-end` with what the source is, then its text in a fence of its own. */
function renderSource(s: Source): string {
  const what = [s.symbol, s.headingPath].filter(Boolean).join(' · ');
  const body = s.text.replace(/\n$/, '');
  const longestRun = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `[${s.n}] ${s.path}:${s.startLine}-${s.endLine}${what ? ` (${what})` : ''} score ${s.score.toFixed(4)}\n${fence}${s.language}\n${body}\n${fence}`;
}

export function searchResult(query: string, r: Retrieval, k: number | undefined) {
  const sources = k === undefined ? r.sources : r.sources.slice(0, k);
  const structured: z.infer<typeof searchOutput> = {
    query,
    retrievalMode: r.mode,
    sources: sources.map(sourceOf),
    candidates: r.candidates,
    notice: r.fallback,
  };
  return { structured, text: searchParagraphs(query, r, k).join('\n\n') };
}

/**
 * A search's text as paragraphs: a fallback notice, what was found (or that nothing matched, with `remedy` for a
 * stale index), then each source. The extension's Language Model tool returns them as one text part each.
 */
export function searchParagraphs(query: string, r: Retrieval, k: number | undefined, remedy = 'reindex if files changed'): string[] {
  const sources = k === undefined ? r.sources : r.sources.slice(0, k);
  const mode = r.mode === 'hybrid' ? 'hybrid search (vector, full-text and graph)' : 'keyword-only search (full-text and graph)';
  const head = sources.length
    ? `${plural(sources.length, 'source')} for "${query}" (${mode}), best first:`
    : `Nothing in the indexed files matches "${query}" (${mode}). Try other words, or ${remedy}.`;
  return [r.fallback ? `(${r.fallback})` : '', head, ...sources.map(renderSource)].filter(Boolean);
}

const INCOMPLETE: Record<NonNullable<Answer['incomplete']>, string> = {
  length: 'the answer was cut off at its token limit',
  empty: 'the model gave an empty answer',
  'cut-off': 'the stream ended before the answer was complete',
};

export function askResult(a: Answer) {
  const cite = (n: number) => {
    const s = a.sources[n - 1];
    return { n, path: s.path, startLine: s.startLine, endLine: s.endLine };
  };
  const structured: z.infer<typeof askOutput> = {
    answer: a.text,
    mode: a.mode,
    retrievalMode: a.retrievalMode,
    complete: a.complete,
    incomplete: a.incomplete,
    notices: a.notices,
    citations: a.cited.filter((n) => a.sources[n - 1]).map(cite),
    sources: a.sources.map(sourceOf),
    droppedCitations: a.droppedCitations,
    timings: a.timings,
  };
  const lines = [a.text.trim()];
  if (a.incomplete) lines.push(`(Incomplete: ${INCOMPLETE[a.incomplete]}.)`);
  // A retrieval-only answer's text already opens with its note.
  for (const n of a.notices) if (!a.text.includes(n)) lines.push(`(${n})`);
  if (a.mode === 'generated') {
    lines.push(structured.citations.length ? `Sources:\n${structured.citations.map((c) => `[${c.n}] ${c.path}:${c.startLine}-${c.endLine}`).join('\n')}` : 'No sources cited.');
    if (a.droppedCitations) lines.push(`(${plural(a.droppedCitations, 'citation')} of sources that do not exist were removed.)`);
  }
  return { structured, text: lines.join('\n\n') };
}

export function statusResult(ws: WorkspaceSpec, s: WorkspaceStatus, pending: { count: number } | { error: string }, capabilities: { embeddings: boolean; generation: boolean }) {
  const pendingChanges = 'count' in pending ? pending.count : null;
  const structured: z.infer<typeof statusOutput> = {
    workspace: workspaceOf(ws),
    indexed: s.files > 0,
    files: s.files,
    chunks: s.chunks,
    embeddedChunks: s.embedded,
    embeddedShare: s.chunks ? s.embedded / s.chunks : null,
    symbols: s.symbols,
    links: s.links,
    lastIndexedAt: s.lastIndexedAt ?? null,
    pendingChanges,
    fresh: pendingChanges === null ? null : pendingChanges === 0,
    freshnessNote: 'error' in pending ? pending.error : undefined,
    skippedByReason: s.skippedByReason,
    skipped: s.skipped,
    mode: capabilities,
  };
  const freshness =
    'error' in pending
      ? `unknown: ${pending.error}`
      : pending.count === 0
        ? 'up to date'
        : `${plural(pending.count, 'file')} changed since (reindex updates ${pending.count === 1 ? 'it' : 'them'})`;
  const rows: Array<[string, string]> = [
    ['workspace', `${ws.name} (${describeRoots(ws)})`],
    ['files', String(s.files)],
    [
      'chunks',
      s.chunks
        ? `${s.chunks} (${percent(s.embedded / s.chunks)} with embeddings${capabilities.embeddings && embeddedPercent(s) !== undefined ? `: embedding ${embeddedPercent(s)}%, full-text and graph search cover the rest meanwhile` : ''})`
        : '0',
    ],
    ['symbols', String(s.symbols)],
    ['file links', String(s.links)],
    ['last indexed', s.lastIndexedAt ?? 'never'],
    ['freshness', freshness],
    ['mode', `${capabilities.embeddings ? 'hybrid (vector, full-text and graph)' : 'keyword-only'} retrieval, ${capabilities.generation ? 'BitNet answers' : 'retrieval-only answers'}`],
    ...Object.entries(s.skippedByReason).map(([reason, n]): [string, string] => [`skipped: ${reason}`, String(n)]),
  ];
  const head = s.files === 0 ? `Nothing is indexed for ${describeRoots(ws)} yet: call reindex to index it.\n\n` : '';
  return { structured, text: head + rows.map(([k, v]) => `${k}: ${v}`).join('\n') + skippedList(s) };
}

/** Per reason, the first files the last run skipped (the structured result has all the store keeps). */
const LISTED_PER_REASON = 10;

function skippedList(s: WorkspaceStatus): string {
  if (s.skipped.length === 0) return '';
  const lines = ['', '', 'Skipped files:'];
  for (const [reason, total] of Object.entries(s.skippedByReason)) {
    const files = s.skipped.filter((f) => f.reason === reason);
    lines.push(`  ${reason} (${total}):`);
    for (const f of files.slice(0, LISTED_PER_REASON)) lines.push(`    ${f.path}${f.detail ? ` — ${f.detail}` : ''}`);
    if (total > LISTED_PER_REASON) lines.push(`    … and ${total - Math.min(files.length, LISTED_PER_REASON)} more`);
  }
  return lines.join('\n');
}

/** `error`: why the run stopped, with the host's remedy (the report's own message when absent). */
export function reindexResult(ws: WorkspaceSpec, scope: string[] | undefined, r: IndexReport, error = r.error?.message) {
  const structured: z.infer<typeof reindexOutput> = {
    workspace: workspaceOf(ws),
    scope: scope ?? null,
    mode: r.mode,
    complete: !r.error,
    cancelled: r.cancelled,
    error,
    files: r.files,
    chunks: r.chunks,
    unembedded: r.unembedded,
    tokens: r.tokens,
    estimatedCost: r.estimatedCost,
    skippedByReason: r.skippedByReason,
    failures: r.failures,
    durationMs: r.durationMs,
  };
  const seconds = `${(r.durationMs / 1000).toFixed(1)} s`;
  const what = scope ? scope.map((p) => p || '.').join(', ') : describeRoots(ws);
  const counts = `${r.files.changed} updated, ${r.files.unchanged} unchanged, ${r.files.deleted} removed`;
  const nothing = scope && r.files.discovered + r.files.deleted + r.files.skipped === 0;
  const lines = [
    r.error
      ? `Stopped after ${seconds} (${r.mode}), ${r.files.discovered} files of ${what} found: ${counts}.`
      : nothing
        ? `No indexable file matches ${what}: nothing was found there, in the index or on disk.`
        : `Indexed ${plural(r.files.discovered, 'file')} of ${what} in ${seconds} (${r.mode}): ${counts}.`,
    `Chunks: ${r.chunks.written} written, ${r.chunks.embedded} embedded, ${r.chunks.reused} reused from cache; ${r.tokens.toLocaleString('en-US')} tokens (estimated cost $${r.estimatedCost.toFixed(4)}).`,
  ];
  const skipped = Object.entries(r.skippedByReason).map(([k, v]) => `${k} ${v}`).join(', ');
  if (r.files.skipped) lines.push(`Skipped: ${r.files.skipped} (${skipped}).`);
  if (scope) for (const s of r.skipped.slice(0, LISTED_PER_REASON)) lines.push(`  ${s.path}: ${s.reason}${s.detail ? ` — ${s.detail}` : ''}`);
  for (const f of r.failures) lines.push(`Failed: ${f.path}: ${f.message}`);
  if (r.error) {
    lines.push(`Stopped early: ${error}`);
    if (r.files.notUpdated) lines.push(`${plural(r.files.notUpdated, 'changed file')} ${r.files.notUpdated === 1 ? 'keeps its' : 'keep their'} previous version.`);
    if (r.files.notIndexed) lines.push(`${plural(r.files.notIndexed, 'new file')} ${r.files.notIndexed === 1 ? 'is' : 'are'} not indexed yet.`);
  }
  if (r.unembedded) lines.push(`${plural(r.unembedded, 'chunk')} ${r.unembedded === 1 ? 'has' : 'have'} no embedding yet: full-text and graph search find ${r.unembedded === 1 ? 'it' : 'them'} meanwhile.`);
  if (r.error && !r.cancelled) lines.push('Call reindex again to finish.');
  return { structured, text: lines.join('\n') };
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
const percent = (share: number) => `${Math.round(share * 1000) / 10} %`;
