// Microsoft Entra ID (keyless) sign-in in the engine: the token cache in front of a host's token provider, and the
// real `openai` clients (AzureOpenAI for embeddings, OpenAI for a Foundry chat endpoint) sending its tokens to the
// local Azure servers, which check them as Azure does. No tenant is reachable here: the provider is a fake one whose
// tokens the servers' fake issuer signed.
import assert from 'node:assert/strict';
import type { TokenCredential } from '@azure/identity';
import { credentialTokenProvider } from '../../src/cli/entra';
import { COGNITIVE_SERVICES_SCOPE, EntraTokens, REFRESH_MARGIN_MS, SignInError, type AccessToken } from '../../src/core/auth';
import { chatSchema, embeddingSchema, indexingSchema, neo4jSchema, retrievalSchema } from '../../src/core/config';
import { Embedder, EmbeddingError } from '../../src/core/embed';
import { openEngine } from '../../src/core/engine';
import { ChatClient, ChatError } from '../../src/core/generate';
import { nodeFileSystem } from '../../src/core/node-fs';
import { startEmbeddingServer, type EmbeddingServer } from '../servers/azure-embeddings';
import { startChatServer, type ChatServer } from '../servers/chat-completions';
import { FakeEntra, fakeTokenProvider, TOKEN_REJECTED_BODY } from '../servers/entra';

const KEY = 'entra-test-key-0123456789';
const MINUTE = 60_000;

describe('EntraTokens (the token cache in front of a host sign-in)', () => {
  const token = (name: string, expiresOnTimestamp: number): AccessToken => ({ token: name, expiresOnTimestamp });

  it('asks the provider once while its token has more than the refresh margin left, for the Cognitive Services scope', async () => {
    let now = 1_000_000;
    const scopes: string[] = [];
    const tokens = new EntraTokens(async (scope) => (scopes.push(scope), token(`t${scopes.length}`, now + 60 * MINUTE)), undefined, () => now);
    assert.equal(await tokens.token(), 't1');
    now += 50 * MINUTE; // 10 minutes left
    assert.equal(await tokens.token(), 't1');
    assert.deepEqual(scopes, [COGNITIVE_SERVICES_SCOPE]);
    now += 6 * MINUTE; // 4 minutes left: inside the margin
    assert.equal(await tokens.token(), 't2');
    assert.equal(scopes.length, 2);
  });

  it('asks again on every use when the provider only has tokens that expire within the margin', async () => {
    let calls = 0;
    const tokens = new EntraTokens(async () => token(`short${++calls}`, Date.now() + REFRESH_MARGIN_MS - 1000));
    assert.equal(await tokens.token(), 'short1');
    assert.equal(await tokens.token(), 'short2');
    assert.equal(calls, 2);
  });

  it('shares one renewal among concurrent requests', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tokens = new EntraTokens(async () => {
      calls++;
      await gate;
      return token('shared', Date.now() + 60 * MINUTE);
    });
    const all = Promise.all([tokens.token(), tokens.token(), tokens.token()]);
    release();
    assert.deepEqual(await all, ['shared', 'shared', 'shared']);
    assert.equal(calls, 1);
  });

  it('keeps sending a still-valid token when a renewal fails, and fails with the provider\'s reason once it is nearly gone', async () => {
    let now = 0;
    let fail = false;
    const tokens = new EntraTokens(
      async () => {
        if (fail) throw new Error('Azure CLI timed out');
        return token('first', now + 10 * MINUTE);
      },
      undefined,
      () => now,
    );
    assert.equal(await tokens.token(), 'first');
    fail = true;
    now += 6 * MINUTE; // 4 minutes left: a renewal is due, and fails
    assert.equal(await tokens.token(), 'first');
    now += 4 * MINUTE - 10_000; // 10 s left
    const e = await tokens.token().then(
      () => assert.fail('expected a rejection'),
      (error: unknown) => error,
    );
    assert.ok(e instanceof SignInError);
    assert.equal(e.kind, 'unavailable');
    assert.equal(e.message, 'Azure CLI timed out');
  });

  it('refuses an answer that is not a token, and forgets a token the server rejected', async () => {
    const empty = new EntraTokens(async () => token('', Date.now() + 60 * MINUTE));
    await assert.rejects(empty.token(), (e: unknown) => e instanceof SignInError && e.kind === 'invalid');
    let calls = 0;
    const tokens = new EntraTokens(async () => token(`t${++calls}`, Date.now() + 60 * MINUTE));
    assert.equal(await tokens.token(), 't1');
    tokens.rejected('some other token');
    assert.equal(await tokens.token(), 't1', 'a rejection of another token changes nothing');
    tokens.rejected('t1');
    assert.equal(await tokens.token(), 't2');
    assert.equal(tokens.redact('header Bearer t1, then t2'), 'header Bearer ***, then ***');
  });
});

