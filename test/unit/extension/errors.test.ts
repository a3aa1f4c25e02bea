import '../../shim/register';
import { strict as assert } from 'node:assert';
import { ConfigError } from '../../../src/core/config';
import { EmbeddingError } from '../../../src/core/embed';
import { ChatError } from '../../../src/core/generate';
import { DimensionMismatchError, StoreUnavailableError } from '../../../src/core/store';
import { describeError, isCancellation } from '../../../src/extension/errors';
import { redactValues } from '../../../src/extension/secrets';
import { MissingSecretError } from '../../../src/extension/settings';

const KEY = 'sk-fake-0123456789abcdef';
const redact = (t: string) => redactValues(t, [KEY]);

describe('extension error mapping', () => {
  it('maps each engine failure to a protocol kind and the button that fixes it', () => {
    const cases: Array<[unknown, string, string | undefined]> = [
      [ConfigError.of('workspaceRag.azure.endpoint', 'an http(s) URL'), 'config', 'openSettings'],
      [new MissingSecretError('azureApiKey', 'x'), 'missing-key', 'setCredentials'],
      [new StoreUnavailableError('unreachable', 'Neo4j is not reachable'), 'neo4j', 'showLog'],
      [new StoreUnavailableError('unreachable', 'Neo4j is not reachable (no such host)', { badAddress: true }), 'neo4j', 'openSettings'],
      [new StoreUnavailableError('auth', 'Neo4j rejected the credentials'), 'neo4j', 'setCredentials'],
      [new StoreUnavailableError('auth-rate-limit', 'too many failed sign-ins; wait and try again'), 'neo4j', undefined],
      [new StoreUnavailableError('database', 'Neo4j at neo4j://db has no database named docs.'), 'config', 'openSettings'],
      [new EmbeddingError('auth', 'rejected the API key (HTTP 401)', { status: 401 }), 'auth', 'setCredentials'],
      [new EmbeddingError('throttled', 'HTTP 429', { status: 429, retryable: true }), 'throttled', undefined],
      [new ChatError('auth', 'HTTP 401', { status: 401 }), 'auth', 'setCredentials'],
      [new ChatError('throttled', 'HTTP 429', { status: 429 }), 'throttled', undefined],
      [new ChatError('timeout', 'did not answer'), 'timeout', undefined],
      [new EmbeddingError('timeout', 'did not answer', { retryable: true }), 'timeout', undefined],
      [new ChatError('http', 'HTTP 404', { status: 404 }), 'config', 'openSettings'],
      [DimensionMismatchError.of(256, 1536), 'config', 'openSettings'],
      [new Error('boom'), 'other', undefined],
    ];
    for (const [error, kind, command] of cases) {
      const described = describeError(error, redact);
      assert.equal(described.kind, kind, String(error));
      assert.equal(described.action?.command, command, String(error));
    }
  });

  it('offers the Microsoft sign-in, not a key, when Azure refuses an Entra ID token or no token can be had', () => {
    for (const error of [
      new EmbeddingError('auth', "Azure OpenAI deployment 'emb' rejected the Microsoft Entra ID sign-in (HTTP 401: Unauthorized.)", { status: 401, auth: 'entra' }),
      new ChatError('auth', 'Could not sign in to Microsoft Entra ID for The BitNet endpoint: not signed in to Microsoft', { auth: 'entra' }),
    ]) {
      const described = describeError(error, redact);
      assert.equal(described.kind, 'auth');
      assert.deepEqual(described.action, { label: 'Sign In', command: 'setCredentials' });
      assert.match(described.message, /Run "Workspace RAG: Set Credentials" to sign in with Microsoft\.$/);
      assert.doesNotMatch(described.message, /API key/);
    }
    assert.equal(describeError(new EmbeddingError('auth', 'rejected the API key', { status: 401, auth: 'key' }), redact).action?.label, 'Set Credentials');
  });

  it('offers Retry for an outage and a sign-in lock-out, and Open Settings only when a setting is wrong', () => {
    const down = describeError(new StoreUnavailableError('unreachable', 'Neo4j is not reachable at neo4j://db:7687 (connection refused)'), redact);
    assert.equal(down.retry, true);
    assert.equal(down.setting, undefined);
    assert.deepEqual(down.action, { label: 'Show Log', command: 'showLog' });
    const locked = describeError(new StoreUnavailableError('auth-rate-limit', 'too many failed sign-ins; wait and try again'), redact);
    assert.equal(locked.retry, true);
    assert.notEqual(locked.action?.command, 'setCredentials');
    const wrongHost = describeError(new StoreUnavailableError('unreachable', 'no such host', { badAddress: true }), redact);
    assert.equal(wrongHost.setting, 'workspaceRag.neo4j.uri');
    const db = describeError(new StoreUnavailableError('database', 'Neo4j at neo4j://db has no database named docs.'), redact);
    assert.equal(db.setting, 'workspaceRag.neo4j.database');
    assert.match(db.message, /Set workspaceRag\.neo4j\.database to an existing database\./);
    assert.equal(db.retry, undefined);
  });

  it('names the setting for Open Settings and speaks of settings, not environment variables', () => {
    const d = describeError(DimensionMismatchError.of(256, 1536), redact);
    assert.equal(d.setting, 'workspaceRag.azure.dimensions');
    assert.doesNotMatch(d.message, /AZURE_OPENAI/);
    assert.equal(describeError(ConfigError.of('workspaceRag.neo4j.uri', 'a neo4j:// or bolt:// URI'), redact).setting, 'workspaceRag.neo4j.uri');
  });

  it('scrubs known keys (also URL-encoded) and caps the length', () => {
    const d = describeError(new Error(`request to https://x/?key=${encodeURIComponent(KEY + '/')} failed; header ${KEY}`), redact);
    assert.ok(!d.message.includes(KEY));
    assert.ok(!d.message.includes(encodeURIComponent(KEY)));
    assert.ok(describeError(new Error('x'.repeat(5000)), redact).message.length <= 2000);
  });

  it('recognises the user cancelling', () => {
    assert.ok(isCancellation(new ChatError('cancelled', 'stopped')));
    assert.ok(isCancellation(new EmbeddingError('cancelled', 'stopped')));
    assert.ok(isCancellation(Object.assign(new Error('aborted'), { name: 'AbortError' })));
    assert.ok(!isCancellation(new ChatError('timeout', 'slow')));
  });
});
