// What the CLI prints: the text forms of reports, answers and status for people (every piece of file text, file name
// and model output neutralised for the terminal), the JSON forms for machines (exact), and the progress line.
import type { Answer, AnswerProgress } from '../core/answer';
import { embeddedPercent, paceNote, throttleNote, type IndexProgress, type IndexReport } from '../core/indexer';
import type { WorkspaceStatus } from '../core/ports';
import type { WorkspaceSpec } from '../core/workspace';
import { terminalLine } from '../core/controlChars';

export const printJson = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

export function answerJson(a: Answer) {
  return {
    mode: a.mode,
    retrievalMode: a.retrievalMode,
    complete: a.complete,
    incomplete: a.incomplete,
    notices: a.notices,
    weakMatch: a.weakMatch,
    answer: a.text,
    citations: a.cited.map((n) => cite(a, n)),
    sources: a.sources.map((s) => ({ n: s.n, path: s.path, startLine: s.startLine, endLine: s.endLine, score: s.score, via: s.via })),
    droppedCitations: a.droppedCitations,
    usage: a.usage,
    prompt: a.prompt,
    timings: a.timings,
  };
}

const INCOMPLETE: Record<NonNullable<Answer['incomplete']>, string> = {
  length: 'the answer was cut off at its token limit',
  empty: 'the model gave an empty answer',
  'cut-off': 'the stream ended before the answer was complete',
};

/** What the CLI says on stderr while an answer is on its way. */
export function progressLine(p: AnswerProgress): string {
  if (p.kind === 'reading') {
    const cached = p.promptTokens - p.newTokens;
    return `BitNet is reading ${p.newTokens.toLocaleString('en-US')} prompt tokens${cached > 0 ? ` (${cached.toLocaleString('en-US')} more are cached)` : ''}, about ${Math.max(1, Math.round(p.estimatedMs / 1000))} s…`;
  }
  if (p.kind === 'waiting') return `BitNet is busy (HTTP 429): trying again in ${Math.ceil(p.ms / 1000)} s…`;
  return p.message;
}

/** The report as JSON: the error as its message (the error object itself is for hosts in-process). */
export const reportJson = (r: IndexReport) => ({ ...r, error: r.error?.message });

const cite = (a: Answer, n: number) => {
  const s = a.sources[n - 1];
  return { n, path: s.path, startLine: s.startLine, endLine: s.endLine };
};

export function formatSources(a: Answer): string {
  const lines = a.cited.map((n) => {
    const s = a.sources[n - 1];
    return `[${n}] ${terminalLine(s.path)}:${s.startLine}-${s.endLine}`;
  });
  const dropped = a.droppedCitations ? `\n(${a.droppedCitations} citation(s) of sources that do not exist were removed)` : '';
  const incomplete = a.incomplete ? `(Incomplete: ${INCOMPLETE[a.incomplete]}.)\n` : '';
  // A retrieval-only answer's text already opens with its note.
  const notices = a.notices.filter((n) => !a.text.includes(n)).map((n) => `(${terminalLine(n)})\n`).join('');
  return `${incomplete}${notices}${lines.length ? `Sources:\n${lines.join('\n')}` : 'No sources cited.'}${dropped}\n`;
}

export function formatReport(r: IndexReport): string {
  const skipped = Object.entries(r.skippedByReason).map(([k, v]) => `${k} ${v}`).join(', ');
  const seconds = `${(r.durationMs / 1000).toFixed(1)} s`;
  const counts = `${r.files.changed} updated, ${r.files.unchanged} unchanged, ${r.files.deleted} removed`;
  // A run that stopped says so first; "Indexed 300 files" would claim work that was not done.
  const headline = r.error
    ? `Stopped after ${seconds} (${r.mode}), ${r.files.discovered} files found: ${counts}.`
    : `Indexed ${r.files.discovered} files in ${seconds} (${r.mode}): ${counts}.`;
  const lines = [
    headline,
    `Chunks: ${r.chunks.written} written, ${r.chunks.embedded} embedded, ${r.chunks.reused} reused from cache.`,
    `Tokens: ${r.tokens.toLocaleString('en-US')} (estimated cost $${r.estimatedCost.toFixed(4)}).`,
    `Skipped: ${r.files.skipped}${skipped ? ` (${skipped})` : ''}.`,
  ];
  for (const f of r.failures) lines.push(`Failed: ${terminalLine(f.path)}: ${terminalLine(f.message)}`);
  if (r.error) {
    lines.push(`Stopped early: ${terminalLine(r.error.message)}`);
    if (r.files.notUpdated) lines.push(`${r.files.notUpdated} changed file(s) keep their previous version.`);
    if (r.files.notIndexed) lines.push(`${r.files.notIndexed} new file(s) are not indexed yet.`);
  }
  if (r.unembedded) lines.push(`${r.unembedded} chunk(s) have no embedding yet: full-text and graph search find them meanwhile.`);
  if (r.error) lines.push('Run index again to finish.');
  return lines.join('\n') + '\n';
}

