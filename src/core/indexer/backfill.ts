// The second half of keyword-first indexing: the chunks a run wrote without a vector (and those earlier runs left) get
// theirs behind the writes, newest-edited files first. Each batch reads its chunks' texts back from the store (only
// those still without a vector: a file rewritten since has other chunks), gets their vectors (embeddings.ts: caches,
// texts in flight, then the embedder, paced to the quota) and writes them in one transaction per batch. Two batches are
// in flight, so the quota does not idle while one is written. When the run stops (a cancel, a failure), nothing more is
// sent, and what the requests in flight bring is still written (or, if the store fails, kept as unwritten vectors).
import type { IndexWriter, ChunkToEmbed } from '../ports';
import type { Backlog, QueuedChunk } from './backlog';
import type { PendingTokens, RunEmbeddings } from './embeddings';
import type { VectorCache } from './vectorCache';

/** Batches being embedded or written at once: one waits for its last answers or is written while the next embeds. */
const BATCHES_IN_FLIGHT = 2;

interface InProcess {
  taken: QueuedChunk[];
  chunks?: ChunkToEmbed[];
  found: Map<string, Float32Array>;
}

export interface BackfillOptions {
  workspaceId: string;
  /** Chunks per batch (IndexingConfig.writeBatchChunks). */
  batchChunks: number;
  /** Stops taking batches (the run stopped or failed); the embedder is stopped through RunEmbeddings' own signals. */
  stop: AbortSignal;
  /** Called when it fails, before the other batches settle, so the run can stop sending at once. */
  onFailure: () => void;
  /** A batch's vectors were written. */
  onWritten?: () => void;
}

export class Backfill {
  private readonly inProcess = new Set<InProcess>();
  /** Chunks given their vector by this run, and their tokens. */
  chunksWritten = 0;
  private tokensWritten = 0;
  /** Chunks taken from the backlog whose vector was not written (the run stopped); they wait for the next run. */
  chunksLeft = 0;

  constructor(
    private readonly store: Pick<IndexWriter, 'chunksToEmbed' | 'setEmbeddings'>,
    private readonly embeddings: RunEmbeddings,
    private readonly unwritten: VectorCache,
    private readonly backlog: Backlog,
    private readonly options: BackfillOptions,
  ) {}

  /**
   * Embeds the backlog until it is closed and empty; rejects with the first failure (not the stops it caused in the
   * other batches), once every batch has settled.
   */
  async run(): Promise<void> {
    await Promise.allSettled(Array.from({ length: BATCHES_IN_FLIGHT }, () => this.worker()));
    if (this.failure) throw this.failure.error;
  }

  private failure: { error: unknown } | undefined;

  /** No batch is being embedded or written. */
  get idle(): boolean {
    return this.inProcess.size === 0;
  }

  /** Tokens waiting for a vector (queued or in a batch) and those that got one, for the pace and the share. */
  pending(): PendingTokens {
    let left = this.backlog.tokens;
    let done = this.tokensWritten;
    for (const b of this.inProcess) {
      if (!b.chunks) left += b.taken.reduce((n, c) => n + c.tokens, 0);
      else
        for (const c of b.chunks) {
          if (b.found.has(c.embedKey)) done += c.tokens;
          else left += c.tokens;
        }
    }
    return { left, done };
  }

  private async worker(): Promise<void> {
    for (;;) {
      if (this.options.stop.aborted) return;
      const taken = await this.backlog.next(this.options.batchChunks);
      if (!taken) return;
      if (this.options.stop.aborted) {
        this.chunksLeft += taken.length;
        return;
      }
      try {
        await this.batch(taken);
      } catch (error) {
        this.failure ??= { error };
        this.options.onFailure();
        return;
      }
    }
  }

  private async batch(taken: QueuedChunk[]): Promise<void> {
    const b: InProcess = { taken, found: new Map() };
    this.inProcess.add(b);
    let written = 0;
    try {
      b.chunks = await this.store.chunksToEmbed(
        this.options.workspaceId,
        taken.map((c) => c.id),
      );
      if (b.chunks.length === 0) return;
      try {
        await this.embeddings.vectorsFor(b.chunks, b.found);
      } finally {
        // Whatever arrived is written, even when the rest failed or the run stopped: it is paid for.
        written = await this.write(b);
      }
    } finally {
      this.inProcess.delete(b);
      this.chunksLeft += (b.chunks?.length ?? taken.length) - written;
    }
  }

  private async write(b: InProcess): Promise<number> {
    const rows = (b.chunks ?? []).flatMap((c) => {
      const embedding = b.found.get(c.embedKey);
      return embedding ? [{ id: c.id, embedKey: c.embedKey, embedding }] : [];
    });
    if (rows.length === 0) return 0;
    const keys = await this.store.setEmbeddings(this.options.workspaceId, rows);
    for (const k of keys) this.unwritten.delete(k);
    const done = rows.filter((r) => keys.has(r.embedKey));
    this.chunksWritten += done.length;
    this.tokensWritten += (b.chunks ?? []).filter((c) => keys.has(c.embedKey)).reduce((n, c) => n + c.tokens, 0);
    this.options.onWritten?.();
    return done.length;
  }
}
