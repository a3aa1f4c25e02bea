// The local protocol servers themselves, spoken to with plain fetch: the wire format other tests rely on.
import assert from 'node:assert/strict';
import { countTokens } from '../../src/core/tokens';
import { startEmbeddingServer, type EmbeddingServer } from '../servers/azure-embeddings';
import { SlidingWindowQuota } from '../servers/quota';
import { answer, startChatServer, type ChatServer } from '../servers/chat-completions';
import { FakeEntra, TOKEN_REJECTED_BODY } from '../servers/entra';
import { cosine, denseEmbedding, hashEmbedding, words } from '../servers/text';

const KEY = 'server-test-key';

describe('Azure embeddings protocol server', function () {
  this.timeout(10_000);
  let server: EmbeddingServer;
  beforeEach(async () => {
    server = await startEmbeddingServer({ apiKey: KEY, dimensions: 64 });
  });
  afterEach(async () => server.close());

  const post = (body: unknown, { path = '/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21', headers = { 'api-key': KEY } as Record<string, string> } = {}) =>
    fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string | null; message: string } }).error;

  it('requires the key (api-key or Bearer) and answers 401 in Azure error shape', async () => {
    const res = await post({ input: 'x' }, { headers: {} });
    assert.equal(res.status, 401);
    assert.equal((await errorOf(res)).code, '401');
    assert.equal((await post({ input: 'x' }, { headers: { 'api-key': 'nope' } })).status, 401);
    assert.equal((await post({ input: 'x' }, { headers: { authorization: `Bearer ${KEY}` } })).status, 200);
  });

  it('with an Entra issuer, takes its unexpired Cognitive Services tokens as Bearer and refuses others with Azure\'s 401', async () => {
    const entra = new FakeEntra();
    await server.close();
    server = await startEmbeddingServer({ apiKey: KEY, dimensions: 64, entra });
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    assert.equal((await post({ input: 'x' }, bearer(entra.issue().token))).status, 200);
    assert.equal((await post({ input: 'x' }, { headers: { 'api-key': KEY } })).status, 200, 'the key still works while local auth is on');
    const refused = [
      entra.issue({ lifetimeMs: -1000 }).token, // expired
      entra.issue({ audience: 'https://management.azure.com' }).token,
      `${entra.issue().token.slice(0, -2)}xx`, // signature altered
      new FakeEntra().issue().token, // another issuer's key
      '', // "Bearer " with no token
    ];
    for (const token of refused) {
      const res = await post({ input: 'x' }, bearer(token));
      assert.equal(res.status, 401, token);
      assert.deepEqual(await res.json(), TOKEN_REJECTED_BODY);
    }
    assert.deepEqual(entra.checked.map((c) => c.verdict), ['valid', 'expired', 'wrong-audience', 'invalid', 'invalid']);
  });

  it('with local auth disabled, answers a key with Azure\'s 403 and a request without a token with the token 401', async () => {
    const entra = new FakeEntra();
    await server.close();
    server = await startEmbeddingServer({ apiKey: KEY, dimensions: 64, entra, disableLocalAuth: true });
    const keyed = await post({ input: 'x' }, { headers: { 'api-key': KEY } });
    assert.equal(keyed.status, 403);
    assert.equal((await errorOf(keyed)).code, 'AuthenticationTypeDisabled');
    const bare = await post({ input: 'x' }, { headers: {} });
    assert.equal(bare.status, 401);
    assert.deepEqual(await bare.json(), TOKEN_REJECTED_BODY);
    assert.equal((await post({ input: 'x' }, { headers: { authorization: `Bearer ${KEY}` } })).status, 401, 'nor is the key taken as a token');
    assert.equal((await post({ input: 'x' }, { headers: { authorization: `Bearer ${entra.issue().token}` } })).status, 200);
  });

  it('requires api-version and a known deployment', async () => {
    const noVersion = await post({ input: 'x' }, { path: '/openai/deployments/text-embedding-3-small/embeddings' });
    assert.equal(noVersion.status, 400);
    assert.equal((await errorOf(noVersion)).code, 'MissingApiVersionParameter');
    const unknown = await post({ input: 'x' }, { path: '/openai/deployments/gpt-embed-9/embeddings?api-version=2024-10-21' });
    assert.equal(unknown.status, 404);
    assert.equal((await errorOf(unknown)).code, 'DeploymentNotFound');
  });

  it('enforces 2048 inputs per request and 8191 tokens per input', async () => {
    const many = await post({ input: Array.from({ length: 2049 }, (_, i) => `t${i}`) });
    assert.equal(many.status, 400);
    assert.match((await errorOf(many)).message, /max number of inputs is 2048/);
    const long = await post({ input: ['ok', 'word '.repeat(9000)] });
    assert.equal(long.status, 400);
    assert.match((await errorOf(long)).message, /maximum context length/);
    assert.equal(server.stats.tokens, 0, 'rejected requests serve nothing');
  });

  it('answers floats or base64 float32, with real token usage', async () => {
    const texts = ['Install the extension', 'parseConfigFile reads the settings'];
    const float = (await (await post({ input: texts, encoding_format: 'float' })).json()) as {
      object: string;
      data: Array<{ object: string; index: number; embedding: number[] }>;
      usage: { prompt_tokens: number; total_tokens: number };
    };
    assert.equal(float.object, 'list');
    assert.deepEqual(float.data.map((d) => [d.object, d.index, d.embedding.length]), [['embedding', 0, 64], ['embedding', 1, 64]]);
    const tokens = countTokens(texts[0]) + countTokens(texts[1]);
    assert.deepEqual(float.usage, { prompt_tokens: tokens, total_tokens: tokens });
    const b64 = (await (await post({ input: texts, encoding_format: 'base64', dimensions: 32 })).json()) as { data: Array<{ embedding: string }> };
    const buf = Buffer.from(b64.data[1].embedding, 'base64');
    const decoded = Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4));
    assert.deepEqual(decoded, Array.from(hashEmbedding(texts[1], 32)));
    assert.equal(server.stats.inputs, 4);
    assert.equal(server.stats.tokens, tokens * 2);
  });

  it('accepts token arrays as input', async () => {
    const res = (await (await post({ input: [[9906, 1917]], encoding_format: 'float' })).json()) as { usage: { prompt_tokens: number } };
    assert.equal(res.usage.prompt_tokens, 2);
  });

  it('embeds texts that share words closer than texts that do not', () => {
    const v = (t: string) => hashEmbedding(t, 1536);
    assert.deepEqual(words('parseConfigFile and NEO4J_PASSWORD'), ['parse', 'config', 'file', 'and', 'neo4j', 'password']);
    const q = v('how do I parse the config file');
    assert.ok(cosine(q, v('function parseConfigFile(path) reads the config')) > cosine(q, v('render the chat panel with a CSP nonce')) + 0.2);
    assert.ok(Math.abs(cosine(q, q) - 1) < 1e-6);
  });

  it('also embeds densely: every dimension used, unit length, the same similarity order as the hashed vectors', () => {
    const v = (t: string) => denseEmbedding(t, 256);
    const doc = v('function parseConfigFile(path) reads the config and checks every setting it names against the schema');
    assert.ok(doc.filter((x) => x !== 0).length > 200, `dense: ${doc.filter((x) => x !== 0).length} of 256 used`);
    assert.ok(Math.abs(cosine(doc, doc) - 1) < 1e-5);
    assert.deepEqual(v('how do I parse the config file'), v('how do I parse the config file'));
    const q = v('how do I parse the config file');
    assert.ok(cosine(q, doc) > cosine(q, v('render the chat panel with a CSP nonce')) + 0.2);
  });

  it('applies a fault to the next N requests only, with retry headers', async () => {
    server.setFault({ kind: 'throttle', retryAfterMs: 250, retryAfterSeconds: 1, times: 2 });
    const first = await post({ input: 'x' });
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after-ms'), '250');
    assert.equal(first.headers.get('retry-after'), '1');
    assert.equal((await post({ input: 'x' })).status, 429);
    assert.equal((await post({ input: 'x' })).status, 200);
    assert.equal(server.stats.requests, 3);
    assert.equal(server.stats.served, 1);
  });

  it('cuts the body for invalid-json and resets the connection for reset', async () => {
    server.setFault({ kind: 'invalid-json', times: 1 });
    const res = await post({ input: 'x' });
    assert.equal(res.status, 200);
    await assert.rejects(res.json());
    server.setFault({ kind: 'reset', times: 1 });
    await assert.rejects(post({ input: 'x' }));
  });
});