export function formatStatus(
  ws: WorkspaceSpec,
  s: WorkspaceStatus,
  capabilities: { embeddings: boolean; generation: boolean },
  auth: { embeddings?: string; chat?: string } = {},
): string {
  const rows = [
    ['workspace', `${terminalLine(ws.name)} (${ws.id})`],
    ['roots', terminalLine(ws.roots.map((r) => r.path).join(', '))],
    ['files', String(s.files)],
    ['chunks', `${s.chunks} (${s.embedded} with embeddings${capabilities.embeddings && embeddedPercent(s) !== undefined ? `: embedding ${embeddedPercent(s)}%` : ''})`],
    ['symbols', String(s.symbols)],
    ['file links', String(s.links)],
    ['last indexed', s.lastIndexedAt ?? 'never'],
    ...Object.entries(s.skippedByReason).map(([reason, n]) => [`skipped: ${reason}`, String(n)]),
    ['mode', `${capabilities.embeddings ? 'hybrid (vector + full-text + graph)' : 'keyword-only'}, ${capabilities.generation ? 'BitNet answers' : 'retrieval-only answers'}`],
    ...(auth.embeddings ? [['embeddings sign-in', auth.embeddings]] : []),
    ...(auth.chat ? [['BitNet sign-in', auth.chat]] : []),
  ];
  return rows.map(([k, v]) => `${k.padEnd(22)} ${v}`).join('\n') + '\n' + formatSkipped(s);
}

/** Per reason, the first paths the last run skipped (all of them with --json). */
const LISTED_PER_REASON = 10;

function formatSkipped(s: WorkspaceStatus): string {
  if (s.skipped.length === 0) return '';
  const lines = ['', 'Skipped files:'];
  for (const [reason, total] of Object.entries(s.skippedByReason)) {
    const files = s.skipped.filter((f) => f.reason === reason);
    lines.push(`  ${reason} (${total}):`);
    for (const f of files.slice(0, LISTED_PER_REASON)) lines.push(`    ${terminalLine(f.path)}${f.detail ? ` — ${terminalLine(f.detail)}` : ''}`);
    if (total > LISTED_PER_REASON) lines.push(`    … and ${total - Math.min(files.length, LISTED_PER_REASON)} more (--json lists them)`);
  }
  return lines.join('\n') + '\n';
}

/** A one-line bar on a TTY; plain periodic lines otherwise, so CI logs stay readable. */
export class ProgressBar {
  private readonly started = Date.now();
  private lastPlain = 0;
  constructor(private readonly out: NodeJS.WriteStream) {}

  update(p: IndexProgress): void {
    // Once every file is written (and searchable by keywords), the bar is the share embedded.
    const embedding = p.phase === 'embedding' && p.embedding;
    const fraction = embedding ? embedding.share : p.filesTotal ? p.filesDone / p.filesTotal : 0;
    const elapsed = (Date.now() - this.started) / 1000;
    // While embedding, the pace against the quota says what is left; before that, the share of files read does.
    const pace = paceNote(p);
    const eta = pace ? ` — ${pace}` : fraction > 0.02 && fraction < 1 ? ` ETA ${Math.ceil((elapsed / fraction) * (1 - fraction))}s` : '';
    const throttled = throttleNote(p);
    const text = `${p.phase} files ${p.filesDone}/${p.filesTotal} chunks ${p.chunksDone} tokens ${p.tokens}${throttled ? ` — ${throttled}` : eta}`;
    if (this.out.isTTY) {
      const width = 24;
      const filled = Math.round(fraction * width);
      this.out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${text}\x1b[K`);
    } else if (Date.now() - this.lastPlain > 2000 || p.phase === 'done' || throttled) {
      this.lastPlain = Date.now();
      this.out.write(`${text}\n`);
    }
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
