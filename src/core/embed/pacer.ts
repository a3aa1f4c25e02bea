// When the embedder may send its next request, and how large it may be, so the deployment's quota stays close to full
// without requests being refused. The quota is learned from the answers (rateLimitHeaders.ts): each says what remained
// of the tokens and requests its window admits, and the two QuotaWindows fit the window's length and allowance from
// that and from this client's own sends (quotaWindow.ts). A request goes when both windows have room for it, with a
// small share kept free; once the window's length is known, sends are also spread evenly at the allowance's rate (a
// token bucket), so what leaves the window is never a burst either. A 429 pauses every send for its retry-after; one
// that the headers cannot explain (its window had no room: our model was wrong) also widens the share kept free,
// which narrows again with each admitted request; after any 429, one request goes alone until one is admitted, so a
// storm of refusals costs one request per retry-after. A server that sends no rate-limit headers is paced from its
// 429s alone: the number of requests in flight halves at each, and grows by one per round of successes.
//
// The very first request goes alone and small (PROBE_TOKENS), since nothing is known yet: its answer says what the
// window admits, and the next requests are sized from that. Until charges have been seen to leave the window, its
// length is taken to be a minute; once the window is full, a small request is sent anyway whenever nothing is in
// flight (a probe): its answer, or its 429's retry-after, shows when room comes back, and so how long the window is.
import { QuotaWindow, type QuotaSend } from './quotaWindow';
import type { RateLimitHeaders } from './rateLimitHeaders';

/** The tunables of pacing, in one place. */
export const PACING = {
  /** The first request's most tokens, before anything is known of the quota. */
  PROBE_TOKENS: 2048,
  /** A request's target size as a share of the window's token allowance: small enough that waiting for room wastes little. */
  BATCH_SHARE: 1 / 32,
  /** ... and at least this many times the tokens per request the request allowance leaves, so requests never bind first. */
  BATCH_REQUEST_FACTOR: 4,
  /** A request smaller than this share of its whole size is not worth sending while the window is nearly full. */
  SMALLEST_SHARE: 1 / 4,
  /** The share of the allowance kept free at rest, and the most it widens to after refusals. */
  MARGIN: 0.03,
  MAX_MARGIN: 0.3,
  /** Widening per refused request, and narrowing per admitted one. */
  MARGIN_STEP_UP: 0.05,
  MARGIN_STEP_DOWN: 0.002,
  /** The token bucket that spreads sends holds this share of the allowance. */
  BUCKET_SHARE: 1 / 4,
  /** A 429's wait gets up to this much more (at most RETRY_JITTER_MS), so clients it paused do not all return at once. */
  RETRY_JITTER: 0.1,
  RETRY_JITTER_MS: 250,
  /** While the window's length is unknown, a wait longer than this with nothing in flight is cut short by a probe. */
  PROBE_AFTER_MS: 50,
  /** How far back the rate shown in progress looks. */
  RATE_SPAN_MS: 20_000,
} as const;

export interface PacerLimits {
  /** The configured ceilings: a request never exceeds them, whatever the quota. */
  maxBatchTokens: number;
  maxBatchInputs: number;
  maxConcurrency: number;
}

/** One request on its way, as the pacer accounts for it. */
export interface PacedRequest {
  readonly localTokens: number;
  readonly tokens: QuotaSend;
  readonly requests: QuotaSend;
  /** Sent to learn the window, knowing it may be refused. */
  readonly probe: boolean;
  settled: boolean;
}

/** What the next request may carry now (`probe`: it goes to learn the window), or how long until it may go. */
export type Grant = { tokens: number; inputs: number; probe?: boolean } | { waitMs: number };

export interface PaceSnapshot {
  /** Tokens the deployment admitted from this client per minute, over the last PACING.RATE_SPAN_MS. */
  tokensPerMinute: number;
  /** The quota as learned from the answers (undefined until the window's length is known). */
  quotaTokensPerMinute?: number;
  /** Whether sends are held by a 429's retry-after now. */
  pausedMs: number;
}

export class QuotaPacer {
  private readonly tokens = new QuotaWindow();
  private readonly requests = new QuotaWindow();
  /** Whether the server says anything of its quota: unknown until the first answer. */
  private informed: 'unknown' | 'headers' | 'silent' = 'unknown';
  private inFlight = 0;
  private pausedUntil = 0;
  private margin: number = PACING.MARGIN;
  /** Requests in flight allowed when the server sends no headers (additive increase, halving on a 429). */
  private concurrency: number;
  private successesSinceGrowth = 0;
  /** After a 429, one request goes alone until one is admitted: a storm of refusals costs one request per retry-after. */
  private aloneAfterRefusal = false;
  /** Tokens the server charges per token counted here (the counts differ a little: joins, special tokens). */
  private ratio = 1;
  private bucket = { level: 0, at: 0, active: false };

