// Orchestrates one indexing run: discover → diff against the store → read, chunk, embed what changed → write.
// Files are written in batches, each file atomically, so a run stopped at any point leaves every file at its old or
// its new version and the next run picks up the rest.
import { createHash } from 'node:crypto';
import type { DiscoveredFile, FileRecord, FileSystem, SkippedFile, SkipReason, StoredChunk } from './types';
import type { IndexingConfig } from './config';
import type { WorkspaceSpec } from './workspace';
import { discover, readAndClassify, summarizeSkipped } from './discover';
import { resolveLinks, languageOf, embeddingInput, CHUNKER_VERSION } from './chunk';
import { ChunkingFailed, inThreadChunker, type Chunker } from './chunk/chunker';
import type { Embedder } from './embed';
import type { FileWrite, IndexWriter } from './ports';
import { keepsOldVersion, plan, type IndexPlan } from './plan';

export type IndexPhase = 'discovering' | 'comparing' | 'indexing' | 'removing' | 'done';

export interface IndexProgress {
  phase: IndexPhase;
  filesTotal: number;
  filesDone: number;
  chunksDone: number;
  tokens: number;
}

export interface IndexFailure {
  path: string;
  message: string;
}

export interface IndexReport {
  workspaceId: string;
  mode: 'embeddings' | 'keyword-only';
  files: { discovered: number; changed: number; unchanged: number; deleted: number; skipped: number; notUpdated: number };
  skippedByReason: Partial<Record<SkipReason, number>>;
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
  failures: IndexFailure[];
  durationMs: number;
}

export interface IndexOptions {
  signal?: AbortSignal;
  onProgress?: (p: IndexProgress) => void;
  /** Re-read and re-chunk every file (the embedding cache still applies). */
  force?: boolean;
}

/** Files read and chunked at once: enough to hide I/O latency, few enough to bound memory. */
const READ_CONCURRENCY = 16;
/** Up to this many changed files (a save, a rename, a branch switch of a few files) are chunked on this thread: starting the chunking worker would cost more than their garbage. */
const IN_THREAD_FILES = 32;

type PreparedFile = FileWrite;

export class Indexer {
  constructor(
    private readonly store: IndexWriter,
    private readonly embedder: Embedder | undefined,
    private readonly fs: FileSystem,
    private readonly config: IndexingConfig,
    /** Chunks runs of more than IN_THREAD_FILES files (the engine gives a WorkerChunker). */
    private readonly bulkChunker: Chunker = inThreadChunker,
  ) {}

  /** What identifies the stored chunks of a file besides its content: chunking settings and embedding model. */
  get chunkerKey(): string {
    return [CHUNKER_VERSION, this.config.chunkTokens, this.config.overlapLines, this.embedder?.modelKey ?? 'keyword-only'].join('|');
  }

  async run(ws: WorkspaceSpec, options: IndexOptions = {}): Promise<IndexReport> {
    const started = performance.now();
    const { signal } = options;
    const progress: IndexProgress = { phase: 'discovering', filesTotal: 0, filesDone: 0, chunksDone: 0, tokens: 0 };
    const emit = (phase: IndexPhase) => options.onProgress?.({ ...progress, phase });
    const report: IndexReport = {
      workspaceId: ws.id,
      mode: this.embedder ? 'embeddings' : 'keyword-only',
      files: { discovered: 0, changed: 0, unchanged: 0, deleted: 0, skipped: 0, notUpdated: 0 },
      skippedByReason: {},
      chunks: { written: 0, embedded: 0, reused: 0 },
      tokens: 0,
      estimatedCost: 0,
      cancelled: false,
      failures: [],
      durationMs: 0,
    };
    emit('discovering');
    // The walk of the folders and the look-ups in Neo4j do not depend on each other: overlap them.
    const [{ files, skipped }, stored] = await Promise.all([
      discover(ws.roots, this.config, this.fs),
      this.store.upsertWorkspace({ id: ws.id, name: ws.name, roots: ws.roots.map((r) => r.path) }).then(() => this.store.fileStates(ws.id)),
    ]);
    report.files.discovered = files.length;
    emit('comparing');
    const chunkerKey = this.chunkerKey;
    const decided: IndexPlan = plan({ files, skipped }, stored, chunkerKey, options.force ?? false);
    const candidates = decided.read;
    report.files.unchanged = decided.unchanged;
    progress.filesTotal = candidates.length;
    const chunker = candidates.length > IN_THREAD_FILES ? this.bulkChunker : inThreadChunker;

    const allPaths = new Set(files.map((f) => f.path));
    const lateSkips: SkippedFile[] = [];
    let pending: PreparedFile[] = [];
    let pendingChunks = 0;
    let writing: Promise<void> = Promise.resolve();
    const touched: Array<{ path: string; size: number; mtimeMs: number }> = [];

    // Embeds and writes one batch; the write of batch n overlaps the reading and embedding of batch n+1.
    const flush = async () => {
      const batch = pending;
      pending = [];
      pendingChunks = 0;
      if (batch.length === 0) return;
      await this.embedMissing(batch, report, signal);
      await writing;
      writing = this.store.replaceFiles(ws.id, batch).then(() => {
        report.files.changed += batch.length;
        report.chunks.written += batch.reduce((n, f) => n + f.chunks.length, 0);
        progress.chunksDone = report.chunks.written;
        progress.tokens = report.tokens;
        emit('indexing');
      });
      // Keep the rejection observed now; it is re-thrown at the next await of `writing`.
      writing.catch(() => undefined);
    };

    emit('indexing');
    try {
      for (let i = 0; i < candidates.length; i += READ_CONCURRENCY) {
        signal?.throwIfAborted();
        const slice = candidates.slice(i, i + READ_CONCURRENCY);
        const prepared = await Promise.all(slice.map((c) => this.prepare(ws.id, c.file, c.reusableHash, allPaths, chunkerKey, chunker)));
        for (const p of prepared) {
          if ('skip' in p) lateSkips.push(p.skip);
          else if ('touch' in p) touched.push(p.touch);
          else {
            pending.push(p);
            pendingChunks += p.chunks.length;
          }
          progress.filesDone++;
        }
        if (pendingChunks >= this.config.writeBatchChunks) await flush();
      }
      await flush();
      await writing;
      if (touched.length) await this.store.touchFiles(ws.id, touched);
      report.files.unchanged += touched.length;

      // Files no longer discovered (deleted, renamed away, newly ignored or now skipped) leave the index.
      emit('removing');
      // Files that were read and turned out binary, minified or too large leave too; unreadable ones keep their version.
      const gone = [...decided.remove, ...lateSkips.filter((s) => stored.has(s.path) && !keepsOldVersion(s.reason)).map((s) => s.path)];
      if (gone.length) await this.store.deleteFiles(ws.id, gone);
      report.files.deleted = gone.length;
    } catch (error) {
      await writing.catch(() => undefined);
      report.cancelled = signal?.aborted ?? false;
      report.error = { message: report.cancelled ? 'Indexing was cancelled.' : errorMessage(error), cause: error };
      report.files.notUpdated = candidates.length - report.files.changed - touched.length - lateSkips.length;
    }

    const allSkipped = [...skipped, ...lateSkips];
    report.files.skipped = allSkipped.length;
    report.skippedByReason = summarizeSkipped(allSkipped);
    if (!report.error) await this.store.recordSkipped(ws.id, report.skippedByReason);
    report.failures.push(...lateSkips.filter((s) => s.reason === 'unreadable').map((s) => ({ path: s.path, message: s.detail ?? 'unreadable' })));
    report.estimatedCost = this.embedder?.estimateCost(report.tokens) ?? 0;
    report.durationMs = Math.round(performance.now() - started);
    progress.tokens = report.tokens;
    emit('done');
    return report;
  }

