// The real AzureOpenAI client inside Embedder, against the local Azure embeddings protocol server.
import assert from 'node:assert/strict';
import { embeddingSchema, type EmbeddingConfig } from '../../src/core/config';
import { Embedder, EmbeddingError, MAX_INPUT_TOKENS } from '../../src/core/embed';
import { countTokens } from '../../src/core/tokens';
import { startEmbeddingServer, type EmbeddingServer, type EmbeddingServerOptions } from '../servers/azure-embeddings';
import { cosine, hashEmbedding } from '../servers/text';

const KEY = 'embed-test-key-0123456789';

describe('Embedder (Azure OpenAI embeddings)', function () {
  this.timeout(20_000);
  let server: EmbeddingServer;

  const start = async (opts: EmbeddingServerOptions = {}) => {
    server = await startEmbeddingServer({ apiKey: KEY, ...opts });
  };
  const config = (over: Partial<EmbeddingConfig> = {}): EmbeddingConfig => ({
    ...embeddingSchema.parse({ endpoint: server.url, apiKey: KEY, deployment: 'text-embedding-3-small', dimensions: 256 }),
    ...over,
  });
  const rejection = async (p: Promise<unknown>): Promise<EmbeddingError> => {
    const e = await p.then(
      () => assert.fail('expected a rejection'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof EmbeddingError, `expected an EmbeddingError, got ${String(e)}`);
    return e;
  };
  const inputsOf = (i: number) => (server.requests[i].body as { input: string[] }).input;

  afterEach(async () => server?.close());

  it('sends the Azure request shape and decodes base64 float32 vectors in input order', async () => {
    await start();
    const texts = ['How to install the extension', 'Neo4j vector index settings', 'parseConfigFile reads settings'];
    const { vectors, tokens, truncated } = await new Embedder(config()).embed(texts);
    assert.equal(vectors.length, 3);
    texts.forEach((t, i) => {
      assert.ok(vectors[i] instanceof Float32Array);
      assert.deepEqual(vectors[i], hashEmbedding(t, 256));
    });
    assert.equal(tokens, texts.reduce((s, t) => s + countTokens(t), 0));
    assert.equal(truncated, 0);
    const [req] = server.requests;
    assert.equal(req.path, '/openai/deployments/text-embedding-3-small/embeddings');
    assert.equal(req.query['api-version'], '2024-10-21');
    assert.equal(req.headers['api-key'], KEY);
    assert.equal(req.headers.authorization, undefined);
    assert.deepEqual(req.body, { input: texts, model: 'text-embedding-3-small', encoding_format: 'base64', dimensions: 256 });
  });

  it('omits dimensions when the model does not take them', async () => {
    await start({ dimensions: 256 });
    await new Embedder(config({ sendDimensions: false })).embed(['hello world']);
    assert.equal((server.requests[0].body as Record<string, unknown>).dimensions, undefined);
  });

  it('splits 5000 inputs into batches within both the input and the token ceilings', async () => {
    await start({ dimensions: 8 });
    // Short inputs first (the input ceiling binds), then long ones (the token ceiling binds).
    const inputs = Array.from({ length: 5000 }, (_, i) =>
      i < 3000 ? `chunk ${i}` : `chunk ${i}: the retriever packs sources ${i % 7} into the token budget left by the prompt and the answer`,
    );
    const maxBatchTokens = 20_000;
    const progress: number[] = [];
    const { vectors, tokens } = await new Embedder(config({ dimensions: 8, maxBatchInputs: 2048, maxBatchTokens })).embed(inputs, {
      onProgress: (p) => progress.push(p.done),
    });
    assert.ok(server.requests.length >= 3, `${server.requests.length} requests`);
    const sent = server.requests.flatMap((_, i) => inputsOf(i));
    assert.deepEqual([...sent].sort(), [...inputs].sort(), 'every input sent exactly once');
    server.requests.forEach((_, i) => {
      const batch = inputsOf(i);
      assert.ok(batch.length <= 2048);
      assert.ok(batch.reduce((s, t) => s + countTokens(t), 0) <= maxBatchTokens);
    });
    assert.ok(server.requests.some((_, i) => inputsOf(i).length === 2048), 'the input ceiling cut a batch');
    assert.ok(server.requests.filter((_, i) => inputsOf(i).length < 2048).length >= 2, 'the token ceiling cut batches');
    vectors.forEach((v, i) => assert.deepEqual(v, hashEmbedding(inputs[i], 8)));
    assert.equal(tokens, server.stats.tokens);
    assert.equal(progress.at(-1), 5000);
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
  });

  it('batches by the token counts the caller gives instead of counting again', async () => {
    await start({ dimensions: 8 });
    const inputs = ['one', 'two', 'three', 'four'];
    // Counts as a chunk would carry them: the ceiling of 100 then allows two inputs per request.
    await new Embedder(config({ dimensions: 8, maxBatchTokens: 100 })).embed(inputs, { tokens: [50, 50, 50, 50] });
    assert.deepEqual(server.requests.map((_, i) => inputsOf(i)), [['one', 'two'], ['three', 'four']]);
  });

  it('never has more requests in flight than the concurrency setting', async () => {
    await start({ dimensions: 8, latencyMs: 30 });
    const inputs = Array.from({ length: 40 }, (_, i) => `input number ${i}`);
    await new Embedder(config({ dimensions: 8, maxBatchInputs: 4, concurrency: 3 })).embed(inputs);
    assert.equal(server.stats.requests, 10);
    assert.equal(server.stats.maxInFlight, 3);
  });

  it('sends identical inputs once and returns a vector for each', async () => {
    await start({ dimensions: 8 });
    const { vectors } = await new Embedder(config({ dimensions: 8 })).embed(['same text', 'other', 'same text', '']);
    assert.deepEqual(inputsOf(0), ['same text', 'other', ' ']);
    assert.equal(vectors.length, 4);
    assert.deepEqual(vectors[2], vectors[0]);
  });

  it('truncates inputs over 8191 tokens and says so', async () => {
    await start({ dimensions: 8 });
    const long = 'alpha beta gamma delta '.repeat(3000);
    const cut: Array<{ index: number; tokens: number }> = [];
    const result = await new Embedder(config({ dimensions: 8 }), { onTruncate: (e) => cut.push(e) }).embed(['short', long]);
    assert.equal(result.truncated, 1);
    assert.deepEqual(cut, [{ index: 1, tokens: countTokens(long) }]);
    const sent = server.requests.flatMap((_, i) => inputsOf(i));
    assert.equal(sent.length, 2);
    assert.ok(sent.every((t) => countTokens(t) <= MAX_INPUT_TOKENS));
    assert.equal(result.vectors.length, 2);
  });

  it('waits out a 429 for the retry-after-ms the server asks, then succeeds', async () => {
    await start({ dimensions: 8, fault: { kind: 'throttle', retryAfterMs: 300, retryAfterSeconds: 5, times: 1 } });
    const retries: Array<{ delayMs: number; kind: string }> = [];
    const result = await new Embedder(config({ dimensions: 8 }), { onRetry: (e) => retries.push({ delayMs: e.delayMs, kind: e.error.kind }) }).embed(['a b c']);
    assert.equal(result.vectors.length, 1);
    assert.equal(server.requests.length, 2);
    assert.equal(retries.length, 1);
    assert.equal(retries[0].kind, 'throttled');
    assert.ok(retries[0].delayMs >= 300 && retries[0].delayMs < 5000, `retry-after-ms wins over retry-after: ${retries[0].delayMs}`);
    const gap = server.requests[1].receivedAt - server.requests[0].receivedAt;
    assert.ok(gap >= 290, `the retry came after the requested wait (${gap} ms)`);
  });

  it('says while it waits out a 429, for how long, and when the wait is over', async () => {
    await start({ dimensions: 8, fault: { kind: 'throttle', retryAfterMs: 1500, times: 1 } });
    const waits: Array<{ ms: number; reason: string; at: number }> = [];
    const started = Date.now();
    await new Embedder(config({ dimensions: 8 })).embed(['a b c'], { onWait: (ms, reason) => waits.push({ ms, reason, at: Date.now() - started }) });
    assert.equal(waits.length, 2, JSON.stringify(waits));
    const [begin, end] = waits;
    assert.equal(begin.reason, 'throttled');
    assert.ok(begin.ms >= 1500 && begin.ms <= 1650, `the wait the server asked for, with its jitter: ${begin.ms}`);
    assert.equal(end.ms, 0);
    assert.ok(end.at - begin.at >= 1450, `the end is told when the wait is over (${end.at - begin.at} ms later)`);
    assert.equal(server.requests.length, 2);
  });

  it('tells one wait for concurrent requests paused by the same 429, not one per request', async () => {
    await start({ dimensions: 8, latencyMs: 20, fault: { kind: 'throttle', retryAfterMs: 400, times: 1 } });
    const waits: number[] = [];
    const inputs = Array.from({ length: 12 }, (_, i) => `input ${i}`);
    await new Embedder(config({ dimensions: 8, maxBatchInputs: 2, concurrency: 3 })).embed(inputs, { onWait: (ms) => waits.push(ms) });
    assert.ok(waits.length >= 2, JSON.stringify(waits));
    assert.equal(waits.filter((ms) => ms > 0).length, 1, `one begin: ${JSON.stringify(waits)}`);
    assert.equal(waits.at(-1), 0);
  });

  it('tells no wait when nothing throttles, and none for backoff after a server error', async () => {
    await start({ dimensions: 8, fault: { kind: 'server-error', status: 503, times: 1 } });
    const waits: number[] = [];
    await new Embedder(config({ dimensions: 8 })).embed(['x'], { onWait: (ms) => waits.push(ms) });
    assert.deepEqual(waits, []);
  });

  it('honours retry-after in seconds', async () => {
    await start({ dimensions: 8, fault: { kind: 'throttle', retryAfterSeconds: 0.2, times: 1 } });
    const delays: number[] = [];
    await new Embedder(config({ dimensions: 8 }), { onRetry: (e) => delays.push(e.delayMs) }).embed(['x']);
    assert.equal(delays.length, 1);
    assert.ok(delays[0] >= 200);
  });

  it('fails fast as throttled when the server asks for a longer wait than the client accepts', async () => {
    await start({ dimensions: 8, fault: { kind: 'throttle', retryAfterSeconds: 600 } });
    const e = await rejection(new Embedder(config({ dimensions: 8 }), { maxRetryWaitMs: 60_000 }).embed(['x']));
    assert.equal(e.kind, 'throttled');
    assert.equal(e.details.status, 429);
    assert.equal(e.details.retryAfterMs, 600_000);
    assert.match(e.message, /600 s/);
    assert.equal(server.requests.length, 1);
  });

  it('rejects with an http error once 500s outlast the retries', async () => {
    await start({ dimensions: 8, fault: { kind: 'server-error' } });
    const retries: number[] = [];
    const e = await rejection(new Embedder(config({ dimensions: 8, maxRetries: 2 }), { onRetry: (r) => retries.push(r.attempt) }).embed(['x']));
    assert.equal(e.kind, 'http');
    assert.equal(e.details.status, 500);
    assert.deepEqual(retries, [1, 2]);
    assert.equal(server.requests.length, 3);
  });

  it('recovers from a 500 within the retries', async () => {
    await start({ dimensions: 8, fault: { kind: 'server-error', status: 503, times: 1 } });
    const { vectors } = await new Embedder(config({ dimensions: 8 })).embed(['x']);
    assert.equal(vectors.length, 1);
    assert.equal(server.requests.length, 2);
  });

  it('names the deployment and both sizes when the vectors have the wrong dimensions', async () => {
    await start({ fault: { kind: 'wrong-dimensions', dimensions: 1536 } });
    const e = await rejection(new Embedder(config()).embed(['x']));
    assert.equal(e.kind, 'bad-response');
    assert.match(e.message, /text-embedding-3-small/);
    assert.match(e.message, /1536-dimensional/);
    assert.match(e.message, /256 dimensions are configured/);
    assert.equal(server.requests.length, 1, 'a wrong answer is not retried');
  });

  it('rejects an all-zero vector as a bad response naming the input, without retrying', async () => {
    await start({ dimensions: 8, fault: { kind: 'zero-vector', index: 1 } });
    // Inputs 0-2 are one text, sent once: the request's second input is the call's input 3.
    const e = await rejection(new Embedder(config({ dimensions: 8 })).embed(['same', 'same', 'same', 'other']));
    assert.equal(e.kind, 'bad-response');
    assert.match(e.message, /text-embedding-3-small/);
    assert.match(e.message, /all-zero embedding for input 3\b/);
    assert.equal(e.details.inputIndex, 3);
    assert.equal(e.details.retryable, undefined);
    assert.equal(server.requests.length, 1);
  });

  it('rejects an all-zero vector at question time too (one input)', async () => {
    await start({ dimensions: 8, fault: { kind: 'zero-vector' } });
    const e = await rejection(new Embedder(config({ dimensions: 8 })).embed(['How often are snapshots written?']));
    assert.equal(e.kind, 'bad-response');
    assert.match(e.message, /all-zero embedding for input 0: it has no direction/);
  });

  it('reports a truncated JSON body as a bad response', async () => {
    await start({ dimensions: 8, fault: { kind: 'invalid-json' } });
    const e = await rejection(new Embedder(config({ dimensions: 8, maxRetries: 0 })).embed(['x']));
    assert.equal(e.kind, 'bad-response');
    assert.match(e.message, /not valid JSON/);
  });

  it('reports a reset connection as a network error', async () => {
    await start({ dimensions: 8, fault: { kind: 'reset' } });
    const e = await rejection(new Embedder(config({ dimensions: 8, maxRetries: 1 })).embed(['x']));
    assert.equal(e.kind, 'network');
    assert.equal(server.requests.length, 2);
  });

  it('reports a wrong key as auth without retrying and without the key in the message', async () => {
    await start({ dimensions: 8 });
    const wrong = 'wrong-key-abcdef';
    const e = await rejection(new Embedder(config({ dimensions: 8, apiKey: wrong })).embed(['x']));
    assert.equal(e.kind, 'auth');
    assert.equal(e.details.status, 401);
    assert.ok(!e.message.includes(wrong));
    assert.equal(server.requests.length, 1);
  });

  it('reports an unknown deployment as http 404 naming it', async () => {
    await start({ dimensions: 8 });
    const e = await rejection(new Embedder(config({ dimensions: 8, deployment: 'no-such-deployment' })).embed(['x']));
    assert.equal(e.kind, 'http');
    assert.equal(e.details.status, 404);
    assert.match(e.message, /no-such-deployment/);
    assert.match(e.message, /DeploymentNotFound|does not exist/);
  });

  it('times out a request that does not answer', async () => {
    await start({ dimensions: 8, fault: { kind: 'slow', delayMs: 5_000 } });
    const e = await rejection(new Embedder(config({ dimensions: 8, timeoutMs: 200, maxRetries: 0 })).embed(['x']));
    assert.equal(e.kind, 'timeout');
  });

  it('cancels an in-flight request, and sends nothing when already cancelled', async () => {
    await start({ dimensions: 8, fault: { kind: 'slow', delayMs: 5_000 } });
    const embedder = new Embedder(config({ dimensions: 8 }));
    const ac = new AbortController();
    const pending = embedder.embed(['x'], { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    assert.equal((await rejection(pending)).kind, 'cancelled');
    const before = server.requests.length;
    assert.equal((await rejection(embedder.embed(['y'], { signal: AbortSignal.abort() }))).kind, 'cancelled');
    assert.equal(server.requests.length, before);
  });

  it('cancels during a retry wait', async () => {
    await start({ dimensions: 8, fault: { kind: 'throttle', retryAfterSeconds: 30 } });
    const ac = new AbortController();
    const pending = new Embedder(config({ dimensions: 8 }), { onRetry: () => ac.abort() }).embed(['x'], { signal: ac.signal });
    assert.equal((await rejection(pending)).kind, 'cancelled');
    assert.equal(server.requests.length, 1);
  });

  it('rejects the whole call when one batch fails: no partial result', async () => {
    await start({ dimensions: 8 });
    const embedder = new Embedder(config({ dimensions: 8, maxBatchInputs: 2, concurrency: 1, maxRetries: 0 }));
    let calls = 0;
    const e = await rejection(
      embedder.embed(['a', 'b', 'c', 'd', 'e', 'f'], {
        onProgress: () => {
          if (++calls === 1) server.setFault({ kind: 'server-error' });
        },
      }),
    );
    assert.equal(e.kind, 'http');
    assert.equal(server.stats.served, 1);
  });

  it('keys the cache by model, dimensions and input only', async () => {
    await start();
    const a = new Embedder(config());
    assert.equal(a.modelKey, 'text-embedding-3-small@256');
    assert.match(a.embedKey('text'), /^[0-9a-f]{64}$/);
    assert.equal(a.embedKey('text'), new Embedder(config()).embedKey('text'));
    assert.notEqual(a.embedKey('text'), a.embedKey('text2'));
    assert.notEqual(a.embedKey('text'), new Embedder(config({ dimensions: 512 })).embedKey('text'));
    assert.notEqual(a.embedKey('text'), new Embedder(config({ model: 'text-embedding-3-large' })).embedKey('text'));
  });

  it('estimates the cost from the price per million tokens', async () => {
    await start();
    assert.equal(new Embedder(config({ pricePerMillionTokens: 0.02 })).estimateCost(2_000_000), 0.04);
  });

  it('produces vectors whose similarity follows shared words', async () => {
    await start();
    const { vectors } = await new Embedder(config()).embed([
      'configure the Neo4j vector index dimensions',
      'Neo4j vector index dimensions must match the embedding model',
      'the weather in Paris is sunny today',
    ]);
    assert.ok(cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.3);
  });
});