describe('Azure embeddings server with a quota', function () {
  this.timeout(10_000);
  let server: EmbeddingServer;
  // A minute-long window: nothing leaves it during the test, so what remains is exact.
  beforeEach(async () => {
    server = await startEmbeddingServer({ apiKey: KEY, dimensions: 8, quota: { tokensPerMinute: 6000, requestsPerMinute: 3, windowMs: 60_000 } });
  });
  afterEach(async () => server.close());
  const post = (input: unknown) =>
    fetch(`${server.url}/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': KEY },
      body: JSON.stringify({ input }),
    });
  const remaining = (res: Response) => [res.headers.get('x-ratelimit-remaining-tokens'), res.headers.get('x-ratelimit-remaining-requests')];

  it('charges each admitted request its input tokens and says what remains on every answer', async () => {
    const text = 'the retriever packs sources into the budget';
    const ok = await post([text]);
    assert.equal(ok.status, 200);
    assert.deepEqual(remaining(ok), [String(6000 - countTokens(text)), '2']);
    const invalid = await post(Array.from({ length: 2049 }, () => 'x'));
    assert.equal(invalid.status, 400);
    assert.deepEqual(remaining(invalid), [String(6000 - countTokens(text)), '2'], 'a refused request is not charged, and still says what remains');
  });

  it('admits while under the limit, then refuses with 429, retry-after-ms, retry-after and Azure\'s error body', async () => {
    const big = 'word '.repeat(4000);
    assert.equal((await post([big])).status, 200);
    assert.equal((await post([big])).status, 200, 'under the limit when it arrived: admitted, and over it now');
    const refused = await post(['x']);
    assert.equal(refused.status, 429);
    const ms = Number(refused.headers.get('retry-after-ms'));
    assert.ok(ms > 55_000 && ms <= 60_000, `retry-after-ms ${ms}`);
    assert.equal(refused.headers.get('retry-after'), String(Math.ceil(ms / 1000)));
    assert.deepEqual(remaining(refused), ['0', '1']);
    const { error } = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, '429');
    assert.match(error.message, /^Requests to the Embeddings_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit/);
    assert.match(error.message, /Please retry after \d+ seconds/);
    assert.equal(server.stats.throttled, 1);
  });

  it('counts requests as well as tokens', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await post(['x'])).status, 200);
    const refused = await post(['x']);
    assert.equal(refused.status, 429);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /exceeded call rate limit/);
    assert.deepEqual(remaining(refused)[1], '0');
  });
});

describe('sliding-window quota', () => {
  it('admits while the window is under its allowance, and each charge leaves one window after it was made', () => {
    const q = new SlidingWindowQuota({ tokensPerMinute: 60_000, requestsPerMinute: 600, windowMs: 1000 });
    assert.equal(q.tokenAllowance, 1000);
    assert.equal(q.requestAllowance, 10);
    assert.deepEqual(q.admit(600, 0), { admitted: true, remaining: { tokens: 400, requests: 9 } });
    // Under the limit when it arrives: admitted, though it takes the window over it.
    assert.deepEqual(q.admit(500, 500), { admitted: true, remaining: { tokens: 0, requests: 8 } });
    // Over it: refused until the first 600 leave, at 1000 ms (then 500 < 1000).
    assert.deepEqual(q.admit(10, 700), { admitted: false, limit: 'tokens', retryAfterMs: 300, remaining: { tokens: 0, requests: 8 } });
    assert.equal(q.admit(10, 1000).admitted, true);
    assert.deepEqual(q.remaining(1600), { tokens: 990, requests: 9 });
  });

  it('refuses an eleventh request in the window until the first leaves', () => {
    const q = new SlidingWindowQuota({ tokensPerMinute: 6_000_000, requestsPerMinute: 600, windowMs: 1000 });
    for (let i = 0; i < 10; i++) assert.equal(q.admit(1, i * 10).admitted, true);
    assert.deepEqual(q.admit(1, 200), { admitted: false, limit: 'requests', retryAfterMs: 800, remaining: { tokens: 99_990, requests: 0 } });
  });

  it('derives requests per minute from tokens as Azure does (6 per 1,000), over a 10 s window by default', () => {
    const q = new SlidingWindowQuota({ tokensPerMinute: 350_000 });
    assert.equal(q.windowMs, 10_000);
    assert.equal(q.tokenAllowance, 58_333);
    assert.equal(q.requestAllowance, 350);
    assert.equal(q.admit(60_000, 0).admitted, true, 'a request larger than the allowance goes when the window is under it');
    const over = q.admit(1, 5000);
    assert.equal(!over.admitted && over.retryAfterMs, 5000);
  });
});

describe('chat-completions protocol server', function () {
  this.timeout(10_000);
  let server: ChatServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const prompt = (question: string) =>
    `Sources:\n\n[1] docs/install.md:1-3\n\`\`\`markdown\nRun npm install to get the dependencies.\nThen build with npm run build.\n\`\`\`\n\n` +
    `[2] src/store.ts:10-20\n\`\`\`typescript\nexport function createVectorIndex() {}\n\`\`\`\n\nQuestion: ${question}`;
  const body = (stream: boolean, question = 'How do I install the dependencies?') => ({
    model: 'bitnet-b1.58-2b-4t',
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
    messages: [
      { role: 'system', content: 'Answer from the sources.' },
      { role: 'user', content: prompt(question) },
    ],
  });
  const post = (path: string, payload: unknown, headers: Record<string, string> = {}) =>
    fetch(server!.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) });
  const events = (sse: string) =>
    sse
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.replace(/^data: /, ''));

  it('answers by citing the source that overlaps the question, or says the sources lack the answer', () => {
    const msgs = (q: string) => [{ role: 'user', content: prompt(q) }];
    assert.equal(answer(msgs('How do I install the dependencies?')), 'According to docs/install.md, Run npm install to get the dependencies [1].');
    assert.match(answer(msgs('Where is the vector index created?')), /\[2\]\.$/);
    assert.equal(answer(msgs('What is the capital of Peru?')), 'The sources do not contain the answer to this question.');
    assert.match(answer(msgs('How do I install it?'), { citeMissing: 9 }), /See also \[9\]\.$/);
  });

  it('streams the Azure AI Foundry shape: prompt-filter chunk first, usage chunk last, then [DONE]', async () => {
    server = await startChatServer({ apiKey: KEY, apiVersion: '2024-05-01-preview' });
    const res = await post('/models/chat/completions?api-version=2024-05-01-preview', body(true), { 'api-key': KEY });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const ev = events(await res.text());
    assert.equal(ev.at(-1), '[DONE]');
    const chunks = ev.slice(0, -1).map((e) => JSON.parse(e) as { choices: Array<{ delta: { content?: string }; finish_reason: string | null }>; prompt_filter_results?: unknown; usage?: { completion_tokens: number } });
    assert.deepEqual(chunks[0].choices, []);
    assert.ok(chunks[0].prompt_filter_results);
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.ok(last.usage);
    assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'stop');
    const text = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).join('');
    assert.match(text, /\[1\]\.$/);
    assert.equal(last.usage.completion_tokens, countTokens(text));
  });

  it('checks api-version and the key on the Azure route', async () => {
    server = await startChatServer({ apiKey: KEY, apiVersion: '2024-05-01-preview' });
    assert.equal((await post('/models/chat/completions', body(true), { 'api-key': KEY })).status, 400);
    assert.equal((await post('/models/chat/completions?api-version=2024-05-01-preview', body(true))).status, 401);
    assert.equal((await post('/models/chat/completions?api-version=2024-05-01-preview', body(false), { authorization: `Bearer ${KEY}` })).status, 200);
  });

  it('on the Azure route of a keyless Foundry resource, takes Entra ID tokens and refuses expired ones and keys as Azure does', async () => {
    const entra = new FakeEntra();
    server = await startChatServer({ entra, disableLocalAuth: true });
    const route = '/models/chat/completions';
    assert.equal((await post(route, body(false), { authorization: `Bearer ${entra.issue().token}` })).status, 200);
    const expired = await post(route, body(false), { authorization: `Bearer ${entra.issue({ lifetimeMs: -60_000 }).token}` });
    assert.equal(expired.status, 401);
    assert.deepEqual(await expired.json(), TOKEN_REJECTED_BODY);
    const missing = await post(route, body(false));
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), TOKEN_REJECTED_BODY);
    assert.equal((await post(route, body(false), { 'api-key': 'some-key' })).status, 403);
    assert.equal((await post('/v1/chat/completions', body(false))).status, 200, 'the llama.cpp route has auth of its own');
  });

  it('streams the llama.cpp shape and answers non-streaming requests', async () => {
    server = await startChatServer({ apiKey: KEY });
    const ev = events(await (await post('/v1/chat/completions', body(true))).text());
    const first = JSON.parse(ev[0]) as { choices: unknown[]; prompt_filter_results?: unknown; object: string };
    assert.equal(first.object, 'chat.completion.chunk');
    assert.equal(first.choices.length, 1);
    assert.equal(first.prompt_filter_results, undefined);
    assert.equal(ev.at(-1), '[DONE]');
    const full = (await (await post('/v1/chat/completions', body(false, 'What is the capital of Peru?'))).json()) as {
      object: string;
      choices: Array<{ message: { content: string }; finish_reason: string }>;
      usage: { prompt_tokens: number };
    };
    assert.equal(full.object, 'chat.completion');
    assert.equal(full.choices[0].message.content, 'The sources do not contain the answer to this question.');
    assert.equal(full.choices[0].finish_reason, 'stop');
    assert.ok(full.usage.prompt_tokens > 0);
  });

  it('splits citation markers across chunks when told to, and records requests', async () => {
    server = await startChatServer({ behaviour: { splitCitations: true } });
    const ev = events(await (await post('/v1/chat/completions', body(true), { 'x-test': 'yes' })).text());
    const deltas = ev
      .filter((e) => e !== '[DONE]')
      .flatMap((e) => (JSON.parse(e) as { choices: Array<{ delta: { content?: string | null } }> }).choices.map((c) => c.delta.content ?? ''));
    const at = deltas.indexOf('[');
    assert.deepEqual(deltas.slice(at, at + 3), ['[', '1', ']']);
    assert.equal(server.requests[0].headers['x-test'], 'yes');
    assert.equal((server.requests[0].body as { messages: unknown[] }).messages.length, 2);
  });

  it('ends a malformed stream with a data line that is not JSON', async () => {
    server = await startChatServer({ fault: { kind: 'malformed', afterChunks: 1 } });
    const ev = events(await (await post('/v1/chat/completions', body(true))).text());
    const isJson = (e: string) => {
      try {
        JSON.parse(e);
        return true;
      } catch {
        return false;
      }
    };
    assert.ok(isJson(ev[0]));
    assert.ok(ev.some((e) => e.startsWith('{') && !isJson(e)));
  });
});
