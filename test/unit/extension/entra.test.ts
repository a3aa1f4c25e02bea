// The extension's Microsoft Entra ID sign-in: VS Code's Microsoft provider (faked here: no tenant is reachable) asked
// with the tenant's pseudo-scope, its tokens' expiry read from their claims, and those tokens sent by the real
// AzureOpenAI client to the local Azure server, which checks them.
import '../../shim/register';
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { COGNITIVE_SERVICES_SCOPE, EntraTokens } from '../../../src/core/auth';
import { embeddingSchema } from '../../../src/core/config';
import { Embedder, EmbeddingError } from '../../../src/core/embed';
import { expiryOf, MicrosoftSignIn, microsoftSignInNeeded, sessionScopes, signInWithMicrosoft, type Authentication } from '../../../src/extension/entra';
import { EventEmitter, workspace } from '../../shim/vscode';
import { Settings } from '../../../src/extension/settings';
import { Secrets } from '../../../src/extension/secrets';
import { startEmbeddingServer } from '../../servers/azure-embeddings';
import { FakeEntra } from '../../servers/entra';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** VS Code's authentication API with one Microsoft account, whose session is `session()` (undefined: not signed in). */
function fakeAuthentication(session: () => string | undefined) {
  const calls: Array<{ provider: string; scopes: readonly string[]; options: vscode.AuthenticationGetSessionOptions | undefined }> = [];
  const changes = new EventEmitter<vscode.AuthenticationSessionsChangeEvent>();
  const auth = {
    getSession: async (provider: string, scopes: readonly string[], options?: vscode.AuthenticationGetSessionOptions) => {
      calls.push({ provider, scopes, options });
      const token = session();
      if (!token && options?.createIfNone) throw new Error('User did not consent to login.');
      return token ? { id: 's1', accessToken: token, scopes, account: { id: 'a1', label: 'ada@contoso.com' } } : undefined;
    },
    onDidChangeSessions: changes.event,
  } as unknown as Authentication;
  return { auth, calls, changes };
}

