// One indexing job per process, so its peak RSS is its own and its CPU is not shared with the embedding server, which
// runs in the orchestrator (run.ts) for every approach alike. Progress goes to stderr; the last stdout line is
// `BENCH_RESULT <json>` (see shared.ts).
//
//   rag-index <root> <name>                 Workspace RAG, a full run of the indexer (the engine's own composition)
//   rag-incremental <root> <name> <path>...  a no-op run, then one run per edited file, each after editing one line
//   rag-keyword-first <root> <name> <question>  a full run to the last vector, timing the first answer (keyword and
//                                            graph search, asked every 200 ms from the start), the last file written
//                                            and the last vector (quota.ts)
//   rag-branch <root> <name> <share>         a branch switch: <share> of the files change one line, then one run
//   neo4j-ceiling <workspaceId>              the workspace's vectors written again by a minimal UNWIND, timed
//   langchain-index <root> <files>           LangChain.js: read, split, Neo4jVectorStore.fromDocuments
//   naive-index <root> <files>               one embeddings request per file, one auto-commit CREATE per chunk
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import neo4j from 'neo4j-driver';
import { AzureOpenAI } from 'openai';
import { z } from 'zod';
import { Neo4jVectorStore } from '@langchain/community/vectorstores/neo4j_vector';
import { langchainEmbeddings, langchainStoreConfig } from './langchain';
import { profileStatements } from './profile';
import { RecursiveCharacterTextSplitter, type SupportedTextSplitterLanguage } from '@langchain/textsplitters';
import type { Document } from '@langchain/core/documents';
import { Embedder, type EmbedOptions, type EmbedResult } from '../src/core/embed';
import { Indexer, type IndexProgress, type IndexReport } from '../src/core/indexer';
import { Retriever } from '../src/core/retrieve';
import { workspaceFor } from '../src/core/workspace';
import { nodeFileSystem } from '../src/core/node-fs';
import { Neo4jStore } from '../src/core/store';
import { chunkFile } from '../src/core/chunk';
import { WorkerChunker } from '../src/core/chunk/chunker';
import type { EmbeddingConfig, EngineConfig } from '../src/core/config';
import type { FileSystem } from '../src/core/types';
import {
  API_KEY, API_VERSION, CEILING_INDEXES, CEILING_LABEL, CEILING_TEXT_LABEL, DEPLOYMENT, DIMENSIONS, LANGCHAIN_CHUNK_OVERLAP, LANGCHAIN_CHUNK_SIZE, NAIVE_LABEL,
  NAIVE_WINDOW_LINES, RESULT_PREFIX, benchConfig, childEnv, listFiles, type ApproachResult, type RagRun,
} from './shared';

const log = (message: string) => process.stderr.write(`  [${process.argv[2]}] ${message}\n`);
const emit = (result: unknown) => process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
const maxRssKb = () => process.resourceUsage().maxRSS;

/** Peaks of process.memoryUsage() sampled every 250 ms: tells live JS heap from WASM/Buffer memory and from garbage not yet collected. */
function memoryPeaks(): { stop: () => Record<string, number> } {
  const peak: Record<string, number> = {};
  const sample = () => {
    for (const [k, v] of Object.entries(process.memoryUsage())) peak[k] = Math.max(peak[k] ?? 0, v / 1024 / 1024);
  };
  const timer = setInterval(sample, 250);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/**
 * The engine's Embedder, timed: wall time with at least one call in flight (the indexer embeds two write batches at
 * once, so calls overlap). What an edit costs without the embedding round trips is the run minus this.
 */
class TimedEmbedder extends Embedder {
  ms = 0;
  calls = 0;
  private open = 0;
  private since = 0;
  constructor(cfg: EmbeddingConfig) {
    super(cfg);
  }
  override async embed(inputs: string[], opts?: EmbedOptions): Promise<EmbedResult> {
    if (this.open++ === 0) this.since = performance.now();
    try {
      return await super.embed(inputs, opts);
    } finally {
      if (--this.open === 0) this.ms += performance.now() - this.since;
      this.calls++;
    }
  }
}

/**
 * Wall time during which at least one call of each named activity was in flight (concurrent calls count once).
 * Activities overlap each other (the indexer writes batch n while it reads and embeds batch n+1), so they need not
 * add up to the run.
 */
class Phases {
  readonly ms: Record<string, number> = {};
  private readonly open = new Map<string, { count: number; since: number }>();
  /** The times so far, starting afresh. */
  take(): Record<string, number> {
    const taken = { ...this.ms };
    for (const key of Object.keys(this.ms)) delete this.ms[key];
    return taken;
  }
  wrap<A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args: A) => {
      const state = this.open.get(name) ?? { count: 0, since: 0 };
      if (state.count++ === 0) state.since = performance.now();
      this.open.set(name, state);
      try {
        return await fn(...args);
      } finally {
        if (--state.count === 0) this.ms[name] = (this.ms[name] ?? 0) + performance.now() - state.since;
      }
    };
  }
}