  /** Reads, checks and chunks one file. Content that still hashes to `storedHash` only needs its stat refreshed. */
  private async prepare(
    workspaceId: string,
    f: DiscoveredFile,
    storedHash: string | undefined,
    allPaths: Set<string>,
    chunkerKey: string,
    chunker: Chunker,
  ): Promise<PreparedFile | { skip: SkippedFile } | { touch: { path: string; size: number; mtimeMs: number } }> {
    const read = await readAndClassify(this.fs, f, this.config.maxFileBytes);
    if (!read.ok) return { skip: { path: f.path, reason: read.reason, detail: read.detail } };
    const fileHash = sha256(read.text);
    if (storedHash === fileHash) return { touch: { path: f.path, size: f.size, mtimeMs: f.mtimeMs } };
    let chunked;
    try {
      chunked = await chunker.chunk(f.path, read.text, { maxTokens: this.config.chunkTokens, overlapLines: this.config.overlapLines });
    } catch (error) {
      // Like an unreadable file: reported, and its previous version (if any) stays in the index.
      if (error instanceof ChunkingFailed) return { skip: { path: f.path, reason: 'unreadable', detail: error.reason } };
      throw error;
    }
    const chunks: StoredChunk[] = chunked.chunks.map((c, ordinal) => ({
      ...c,
      defines: withShortNames(c.defines),
      id: `${workspaceId}:${f.path}#${ordinal}`,
      ordinal,
      embedKey: this.embedder ? this.embedder.embedKey(embeddingInput(c)) : `text:${c.contentHash}`,
      embedding: null,
    }));
    const file: FileRecord = {
      path: f.path,
      language: languageOf(f.path),
      fileHash,
      size: f.size,
      mtimeMs: f.mtimeMs,
      chunkerKey,
      links: resolveLinks(f.path, chunked.links, (p) => allPaths.has(p)),
    };
    return { file, chunks };
  }

  /** Fills in embeddings: from the content cache first, then one embedding call for what is really new. */
  private async embedMissing(batch: PreparedFile[], report: IndexReport, signal?: AbortSignal): Promise<void> {
    if (!this.embedder) return;
    const chunks = batch.flatMap((f) => f.chunks);
    const cached = await this.store.cachedEmbeddings([...new Set(chunks.map((c) => c.embedKey))]);
    report.chunks.reused += chunks.filter((c) => cached.has(c.embedKey)).length;
    const missing = new Map<string, StoredChunk>();
    for (const c of chunks) if (!cached.has(c.embedKey)) missing.set(c.embedKey, c);
    if (missing.size) {
      const keys = [...missing.keys()];
      const inputs = [...missing.values()];
      const { vectors, tokens } = await this.embedder.embed(inputs.map(embeddingInput), { signal, tokens: inputs.map((c) => c.tokens) });
      report.tokens += tokens;
      report.chunks.embedded += keys.length;
      keys.forEach((k, i) => cached.set(k, vectors[i]));
    }
    for (const c of chunks) {
      c.embedding = cached.get(c.embedKey) ?? null;
      if (!c.embedding) throw new Error(`No embedding was returned for a chunk of ${c.path}; nothing of this batch was written.`);
    }
  }
}

/** A question names `evictIfNeeded` more often than `PebbleStore.evictIfNeeded`: a qualified name also defines its last part. */
function withShortNames(names: string[]): string[] {
  return [...new Set(names.flatMap((n) => [n, n.split(/\.|::|#/).pop() ?? n]))].filter(Boolean);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
