// One of a deployment's rate limits (tokens, or requests) as this client learns it from the answers: a sliding window
// of unknown length W that admits an unknown allowance A, of which each answer says what remained when its request
// was admitted. The client knows its own sends, so for the right W, `remaining + own charges in the last W` comes out
// the same (A) at every answer; for a wrong W it does not, as soon as charges start leaving the window. The fit keeps,
// for each candidate W from 100 ms to 60 s, how much that sum varies across recent answers, and takes the W where it
// varies least (the longest one on a tie: before anything has been seen to leave the window, every W longer than the
// run so far explains it, and the longest is the safe guess). With W and A, room for the next request is exact:
// A minus what this client sent in the last W. Other clients of the same deployment show as a lower A.

/** The longest window considered: Azure's quotas are per minute. */
const LONGEST_WINDOW_MS = 60_000;
/** Candidate window lengths, 100 ms to 60 s, 1% apart (a window known to 1% puts charges' leaving within the margin). */
const CANDIDATE_WINDOWS_MS: readonly number[] = (() => {
  const out: number[] = [];
  for (let ms = 100; ms < LONGEST_WINDOW_MS; ms *= 1.01) out.push(Math.round(ms));
  out.push(LONGEST_WINDOW_MS);
  return out;
})();
/** How much an answer's weight in the fit shrinks per later answer: a memory of a few hundred answers. */
const FORGETTING = 0.995;
/**
 * Fits whose spread is within this share of the best one's allowance count as a tie (only rounding: windows that count
 * the same sends at every answer fit exactly alike, and a wider tie would favour longer windows than the data shows).
 */
const TIE = 1e-6;
/** Sends are kept this long: the longest window, and a little for the arrival of late answers. */
const KEPT_MS = LONGEST_WINDOW_MS + 5_000;
/**
 * A charge is taken to leave the window this much after the window's length: the server's clock starts when the request
 * has arrived, a little after this client sent it.
 */
const LEAVE_GUARD_MS = 5;
const LEAVE_GUARD_SHARE = 0.005;

export interface QuotaSend {
  readonly at: number;
  /** What the server charges for it (tokens, or 1 request); corrected when the answer says what it cost. */
  amount: number;
  /** undefined until answered; a refused request is not charged. */
  admitted: boolean | undefined;
}

interface Fit {
  windowMs: number;
  weight: number;
  sum: number;
  squares: number;
}

export class QuotaWindow {
  private readonly sends: QuotaSend[] = [];
  private readonly fits: Fit[] = CANDIDATE_WINDOWS_MS.map((windowMs) => ({ windowMs, weight: 0, sum: 0, squares: 0 }));
  private best: { windowMs: number; allowance: number } | undefined;
  /** The span of time the answers so far speak of: from the earliest send observed to the latest. */
  private observedFrom = Infinity;
  private observedTo = -Infinity;

  /** The allowance per window, once an answer has said what remained; undefined before. */
  get allowance(): number | undefined {
    return this.best?.allowance;
  }

  /** The window's length as fitted so far (the longest candidate until charges have been seen to leave it). */
  get windowMs(): number {
    return this.best?.windowMs ?? LONGEST_WINDOW_MS;
  }

  /**
   * Whether the window's length is known rather than assumed: charges have been seen to leave a shorter window, or the
   * answers span more than the longest one.
   */
  get learned(): boolean {
    if (this.best === undefined) return false;
    return this.best.windowMs < LONGEST_WINDOW_MS || this.observedTo - this.observedFrom > LONGEST_WINDOW_MS + this.guard(LONGEST_WINDOW_MS);
  }

  send(at: number, amount: number): QuotaSend {
    this.forget(at);
    const s: QuotaSend = { at, amount, admitted: undefined };
    this.sends.push(s);
    return s;
  }

  /** The answer came: admitted (charged `amount`, when it says what it cost) or refused (not charged). */
  settle(s: QuotaSend, admitted: boolean, amount?: number): void {
    s.admitted = admitted;
    if (amount !== undefined) s.amount = amount;
  }