// ---- Workspace RAG ------------------------------------------------------------------------------------------------

interface RagHarness {
  indexer: Indexer;
  chunker: WorkerChunker;
  embedder: TimedEmbedder;
  phases: Phases;
  store: Neo4jStore;
  ws: ReturnType<typeof workspaceFor>;
}

/** The same services as src/core/engine.ts builds, with the embedder timed and the store and file system instrumented. */
async function ragHarness(cfg: EngineConfig, root: string, name: string): Promise<RagHarness> {
  const phases = new Phases();
  const store = await Neo4jStore.connect(cfg.neo4j, { maxChunksPerTransaction: cfg.indexing.writeBatchChunks });
  await store.ensureSchema(DIMENSIONS);
  for (const method of ['fileStates', 'unembeddedChunks', 'cachedEmbeddings', 'replaceFiles', 'chunksToEmbed', 'setEmbeddings', 'touchFiles', 'deleteFiles'] as const) {
    const original = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>;
    (store as unknown as Record<string, unknown>)[method] = phases.wrap(`neo4j ${method}`, original);
  }
  const files: FileSystem = {
    readDir: phases.wrap('fs readDir', nodeFileSystem.readDir),
    stat: phases.wrap('fs stat', nodeFileSystem.stat),
    realPath: phases.wrap('fs realPath', nodeFileSystem.realPath),
    readFile: phases.wrap('fs readFile', nodeFileSystem.readFile),
  };
  const embedder = new TimedEmbedder(cfg.embedding!);
  const chunker = new WorkerChunker();
  const indexer = new Indexer(store, embedder, files, cfg.indexing, { bulk: chunker });
  return { indexer, chunker, embedder, phases, store, ws: workspaceFor([{ name, path: root }]) };
}

async function timedRun(h: RagHarness, onProgress?: (p: IndexProgress) => void): Promise<RagRun> {
  const embedMs0 = h.embedder.ms;
  const calls0 = h.embedder.calls;
  let lastLog = 0;
  const t0 = performance.now();
  const report: IndexReport = await h.indexer.run(h.ws, {
    onProgress: (p) => {
      onProgress?.(p);
      if (performance.now() - lastLog < 5000) return;
      lastLog = performance.now();
      log(`${p.phase}: ${p.filesDone}/${p.filesTotal} files, ${p.chunksDone} chunks written`);
    },
  });
  const ms = performance.now() - t0;
  if (report.error) log(`indexing reported an error: ${report.error.message}`);
  return { ms, embedMs: h.embedder.ms - embedMs0, embedCalls: h.embedder.calls - calls0, report: { ...report, error: report.error?.message } };
}

async function ragIndex(cfg: EngineConfig, root: string, name: string): Promise<void> {
  const statements = profileStatements();
  const h = await ragHarness(cfg, root, name);
  try {
    const memory = memoryPeaks();
    const run = await timedRun(h);
    const memoryMb = memory.stop();
    const bytes = (await Promise.all((await listFiles(root)).map(async (f) => (await fs.stat(path.join(root, f))).size))).reduce((a, b) => a + b, 0);
    const cpu = process.cpuUsage(); // every thread of the process, the chunking worker included
    emit({ ...run, maxRssKb: maxRssKb(), cpuMs: (cpu.user + cpu.system) / 1000, bytes, phases: { ...h.phases.take(), 'embed (HTTP)': run.embedMs }, statements: statements.take(), memoryMb });
  } finally {
    await h.chunker.close();
    await h.store.close();
  }
}

