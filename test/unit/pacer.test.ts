// The pacer's logic in virtual time: a simulated deployment (the test server's own SlidingWindowQuota) admits or
// refuses each request the pacer lets go, answers after a latency that grows with the request's size, and tells the
// pacer what remained, as Azure's headers do. No timers: the simulation jumps from event to event.
import assert from 'node:assert/strict';
import { PACING, QuotaPacer, type PacerLimits } from '../../src/core/embed/pacer';
import { QuotaWindow } from '../../src/core/embed/quotaWindow';
import { readRateLimitHeaders } from '../../src/core/embed/rateLimitHeaders';
import { SlidingWindowQuota, type QuotaOptions } from '../servers/quota';

/** A small seeded generator, so every run of the suite sees the same "random" jitter and chunk sizes. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

interface Scenario {
  quota: QuotaOptions;
  /** Token count of each text to embed, in order. */
  texts: number[];
  limits?: Partial<PacerLimits>;
  /** Answer time of an admitted request. */
  latencyMs?: (tokens: number) => number;
  /** Time from the pacer's send to the server's admission (network), at most this many ms. */
  arrivalJitterMs?: number;
  /** While virtual time is inside [from, to), every request is refused whatever the window holds. */
  storm?: { from: number; to: number; retryAfterMs: number };
  /** The server says nothing of its quota (no remaining headers). */
  silent?: boolean;
  seed?: number;
}

interface Outcome {
  durationMs: number;
  requests: number;
  refused: number;
  /** Refused by the quota itself, outside any storm. */
  refusedByQuota: number;
  /** Tokens admitted / the most the quota allows over the run. */
  share: number;
  /** How often each text was embedded (must be exactly once). */
  embedded: number[];
  pacer: QuotaPacer;
  maxInFlight: number;
  batchTokens: number[];
}

function simulate(s: Scenario): Outcome {
  const rnd = random(s.seed ?? 7);
  let now = 0;
  const server = new SlidingWindowQuota(s.quota);
  const limits: PacerLimits = { maxBatchTokens: 100_000, maxBatchInputs: 2048, maxConcurrency: 4, ...s.limits };
  const pacer = new QuotaPacer(limits, () => now);
  const latency = s.latencyMs ?? ((t: number) => 50 + t * 0.02);
  const events: Array<{ at: number; run: () => void }> = [];
  const at = (t: number, run: () => void) => {
    let i = events.length;
    while (i > 0 && events[i - 1].at > t) i--;
    events.splice(i, 0, { at: t, run });
  };
  const queue = s.texts.map((_, i) => i);
  const embedded = s.texts.map(() => 0);
  let left = s.texts.length;
  let requests = 0;
  let refused = 0;
  let refusedByQuota = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let wakeAt = Infinity;
  const batchTokens: number[] = [];
  let firstSend = Infinity;
  let lastAnswer = 0;

  const pump = () => {
    while (queue.length > 0) {
      const grant = pacer.grant(s.texts[queue[0]], queue.reduce((n, i) => n + s.texts[i], 0));
      if ('waitMs' in grant) {
        if (Number.isFinite(grant.waitMs) && now + grant.waitMs < wakeAt) {
          wakeAt = now + Math.max(grant.waitMs, 0.001);
          at(wakeAt, () => {
            wakeAt = Infinity;
            pump();
          });
        }
        return;
      }
      const batch = [queue.shift()!];
      let tokens = s.texts[batch[0]];
      while (queue.length > 0 && batch.length < grant.inputs && tokens + s.texts[queue[0]] <= grant.tokens) {
        tokens += s.texts[queue[0]];
        batch.push(queue.shift()!);
      }
      const r = pacer.start(tokens, grant.probe);
      requests++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      batchTokens.push(tokens);
      firstSend = Math.min(firstSend, now);
      const arrival = now + (s.arrivalJitterMs ? rnd() * s.arrivalJitterMs : 0);
      at(arrival, () => {
        const stormy = s.storm && now >= s.storm.from && now < s.storm.to;
        const admission = stormy ? undefined : server.admit(tokens, now);
        const remaining = server.remaining(now);
        const headers = s.silent ? {} : { remainingTokens: remaining.tokens, remainingRequests: remaining.requests };
        if (admission?.admitted) {
          at(now + latency(tokens), () => {
            inFlight--;
            lastAnswer = now;
            pacer.succeeded(r, tokens, headers);
            for (const i of batch) embedded[i]++;
            left -= batch.length;
            pump();
          });
        } else {
          refused++;
          if (!stormy) refusedByQuota++;
          const retryAfterMs = stormy ? s.storm!.retryAfterMs : admission && !admission.admitted ? admission.retryAfterMs : 0;
          at(now + 1, () => {
            inFlight--;
            pacer.throttled(r, { ...headers, retryAfterMs }, rnd());
            queue.unshift(...batch);
            pump();
          });
        }
      });
    }
  };
  pump();
  while (events.length > 0 && left > 0) {
    const e = events.shift()!;
    now = e.at;
    e.run();
  }
  assert.equal(left, 0, 'every text was embedded');
  const durationMs = lastAnswer - firstSend;
  const admitted = s.texts.reduce((a, b) => a + b, 0);
  // What the quota admits over the run: one full window at the start, then its rate.
  const possible = (s.quota.tokensPerMinute * durationMs) / 60_000;
  return { durationMs, requests, refused, refusedByQuota, share: admitted / possible, embedded, pacer, maxInFlight, batchTokens };
}

