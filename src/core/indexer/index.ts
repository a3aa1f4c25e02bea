// Orchestrates one indexing run: discover → plan against the store → read, chunk, embed what changed → write.
// Files are written in batches, each file atomically, so a run stopped at any point leaves every file at its old or
// its new version and the next run picks up the rest. A failure tied to one file skips that file with its reason;
// only a failure of a whole service (Neo4j, the embeddings endpoint) stops the run.
import type { IndexingConfig } from '../config';
import { checkRoots, type WorkspaceSpec } from '../workspace';
import { discover, summarizeSkipped } from '../discover';
import { CHUNKER_VERSION } from '../chunk';
import { inThreadChunker, type Chunker } from '../chunk/chunker';
import { mapInOrder } from '../concurrency';
import type { Embedder } from '../embed';
import { EngineError, errorMessage } from '../errors';
import type { FileWrite, IndexWriter } from '../ports';
import { keepsOldVersion, plan } from './plan';
import { prepareFile, type PrepareContext } from './prepare';
import type { FileSystem, SkippedFile, SkipReason } from '../types';
import { VectorCache } from './vectorCache';
import { RunEmbeddings, type EmbeddingPace } from './embeddings';

export type { EmbeddingPace } from './embeddings';

export type IndexPhase = 'discovering' | 'comparing' | 'indexing' | 'removing' | 'done';

export interface IndexProgress {
  phase: IndexPhase;
  filesTotal: number;
  filesDone: number;
  chunksDone: number;
  tokens: number;
  /** Set while the embeddings endpoint throttles (429): the wait it asked for, in ms from this event. */
  throttledMs?: number;
  /** The embedding pace, once this run has something to embed. */
  embedding?: EmbeddingPace;
}

/** The progress hosts show while a 429 is waited out, e.g. "throttled by Azure OpenAI: waiting 12 s". */
export function throttleNote(p: IndexProgress): string | undefined {
  return p.throttledMs ? `throttled by Azure OpenAI: waiting ${Math.ceil(p.throttledMs / 1000)} s` : undefined;
}

/** The pace hosts show while embedding, e.g. "embedding 812k of 1M tokens/min (quota), about 3 min left". */
export function paceNote(p: IndexProgress): string | undefined {
  const e = p.embedding;
  if (!e || (e.tokensPerMinute === 0 && e.tokensLeft === 0)) return undefined;
  const rate = `embedding ${compact(e.tokensPerMinute)} tokens/min${e.quotaTokensPerMinute ? ` of the ${compact(e.quotaTokensPerMinute)} quota` : ''}`;
  const left = etaNote(p);
  return left ? `${rate}, ${left}` : rate;
}

/** What is left of the embedding, e.g. "about 3 min left"; undefined when nothing is or no pace is known yet. */
export function etaNote(p: IndexProgress): string | undefined {
  const e = p.embedding;
  return e?.etaMs !== undefined && e.tokensLeft > 0 ? `about ${duration(e.etaMs)} left` : undefined;
}

/** 812k, 1.2M: three significant figures at most. */
function compact(n: number): string {
  if (n >= 1e6) return `${Number((n / 1e6).toPrecision(3))}M`;
  if (n >= 1e3) return `${Number((n / 1e3).toPrecision(3))}k`;
  return String(Math.round(n));
}

function duration(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
}

export interface IndexFailure {
  path: string;
  message: string;
}

export interface IndexReport {
  workspaceId: string;
  mode: 'embeddings' | 'keyword-only';
  /**
   * notUpdated: files changed on disk that kept their previous version (the run stopped before them, or they failed);
   * notIndexed: new files that are not in the index yet for the same reasons.
   */
  files: { discovered: number; changed: number; unchanged: number; deleted: number; skipped: number; notUpdated: number; notIndexed: number };
  skippedByReason: Partial<Record<SkipReason, number>>;
  /** Every file this run skipped, with its reason. */
  skipped: SkippedFile[];
  /** embedded: distinct inputs sent to the embeddings endpoint; reused: chunks whose embedding came from the cache. */
  chunks: { written: number; embedded: number; reused: number };
  tokens: number;
  estimatedCost: number;
  /**
   * Set when the run stopped early (cancel, endpoint or Neo4j failure): the files not updated keep their previous
   * version. `cause` is the error itself, so a host can still offer its remedy (credentials, a setting).
   */
  error?: { message: string; cause: unknown };
  cancelled: boolean;
  /** Files that could not be read, chunked or written, each with its reason; they keep their previous version. */
  failures: IndexFailure[];
  durationMs: number;
}