/** The edit of a save: one line of one method changes (`?? limit;`, which the corpus's TypeScript files hold). */
async function editOneLine(abs: string, n: number): Promise<void> {
  const text = await fs.readFile(abs, 'utf8');
  const at = text.lastIndexOf('?? limit;');
  if (at < 0) throw new Error(`${abs} has no line to edit`);
  await fs.writeFile(abs, `${text.slice(0, at)}?? limit + ${n};${text.slice(at + '?? limit;'.length)}`);
}

/**
 * A no-op run, then one run per edited file in the same warm process, as a long-lived host (the extension) saves one
 * file after another. The first edit after the full index is reported apart: it pays for Neo4j planning its statements
 * again against the grown index.
 */
async function ragIncremental(cfg: EngineConfig, root: string, name: string, editPaths: string[]): Promise<void> {
  const statements = profileStatements();
  const h = await ragHarness(cfg, root, name);
  try {
    // A long-lived host has its grammars loaded; load the edited files' one before timing.
    await chunkFile(editPaths[0], 'export function warm(): number {\n  return 1;\n}\n', { maxTokens: cfg.indexing.chunkTokens, overlapLines: cfg.indexing.overlapLines });
    statements.take();
    h.phases.take();
    const noop = { ...(await timedRun(h)), statements: statements.take(), phases: h.phases.take() };
    const edits = [];
    for (const [i, editPath] of editPaths.entries()) {
      await editOneLine(path.join(root, editPath), i + 1);
      edits.push({ ...(await timedRun(h)), statements: statements.take(), phases: h.phases.take(), path: editPath });
    }
    emit({ noop, edits });
  } finally {
    await h.chunker.close();
    await h.store.close();
  }
}

/**
 * A first index to its last vector, as a user sees it: the question is asked of keyword and graph search (a store of
 * its own, as another host would) every 200 ms from the start until it is answered; the progress says when the last
 * file was written, and the run ends with the last vector.
 */
