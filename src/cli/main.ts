#!/usr/bin/env -S node --max-old-space-size=1024
// `workspace-rag index|ask|status|clear` over the same engine the extension uses. Configuration comes from environment
// variables (see README); progress goes to stderr, results to stdout (`--json` for machines).
//
// The heap ceiling in the first line is not a squeeze (an indexing run keeps ~50 MB live) but a hint: V8 sizes heap
// growth for the machine, and on a large one it let ~200 MB of garbage pile up between collections (bench/results.md).
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { configFromEnv, ConfigError, type EngineConfig } from '../core/config';
import { openEngine, type Engine } from '../core/engine';
import { errorMessage, type IndexProgress, type IndexReport } from '../core/indexer';
import { workspaceFor, type WorkspaceSpec } from '../core/workspace';
import { nodeFileSystem } from '../core/node-fs';
import { KEYWORD_ONLY_NOTE, type Answer } from '../core/answer';
import { StoreUnavailableError } from '../core/store';

/** Exit codes: each says what went wrong, so scripts can react. */
export const EXIT = { ok: 0, failed: 1, usage: 2, neo4j: 3, interrupted: 130 } as const;

const USAGE = `Usage:
  workspace-rag index [folders…] [--force] [--json]   index folders (default: the current folder)
  workspace-rag ask "question" [--folder DIR]… [--json]
  workspace-rag status [--folder DIR]… [--json]
  workspace-rag clear [--folder DIR]… | --all [--json]

Configuration is read from environment variables: NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE,
AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, AZURE_OPENAI_EMBEDDING_DEPLOYMENT, AZURE_OPENAI_API_VERSION,
AZURE_OPENAI_EMBEDDING_DIMENSIONS, BITNET_ENDPOINT, BITNET_API_KEY, BITNET_MODEL, … (see README).
Exit codes: 0 ok, 1 failed or incomplete, 2 bad usage or configuration, 3 Neo4j unreachable, 130 interrupted.`;

class UsageError extends Error {}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
        folder: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return fail(new UsageError(errorMessage(error)), false);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const json = values.json;
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let engine: Engine | undefined;
  try {
    const config = configFromEnv(env);
    const folders = command === 'index' ? rest : (values.folder ?? []);
    if (command === 'ask' && rest.length !== 1) throw new UsageError('ask takes exactly one question, in quotes.');
    if (!['index', 'ask', 'status', 'clear'].includes(command)) throw new UsageError(`Unknown command "${command}".`);
    const ws = workspaceFor((folders.length ? folders : ['.']).map(rootOf));
    engine = await openEngine(config, nodeFileSystem);
    switch (command) {
      case 'index':
        return await index(engine, ws, { json, force: values.force, signal: abort.signal });
      case 'ask':
        return await ask(engine, config, ws, rest[0], json, abort.signal);
      case 'status':
        return await status(engine, ws, json);
      default:
        return await clear(engine, ws, values.all, json);
    }
  } catch (error) {
    return fail(error, json, abort.signal.aborted);
  } finally {
    process.off('SIGINT', onSigint);
    await engine?.close().catch(() => undefined);
  }
}

function rootOf(folder: string) {
  const abs = path.resolve(folder);
  return { name: path.basename(abs) || abs, path: abs };
}

async function index(engine: Engine, ws: WorkspaceSpec, o: { json: boolean; force: boolean; signal: AbortSignal }): Promise<number> {
  const bar = new ProgressBar(process.stderr);
  if (!engine.capabilities.embeddings) process.stderr.write(`${KEYWORD_ONLY_NOTE}\n`);
  const report = await engine.index(ws, { force: o.force, signal: o.signal, onProgress: (p) => bar.update(p) });
  bar.done();
  if (o.json) print({ ...report, error: report.error?.message });
  else process.stdout.write(formatReport(report));
  if (report.cancelled) return EXIT.interrupted;
  return report.error || report.failures.length ? EXIT.failed : EXIT.ok;
}

async function ask(engine: Engine, config: EngineConfig, ws: WorkspaceSpec, question: string, json: boolean, signal: AbortSignal): Promise<number> {
  const status = await engine.status(ws);
  if (status.files === 0) throw new UsageError(`Nothing is indexed for ${ws.roots.map((r) => r.path).join(', ')}: run \`workspace-rag index\` there first.`);
  if (!json && !config.embedding) process.stderr.write(`${KEYWORD_ONLY_NOTE}\n`);
  const answer = await engine.ask(ws, question, { signal, onDelta: json ? undefined : (t) => process.stdout.write(t) });
  if (json) print(answerJson(answer));
  else process.stdout.write(`\n\n${formatSources(answer)}`);
  return EXIT.ok;
}