export interface IndexOptions {
  signal?: AbortSignal;
  onProgress?: (p: IndexProgress) => void;
  /** Re-read and re-chunk every file (the embedding cache still applies). */
  force?: boolean;
  /**
   * Limits the run to these files and folders, as the index names them (`Source.path`: relative to the root, with
   * several roots prefixed by the root's name; a folder covers everything below it). Only they are read, updated or
   * removed; the rest of the index is left as it is, and so is the last full run's record of skipped files.
   */
  paths?: string[];
}

/**
 * Whether an index path is one of the scope's files or below one of its folders (undefined: every path is). A skipped
 * folder (`name/`) is in scope when it holds a path of the scope too, so a file asked for there shows why it was skipped.
 */
function scopeOf(paths: string[] | undefined): ((path: string) => boolean) | undefined {
  if (!paths) return undefined;
  const scope = paths.map((p) => p.replace(/\/+$/, ''));
  if (scope.includes('')) return undefined; // the whole workspace
  return (path) => scope.some((s) => path === s || path.startsWith(`${s}/`) || (path.endsWith('/') && `${s}/`.startsWith(path)));
}

/** Files read and chunked ahead of the writer: enough to hide I/O latency, few enough to bound memory. */
const READ_CONCURRENCY = 16;
/**
 * Write batches being embedded or written at once. The next batch is embedding while one waits for its last answers or
 * is written, so the quota never idles between batches; more would only hold more chunks in memory.
 */
const BATCHES_IN_FLIGHT = 2;
/** Progress events for arriving vectors come at most this often. */
const PROGRESS_INTERVAL_MS = 500;
/** Up to this many changed files (a save, a rename, a branch switch of a few files) are chunked on this thread: starting the chunking worker would cost more than their garbage. */
const IN_THREAD_FILES = 32;

export interface IndexerChunkers {
  /** Chunks runs of more than IN_THREAD_FILES files (the engine gives a WorkerChunker). */
  bulk: Chunker;
  /** Chunks small runs on this thread. */
  inThread: Chunker;
}

export interface IndexerOptions extends Partial<IndexerChunkers> {
  /** Where vectors paid for but not written are kept for the next process (the host's cache folder). */
  unwrittenVectorsFile?: string;
}

export class Indexer {
  /** Vectors paid for but not yet written, so a failed or cancelled write does not pay for them twice. */
  private readonly unwritten = new VectorCache();
  private readonly chunkers: IndexerChunkers;
  private loadingUnwritten: Promise<void> | undefined;

  constructor(
    private readonly store: IndexWriter,
    private readonly embedder: Embedder | undefined,
    private readonly fs: FileSystem,
    private readonly config: IndexingConfig,
    private readonly options: IndexerOptions = {},
  ) {
    this.chunkers = { bulk: options.bulk ?? inThreadChunker, inThread: options.inThread ?? inThreadChunker };
  }

  /** What identifies the stored chunks of a file besides its content: chunking settings and embedding model. */
  get chunkerKey(): string {
    return [CHUNKER_VERSION, this.config.chunkTokens, this.config.overlapLines, this.embedder?.modelKey ?? 'keyword-only'].join('|');
  }

  async run(ws: WorkspaceSpec, options: IndexOptions = {}): Promise<IndexReport> {
    const file = this.options.unwrittenVectorsFile;
    if (file) await (this.loadingUnwritten ??= this.unwritten.load(file));
    try {
      return await this.runOnce(ws, options);
    } finally {
      // What this run paid for and could not write waits for the next process too; a saving failure costs only money.
      if (file && this.embedder) await this.unwritten.save(file).catch(() => undefined);
    }
  }