describe('MicrosoftSignIn (VS Code\'s Microsoft account as the engine\'s token provider)', () => {
  it('asks VS Code\'s Microsoft provider for the scope with the tenant as VSCODE_TENANT, without a dialog, and reads the expiry from the token', async () => {
    const entra = new FakeEntra();
    const issued = entra.issue({ lifetimeMs: 45 * 60_000 });
    const { auth, calls } = fakeAuthentication(() => issued.token);
    const signIn = new MicrosoftSignIn(auth);
    const token = await signIn.tokenProvider(TENANT)(COGNITIVE_SERVICES_SCOPE, {});
    assert.equal(token.token, issued.token);
    assert.equal(token.expiresOnTimestamp, Math.floor(issued.expiresOnTimestamp / 1000) * 1000);
    assert.deepEqual(calls, [{ provider: 'microsoft', scopes: [COGNITIVE_SERVICES_SCOPE, `VSCODE_TENANT:${TENANT}`], options: {} }], 'no createIfNone: a background run never opens a dialog');
    await signIn.tokenProvider(undefined)(COGNITIVE_SERVICES_SCOPE, {});
    assert.deepEqual(calls[1].scopes, [COGNITIVE_SERVICES_SCOPE], 'no tenant: the provider\'s own default');
    signIn.dispose();
  });

  it('fails with the way to sign in when VS Code has no session, and signs in when asked to (Set Credentials)', async () => {
    let token: string | undefined;
    const { auth, calls } = fakeAuthentication(() => token);
    const signIn = new MicrosoftSignIn(auth);
    await assert.rejects(signIn.tokenProvider(TENANT)(COGNITIVE_SERVICES_SCOPE, {}), /not signed in to Microsoft \(tenant .*\): sign in with "Workspace RAG: Set Credentials" or from the Accounts menu/);
    assert.equal(await signInWithMicrosoft(auth, COGNITIVE_SERVICES_SCOPE, TENANT), undefined, 'a declined sign-in is no error');
    token = new FakeEntra().issue().token;
    assert.equal(await signInWithMicrosoft(auth, COGNITIVE_SERVICES_SCOPE, TENANT), 'ada@contoso.com');
    assert.deepEqual(
      calls.slice(1).map((c) => [c.scopes, c.options]),
      [
        [[COGNITIVE_SERVICES_SCOPE, `VSCODE_TENANT:${TENANT}`], { createIfNone: true }],
        [[COGNITIVE_SERVICES_SCOPE, `VSCODE_TENANT:${TENANT}`], { createIfNone: true }],
      ],
    );
    signIn.dispose();
  });

  it('tells of Microsoft account changes only', () => {
    const { auth, changes } = fakeAuthentication(() => undefined);
    const signIn = new MicrosoftSignIn(auth);
    let fired = 0;
    signIn.onDidChange(() => fired++);
    changes.fire({ provider: { id: 'github', label: 'GitHub' } });
    changes.fire({ provider: { id: 'microsoft', label: 'Microsoft' } });
    assert.equal(fired, 1);
    signIn.dispose();
  });

  it('needs the Microsoft sign-in only for a configured endpoint whose auth is entra', () => {
    const needed = (settings: Record<string, string>) => microsoftSignInNeeded((k) => settings[k] ?? '');
    assert.equal(needed({ 'azure.endpoint': 'https://r.openai.azure.com', 'azure.auth': 'entra' }), true);
    assert.equal(needed({ 'azure.endpoint': '', 'azure.auth': 'entra' }), false, 'keyword-only: nothing to sign in to');
    assert.equal(needed({ 'azure.endpoint': 'https://r.openai.azure.com', 'azure.auth': 'key' }), false);
    assert.equal(needed({ 'bitnet.endpoint': 'https://p.services.ai.azure.com/models', 'bitnet.authStyle': 'entra' }), true);
    assert.equal(needed({ 'bitnet.endpoint': 'http://127.0.0.1:8080/v1', 'bitnet.authStyle': 'bearer' }), false);
  });

  it('takes a token that is not a JWT to last ten minutes, and builds the tenant scope only when there is one', () => {
    assert.equal(expiryOf('opaque-token', 1_000), 1_000 + 10 * 60_000);
    assert.equal(expiryOf('a.not-base64-json.c', 0), 10 * 60_000);
    assert.deepEqual(sessionScopes('s', 'contoso.onmicrosoft.com'), ['s', 'VSCODE_TENANT:contoso.onmicrosoft.com']);
  });

  it('gets its tokens to Azure through the engine: accepted while valid, the sign-in named when Azure refuses one', async function () {
    this.timeout(20_000);
    const entra = new FakeEntra();
    const server = await startEmbeddingServer({ entra, disableLocalAuth: true, dimensions: 8 });
    try {
      let token = entra.issue().token;
      const { auth } = fakeAuthentication(() => token);
      const tokens = new EntraTokens(new MicrosoftSignIn(auth).tokenProvider(TENANT));
      const embedder = new Embedder(embeddingSchema.parse({ endpoint: server.url, auth: 'entra', dimensions: 8 }), { entraTokens: tokens });
      assert.equal((await embedder.embed(['hello'])).vectors.length, 1);
      assert.equal(server.requests[0].headers.authorization, `Bearer ${token}`);
      // A session whose token the service no longer takes (revoked, another issuer): the error names the sign-in.
      tokens.rejected();
      token = new FakeEntra().issue().token;
      const e = await embedder.embed(['again']).then(
        () => assert.fail('expected a rejection'),
        (error: unknown) => error,
      );
      assert.ok(e instanceof EmbeddingError && e.details.auth === 'entra');
      assert.match(e.message, /rejected the Microsoft Entra ID sign-in/);
    } finally {
      await server.close();
    }
  });
});

describe('Settings and the Microsoft sign-in', () => {
  it('rebuilds the engine after a Microsoft account change only when a service signs in with Entra ID', () => {
    const values: Record<string, unknown> = {};
    const getConfiguration = workspace.getConfiguration;
    workspace.getConfiguration = () => ({ get: (key: string, fallback?: unknown) => values[key] ?? fallback });
    const storage = { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: new EventEmitter<unknown>().event };
    const secrets = new Secrets(storage as unknown as vscode.SecretStorage);
    const accounts = new EventEmitter<void>();
    const settings = new Settings(secrets, accounts.event);
    let changes = 0;
    settings.onDidChange(() => changes++);
    try {
      accounts.fire();
      assert.equal(changes, 0, 'keys only: an account change is none of its business');
      values['azure.auth'] = 'entra';
      accounts.fire();
      assert.equal(changes, 1);
      values['azure.auth'] = 'key';
      values['bitnet.authStyle'] = 'entra';
      accounts.fire();
      assert.equal(changes, 2);
    } finally {
      workspace.getConfiguration = getConfiguration;
      settings.dispose();
      secrets.dispose();
    }
  });
});
