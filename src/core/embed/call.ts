// One embed() call on its way: its distinct texts, the ones not sent yet (in order, a refused request's put back in
// front), the vectors that came, its retries, and its throttle waits as the caller hears of them. The Embedder's
// dispatcher takes requests from every call in flight, so calls share one pace.

/** How one call's texts look to the dispatcher. */
export interface CallInputs {
  /** Distinct texts, as sent. */
  texts: string[];
  /** Tokens of each text, counted here. */
  tokens: number[];
  /** For each text, every position in the caller's inputs that holds it (the first names it in errors). */
  positions: number[][];
  /** The caller's input count. */
  total: number;
}

export interface CallCallbacks {
  onVectors?: (positions: number[], vectors: Float32Array[]) => void;
  onProgress?: (p: { done: number; total: number; tokens: number }) => void;
  onWait?: (ms: number, reason: 'throttled') => void;
}

export class EmbedCall {
  /** Texts (indices into inputs.texts) not sent yet, next first. */
  private readonly queue: number[];
  readonly vectors: Array<Float32Array | undefined>;
  private left: number;
  /** Tokens of the texts not embedded yet (queued or in flight): the call with the least goes first. */
  tokensLeft: number;
  /** Tokens of the texts queued (not sent yet). */
  queuedTokens: number;
  billed = 0;
  private done = 0;
  /** Failures other than 429 per text, for the retry limit. */
  private readonly failures = new Map<number, number>();
  /** When each text was first refused with a 429 (it fails once that lasts longer than the client waits), and how often. */
  private readonly throttled = new Map<number, { since: number; times: number }>();
  /** No request of this call goes before this (backoff after a failure). */
  notBefore = 0;
  inFlight = 0;
  finished = false;
  /** Set by stop(): the error the call rejects with once its requests in flight are answered. */
  private stopped: unknown;
  /** Aborts this call's requests in flight: on its failure or the caller's cancel. */
  readonly abort = new AbortController();
  private readonly waits: WaitReporter;

  constructor(
    readonly seq: number,
    readonly inputs: CallInputs,
    private readonly callbacks: CallCallbacks,
    private readonly settle: { resolve: (vectors: Float32Array[]) => void; reject: (e: unknown) => void },
  ) {
    this.queue = inputs.texts.map((_, i) => i);
    this.vectors = new Array<Float32Array | undefined>(inputs.texts.length);
    this.left = inputs.texts.length;
    this.tokensLeft = inputs.tokens.reduce((a, b) => a + b, 0);
    this.queuedTokens = this.tokensLeft;
    this.waits = new WaitReporter(callbacks.onWait);
  }

  get hasQueued(): boolean {
    return !this.finished && this.queue.length > 0;
  }

  get nextTokens(): number {
    return this.inputs.tokens[this.queue[0]];
  }

  /** The next request's texts: the first queued, then as many as fit in `maxTokens` and `maxInputs`. */
  take(maxTokens: number, maxInputs: number): number[] {
    const batch = [this.queue[0]];
    let tokens = this.inputs.tokens[batch[0]];
    while (batch.length < Math.min(maxInputs, this.queue.length)) {
      const t = this.inputs.tokens[this.queue[batch.length]];
      if (tokens + t > maxTokens) break;
      batch.push(this.queue[batch.length]);
      tokens += t;
    }
    this.queue.splice(0, batch.length);
    this.queuedTokens -= tokens;
    return batch;
  }

  /** A request's texts go back to the front of the queue, to be sent again (unless the call was stopped). */
  putBack(batch: number[]): void {
    if (this.finished || this.stopped !== undefined) return;
    this.queue.unshift(...batch);
    this.queuedTokens += batch.reduce((n, i) => n + this.inputs.tokens[i], 0);
  }

  /** Sends nothing more; rejects with `error` once the requests in flight are answered. */
  stop(error: unknown): void {
    if (this.finished || this.stopped !== undefined) return;
    this.stopped = error;
    this.queue.length = 0;
    this.queuedTokens = 0;
    this.settleIfStopped();
  }

  settleIfStopped(): void {
    if (this.stopped !== undefined && this.inFlight === 0) this.fail(this.stopped);
  }

  /** Counts one more failure (not a 429) of these texts; returns the most any of them has had. */
  failedOnce(batch: number[]): number {
    let most = 0;
    for (const i of batch) {
      const n = (this.failures.get(i) ?? 0) + 1;
      this.failures.set(i, n);
      most = Math.max(most, n);
    }
    return most;
  }

  /** Marks these texts refused at `now`: how long the longest-refused of them has been, and the most refusals of one. */
  throttledAt(batch: number[], now: number): { refusedForMs: number; times: number } {
    let refusedForMs = 0;
    let times = 0;
    for (const i of batch) {
      const t = this.throttled.get(i) ?? { since: now, times: 0 };
      t.times++;
      this.throttled.set(i, t);
      refusedForMs = Math.max(refusedForMs, now - t.since);
      times = Math.max(times, t.times);
    }
    return { refusedForMs, times };
  }

  /** Vectors for a request's texts; resolves the call with the last of them. */
  deliver(batch: number[], vectors: Float32Array[], billed: number): void {
    if (this.finished) return;
    const positions: number[] = [];
    const copies: Float32Array[] = [];
    batch.forEach((text, k) => {
      this.vectors[text] = vectors[k];
      this.tokensLeft -= this.inputs.tokens[text];
      this.done += this.inputs.positions[text].length;
      for (const p of this.inputs.positions[text]) {
        positions.push(p);
        copies.push(vectors[k]);
      }
    });
    this.left -= batch.length;
    this.billed += billed;
    try {
      this.callbacks.onVectors?.(positions, copies);
      this.callbacks.onProgress?.({ done: this.done, total: this.inputs.total, tokens: this.billed });
    } catch (e) {
      this.fail(e);
      return;
    }
    if (this.left === 0) {
      this.finished = true;
      this.waits.end();
      this.settle.resolve(this.vectors as Float32Array[]);
    }
  }

  fail(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.abort.abort();
    this.waits.end();
    this.settle.reject(error);
  }

  /** The sends are held by a 429 for `ms` more. */
  throttleWait(ms: number): void {
    this.waits.begin(ms);
  }

  /** Nothing holds this call's sends for a 429 any more. */
  throttleOver(): void {
    this.waits.end();
  }
}

/** Tells a call's onWait when its throttle wait begins, grows by a second or more, and ends (ms = 0). */
class WaitReporter {
  private until = 0;
  private waiting = false;

  constructor(private readonly onWait: CallCallbacks['onWait']) {}

  begin(ms: number): void {
    if (!this.onWait || ms <= 0) return;
    const until = Date.now() + ms;
    if (!this.waiting || until >= this.until + 1000) {
      this.waiting = true;
      this.until = Math.max(this.until, until);
      this.onWait(Math.round(this.until - Date.now()), 'throttled');
    }
  }

  end(): void {
    if (!this.waiting) return;
    this.waiting = false;
    this.until = 0;
    this.onWait?.(0, 'throttled');
  }
}