/** Chunk-like token counts: within the indexer's default budget of 384 (most 200-400, a tenth short). */
function chunkSizes(count: number, seed = 3): number[] {
  const rnd = random(seed);
  return Array.from({ length: count }, () => (rnd() < 0.1 ? 20 + Math.floor(rnd() * 80) : 200 + Math.floor(rnd() * 185)));
}

describe('quota pacer (virtual time against a sliding-window quota)', function () {
  this.timeout(30_000);
  it('sends one small request first and nothing else until it is answered', () => {
    let now = 0;
    const pacer = new QuotaPacer({ maxBatchTokens: 100_000, maxBatchInputs: 2048, maxConcurrency: 4 }, () => now);
    const first = pacer.grant(300);
    assert.ok('tokens' in first);
    assert.equal(first.tokens, PACING.PROBE_TOKENS);
    const r = pacer.start(first.tokens);
    assert.deepEqual(pacer.grant(300), { waitMs: Infinity }, 'the probe goes alone');
    now = 100;
    pacer.succeeded(r, first.tokens, { remainingTokens: 58_333 - first.tokens, remainingRequests: 349 });
    const next = pacer.grant(300);
    assert.ok('tokens' in next);
    // Sized from the window's allowance, not the configured ceiling.
    assert.equal(next.tokens, Math.floor(58_333 * PACING.BATCH_SHARE));
  });

  for (const { tpm, windowMs } of [
    { tpm: 350_000, windowMs: 10_000 },
    { tpm: 1_000_000, windowMs: 10_000 },
    { tpm: 350_000, windowMs: 1_000 },
    { tpm: 1_000_000, windowMs: 60_000 },
  ]) {
    it(`keeps ${tpm / 1000}k TPM over a ${windowMs / 1000} s window at least 90% used with at most 2% refused, each text once`, () => {
      // About ten minutes of the quota's work.
      const texts = chunkSizes(Math.round((tpm * 10) / 330));
      const o = simulate({ quota: { tokensPerMinute: tpm, windowMs }, texts, arrivalJitterMs: 3 });
      assert.ok(o.share >= 0.9, `share of the quota used: ${o.share.toFixed(3)}`);
      assert.ok(o.share <= 1.1, `no more than the quota admits: ${o.share.toFixed(3)}`);
      assert.ok(o.refused / o.requests <= 0.02, `${o.refused} of ${o.requests} refused`);
      assert.deepEqual(new Set(o.embedded), new Set([1]));
      // It learned the quota it paced to.
      const learned = o.pacer.snapshot().quotaTokensPerMinute;
      assert.ok(learned !== undefined && Math.abs(learned / tpm - 1) < 0.05, `learned ${learned} TPM`);
    });
  }

  it('keeps the quota full when answers are slow, with more requests in flight', () => {
    const texts = chunkSizes(20_000);
    const o = simulate({ quota: { tokensPerMinute: 1_000_000, windowMs: 10_000 }, texts, latencyMs: (t) => 400 + t * 0.1, limits: { maxConcurrency: 8 } });
    assert.ok(o.share >= 0.9, `share ${o.share.toFixed(3)}`);
    assert.ok(o.refused / o.requests <= 0.02, `${o.refused} of ${o.requests} refused`);
    assert.ok(o.maxInFlight > 1, `${o.maxInFlight} in flight at most`);
  });

  it('sizes requests to the allowance, within the configured ceilings', () => {
    const texts = chunkSizes(3000);
    const small = simulate({ quota: { tokensPerMinute: 350_000, windowMs: 10_000 }, texts, limits: { maxBatchTokens: 1000 } });
    assert.ok(Math.max(...small.batchTokens) <= 2000, 'the ceiling holds (one long text may exceed it alone)');
    const sized = simulate({ quota: { tokensPerMinute: 350_000, windowMs: 10_000 }, texts });
    const allowance = (350_000 * 10) / 60;
    const steady = sized.batchTokens.slice(10);
    assert.ok(Math.max(...steady) <= allowance * PACING.BATCH_SHARE + 2000, `largest ${Math.max(...steady)} tokens`);
  });

  it('survives a 429 storm: waits each retry-after, loses and repeats nothing, and does not take the storm for its own pace', () => {
    const texts = chunkSizes(12_000);
    const quota = { tokensPerMinute: 350_000, windowMs: 10_000 };
    const calm = simulate({ quota, texts });
    const o = simulate({ quota, texts, storm: { from: 20_000, to: 35_000, retryAfterMs: 500 } });
    assert.deepEqual(new Set(o.embedded), new Set([1]), 'each text embedded exactly once');
    assert.ok(o.refused > 10, `the storm refused ${o.refused}`);
    // One refused request per retry-after of the storm, not one per text or per request in flight.
    assert.ok(o.refused - o.refusedByQuota <= 15_000 / 500 + 2, `${o.refused - o.refusedByQuota} refused by the storm`);
    assert.ok(o.refusedByQuota / o.requests <= 0.02, `${o.refusedByQuota} refused by the quota`);
    // After the storm the pace is the quota's again: the run lasts about the storm longer than a calm one.
    assert.ok(o.durationMs <= calm.durationMs + 15_000 + 10_000, `${o.durationMs} ms against ${calm.durationMs} ms calm`);
  });

  it('without rate-limit headers, halves the requests in flight at each 429 and grows them back one by one', () => {
    let now = 0;
    const pacer = new QuotaPacer({ maxBatchTokens: 8000, maxBatchInputs: 2048, maxConcurrency: 8 }, () => now);
    const startAll = () => {
      const started = [];
      for (let g = pacer.grant(100); 'tokens' in g; g = pacer.grant(100)) started.push(pacer.start(100));
      return started;
    };
    const probe = startAll();
    assert.equal(probe.length, 1, 'the first request goes alone');
    pacer.succeeded(probe[0], 100, {});
    const eight = startAll();
    assert.equal(eight.length, 8, 'the configured concurrency');
    assert.deepEqual(pacer.grant(100), { waitMs: Infinity });
    for (const r of eight.slice(1)) pacer.succeeded(r, 100, {});
    pacer.throttled(eight[0], { retryAfterMs: 10 }, 0);
    const held = pacer.grant(100);
    assert.ok('waitMs' in held && held.waitMs >= 10, 'held for the retry-after');
    now += 10;
    const alone = startAll();
    assert.equal(alone.length, 1, 'after a 429, one request goes alone');
    pacer.succeeded(alone[0], 100, {});
    const four = startAll();
    assert.equal(four.length, 4, 'then half of eight in flight');
    for (const r of four) pacer.succeeded(r, 100, {});
    assert.equal(startAll().length, 5, 'one more after a round of successes');
  });

  it('paces a silent server from its 429s alone, embedding each text once', () => {
    const texts = chunkSizes(4000);
    const o = simulate({ quota: { tokensPerMinute: 350_000, windowMs: 10_000 }, texts, silent: true, limits: { maxBatchTokens: 4000 } });
    assert.deepEqual(new Set(o.embedded), new Set([1]));
    assert.ok(o.share >= 0.5, `share ${o.share.toFixed(3)}`);
  });
});