async function ragKeywordFirst(cfg: EngineConfig, root: string, name: string, question: string): Promise<void> {
  const h = await ragHarness(cfg, root, name);
  const asking = await Neo4jStore.connect(cfg.neo4j);
  const keywords = new Retriever(asking, undefined, cfg.retrieval);
  try {
    const t0 = performance.now();
    let firstWriteMs: number | undefined;
    let writtenMs: number | undefined;
    let firstAnswerMs: number | undefined;
    let lastLog = 0;
    let running = true;
    const poll = (async () => {
      while (running && firstAnswerMs === undefined) {
        const asked = performance.now();
        const r = await keywords.retrieve(h.ws.id, question, 3000).catch(() => undefined);
        if (r && r.sources.length > 0) firstAnswerMs = asked - t0 + (performance.now() - asked);
        else await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const report = await h.indexer.run(h.ws, {
      onProgress: (p) => {
        const t = performance.now() - t0;
        if (firstWriteMs === undefined && p.chunksDone > 0) firstWriteMs = t;
        if (writtenMs === undefined && (p.phase === 'removing' || p.phase === 'embedding' || p.phase === 'done')) writtenMs = t;
        if (t - lastLog > 10_000) {
          lastLog = t;
          log(`${(t / 1000).toFixed(0)} s: ${p.phase}, ${p.filesDone}/${p.filesTotal} files, ${p.chunksDone} chunks written${p.embedding ? `, ${Math.round(p.embedding.share * 100)}% embedded` : ''}`);
        }
      },
    });
    const ms = performance.now() - t0;
    running = false;
    await poll;
    if (report.error) log(`indexing reported an error: ${report.error.message}`);
    emit({
      ms,
      firstWriteMs,
      writtenMs,
      firstAnswerMs,
      tokens: report.tokens,
      chunks: report.chunks,
      unembedded: report.unembedded,
      error: report.error?.message,
      learnedQuota: h.embedder.pace().quotaTokensPerMinute,
    });
  } finally {
    await asking.close();
    await h.chunker.close();
    await h.store.close();
  }
}

/** The line a branch adds in the middle of a file, in the file's own comment syntax. */
function branchLine(rel: string, n: number): string {
  if (rel.endsWith('.py')) return `# Changed on the feature branch (${n}).`;
  if (rel.endsWith('.md')) return `This paragraph was added on the feature branch (${n}).`;
  return `// Changed on the feature branch (${n}).`;
}

/**
 * A branch switch: every file in `share` of the corpus (every k-th in sorted order) gains a line in its middle, as
 * another branch's version of it would differ, then one run. Reports the run and how many of the workspace's texts
 * are new to it: the chunks whose text changed, which are all that may be embedded.
 */
async function ragBranch(cfg: EngineConfig, root: string, name: string, share: number): Promise<void> {
  const h = await ragHarness(cfg, root, name);
  const driver = neo4j.driver(cfg.neo4j.uri, neo4j.auth.basic(cfg.neo4j.username, cfg.neo4j.password), { disableLosslessIntegers: true });
  const keysOf = async () => {
    const r = await driver.executeQuery('MATCH (c:Chunk {workspace: $ws}) RETURN DISTINCT c.embedKey AS key', { ws: h.ws.id }, { database: cfg.neo4j.database, routing: 'READ' });
    return new Set(r.records.map((x) => z.string().parse(x.get('key'))));
  };
  try {
    const before = await keysOf();
    const all = await listFiles(root);
    const step = Math.max(1, Math.round(1 / share));
    const changed = all.filter((_, i) => i % step === 0);
    for (const [n, rel] of changed.entries()) {
      const abs = path.join(root, rel);
      const lines = (await fs.readFile(abs, 'utf8')).split('\n');
      lines.splice(Math.floor(lines.length / 2), 0, branchLine(rel, n));
      await fs.writeFile(abs, lines.join('\n'));
    }
    let writtenMs: number | undefined;
    const t0 = performance.now();
    const run = await timedRun(h, (p) => {
      if (writtenMs === undefined && (p.phase === 'removing' || p.phase === 'embedding' || p.phase === 'done')) writtenMs = performance.now() - t0;
    });
    const after = await keysOf();
    const newTexts = [...after].filter((k) => !before.has(k)).length;
    emit({ ...run, writtenMs, files: all.length, changedFiles: changed.length, newTexts });
  } finally {
    await driver.close();
    await h.chunker.close();
    await h.store.close();
  }
}

/**
 * Neo4j's own ceiling for the same vectors: the workspace's vectors (read back first, untimed) written again to nodes
 * of a label of their own, with a vector index of the same configuration, by a minimal UNWIND per 1,000 vectors, one
 * transaction after another as the indexer's writer goes; then the same with each chunk's text too, under a full-text
 * index as well (the least an index answering by keywords and by vector holds). Cleaned up afterwards.
 */
async function neo4jCeiling(cfg: EngineConfig, workspaceId: string): Promise<void> {
  const driver = neo4j.driver(cfg.neo4j.uri, neo4j.auth.basic(cfg.neo4j.username, cfg.neo4j.password), { disableLosslessIntegers: true });
  const session = driver.session({ database: cfg.neo4j.database });
  const drop = async () => {
    for (const label of [CEILING_LABEL, CEILING_TEXT_LABEL]) await session.run(`MATCH (n:${label}) CALL (n) { DELETE n } IN TRANSACTIONS OF 5000 ROWS`);
    for (const index of CEILING_INDEXES) await session.run(`DROP INDEX ${index} IF EXISTS`);
  };
  const vectorIndex = (name: string, label: string) =>
    session.run(
      `CREATE VECTOR INDEX ${name} FOR (c:${label}) ON (c.embedding)
       OPTIONS {indexConfig: {\`vector.dimensions\`: ${DIMENSIONS}, \`vector.similarity_function\`: 'cosine', \`vector.hnsw.ef_construction\`: 64}}`,
    );
  const timed = async (statement: string, rowsOf: (i: number) => unknown[]) => {
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += 1000) {
      const batch = rowsOf(i);
      await session.executeWrite((tx) => tx.run(statement, { rows: batch }));
    }
    return performance.now() - t0;
  };
  const rows: Array<{ v: Float32Array; text: string }> = [];
  try {
    await new Promise<void>((resolve, reject) => {
      session.run('MATCH (c:Chunk {workspace: $ws}) WHERE c.embedding IS NOT NULL RETURN c.embedding AS v, c.text AS text', { ws: workspaceId }).subscribe({
        onNext: (r) => void rows.push({ v: Float32Array.from(r.get('v') as number[]), text: String(r.get('text')) }),
        onCompleted: () => resolve(),
        onError: reject,
      });
    });
    await drop();
    await vectorIndex(CEILING_INDEXES[0], CEILING_LABEL);
    await vectorIndex(CEILING_INDEXES[1], CEILING_TEXT_LABEL);
    await session.run(`CREATE FULLTEXT INDEX ${CEILING_INDEXES[2]} FOR (c:${CEILING_TEXT_LABEL}) ON EACH [c.text] OPTIONS {indexConfig: {\`fulltext.analyzer\`: 'standard-no-stop-words'}}`);
    for (const name of CEILING_INDEXES) await session.run('CALL db.awaitIndex($name, 300)', { name });
    const ms = await timed(
      `UNWIND $rows AS v CREATE (c:${CEILING_LABEL}) WITH c, v CALL db.create.setNodeVectorProperty(c, 'embedding', v)`,
      (i) => rows.slice(i, i + 1000).map((r) => Array.from(r.v)),
    );
    const withTextMs = await timed(
      `UNWIND $rows AS r CREATE (c:${CEILING_TEXT_LABEL} {text: r.text}) WITH c, r CALL db.create.setNodeVectorProperty(c, 'embedding', r.v)`,
      (i) => rows.slice(i, i + 1000).map((r) => ({ text: r.text, v: Array.from(r.v) })),
    );
    emit({ ms, withTextMs, vectors: rows.length });
  } finally {
    await drop().catch(() => undefined);
    await session.close();
    await driver.close();
  }
}

// ---- LangChain.js ---------------------------------------------------------------------------------------------------

/** LangChain's language-aware splitter per extension ('js' is its closest language to TypeScript). */
const SPLITTER_LANGUAGE: Record<string, SupportedTextSplitterLanguage> = { '.ts': 'js', '.py': 'python', '.go': 'go', '.md': 'markdown' };

async function langchainIndex(cfg: EngineConfig, embeddingUrl: string, root: string, maxFiles: number): Promise<void> {
  const files = (await listFiles(root)).slice(0, maxFiles);
  const embeddings = langchainEmbeddings(embeddingUrl);
  const splitters = new Map<string, RecursiveCharacterTextSplitter>();
  const t0 = performance.now();
  const docs: Document[] = [];
  let bytes = 0;
  for (const rel of files) {
    const text = await fs.readFile(path.join(root, rel), 'utf8');
    bytes += Buffer.byteLength(text);
    const ext = path.extname(rel);
    let splitter = splitters.get(ext);
    if (!splitter) {
      const options = { chunkSize: LANGCHAIN_CHUNK_SIZE, chunkOverlap: LANGCHAIN_CHUNK_OVERLAP };
      splitter = SPLITTER_LANGUAGE[ext] ? RecursiveCharacterTextSplitter.fromLanguage(SPLITTER_LANGUAGE[ext], options) : new RecursiveCharacterTextSplitter(options);
      splitters.set(ext, splitter);
    }
    for (const doc of await splitter.createDocuments([text], [{ source: rel }])) {
      // The splitter nests line numbers as metadata.loc.lines; Neo4j properties cannot hold maps, so flatten them.
      const lines = z.object({ from: z.number(), to: z.number() }).parse(doc.metadata.loc?.lines);
      doc.metadata = { source: rel, startLine: lines.from, endLine: lines.to };
      docs.push(doc);
    }
  }
  const splitMs = performance.now() - t0;
  log(`${files.length} files split into ${docs.length} documents in ${(splitMs / 1000).toFixed(1)} s; fromDocuments…`);
  const store = await Neo4jVectorStore.fromDocuments(docs, embeddings, langchainStoreConfig(cfg));
  const ms = performance.now() - t0;
  await store.close();
  const result: ApproachResult = {
    ms,
    files: files.length,
    bytes,
    chunks: docs.length,
    maxRssKb: maxRssKb(),
    phases: { 'read + split': splitMs, 'embed (embedDocuments)': embeddings.ms, 'write (addVectors) + setup': ms - splitMs - embeddings.ms },
  };
  emit(result);
}

// ---- naive ------------------------------------------------------------------------------------------------------

const embeddingResponse = z.object({ data: z.array(z.object({ index: z.number(), embedding: z.array(z.number()).length(DIMENSIONS) })) });

async function naiveIndex(cfg: EngineConfig, embeddingUrl: string, root: string, maxFiles: number): Promise<void> {
  const files = (await listFiles(root)).slice(0, maxFiles);
  const client = new AzureOpenAI({ endpoint: embeddingUrl, apiKey: API_KEY, apiVersion: API_VERSION, deployment: DEPLOYMENT, maxRetries: 0 });
  const driver = neo4j.driver(cfg.neo4j.uri, neo4j.auth.basic(cfg.neo4j.username, cfg.neo4j.password));
  const session = driver.session({ database: cfg.neo4j.database });
  const phases = { 'read + split': 0, embed: 0, 'write (one CREATE per chunk)': 0 };
  let chunks = 0;
  let bytes = 0;
  const t0 = performance.now();
  try {
    for (const rel of files) {
      let t = performance.now();
      const text = await fs.readFile(path.join(root, rel), 'utf8');
      bytes += Buffer.byteLength(text);
      const lines = text.split('\n');
      const windows: Array<{ start: number; text: string }> = [];
      for (let i = 0; i < lines.length; i += NAIVE_WINDOW_LINES) {
        const part = lines.slice(i, i + NAIVE_WINDOW_LINES).join('\n');
        if (part.trim()) windows.push({ start: i + 1, text: part });
      }
      phases['read + split'] += performance.now() - t;
      if (windows.length === 0) continue;
      t = performance.now();
      const answer = embeddingResponse.parse(
        await client.embeddings.create({ model: DEPLOYMENT, input: windows.map((w) => w.text), dimensions: DIMENSIONS, encoding_format: 'float' }),
      );
      phases.embed += performance.now() - t;
      t = performance.now();
      for (const item of answer.data) {
        const w = windows[item.index];
        await session.run(
          `CREATE (:${NAIVE_LABEL} {path: $path, startLine: $start, endLine: $end, text: $text, embedding: $embedding})`,
          { path: rel, start: neo4j.int(w.start), end: neo4j.int(w.start + w.text.split('\n').length - 1), text: w.text, embedding: item.embedding },
        );
        chunks++;
      }
      phases['write (one CREATE per chunk)'] += performance.now() - t;
    }
  } finally {
    await session.close();
    await driver.close();
  }
  const result: ApproachResult = { ms: performance.now() - t0, files: files.length, bytes, chunks, maxRssKb: maxRssKb(), phases };
  emit(result);
}

// ---------------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const { BENCH_EMBEDDING_URL: url } = childEnv();
  const cfg = benchConfig(url);
  const count = (s: string | undefined) => z.coerce.number().int().positive().parse(s);
  switch (command) {
    case 'rag-index':
      return ragIndex(cfg, z.string().parse(args[0]), z.string().parse(args[1]));
    case 'rag-incremental':
      return ragIncremental(cfg, z.string().parse(args[0]), z.string().parse(args[1]), z.array(z.string()).min(1).parse(args.slice(2)));
    case 'rag-keyword-first':
      return ragKeywordFirst(cfg, z.string().parse(args[0]), z.string().parse(args[1]), z.string().parse(args[2]));
    case 'rag-branch':
      return ragBranch(cfg, z.string().parse(args[0]), z.string().parse(args[1]), z.coerce.number().positive().max(1).parse(args[2]));
    case 'neo4j-ceiling':
      return neo4jCeiling(cfg, z.string().parse(args[0]));
    case 'langchain-index':
      return langchainIndex(cfg, url, z.string().parse(args[0]), count(args[1]));
    case 'naive-index':
      return naiveIndex(cfg, url, z.string().parse(args[0]), count(args[1]));
    default:
      throw new Error(`unknown command ${command}`);
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
