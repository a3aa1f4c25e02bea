// The real AzureOpenAI client inside Embedder, paced against the local server's Azure quota (a sliding window of a
// second, so a long run takes seconds): nothing lost, nothing paid twice, few refusals, storms survived. Behaviour only:
// how fast it goes is the benchmark's business (npm run bench).
import assert from 'node:assert/strict';
import { embeddingSchema, type EmbeddingConfig } from '../../src/core/config';
import { Embedder, EmbeddingError } from '../../src/core/embed';
import { startEmbeddingServer, type EmbeddingServer, type EmbeddingServerOptions } from '../servers/azure-embeddings';
import { hashEmbedding } from '../servers/text';

const KEY = 'quota-test-key-0123456789';
const DIMENSIONS = 16;
/** 1.2M tokens per minute over a 1 s window: 20k tokens and 120 requests per second. */
const QUOTA = { tokensPerMinute: 1_200_000, windowMs: 1000 };

const WORDS = 'index chunk vector quota window token request answer batch retry embed graph neo4j azure search store'.split(' ');
/** Distinct texts of about `words` words each. */
function texts(count: number, words: number, tag = 't'): string[] {
  return Array.from({ length: count }, (_, i) => `${tag}${i}: ${Array.from({ length: words }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ')}`);
}

describe('Embedder paced to an Azure quota (real client, local quota server)', function () {
  this.timeout(60_000);
  let server: EmbeddingServer;
  const start = async (opts: EmbeddingServerOptions = {}) => {
    server = await startEmbeddingServer({ apiKey: KEY, dimensions: DIMENSIONS, quota: QUOTA, latencyMs: 5, latencyMsPerToken: 0.002, ...opts });
  };
  const config = (over: Partial<EmbeddingConfig> = {}): EmbeddingConfig => ({
    ...embeddingSchema.parse({ endpoint: server.url, apiKey: KEY, deployment: 'text-embedding-3-small', dimensions: DIMENSIONS }),
    ...over,
  });
  afterEach(async () => server?.close());

  /** How often the server answered each text with a vector (200s only: a refused request embeds nothing). */
  const servedCounts = () => {
    const counts = new Map<string, number>();
    server.requests.forEach((r, i) => {
      if (server.statuses[i] !== 200) return;
      for (const t of (r.body as { input: string[] }).input) counts.set(t, (counts.get(t) ?? 0) + 1);
    });
    return counts;
  };
  const refusals = () => server.statuses.filter((s) => s === 429).length;

  it('embeds a long run under a small quota: every text once, the right vectors, at most 2% refused, the quota learned', async () => {
    await start();
    const inputs = texts(600, 200); // ~150k tokens: several seconds of this quota
    const embedder = new Embedder(config());
    const { vectors, tokens } = await embedder.embed(inputs);
    inputs.forEach((t, i) => assert.deepEqual(vectors[i], hashEmbedding(t, DIMENSIONS)));
    const served = servedCounts();
    assert.equal(served.size, inputs.length);
    assert.deepEqual(new Set(served.values()), new Set([1]), 'no text paid twice');
    assert.equal(tokens, server.stats.tokens, 'the tokens billed are those the server served');
    assert.ok(refusals() <= Math.max(1, 0.02 * server.statuses.length), `${refusals()} of ${server.statuses.length} requests refused`);
    assert.ok(server.statuses.length > 50, `paced in many requests (${server.statuses.length}), not a few large ones`);
    const learned = embedder.pace().quotaTokensPerMinute;
    assert.ok(learned !== undefined && Math.abs(learned / QUOTA.tokensPerMinute - 1) < 0.15, `learned ${learned} tokens/min`);
  });

  it('survives a storm of 429s longer than its retry limit, losing and repeating nothing, and says it waits', async () => {
    await start();
    const inputs = texts(300, 150);
    const waits: number[] = [];
    let stormed = false;
    const { vectors } = await new Embedder(config({ maxRetries: 2 })).embed(inputs, {
      onWait: (ms) => waits.push(ms),
      onProgress: (p) => {
        // Every request is refused for a while, once a third is embedded.
        if (!stormed && p.done > inputs.length / 3) {
          stormed = true;
          server.setFault({ kind: 'throttle', retryAfterMs: 40, times: 12 });
        }
      },
    });
    assert.equal(vectors.length, inputs.length);
    inputs.forEach((t, i) => assert.deepEqual(vectors[i], hashEmbedding(t, DIMENSIONS)));
    assert.deepEqual(new Set(servedCounts().values()), new Set([1]));
    assert.equal(servedCounts().size, inputs.length);
    assert.ok(refusals() >= 12, `${refusals()} refusals`);
    assert.ok(waits.some((ms) => ms > 0) && waits.at(-1) === 0, `waits told: ${JSON.stringify(waits)}`);
  });

  it('fails as throttled once requests have been refused for longer than it waits', async () => {
    await start({ fault: { kind: 'throttle', retryAfterMs: 100 } });
    const e = await new Embedder(config(), { maxRetryWaitMs: 350 }).embed(texts(20, 20)).then(
      () => assert.fail('expected a rejection'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof EmbeddingError);
    assert.equal(e.kind, 'throttled');
    assert.match(e.message, /refused requests for/);
    assert.ok(server.statuses.length >= 3 && server.statuses.length <= 6, `${server.statuses.length} requests`);
  });

  it('lets a question through while a long call is paced, and paces both as one', async () => {
    await start();
    const embedder = new Embedder(config());
    let bulkDone = 0;
    const bulk = embedder.embed(texts(400, 200, 'bulk'), { onProgress: (p) => (bulkDone = p.done) });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (bulkDone > 0) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    const question = await embedder.embed(['how does the quota pacing work']);
    assert.equal(question.vectors.length, 1);
    assert.ok(bulkDone < 400, `the question did not wait for the whole bulk call (${bulkDone} of 400 done)`);
    await bulk;
    assert.ok(refusals() <= Math.max(1, 0.02 * server.statuses.length), `${refusals()} of ${server.statuses.length} refused`);
  });

  it('when stopped, sends nothing more, tells the vectors of the requests in flight, then rejects as cancelled', async () => {
    await start({ latencyMs: 40 });
    const inputs = texts(400, 100);
    const stop = new AbortController();
    const told = new Set<number>();
    const e = await new Embedder(config())
      .embed(inputs, {
        stop: stop.signal,
        onVectors: (positions, vectors) => {
          positions.forEach((p, k) => {
            assert.deepEqual(vectors[k], hashEmbedding(inputs[p], DIMENSIONS));
            told.add(p);
          });
          if (told.size > 40) stop.abort();
        },
      })
      .then(
        () => assert.fail('expected a rejection'),
        (err: unknown) => err,
      );
    assert.ok(e instanceof EmbeddingError);
    assert.equal(e.kind, 'cancelled');
    const served = servedCounts();
    assert.ok(served.size < inputs.length, 'it stopped early');
    assert.equal(told.size, served.size, 'every text the server embedded (and billed) was told to the caller');
  });
});