  constructor(
    private readonly limits: PacerLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.concurrency = limits.maxConcurrency;
  }

  /**
   * What the next request may carry, given the tokens of its first input (a request carries at least one) and of all
   * the texts waiting to be sent with it, or how long to wait: Infinity when only an answer can change it (too many in
   * flight, or the first answer is awaited).
   */
  grant(firstInputTokens: number, queuedTokens: number = firstInputTokens): Grant {
    const now = this.now();
    if (now < this.pausedUntil) return { waitMs: this.pausedUntil - now };
    if (this.inFlight >= this.inFlightLimit()) return { waitMs: Infinity };
    const target = this.targetTokens();
    const inputs = this.limits.maxBatchInputs;
    if (this.informed !== 'headers') return { tokens: target, inputs };

    // In charged tokens: the request this should be (the target size, or what is left to send), and the least worth
    // sending. The bucket waits for the whole request, so that sends stay few and even; the window, the hard limit,
    // only for the least, so that a nearly full window is topped up in finer pieces.
    const first = firstInputTokens * this.ratio;
    const allowance = this.tokens.allowance ?? Infinity;
    const whole = Math.min(Math.max(first, Math.min(target, queuedTokens) * this.ratio), allowance);
    const least = Math.min(Math.max(first, whole * PACING.SMALLEST_SHARE), allowance);
    const wait = Math.max(this.tokens.waitFor(least, now, this.margin), this.requests.waitFor(1, now, this.margin), this.bucketWait(whole, now));
    if (wait > PACING.PROBE_AFTER_MS && this.inFlight === 0 && !(this.tokens.learned && this.requests.learned)) {
      return { tokens: Math.max(firstInputTokens, Math.min(target, Math.floor(this.tokens.room(now, this.margin) / this.ratio))), inputs, probe: true };
    }
    if (wait > 0) return { waitMs: wait };
    const room = Math.min(this.tokens.room(now, this.margin), this.bucketLevel(now, whole));
    return { tokens: Math.max(firstInputTokens, Math.min(target, Math.floor(room / this.ratio))), inputs };
  }

  /** A request of `localTokens` (counted here) goes now; `probe` if its grant said so. */
  start(localTokens: number, probe = false): PacedRequest {
    const now = this.now();
    const charged = localTokens * this.ratio;
    this.inFlight++;
    if (this.bucket.active) {
      this.bucketLevel(now, charged);
      this.bucket.level -= charged;
    }
    return { localTokens, tokens: this.tokens.send(now, charged), requests: this.requests.send(now, 1), probe, settled: false };
  }

  /** The request was answered with embeddings, `billedTokens` of them by the usage it reported. */
  succeeded(r: PacedRequest, billedTokens: number, headers: RateLimitHeaders): void {
    if (!this.settle(r)) return;
    if (r.localTokens > 0 && billedTokens > 0) this.ratio = this.ratio * 0.8 + (billedTokens / r.localTokens) * 0.2;
    this.tokens.settle(r.tokens, true, billedTokens > 0 ? billedTokens : undefined);
    this.requests.settle(r.requests, true);
    this.learn(r, headers);
    this.aloneAfterRefusal = false;
    this.margin = Math.max(PACING.MARGIN, this.margin - PACING.MARGIN_STEP_DOWN);
    if (++this.successesSinceGrowth >= this.concurrency) {
      this.successesSinceGrowth = 0;
      this.concurrency = Math.min(this.limits.maxConcurrency, this.concurrency + 1);
    }
  }

  /**
   * The request was refused with a 429. Returns the pause every request now keeps (the retry-after, with jitter; a
   * second when the server named none).
   */
  throttled(r: PacedRequest, headers: RateLimitHeaders, random: number = Math.random()): number {
    const now = this.now();
    if (this.settle(r)) {
      this.tokens.settle(r.tokens, false);
      this.requests.settle(r.requests, false);
      this.learn(r, headers);
      // The headers explain the refusal when the window had no room left for it: then the model had room where the
      // server had none, and keeps more free from now on. A refusal of a window with room is the server's own affair.
      const noRoom =
        headers.remainingTokens === undefined && headers.remainingRequests === undefined
          ? true
          : (headers.remainingTokens !== undefined && headers.remainingTokens < r.tokens.amount) || (headers.remainingRequests !== undefined && headers.remainingRequests < 1);
      if (noRoom && !r.probe) {
        this.margin = Math.min(PACING.MAX_MARGIN, this.margin + PACING.MARGIN_STEP_UP);
        if (this.informed !== 'headers') this.concurrency = Math.max(1, Math.floor(this.concurrency / 2));
        this.successesSinceGrowth = 0;
      }
    }
    this.aloneAfterRefusal = true;
    const asked = headers.retryAfterMs ?? 1000;
    const pause = asked + Math.min(asked * PACING.RETRY_JITTER, PACING.RETRY_JITTER_MS) * random;
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
    return pause;
  }