describe('quota window fit', () => {
  for (const windowMs of [500, 2_000, 10_000]) {
    it(`finds a ${windowMs / 1000} s window and its allowance from what remained at each send`, () => {
      const server = new SlidingWindowQuota({ tokensPerMinute: 600_000, windowMs });
      const w = new QuotaWindow();
      const rnd = random(11);
      let now = 0;
      for (let i = 0; i < 400; i++) {
        const amount = 100 + Math.floor(rnd() * 400);
        // Sends only what fits, as the pacer does (the server would take one more over the limit, and then say 0 remain).
        if (server.remaining(now).tokens < amount) {
          now += 5 + rnd() * (windowMs / 20);
          continue;
        }
        const admission = server.admit(amount, now);
        const s = w.send(now, amount);
        w.settle(s, admission.admitted);
        w.observe(s, admission.remaining.tokens);
        now += 5 + rnd() * (windowMs / 20);
      }
      assert.ok(w.learned);
      assert.ok(Math.abs(w.windowMs / windowMs - 1) < 0.06, `fitted ${w.windowMs} ms`);
      assert.ok(Math.abs((w.allowance ?? 0) / server.tokenAllowance - 1) < 0.02, `fitted ${w.allowance} of ${server.tokenAllowance}`);
    });
  }

  it('assumes the longest window until a charge is seen to leave it', () => {
    const w = new QuotaWindow();
    for (let i = 0; i < 10; i++) {
      const s = w.send(i * 100, 1000);
      w.settle(s, true);
      w.observe(s, 100_000 - (i + 1) * 1000);
    }
    assert.equal(w.learned, false);
    assert.equal(w.allowance, 100_000);
    assert.equal(w.room(1000, 0), 90_000);
    assert.equal(w.waitFor(95_000, 1000, 0) > 59_000, true, 'the first charges leave only after a minute');
  });
});

describe('rate-limit headers', () => {
  const headers = (h: Record<string, string>) => new Headers(h);

  it('reads the remaining tokens and requests and the retry wait', () => {
    assert.deepEqual(readRateLimitHeaders(headers({ 'x-ratelimit-remaining-tokens': '58000', 'x-ratelimit-remaining-requests': '349', 'retry-after-ms': '1250', 'retry-after': '2' })), {
      remainingTokens: 58_000,
      remainingRequests: 349,
      retryAfterMs: 1250,
    });
    assert.equal(readRateLimitHeaders(headers({ 'retry-after': '3' })).retryAfterMs, 3000);
  });

  it('treats a value Azure would not send as absent', () => {
    assert.deepEqual(readRateLimitHeaders(headers({ 'x-ratelimit-remaining-tokens': '-5', 'x-ratelimit-remaining-requests': '1e3', 'retry-after-ms': 'soon' })), {
      remainingTokens: undefined,
      remainingRequests: undefined,
      retryAfterMs: undefined,
    });
    assert.deepEqual(readRateLimitHeaders(undefined), { remainingTokens: undefined, remainingRequests: undefined, retryAfterMs: undefined });
  });
});