  private async runOnce(ws: WorkspaceSpec, options: IndexOptions): Promise<IndexReport> {
    const started = performance.now();
    const { signal } = options;
    const progress: IndexProgress = { phase: 'discovering', filesTotal: 0, filesDone: 0, chunksDone: 0, tokens: 0 };
    const emitProgress = (phase: IndexPhase) => options.onProgress?.({ ...progress, phase });
    const report: IndexReport = {
      workspaceId: ws.id,
      mode: this.embedder ? 'embeddings' : 'keyword-only',
      files: { discovered: 0, changed: 0, unchanged: 0, deleted: 0, skipped: 0, notUpdated: 0, notIndexed: 0 },
      skippedByReason: {},
      skipped: [],
      chunks: { written: 0, embedded: 0, reused: 0 },
      tokens: 0,
      estimatedCost: 0,
      cancelled: false,
      failures: [],
      durationMs: 0,
    };
    await checkRoots(ws.roots, this.fs);
    emitProgress('discovering');
    // The walk of the folders and the look-ups in Neo4j do not depend on each other: overlap them.
    const [{ files, skipped }, stored] = await Promise.all([
      discover(ws.roots, this.config, this.fs),
      this.store.upsertWorkspace({ id: ws.id, name: ws.name, roots: ws.roots.map((r) => r.path) }).then(() => this.store.fileStates(ws.id)),
    ]);
    emitProgress('comparing');
    const chunkerKey = this.chunkerKey;
    const decided = plan({ files, skipped }, stored, chunkerKey, options.force ?? false);
    const inScope = scopeOf(options.paths);
    const candidates = inScope ? decided.read.filter((c) => inScope(c.file.path)) : decided.read;
    const removals = inScope ? decided.remove.filter(inScope) : decided.remove;
    const scopedSkips = inScope ? skipped.filter((s) => inScope(s.path)) : skipped;
    report.files.discovered = inScope ? files.filter((f) => inScope(f.path)).length : files.length;
    report.files.unchanged = report.files.discovered - candidates.length;
    progress.filesTotal = candidates.length;
    const allPaths = new Set(files.map((f) => f.path));
    const ctx: PrepareContext = {
      fs: this.fs,
      workspaceId: ws.id,
      maxFileBytes: this.config.maxFileBytes,
      settings: { maxTokens: this.config.chunkTokens, overlapLines: this.config.overlapLines },
      chunkerKey,
      chunker: candidates.length > IN_THREAD_FILES ? this.chunkers.bulk : this.chunkers.inThread,
      embedder: this.embedder,
      exists: (p) => allPaths.has(p),
    };

    const lateSkips: SkippedFile[] = [];
    const settled = new Set<string>();
    let pending: FileWrite[] = [];
    let pendingChunks = 0;
    const touched: Array<{ path: string; size: number; mtimeMs: number }> = [];

    // A batch that fails stops the others from sending more; what their requests in flight bring is still kept.
    const stopEmbedding = new AbortController();
    let lastVectorsEvent = 0;
    const embeddings =
      this.embedder &&
      new RunEmbeddings(this.embedder, this.store, this.unwritten, report, {
        signal,
        stop: stopEmbedding.signal,
        bytesToRead: candidates.reduce((n, c) => n + c.file.size, 0),
        onWait: (ms) => {
          progress.throttledMs = ms || undefined;
          emit('indexing');
        },
        onVectors: () => {
          if (performance.now() - lastVectorsEvent < PROGRESS_INTERVAL_MS) return;
          lastVectorsEvent = performance.now();
          emit('indexing');
        },
      });
    const emit = (phase: IndexPhase) => {
      progress.embedding = embeddings?.pace();
      emitProgress(phase);
    };

    // Each batch is embedded as soon as it is full and written once it is embedded, in order, one write at a time.
    // The next batch embeds while the previous one waits for its last answers or is written, so neither the quota
    // nor Neo4j waits for the other; at most BATCHES_IN_FLIGHT batches are held.
    let writing: Promise<void> = Promise.resolve();
    const inFlight: Array<Promise<void>> = [];
    const flush = async () => {
      const batch = pending;
      pending = [];
      pendingChunks = 0;
      if (batch.length === 0) return;
      const embedded = embeddings ? embeddings.fill(batch) : Promise.resolve();
      embedded.catch(() => stopEmbedding.abort());
      const previous = writing;
      // Settles only after every earlier batch has, so awaiting the last one waits for all; the first failure wins.
      writing = Promise.allSettled([previous, embedded]).then(async ([before, own]) => {
        if (before.status === 'rejected') throw before.reason;
        if (own.status === 'rejected') throw own.reason;
        const refused = await this.store.replaceFiles(ws.id, batch);
        const failed = new Set(refused.map((r) => r.item.file.path));
        for (const r of refused) lateSkips.push({ path: r.item.file.path, reason: 'index-failed', detail: r.message });
        const written = batch.filter((f) => !failed.has(f.file.path));
        for (const f of batch) settled.add(f.file.path);
        for (const c of written.flatMap((f) => f.chunks)) this.unwritten.delete(c.embedKey);
        report.files.changed += written.length;
        report.chunks.written += written.reduce((n, f) => n + f.chunks.length, 0);
        progress.chunksDone = report.chunks.written;
        progress.tokens = report.tokens;
        emit('indexing');
      });
      // Keep the rejection observed now; it is re-thrown when the batch is awaited.
      writing.catch(() => undefined);
      inFlight.push(writing);
      while (inFlight.length >= BATCHES_IN_FLIGHT) await inFlight.shift();
    };

    emit('indexing');
    try {
      const prepared = mapInOrder(candidates, READ_CONCURRENCY, (c) => prepareFile(ctx, c.file, c.reusableHash), signal);
      for await (const p of prepared) {
        embeddings?.read(candidates[progress.filesDone].file.size, 'chunks' in p ? p.chunks.reduce((n, c) => n + c.tokens, 0) : 0);
        if ('skip' in p) {
          lateSkips.push(p.skip);
          settled.add(p.skip.path);
        } else if ('touch' in p) {
          touched.push(p.touch);
          settled.add(p.touch.path);
        } else {
          pending.push(p);
          pendingChunks += p.chunks.length;
        }
        progress.filesDone++;
        if (pendingChunks >= this.config.writeBatchChunks) await flush();
      }
      signal?.throwIfAborted();
      await flush();
      await writing;
      if (touched.length) await this.store.touchFiles(ws.id, touched);
      report.files.unchanged += touched.length;

      // Files no longer discovered (deleted, renamed away, newly ignored or now skipped) leave the index, and so do
      // files read and found binary, minified or too large; unreadable and failed ones keep their previous version.
      emit('removing');
      const gone = [...removals, ...lateSkips.filter((s) => stored.has(s.path) && !keepsOldVersion(s.reason)).map((s) => s.path)];
      if (gone.length) await this.store.deleteFiles(ws.id, gone);
      report.files.deleted = gone.length;
    } catch (error) {
      // Nothing of this run may go on behind its report: every batch embedding or being written settles first.
      stopEmbedding.abort();
      await writing.catch(() => undefined);
      report.cancelled = signal?.aborted ?? false;
      // A stop asked for by another process (a clear) says so; the user's own cancel is just that.
      const reason: unknown = signal?.reason;
      const why = reason instanceof EngineError ? reason.message : 'Indexing was cancelled.';
      report.error = { message: report.cancelled ? why : errorMessage(error), cause: report.cancelled && reason instanceof EngineError ? reason : error };
      for (const c of candidates) {
        if (settled.has(c.file.path)) continue;
        if (stored.has(c.file.path)) report.files.notUpdated++;
        else report.files.notIndexed++;
      }
    }

    const allSkipped = [...scopedSkips, ...lateSkips];
    report.files.skipped = allSkipped.length;
    report.skippedByReason = summarizeSkipped(allSkipped);
    report.skipped = allSkipped;
    // A run limited to some paths has not looked at the others: the last full run's record stays.
    if (!report.error && !inScope) await this.store.recordSkipped(ws.id, { byReason: report.skippedByReason, files: allSkipped });
    report.failures.push(...lateSkips.filter((s) => keepsOldVersion(s.reason)).map((s) => ({ path: s.path, message: s.detail ?? s.reason })));
    report.estimatedCost = this.embedder?.estimateCost(report.tokens) ?? 0;
    report.durationMs = Math.round(performance.now() - started);
    progress.tokens = report.tokens;
    emit('done');
    return report;
  }
}