  /** `remaining` is what the server said was left when it admitted (or refused) `s`. */
  observe(s: QuotaSend, remaining: number): void {
    const i = this.sends.lastIndexOf(s);
    if (i < 0) return;
    this.observedFrom = Math.min(this.observedFrom, s.at);
    this.observedTo = Math.max(this.observedTo, s.at);
    // Walking back from s, a candidate window W counts the sends younger than W: record each candidate's sum once the
    // walk reaches the first send it leaves out.
    let own = 0;
    let c = 0;
    for (let j = i; j >= 0 && c < this.fits.length; j--) {
      const age = s.at - this.sends[j].at;
      while (c < this.fits.length && this.fits[c].windowMs <= age) record(this.fits[c++], remaining + own);
      if (this.sends[j].admitted !== false) own += this.sends[j].amount;
    }
    while (c < this.fits.length) record(this.fits[c++], remaining + own);
    this.choose();
  }

  /** What this client has charged (or may have: unanswered requests count) in the window ending at `at`. */
  usage(at: number): number {
    const from = at - this.leaveAfter();
    let used = 0;
    for (let j = this.sends.length - 1; j >= 0 && this.sends[j].at > from; j--) if (this.sends[j].admitted !== false) used += this.sends[j].amount;
    return used;
  }

  /** Room in the window at `now`, keeping `margin` (a share of the allowance) free; Infinity while nothing is known. */
  room(now: number, margin: number): number {
    if (this.best === undefined) return Infinity;
    return Math.max(0, this.best.allowance * (1 - margin) - this.usage(now));
  }

  /**
   * Ms from `now` until `amount` fits with `margin` kept free, as this client's own charges leave the window. An amount
   * larger than the whole allowance gets the time the window is empty: it can only be tried alone.
   */
  waitFor(amount: number, now: number, margin: number): number {
    if (this.best === undefined) return 0;
    const cap = this.best.allowance * (1 - margin);
    const leave = this.leaveAfter();
    let used = this.usage(now);
    if (used + amount <= cap) return 0;
    let last = now;
    for (const s of this.sends) {
      if (s.at <= now - leave || s.admitted === false) continue;
      used -= s.amount;
      last = s.at + leave;
      if (used + amount <= cap) break;
    }
    return Math.max(0, last - now);
  }

  /** What the server admitted from this client since `since` (sends still kept: up to a minute back). */
  admittedSince(since: number): number {
    let sum = 0;
    for (let j = this.sends.length - 1; j >= 0 && this.sends[j].at > since; j--) if (this.sends[j].admitted) sum += this.sends[j].amount;
    return sum;
  }

  /** When this client's oldest kept send went out, if any. */
  get firstSendAt(): number | undefined {
    return this.sends[0]?.at;
  }

  private leaveAfter(): number {
    return this.windowMs + this.guard(this.windowMs);
  }

  private guard(windowMs: number): number {
    return LEAVE_GUARD_MS + windowMs * LEAVE_GUARD_SHARE;
  }

  private forget(now: number): void {
    let drop = 0;
    while (drop < this.sends.length && this.sends[drop].at < now - KEPT_MS) drop++;
    if (drop) this.sends.splice(0, drop);
  }

  private choose(): void {
    const fits = this.fits.map((f) => {
      const mean = f.sum / f.weight;
      return { f, mean, spread: Math.sqrt(Math.max(0, f.squares / f.weight - mean * mean)) };
    });
    const best = fits.reduce((a, b) => (b.spread < a.spread ? b : a));
    // The longest window within a tie of the best fit; the tie is a share of the best fit's allowance (a longer
    // window implies a larger allowance, which must not widen its own tolerance).
    const tie = best.spread + TIE * Math.abs(best.mean);
    for (let k = fits.length - 1; k >= 0; k--) {
      const { f, mean, spread } = fits[k];
      if (spread <= tie) {
        this.best = { windowMs: f.windowMs, allowance: Math.max(0, mean) };
        return;
      }
    }
  }
}

function record(f: Fit, x: number): void {
  f.weight = f.weight * FORGETTING + 1;
  f.sum = f.sum * FORGETTING + x;
  f.squares = f.squares * FORGETTING + x * x;
}
