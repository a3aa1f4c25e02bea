// Orchestrates one indexing run: discover → plan against the store → read, chunk and write what changed → embed what
// was written without a vector. Keyword-first: files, chunks, symbols and links are written as soon as they are
// chunked, each file atomically, with the vectors the caches already hold; the rest are embedded behind the writes,
// newest-edited files first (backfill.ts), so full-text and graph retrieval answer within seconds of the start while
// the quota fills in the vectors. A run stopped at any point leaves every file at its old or its new version and every
// chunk with or without its vector (never half of one); the next run embeds what is still missing. A failure tied to
// one file skips that file with its reason; only a failure of a whole service (Neo4j, the embeddings endpoint) stops
// the run, and an embeddings endpoint that fails still lets every file be written.
import type { IndexingConfig } from '../config';
import { checkRoots, type WorkspaceSpec } from '../workspace';
import { discover, summarizeSkipped } from '../discover';
import { CHUNKER_VERSION } from '../chunk';
import { inThreadChunker, type Chunker } from '../chunk/chunker';
import { mapInOrder } from '../concurrency';
import { EmbeddingError, type Embedder } from '../embed';
import { EngineError, errorMessage } from '../errors';
import type { FileWrite, IndexWriter } from '../ports';
import { keepsOldVersion, plan } from './plan';
import { prepareFile, type PrepareContext } from './prepare';
import type { FileSystem, SkippedFile, SkipReason } from '../types';
import { VectorCache } from './vectorCache';
import { RunEmbeddings, type EmbeddingPace } from './embeddings';
import { Backlog, byFile } from './backlog';
import { Backfill } from './backfill';

export type { EmbeddingPace } from './embeddings';

/**
 * 'indexing': reading, chunking and writing the changed files (with what embedding keeps pace); 'embedding': every
 * file is written and searchable by keywords, and the vectors of what is not embedded yet are being filled in.
 */
export type IndexPhase = 'discovering' | 'comparing' | 'indexing' | 'removing' | 'embedding' | 'done';

export interface IndexProgress {
  phase: IndexPhase;
  filesTotal: number;
  filesDone: number;
  chunksDone: number;
  tokens: number;
  /** Set while the embeddings endpoint throttles (429): the wait it asked for, in ms from this event. */
  throttledMs?: number;
  /** The embedding pace and share done, once this run has something to embed. */
  embedding?: EmbeddingPace;
}

/**
 * The share of a workspace's chunks that have their vector, in whole percent (99 while any is missing), or undefined
 * when every chunk has one or nothing is indexed: what `status` says as "embedding 42%".
 */
export function embeddedPercent(s: { chunks: number; embedded: number }): number | undefined {
  if (s.chunks === 0 || s.embedded >= s.chunks) return undefined;
  return sharePercent(s.embedded / s.chunks);
}

/** The progress hosts show while a 429 is waited out, e.g. "throttled by Azure OpenAI: waiting 12 s". */
export function throttleNote(p: IndexProgress): string | undefined {
  return p.throttledMs ? `throttled by Azure OpenAI: waiting ${Math.ceil(p.throttledMs / 1000)} s` : undefined;
}

/**
 * The pace hosts show while embedding, e.g. "embedding 812k tokens/min of the 1M quota, about 3 min left"; once every
 * file is written (phase 'embedding'), with the share done: "embedding 42% at 812k tokens/min of the 1M quota, …".
 */
export function paceNote(p: IndexProgress): string | undefined {
  const e = p.embedding;
  if (!e || (e.tokensPerMinute === 0 && e.tokensLeft === 0)) return undefined;
  const tpm = `${compact(e.tokensPerMinute)} tokens/min${e.quotaTokensPerMinute ? ` of the ${compact(e.quotaTokensPerMinute)} quota` : ''}`;
  const rate = p.phase === 'embedding' ? `embedding ${sharePercent(e.share)}% at ${tpm}` : `embedding ${tpm}`;
  const left = etaNote(p);
  return left ? `${rate}, ${left}` : rate;
}