async function status(engine: Engine, ws: WorkspaceSpec, json: boolean): Promise<number> {
  const s = await engine.status(ws);
  if (json) print({ workspaceId: ws.id, roots: ws.roots.map((r) => r.path), ...s, capabilities: engine.capabilities });
  else {
    const rows = [
      ['workspace', `${ws.name} (${ws.id})`],
      ['roots', ws.roots.map((r) => r.path).join(', ')],
      ['files', String(s.files)],
      ['chunks', `${s.chunks} (${s.embedded} with embeddings)`],
      ['symbols', String(s.symbols)],
      ['file links', String(s.links)],
      ['last indexed', s.lastIndexedAt ?? 'never'],
      ...Object.entries(s.skippedByReason ?? {}).map(([reason, n]) => [`skipped: ${reason}`, String(n)]),
      ['mode', `${engine.capabilities.embeddings ? 'hybrid (vector + full-text + graph)' : 'keyword-only'}, ${engine.capabilities.generation ? 'BitNet answers' : 'retrieval-only answers'}`],
    ];
    process.stdout.write(rows.map(([k, v]) => `${k.padEnd(22)} ${v}`).join('\n') + '\n');
  }
  return EXIT.ok;
}

async function clear(engine: Engine, ws: WorkspaceSpec, all: boolean, json: boolean): Promise<number> {
  await engine.clear(all ? 'everything' : { workspace: ws });
  const what = all ? 'the whole Workspace RAG index (every workspace, and the vector index)' : `the index of ${ws.roots.map((r) => r.path).join(', ')}`;
  if (json) print({ cleared: all ? 'all' : ws.id });
  else process.stdout.write(`Cleared ${what}.\n`);
  return EXIT.ok;
}

function fail(error: unknown, json: boolean, interrupted = false): number {
  const code = interrupted
    ? EXIT.interrupted
    : error instanceof UsageError || error instanceof ConfigError
      ? EXIT.usage
      : error instanceof StoreUnavailableError
        ? EXIT.neo4j
        : EXIT.failed;
  const message = interrupted ? 'Interrupted.' : errorMessage(error);
  if (json) print({ error: message, exitCode: code });
  else process.stderr.write(`workspace-rag: ${message}\n${code === EXIT.usage && error instanceof UsageError ? `\n${USAGE}\n` : ''}`);
  return code;
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

function answerJson(a: Answer) {
  return {
    mode: a.mode,
    retrievalMode: a.retrievalMode,
    answer: a.text,
    citations: a.cited.map((n) => cite(a, n)),
    sources: a.sources.map((s) => ({ n: s.n, path: s.path, startLine: s.startLine, endLine: s.endLine, score: s.score, via: s.via })),
    droppedCitations: a.droppedCitations,
    usage: a.usage,
    timings: a.timings,
  };
}

const cite = (a: Answer, n: number) => {
  const s = a.sources[n - 1];
  return { n, path: s.path, startLine: s.startLine, endLine: s.endLine };
};

function formatSources(a: Answer): string {
  const cited = a.cited.length ? a.cited : [];
  const lines = cited.map((n) => {
    const s = a.sources[n - 1];
    return `[${n}] ${s.path}:${s.startLine}-${s.endLine}`;
  });
  const dropped = a.droppedCitations ? `\n(${a.droppedCitations} citation(s) of sources that do not exist were removed)` : '';
  return `${lines.length ? `Sources:\n${lines.join('\n')}` : 'No sources cited.'}${dropped}\n`;
}

function formatReport(r: IndexReport): string {
  const skipped = Object.entries(r.skippedByReason).map(([k, v]) => `${k} ${v}`).join(', ');
  const lines = [
    `Indexed ${r.files.discovered} files in ${(r.durationMs / 1000).toFixed(1)} s (${r.mode}): ${r.files.changed} changed, ${r.files.unchanged} unchanged, ${r.files.deleted} removed.`,
    `Chunks: ${r.chunks.written} written, ${r.chunks.embedded} embedded, ${r.chunks.reused} reused from cache.`,
    `Tokens: ${r.tokens.toLocaleString('en-US')} (estimated cost $${r.estimatedCost.toFixed(4)}).`,
    `Skipped: ${r.files.skipped}${skipped ? ` (${skipped})` : ''}.`,
  ];
  for (const f of r.failures) lines.push(`Failed: ${f.path}: ${f.message}`);
  if (r.error) lines.push(`Stopped early: ${r.error.message}`, `${r.files.notUpdated} file(s) keep their previous version; run index again to finish.`);
  return lines.join('\n') + '\n';
}

/** A one-line bar on a TTY; plain periodic lines otherwise, so CI logs stay readable. */
class ProgressBar {
  private readonly started = Date.now();
  private lastPlain = 0;
  constructor(private readonly out: NodeJS.WriteStream) {}

  update(p: IndexProgress): void {
    const fraction = p.filesTotal ? p.filesDone / p.filesTotal : 0;
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = fraction > 0.02 && fraction < 1 ? ` ETA ${Math.ceil((elapsed / fraction) * (1 - fraction))}s` : '';
    const text = `${p.phase} files ${p.filesDone}/${p.filesTotal} chunks ${p.chunksDone} tokens ${p.tokens}${eta}`;
    if (this.out.isTTY) {
      const width = 24;
      const filled = Math.round(fraction * width);
      this.out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${text}\x1b[K`);
    } else if (Date.now() - this.lastPlain > 2000 || p.phase === 'done') {
      this.lastPlain = Date.now();
      this.out.write(`${text}\n`);
    }
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
