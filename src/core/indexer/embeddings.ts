// The embeddings of one indexing run. Before a batch is written, each chunk gets the vector the caches already hold:
// what this process paid for but has not written yet, else the store's content cache (any workspace, any path), so
// a rename, a second clone or a branch switched back costs nothing; the rest is written without one and embedded
// behind the writes (backfill.ts). There each chunk's vector comes from those caches again, else from a text another
// batch of the run is embedding right now (waited for, not paid again), else from one embedding call for what is really
// new. Vectors are kept the moment they arrive, so a batch that fails or is cancelled later does not pay for them
// twice. Batches embed concurrently; the embedder paces them together to the quota.
//
// It also says how the embedding goes: tokens per minute against the quota, and what is left with its ETA, estimated
// from the tokens per byte of the files read so far and the share of their chunks that needed embedding.
import { embeddingInput } from '../chunk';
import type { EmbedOptions, Embedder } from '../embed';
import type { ChunkToEmbed, FileWrite, IndexWriter } from '../ports';
import type { VectorCache } from './vectorCache';

export interface EmbeddingCounts {
  tokens: number;
  chunks: { embedded: number; reused: number };
}

export interface EmbeddingPace {
  /** Tokens per minute the deployment admitted lately. */
  tokensPerMinute: number;
  /** The deployment's quota as learned from its answers; undefined until it is known. */
  quotaTokensPerMinute?: number;
  /** Tokens still to embed in this run (an estimate until every file is read). */
  tokensLeft: number;
  /** How long the rest should take at the quota's pace (or the pace so far, while the quota is unknown). */
  etaMs?: number;
  /** Share (0-1) of this run's embedding done, by tokens: what "embedding 42%" says. */
  share: number;
}

/** Tokens of the run's chunks waiting for a vector (queued or being embedded), and of those that got one. */
export interface PendingTokens {
  left: number;
  done: number;
}

export interface RunEmbeddingsOptions {
  /**
   * The user's cancel: nothing more is sent, and the requests in flight get DRAIN_MS to answer (what they bring is
   * paid for, so it is kept) before they are abandoned.
   */
  signal?: AbortSignal;
  /** The run failed elsewhere: send nothing more, keep what the requests in flight bring. */
  stop: AbortSignal;
  onWait?: EmbedOptions['onWait'];
  /** Vectors arrived (at most as often as the caller wants to hear of them). */
  onVectors?: () => void;
  /** Bytes of the files this run reads, for the estimate of what is left. */
  bytesToRead: number;
}

/** How long a cancelled run waits for the answers to its requests in flight. */
const DRAIN_MS = 2000;

export class RunEmbeddings {
  /** Texts being embedded by a batch of this run, by embedding key. */
  private readonly inFlight = new Map<string, Promise<Float32Array>>();
  /** Texts this run has received a vector for: never bought twice (see embed). */
  private readonly received = new Set<string>();
  private bytesRead = 0;
  private tokensRead = 0;
  /** Tokens of chunks whose vectors were looked for, and of those that had to be embedded. */
  private tokensLookedUp = 0;
  private tokensMissing = 0;
  /** Tokens sent to embed. */
  private tokensSent = 0;
  /** Calls `ahead` left going after its deadline. */
  private readonly background = new Set<Promise<void>>();

  /** Stops sending: the run failed, or was cancelled. */
  private readonly stop: AbortSignal;
  /** Abandons the requests in flight: DRAIN_MS after a cancel. */
  private readonly abandon = new AbortController();

  constructor(
    private readonly embedder: Embedder,
    private readonly store: Pick<IndexWriter, 'cachedEmbeddings'>,
    private readonly unwritten: VectorCache,
    private readonly counts: EmbeddingCounts,
    private readonly options: RunEmbeddingsOptions,
  ) {
    const { signal } = options;
    this.stop = signal ? AbortSignal.any([signal, options.stop]) : options.stop;
    if (signal?.aborted) this.abandon.abort();
    else signal?.addEventListener('abort', () => setTimeout(() => this.abandon.abort(), DRAIN_MS).unref(), { once: true });
  }