  /**
   * The request failed otherwise (a server error, a timeout, a cancel): the server may have charged it, so it stays
   * in the windows; an answer with headers still says what remained.
   */
  failed(r: PacedRequest, headers?: RateLimitHeaders): void {
    if (!this.settle(r)) return;
    this.tokens.settle(r.tokens, true);
    this.requests.settle(r.requests, true);
    if (headers) this.learn(r, headers);
  }

  /** Ms left of a 429's pause (0 when none holds the sends). */
  pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }

  snapshot(): PaceSnapshot {
    const now = this.now();
    const first = this.tokens.firstSendAt;
    const span = first === undefined ? 0 : Math.min(PACING.RATE_SPAN_MS, now - first);
    const tokensPerMinute = span > 0 ? (this.tokens.admittedSince(now - span) * 60_000) / span : 0;
    const allowance = this.tokens.allowance;
    const quotaTokensPerMinute = this.tokens.learned && allowance !== undefined ? (allowance * 60_000) / this.tokens.windowMs : undefined;
    return { tokensPerMinute, quotaTokensPerMinute, pausedMs: this.pausedFor() };
  }

  private settle(r: PacedRequest): boolean {
    if (r.settled) return false;
    r.settled = true;
    this.inFlight--;
    return true;
  }

  private learn(r: PacedRequest, headers: RateLimitHeaders): void {
    const told = headers.remainingTokens !== undefined || headers.remainingRequests !== undefined;
    if (told) this.informed = 'headers';
    else if (this.informed === 'unknown') this.informed = 'silent';
    if (headers.remainingTokens !== undefined) this.tokens.observe(r.tokens, headers.remainingTokens);
    if (headers.remainingRequests !== undefined) this.requests.observe(r.requests, headers.remainingRequests);
    if (!this.bucket.active && this.tokens.learned) this.bucket = { level: this.bucketSize(), at: this.now(), active: true };
  }

  private inFlightLimit(): number {
    if (this.informed === 'unknown' || this.aloneAfterRefusal) return 1;
    return this.informed === 'silent' ? this.concurrency : this.limits.maxConcurrency;
  }

  /** The target size of the next request, in tokens counted here. */
  private targetTokens(): number {
    const ceiling = this.limits.maxBatchTokens;
    if (this.informed === 'unknown') return Math.min(ceiling, PACING.PROBE_TOKENS);
    const allowance = this.tokens.allowance;
    if (this.informed === 'silent' || allowance === undefined) return ceiling;
    const perRequest = this.requests.allowance ? allowance / this.requests.allowance : 0;
    const target = Math.max(allowance * PACING.BATCH_SHARE, perRequest * PACING.BATCH_REQUEST_FACTOR) / this.ratio;
    return Math.max(1, Math.min(ceiling, Math.floor(target)));
  }

  private bucketSize(): number {
    return Math.max((this.tokens.allowance ?? 0) * PACING.BUCKET_SHARE, this.targetTokens() * this.ratio);
  }

  /** Charged tokens per ms at which the bucket fills: the allowance (less the margin) per window. */
  private bucketRate(): number {
    return ((this.tokens.allowance ?? 0) * (1 - this.margin)) / this.tokens.windowMs;
  }

  /**
   * The bucket's level at `now`. It holds at most its size, or the next request when that is larger: a long input at
   * the head of the queue lets the bucket fill for it while the window drains to make room, so no rate is lost.
   */
  private bucketLevel(now: number, next = 0): number {
    if (!this.bucket.active) return Infinity;
    if (now > this.bucket.at) {
      const size = Math.max(this.bucketSize(), next);
      if (this.bucket.level < size) this.bucket.level = Math.min(size, this.bucket.level + (now - this.bucket.at) * this.bucketRate());
      this.bucket.at = now;
    }
    return this.bucket.level;
  }

  /** Ms until the bucket holds a request of `amount` (charged tokens). */
  private bucketWait(amount: number, now: number): number {
    const level = this.bucketLevel(now, amount);
    if (level >= amount) return 0;
    const rate = this.bucketRate();
    return rate > 0 ? (amount - level) / rate : Infinity;
  }
}