describe('Embedder with Entra ID sign-in (AzureOpenAI against the local Azure server)', function () {
  this.timeout(20_000);
  let server: EmbeddingServer;
  let entra: FakeEntra;

  beforeEach(async () => {
    entra = new FakeEntra();
    // A resource whose keys are disabled, as policy makes them: only a token gets in.
    server = await startEmbeddingServer({ apiKey: KEY, entra, disableLocalAuth: true, dimensions: 8 });
  });
  afterEach(async () => server.close());

  const config = (over: Record<string, unknown> = {}) =>
    embeddingSchema.parse({ endpoint: server.url, auth: 'entra', deployment: 'text-embedding-3-small', dimensions: 8, maxBatchInputs: 2, concurrency: 1, ...over });
  const rejection = async (p: Promise<unknown>): Promise<EmbeddingError> => {
    const e = await p.then(
      () => assert.fail('expected a rejection'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof EmbeddingError, `expected an EmbeddingError, got ${String(e)}`);
    return e;
  };

  it('sends the token as Authorization: Bearer on the classic deployments route, no api-key, and asks the provider once', async () => {
    const fake = fakeTokenProvider(entra, { lifetimeMs: 60 * MINUTE });
    const embedder = new Embedder(config(), { entraTokens: new EntraTokens(fake.provider) });
    const { vectors } = await embedder.embed(['one', 'two', 'three', 'four', 'five']);
    assert.equal(vectors.length, 5);
    assert.equal(server.requests.length, 3, 'two inputs per request');
    for (const req of server.requests) {
      assert.equal(req.path, '/openai/deployments/text-embedding-3-small/embeddings');
      assert.equal(req.query['api-version'], '2024-10-21');
      assert.equal(req.headers.authorization, `Bearer ${fake.tokens[0]}`);
      assert.equal(req.headers['api-key'], undefined);
    }
    assert.deepEqual(fake.calls, [COGNITIVE_SERVICES_SCOPE]);
    assert.deepEqual(entra.checked.map((c) => c.verdict), ['valid', 'valid', 'valid']);
  });

  it('asks the provider again for each request when its tokens expire within the refresh margin', async () => {
    const fake = fakeTokenProvider(entra, { lifetimeMs: 2 * MINUTE });
    const embedder = new Embedder(config(), { entraTokens: new EntraTokens(fake.provider) });
    await embedder.embed(['one', 'two', 'three', 'four', 'five', 'six']);
    assert.equal(fake.calls.length, 3);
    assert.deepEqual(
      server.requests.map((r) => r.headers.authorization),
      fake.tokens.map((t) => `Bearer ${t}`),
      'each request carries the token fetched for it',
    );
    assert.equal(new Set(fake.tokens).size, 3);
  });

  it('reports an expired token as the Entra ID sign-in being rejected (not the key), and asks for a new token next time', async () => {
    // A provider that hands out a token past its expiry (a stale cache, a clock that is off).
    const fake = fakeTokenProvider(entra, { issue: (call) => entra.issue({ lifetimeMs: call === 1 ? -MINUTE : 60 * MINUTE }) });
    const embedder = new Embedder(config({ maxRetries: 3 }), { entraTokens: new EntraTokens(fake.provider) });
    const e = await rejection(embedder.embed(['x']));
    assert.equal(e.kind, 'auth');
    assert.equal(e.details.status, 401);
    assert.equal(e.details.auth, 'entra');
    assert.match(e.message, /rejected the Microsoft Entra ID sign-in \(HTTP 401: .*Access token is missing, invalid, audience is incorrect/);
    assert.match(e.message, /signed-in account and tenant/);
    assert.doesNotMatch(e.message, /API key/);
    assert.ok(!e.message.includes(fake.tokens[0]), 'the token is not in the message');
    assert.equal(server.requests.length, 1, 'a refused sign-in is not retried');
    assert.equal(TOKEN_REJECTED_BODY.statusCode, 401);
    // The rejected token was dropped: the next call signs in again and gets through.
    const { vectors } = await embedder.embed(['x']);
    assert.equal(vectors.length, 1);
    assert.equal(fake.calls.length, 2);
  });

  it('fails at once, naming the sign-in, when the provider cannot give a token', async () => {
    const fake = fakeTokenProvider(entra, { fail: () => new Error('not signed in to Microsoft') });
    const e = await rejection(new Embedder(config({ maxRetries: 3 }), { entraTokens: new EntraTokens(fake.provider) }).embed(['x']));
    assert.equal(e.kind, 'auth');
    assert.equal(e.details.auth, 'entra');
    assert.match(e.message, /^Could not sign in to Microsoft Entra ID for Azure OpenAI deployment 'text-embedding-3-small' at http:\/\/127\.0\.0\.1:\d+: not signed in to Microsoft$/);
    assert.equal(server.requests.length, 0);
    assert.equal(fake.calls.length, 1, 'no retry loop around a failed sign-in');
  });

  it('names the key, with Azure\'s reason, when a key is sent to a resource whose keys are disabled', async () => {
    const e = await rejection(new Embedder(config({ auth: 'key', apiKey: KEY })).embed(['x']));
    assert.equal(e.kind, 'auth');
    assert.equal(e.details.auth, 'key');
    assert.equal(e.details.status, 403);
    assert.match(e.message, /rejected the API key \(HTTP 403: .*Key based authentication is disabled for this resource/);
    assert.ok(!e.message.includes(KEY));
  });

  it('refuses to be built for Entra ID without a token provider', () => {
    assert.throws(() => new Embedder(config()), (e: unknown) => e instanceof EmbeddingError && e.kind === 'auth');
  });
});

describe('ChatClient with Entra ID sign-in (an Azure AI Foundry endpoint without keys)', function () {
  this.timeout(20_000);
  let server: ChatServer;
  let entra: FakeEntra;
  beforeEach(async () => {
    entra = new FakeEntra();
    server = await startChatServer({ entra, disableLocalAuth: true, apiVersion: '2024-05-01-preview' });
  });
  afterEach(async () => server.close());

  const client = (tokens: EntraTokens) =>
    new ChatClient(chatSchema.parse({ endpoint: server.azureEndpoint, authStyle: 'entra', apiVersion: '2024-05-01-preview' }), tokens);
  const question = [{ role: 'user' as const, content: 'Sources:\n\n[1] a.md:1-1\n```markdown\nSnapshots are written hourly.\n```\n\nQuestion: How often are snapshots written?' }];

  it('streams with the token as Authorization: Bearer and no api-key', async () => {
    const fake = fakeTokenProvider(entra);
    let text = '';
    for await (const e of client(new EntraTokens(fake.provider)).stream(question)) if (e.type === 'delta') text += e.text;
    assert.ok(text.length > 0);
    const [req] = server.requests;
    assert.equal(req.path, '/models/chat/completions');
    assert.equal(req.headers.authorization, `Bearer ${fake.tokens[0]}`);
    assert.equal(req.headers['api-key'], undefined);
  });

  it('reports a rejected token as the Entra ID sign-in, with Azure\'s reason', async () => {
    const fake = fakeTokenProvider(entra, { lifetimeMs: -MINUTE });
    const stream = client(new EntraTokens(fake.provider)).stream(question);
    const e = await (async () => {
      try {
        for await (const _ of stream) void _;
      } catch (error) {
        return error;
      }
      return assert.fail('expected the stream to fail');
    })();
    assert.ok(e instanceof ChatError);
    assert.equal(e.kind, 'auth');
    assert.equal(e.details.auth, 'entra');
    assert.match(e.message, /rejected the Microsoft Entra ID sign-in \(HTTP 401: .*have expired/);
    assert.doesNotMatch(e.message, /API key/);
  });

  it('turns a failed sign-in into an auth error, not a network failure', async () => {
    const fake = fakeTokenProvider(entra, { fail: () => new Error('the user cancelled the sign-in') });
    const stream = client(new EntraTokens(fake.provider)).stream(question);
    await assert.rejects(
      (async () => {
        for await (const _ of stream) void _;
      })(),
      (e: unknown) => e instanceof ChatError && e.kind === 'auth' && /^Could not sign in to Microsoft Entra ID for The BitNet endpoint .*: the user cancelled the sign-in$/.test(e.message),
    );
    assert.equal(server.requests.length, 0);
  });
});

describe('openEngine with Entra ID', () => {
  it('refuses a configuration that signs in with Entra ID when the host gives no token provider', async () => {
    const config = {
      neo4j: neo4jSchema.parse({ password: 'unused-password' }),
      embedding: embeddingSchema.parse({ endpoint: 'https://example.openai.azure.com', auth: 'entra' }),
      indexing: indexingSchema.parse({}),
      retrieval: retrievalSchema.parse({}),
    };
    let opened = false;
    await assert.rejects(
      openEngine(config, nodeFileSystem, {
        openStore: async () => {
          opened = true;
          throw new Error('not reached');
        },
      }),
      /signs in with Microsoft Entra ID .* no token provider/,
    );
    assert.equal(opened, false, 'nothing is opened');
  });
});

describe('the CLI\'s sign-in (credentialTokenProvider over an @azure/identity credential)', function () {
  this.timeout(20_000);

  it('builds the credential once for the tenant, asks it for the Cognitive Services scope, and its tokens reach the server', async () => {
    const entra = new FakeEntra();
    const server = await startEmbeddingServer({ entra, disableLocalAuth: true, dimensions: 8 });
    try {
      const made: Array<string | undefined> = [];
      const asked: Array<{ scopes: string | string[]; tenantId?: string }> = [];
      const credential: TokenCredential = {
        getToken: async (scopes, options) => {
          asked.push({ scopes, tenantId: options?.tenantId });
          return { ...entra.issue({ lifetimeMs: 60 * MINUTE }), tokenType: 'Bearer' };
        },
      };
      const provider = credentialTokenProvider('contoso.onmicrosoft.com', (tenantId) => (made.push(tenantId), credential));
      const embedder = new Embedder(embeddingSchema.parse({ endpoint: server.url, auth: 'entra', dimensions: 8, maxBatchInputs: 1, concurrency: 1 }), {
        entraTokens: new EntraTokens(provider),
      });
      await embedder.embed(['one', 'two']);
      assert.deepEqual(made, ['contoso.onmicrosoft.com']);
      assert.deepEqual(asked, [{ scopes: COGNITIVE_SERVICES_SCOPE, tenantId: 'contoso.onmicrosoft.com' }]);
      assert.deepEqual(entra.checked.map((c) => c.verdict), ['valid', 'valid']);
      // A credential that answers null (it found nothing to sign in with) is a failure with a reason.
      const none = credentialTokenProvider(undefined, () => ({ getToken: async () => null }));
      await assert.rejects(none(COGNITIVE_SERVICES_SCOPE, {}), /gave no token/);
    } finally {
      await server.close();
    }
  });
});