  /** A file was read: `bytes` on disk, `tokens` in its chunks (0 for a file skipped or unchanged). */
  read(bytes: number, tokens: number): void {
    this.bytesRead += bytes;
    this.tokensRead += tokens;
  }

  /**
   * Before `batch` is written: each chunk gets the vector the caches hold for its text (this process's unwritten
   * vectors, then the store's content cache); the others keep `embedding: null`, to be embedded after the write.
   */
  async cached(batch: FileWrite[]): Promise<void> {
    const chunks = batch.flatMap((f) => f.chunks);
    const found = new Map<string, Float32Array>();
    await this.fromCaches(chunks.map((c) => c.embedKey), found);
    for (const c of chunks) c.embedding = found.get(c.embedKey) ?? null;
    this.counts.chunks.reused += chunks.filter((c) => c.embedding).length;
    this.tokensLookedUp += chunks.reduce((n, c) => n + c.tokens, 0);
    this.tokensMissing += chunks.filter((c) => !c.embedding).reduce((n, c) => n + c.tokens, 0);
  }

  /**
   * While embedding keeps pace with the writes: embeds what `cached` left without a vector and waits up to
   * `deadlineMs` for it, so the batch is written with its vectors in one transaction (at a fast endpoint, a save or a
   * whole first index pays no second write per chunk). What has not arrived by then is written without, and its call
   * goes on: its texts are in flight, so the backfill waits for them instead of paying again. Its failure is not this
   * batch's: the backfill asks again and reports it.
   */
  async ahead(batch: FileWrite[], deadlineMs: number): Promise<void> {
    const chunks = batch.flatMap((f) => f.chunks).filter((c) => !c.embedding);
    const inputs = [...new Map(chunks.filter((c) => !this.inFlight.has(c.embedKey)).map((c) => [c.embedKey, c])).values()];
    if (inputs.length === 0) return;
    const found = new Map<string, Float32Array>();
    const call = this.embed(inputs, found).catch(() => undefined);
    this.background.add(call);
    void call.then(() => this.background.delete(call));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([call, new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
    clearTimeout(timer);
    for (const c of chunks) c.embedding = found.get(c.embedKey) ?? null;
  }

  /** Settles once no call started by `ahead` is still going (they are paid for: the run's report counts them). */
  async settled(): Promise<void> {
    while (this.background.size) await Promise.all(this.background);
  }

  /**
   * Vectors for chunks written without one: from the caches, from a text another batch is embedding, else embedded.
   * `found` gets each vector by embedding key as it arrives, so a caller whose call fails or stops can still write
   * what came; rejects when a vector cannot be had (the embedding failed, or the run stopped).
   */
  async vectorsFor(chunks: ChunkToEmbed[], found: Map<string, Float32Array>): Promise<void> {
    await this.fromCaches(chunks.map((c) => c.embedKey).filter((k) => !this.inFlight.has(k)), found);

    const awaited = new Map<string, Promise<Float32Array>>();
    const missing = new Map<string, ChunkToEmbed>();
    for (const c of chunks) {
      if (found.has(c.embedKey) || missing.has(c.embedKey) || awaited.has(c.embedKey)) continue;
      const other = this.inFlight.get(c.embedKey);
      if (other) awaited.set(c.embedKey, other);
      else missing.set(c.embedKey, c);
    }
    this.counts.chunks.reused += chunks.filter((c) => found.has(c.embedKey) || awaited.has(c.embedKey)).length;
    const inputs = [...missing.values()];
    // Whatever settles first, every wait below is observed: a failed embed must not leave the others unobserved.
    const others = [...awaited].map(async ([k, p]) => found.set(k, await p));
    try {
      if (inputs.length) await this.embed(inputs, found);
    } finally {
      await Promise.allSettled(others);
    }
    await Promise.all(others);
    const without = chunks.find((c) => !found.has(c.embedKey));
    if (without) throw new Error(`No embedding was returned for chunk ${without.id}.`);
  }

  /** The pace now, given the run's pending tokens, or undefined before this run has anything to embed. */
  pace(pending: PendingTokens): EmbeddingPace | undefined {
    if (this.tokensLookedUp === 0 && this.tokensSent === 0 && pending.left === 0 && pending.done === 0) return undefined;
    const { tokensPerMinute, quotaTokensPerMinute } = this.embedder.pace();
    // What the files not read yet, and the chunks read but not looked up yet, will need at the share seen so far.
    const needShare = this.tokensLookedUp > 0 ? this.tokensMissing / this.tokensLookedUp : 1;
    const perByte = this.bytesRead > 0 ? this.tokensRead / this.bytesRead : 0;
    const unread = Math.max(0, this.options.bytesToRead - this.bytesRead) * perByte;
    const notLookedUp = Math.max(0, this.tokensRead - this.tokensLookedUp);
    const tokensLeft = Math.round(pending.left + needShare * (unread + notLookedUp));
    const rate = quotaTokensPerMinute ?? tokensPerMinute;
    const share = tokensLeft === 0 ? 1 : pending.done / (pending.done + tokensLeft);
    return { tokensPerMinute, quotaTokensPerMinute, tokensLeft, etaMs: rate > 0 ? (tokensLeft / rate) * 60_000 : undefined, share };
  }

  /** The vectors of these texts this process holds unwritten, else the store's content cache has, into `found`. */
  private async fromCaches(keys: string[], found: Map<string, Float32Array>): Promise<void> {
    const lookUp = new Set<string>();
    for (const k of keys) {
      const v = this.unwritten.get(k);
      if (v) found.set(k, v);
      else lookUp.add(k);
    }
    if (lookUp.size) for (const [k, v] of await this.store.cachedEmbeddings([...lookUp])) found.set(k, v);
  }

  private async embed(requested: ChunkToEmbed[], found: Map<string, Float32Array>): Promise<void> {
    // Other batches of this run wait for these texts instead of paying for them again (registered before any await).
    const waiting = new Map(requested.map((c) => [c.embedKey, deferred<Float32Array>()]));
    for (const [k, d] of waiting) this.inFlight.set(k, d.promise);
    let billed = 0;
    let embedded = 0;
    try {
      // A caller decides what is missing across an await (its look-up in the store), while another call of this run
      // may finish and its batch be written: a text this run already received is read back, never bought again
      // (CI saw one text paid twice in a 429 storm).
      const readBack = new Map<string, Float32Array>();
      await this.fromCaches(requested.map((c) => c.embedKey).filter((k) => this.received.has(k)), readBack);
      for (const [k, v] of readBack) {
        found.set(k, v);
        waiting.get(k)!.resolve(v);
      }
      const inputs = requested.filter((c) => !readBack.has(c.embedKey));
      const keys = inputs.map((c) => c.embedKey);
      const arrivals = keys.map((k) => waiting.get(k)!);
      this.tokensSent += inputs.reduce((n, c) => n + c.tokens, 0);
      if (inputs.length === 0) return;
      await this.embedder.embed(inputs.map(embeddingInput), {
        signal: this.abandon.signal,
        stop: this.stop,
        onWait: this.options.onWait,
        tokens: inputs.map((c) => c.tokens),
        onProgress: (p) => (billed = p.tokens),
        onVectors: (positions, vectors) => {
          positions.forEach((p, i) => {
            this.received.add(keys[p]);
            this.unwritten.set(keys[p], vectors[i]);
            found.set(keys[p], vectors[i]);
            arrivals[p].resolve(vectors[i]);
          });
          embedded += positions.length;
          this.options.onVectors?.();
        },
      });
    } catch (error) {
      for (const d of waiting.values()) d.reject(error); // a settled one ignores it
      throw error;
    } finally {
      // Paid for, whether or not the call finished.
      this.counts.tokens += billed;
      this.counts.chunks.embedded += embedded;
      for (const [k, d] of waiting) if (this.inFlight.get(k) === d.promise) this.inFlight.delete(k);
    }
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // a batch that never waits for it must not leave a rejection unobserved
  return { promise, resolve, reject };
}
