// A deployment's rate limits as Azure OpenAI enforces them: tokens per minute and requests per minute, each checked
// over a short sliding window (Azure evaluates over 1 to 10 s, so a burst is refused even under the per-minute
// figure). A request is charged its estimated tokens when it is admitted, before it is processed, as Azure's TPM limit
// counts the estimate at arrival and not the usage billed afterwards (for embeddings the estimate is the input's
// tokens: there is no max_tokens to add). As Azure documents it, requests are refused once the count has reached the
// limit: a request is admitted while the window is under its allowance, whatever its own size, so the one that crosses
// the limit goes through and those after it get 429 until enough has left the window. A refused request is not charged.
//
// The remaining figures are what is left of the window's allowance: tokensPerMinute × window / 1 min, and the same of
// requests. They are sent as x-ratelimit-remaining-tokens and x-ratelimit-remaining-requests.

export interface QuotaOptions {
  tokensPerMinute: number;
  /** Default: 6 per 1,000 tokens per minute, the ratio of Azure's standard deployments. */
  requestsPerMinute?: number;
  /** The sliding window both limits are checked over, in ms (Azure: 1 to 10 s). Default 10 s. */
  windowMs?: number;
}

export type Admission =
  | { admitted: true; remaining: Remaining }
  | {
      admitted: false;
      /** Which allowance the request did not fit in. */
      limit: 'tokens' | 'requests';
      /** When the window is under its allowance again, from now: the oldest charges leave it. */
      retryAfterMs: number;
      remaining: Remaining;
    };

export interface Remaining {
  tokens: number;
  requests: number;
}

/** Azure's ratio of requests per minute to tokens per minute for standard deployments: 6 RPM per 1,000 TPM. */
const REQUESTS_PER_THOUSAND_TOKENS = 6;
const DEFAULT_WINDOW_MS = 10_000;
const MINUTE_MS = 60_000;

export class SlidingWindowQuota {
  /** Tokens the window admits. */
  readonly tokenAllowance: number;
  /** Requests the window admits. */
  readonly requestAllowance: number;
  readonly windowMs: number;
  /** Admitted requests still in the window, oldest first. */
  private readonly charges: Array<{ at: number; tokens: number }> = [];
  private tokensInWindow = 0;

  constructor(options: QuotaOptions) {
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    const rpm = options.requestsPerMinute ?? (options.tokensPerMinute * REQUESTS_PER_THOUSAND_TOKENS) / 1000;
    this.tokenAllowance = Math.floor((options.tokensPerMinute * this.windowMs) / MINUTE_MS);
    this.requestAllowance = Math.max(1, Math.floor((rpm * this.windowMs) / MINUTE_MS));
    if (!(this.tokenAllowance >= 1) || !(this.windowMs > 0)) throw new RangeError('a quota needs a positive window and at least one token per window');
  }

  /** Charges `tokens` at `now` while both counts are under their allowances, else says when they will be. */
  admit(tokens: number, now: number): Admission {
    this.expire(now);
    const underTokens = this.tokensInWindow < this.tokenAllowance;
    const underRequests = this.charges.length < this.requestAllowance;
    if (underTokens && underRequests) {
      this.charges.push({ at: now, tokens });
      this.tokensInWindow += tokens;
      return { admitted: true, remaining: this.remainingNow() };
    }
    return {
      admitted: false,
      limit: underTokens ? 'requests' : 'tokens',
      retryAfterMs: Math.max(underTokens ? 0 : this.untilUnderTokens(now), underRequests ? 0 : this.untilUnderRequests(now)),
      remaining: this.remainingNow(),
    };
  }

  remaining(now: number): Remaining {
    this.expire(now);
    return this.remainingNow();
  }

  private remainingNow(): Remaining {
    return { tokens: Math.max(0, this.tokenAllowance - this.tokensInWindow), requests: Math.max(0, this.requestAllowance - this.charges.length) };
  }

  private expire(now: number): void {
    while (this.charges.length > 0 && this.charges[0].at <= now - this.windowMs) this.tokensInWindow -= this.charges.shift()!.tokens;
  }

  private untilUnderTokens(now: number): number {
    let left = this.tokensInWindow;
    for (const c of this.charges) {
      left -= c.tokens;
      if (left < this.tokenAllowance) return c.at + this.windowMs - now;
    }
    return 0;
  }

  private untilUnderRequests(now: number): number {
    const leaving = this.charges[this.charges.length - this.requestAllowance];
    return leaving ? leaving.at + this.windowMs - now : 0;
  }
}