/** A share in whole percent, 99 at most until it is all done. */
export function sharePercent(share: number): number {
  return share >= 1 ? 100 : Math.min(99, Math.floor(share * 100));
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
  /**
   * Chunks written without their vector that this run did not embed (it stopped early, or the endpoint failed): they
   * are found by full-text and graph search meanwhile, and the next run embeds them (and nothing else of theirs).
   */
  unembedded: number;
  /** When some chunks of the workspace have no embedding at the end of the run: how many of them do, of how many. */
  coverage?: { chunks: number; embedded: number };
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
  /**
   * Hands the embedding over to the next run: once this aborts, the run sends nothing more to embed, writes what its
   * requests in flight bring, and ends as soon as its files are written (they are searchable by keywords), reporting
   * the chunks still waiting for a vector without an error. The next run embeds them. The extension aborts it when a
   * save comes while a long first index is embedding, so the save is not indexed only after the last vector.
   */
  handOver?: AbortSignal;
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
/** Write batches being looked up in the caches or written at once: the next one's look-up overlaps the last one's write. */
const BATCHES_IN_FLIGHT = 2;
/**
 * While embedding keeps pace with the writes (nothing waits for a vector), a batch waits this long for its new texts'
 * vectors so that it is written with them: a fast endpoint (a save, an index at zero latency) then costs one
 * transaction per chunk. Once a batch misses it (a quota-bound first index), batches are written at once, without.
 */
const INLINE_EMBED_MS = 1000;
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
      unembedded: 0,
      tokens: 0,
      estimatedCost: 0,
      cancelled: false,
      failures: [],
      durationMs: 0,
    };
    await checkRoots(ws.roots, this.fs);
    emitProgress('discovering');
    // The walk of the folders and the look-ups in Neo4j do not depend on each other: overlap them.
    const registered = this.store.upsertWorkspace({ id: ws.id, name: ws.name, roots: ws.roots.map((r) => r.path) });
    const [{ files, skipped }, stored, leftovers] = await Promise.all([
      discover(ws.roots, this.config, this.fs),
      registered.then(() => this.store.fileStates(ws.id)),
      // What earlier runs wrote without a vector (a cancel, a crash, an endpoint that failed): this run embeds it too.
      this.embedder ? registered.then(() => this.store.unembeddedChunks(ws.id)) : [],
    ]);
    emitProgress('comparing');
    const chunkerKey = this.chunkerKey;
    const decided = plan({ files, skipped }, stored, chunkerKey, options.force ?? false);
    const inScope = scopeOf(options.paths);
    // Newest-edited first: their chunks are written, and then embedded, before the rest.
    const candidates = (inScope ? decided.read.filter((c) => inScope(c.file.path)) : decided.read).sort((a, b) => b.file.mtimeMs - a.file.mtimeMs);
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

    // The chunks waiting for a vector: an earlier run's leftovers (held back for files this run reads again, dropped
    // for files leaving the index), then what this run's writes leave without one.
    const backlog = new Backlog();
    for (const c of candidates) backlog.expect(c.file.path, c.file.mtimeMs);
    const rereads = new Set(candidates.map((c) => c.file.path));
    const leaving = new Set(removals);
    for (const [path, chunks] of byFile(leftovers)) {
      if ((inScope && !inScope(path)) || leaving.has(path)) continue;
      if (rereads.has(path)) backlog.hold(path, chunks);
      else backlog.add(path, stored.get(path)?.mtimeMs ?? 0, chunks);
    }

    // A failure or a cancel stops the embedding from sending more; what its requests in flight bring is still kept.
    const stopEmbedding = new AbortController();
    const stopSending = options.handOver ? AbortSignal.any([stopEmbedding.signal, options.handOver]) : stopEmbedding.signal;
    let lastVectorsEvent = 0;
    const throttledEmit = () => {
      if (performance.now() - lastVectorsEvent < PROGRESS_INTERVAL_MS) return;
      lastVectorsEvent = performance.now();
      emit(phase);
    };
    const embeddings =
      this.embedder &&
      new RunEmbeddings(this.embedder, this.store, this.unwritten, report, {
        signal,
        stop: stopSending,
        bytesToRead: candidates.reduce((n, c) => n + c.file.size, 0),
        onWait: (ms) => {
          progress.throttledMs = ms || undefined;
          emit(phase);
        },
        onVectors: throttledEmit,
      });
    const backfill =
      embeddings &&
      new Backfill(this.store, embeddings, this.unwritten, backlog, {
        workspaceId: ws.id,
        batchChunks: this.config.writeBatchChunks,
        stop: signal ? AbortSignal.any([signal, stopSending]) : stopSending,
        onFailure: () => stopEmbedding.abort(),
        onWritten: () => emit(phase),
      });
    let phase: IndexPhase = 'indexing';
    const emit = (now: IndexPhase) => {
      phase = now;
      progress.tokens = report.tokens;
      progress.embedding = embeddings && backfill ? embeddings.pace(backfill.pending()) : undefined;
      emitProgress(now);
    };
    // The vectors fill in behind the writes from the start; its failure is the run's, once the writes are done.
    const filling = backfill ? backfill.run() : Promise.resolve();
    filling.catch(() => undefined);

    // Each batch is looked up in the embedding caches as soon as it is full and written once that is done, in order,
    // one write at a time; the next batch's look-up overlaps the last one's write.
    let writing: Promise<void> = Promise.resolve();
    const inFlight: Array<Promise<void>> = [];
    const flush = async () => {
      const batch = pending;
      pending = [];
      pendingChunks = 0;
      if (batch.length === 0) return;
      // Written with its vectors when the endpoint keeps up, else at once without the ones the caches lack.
      const keepingUp = backlog.chunks === 0 && backfill?.idle === true;
      const looked = embeddings ? embeddings.cached(batch).then(() => (keepingUp ? embeddings.ahead(batch, INLINE_EMBED_MS) : undefined)) : Promise.resolve();
      const previous = writing;
      // Settles only after every earlier batch has, so awaiting the last one waits for all; the first failure wins.
      writing = Promise.allSettled([previous, looked]).then(async ([before, own]) => {
        if (before.status === 'rejected') throw before.reason;
        if (own.status === 'rejected') throw own.reason;
        const refused = await this.store.replaceFiles(ws.id, batch);
        const failed = new Set(refused.map((r) => r.item.file.path));
        for (const r of refused) lateSkips.push({ path: r.item.file.path, reason: 'index-failed', detail: r.message });
        for (const f of batch) {
          settled.add(f.file.path);
          // A file Neo4j refused keeps its previous version, and that version's leftovers are still to embed.
          if (failed.has(f.file.path)) {
            backlog.release(f.file.path, f.file.mtimeMs);
            continue;
          }
          for (const c of f.chunks) if (c.embedding) this.unwritten.delete(c.embedKey);
          const waiting = embeddings ? f.chunks.filter((c) => !c.embedding).map((c) => ({ id: c.id, tokens: c.tokens })) : [];
          backlog.replace(f.file.path, f.file.mtimeMs, waiting);
        }
        const written = batch.filter((f) => !failed.has(f.file.path));
        report.files.changed += written.length;
        report.chunks.written += written.reduce((n, f) => n + f.chunks.length, 0);
        progress.chunksDone = report.chunks.written;
        emit('indexing');
      });
      // Keep the rejection observed now; it is re-thrown when the batch is awaited.
      writing.catch(() => undefined);
      inFlight.push(writing);
      while (inFlight.length >= BATCHES_IN_FLIGHT) await inFlight.shift();
    };

    let written = false;
    emit('indexing');
    try {
      const prepared = mapInOrder(candidates, READ_CONCURRENCY, (c) => prepareFile(ctx, c.file, c.reusableHash), signal);
      for await (const p of prepared) {
        const { file } = candidates[progress.filesDone];
        embeddings?.read(file.size, 'chunks' in p ? p.chunks.reduce((n, c) => n + c.tokens, 0) : 0);
        if ('skip' in p) {
          lateSkips.push(p.skip);
          settled.add(p.skip.path);
          // Unreadable now: the previous version stays, leftovers and all. Binary, too large...: it leaves the index.
          if (keepsOldVersion(p.skip.reason)) backlog.release(p.skip.path, file.mtimeMs);
          else backlog.drop(p.skip.path);
        } else if ('touch' in p) {
          touched.push(p.touch);
          settled.add(p.touch.path);
          backlog.release(p.touch.path, p.touch.mtimeMs);
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
      written = true;
    } catch (error) {
      // Nothing of this run may go on behind its report: every batch being written, and the embedding, settle first.
      stopEmbedding.abort();
      backlog.close();
      await writing.catch(() => undefined);
      await filling.catch(() => undefined);
      this.stopped(report, error, signal);
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
    if (written) {
      // Every file is written and searchable by keywords: the skip record is right whatever the embedding does next.
      // A run limited to some paths has not looked at the others: the last full run's record stays.
      try {
        if (!inScope) await this.store.recordSkipped(ws.id, { byReason: report.skippedByReason, files: allSkipped });
        backlog.close();
        // Said even when the embedding has already failed (a slow machine's writes can outlast it): vectors are left.
        if (backfill && (backlog.chunks + backfill.chunksLeft > 0 || backfill.pending().left > 0)) emit('embedding');
        await filling;
        // A cancel that came while no batch was embedding ends the embedding quietly: it is still a cancel.
        signal?.throwIfAborted();
      } catch (error) {
        stopEmbedding.abort();
        backlog.close();
        await filling.catch(() => undefined);
        // Handed over: the embedding stopped because it was asked to, and the next run goes on with it.
        const handedOver = options.handOver?.aborted && !signal?.aborted && error instanceof EmbeddingError && error.kind === 'cancelled';
        if (!handedOver) this.stopped(report, error, signal);
      }
    }
    await embeddings?.settled();
    report.unembedded = embeddings && backfill ? backlog.chunks + backfill.chunksLeft : 0;
    if (report.unembedded > 0) {
      // For the hosts' "embedded 42%"; a store that failed leaves it out.
      const b = await this.store.embeddingBacklog(ws.id).catch(() => undefined);
      if (b && b.unembedded > 0) report.coverage = { chunks: b.chunks, embedded: b.chunks - b.unembedded };
    }
    report.failures.push(...lateSkips.filter((s) => keepsOldVersion(s.reason)).map((s) => ({ path: s.path, message: s.detail ?? s.reason })));
    report.estimatedCost = this.embedder?.estimateCost(report.tokens) ?? 0;
    report.durationMs = Math.round(performance.now() - started);
    emit('done');
    return report;
  }

  /** Records why the run stopped early: the user's cancel, a stop another process asked for (a clear), or the failure. */
  private stopped(report: IndexReport, error: unknown, signal: AbortSignal | undefined): void {
    if (report.error) return;
    report.cancelled = signal?.aborted ?? false;
    // A stop asked for by another process (a clear) says so; the user's own cancel is just that.
    const reason: unknown = signal?.reason;
    const why = reason instanceof EngineError ? reason.message : 'Indexing was cancelled.';
    report.error = { message: report.cancelled ? why : errorMessage(error), cause: report.cancelled && reason instanceof EngineError ? reason : error };
  }
}
