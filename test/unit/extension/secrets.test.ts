import '../../shim/register';
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { recorded } from '../../shim/vscode';
import { clearCredentials, REDACTED, redactValues, Secrets, setCredentials } from '../../../src/extension/secrets';

function memoryStorage() {
  const values = new Map<string, string>();
  const changed = new vscode.EventEmitter<{ key: string }>();
  return {
    values,
    get: async (key: string) => values.get(key),
    store: async (key: string, value: string) => {
      values.set(key, value);
      changed.fire({ key });
    },
    delete: async (key: string) => {
      values.delete(key);
      changed.fire({ key });
    },
    keys: async () => [...values.keys()],
    onDidChange: changed.event,
  };
}

describe('extension secrets', () => {
  it('stores keys only in the secret storage and scrubs them from text', async () => {
    const storage = memoryStorage();
    const secrets = new Secrets(storage as unknown as vscode.SecretStorage);
    let changes = 0;
    secrets.onDidChange(() => changes++);
    await secrets.set('azureApiKey', 'az-secret-value');
    assert.equal(storage.values.get('workspaceRag.azure.apiKey'), 'az-secret-value');
    assert.ok(changes >= 1);
    assert.equal(secrets.redact('key=az-secret-value!'), `key=${REDACTED}!`);
    await secrets.delete('azureApiKey');
    assert.equal(await secrets.get('azureApiKey'), undefined);
    assert.equal(secrets.redact('az-secret-value'), 'az-secret-value', 'a deleted key is no longer known');
  });

  it('redacts URL-encoded forms, and leaves very short values alone', () => {
    assert.equal(redactValues('?k=a%2Bb%2Fc', ['a+b/c']), `?k=${REDACTED}`);
    assert.equal(redactValues('abc', ['abc']), 'abc');
  });

  it('accepts keys as a command argument only in test mode', async () => {
    const storage = memoryStorage();
    const secrets = new Secrets(storage as unknown as vscode.SecretStorage);
    const before = recorded.quickPicks;
    assert.deepEqual(await setCredentials(secrets, vscode.ExtensionMode.Production, { neo4jPassword: 'planted' }), []);
    assert.equal(storage.values.size, 0, 'a production call never stores an argument');
    assert.equal(recorded.quickPicks, before + 1, 'it asks the user instead');
    assert.deepEqual(await setCredentials(secrets, vscode.ExtensionMode.Test, { neo4jPassword: 'pw-test' }), ['neo4jPassword']);
    assert.equal(storage.values.get('workspaceRag.neo4j.password'), 'pw-test');
    await assert.rejects(setCredentials(secrets, vscode.ExtensionMode.Test, { password: 'x' }), 'unknown fields are refused');
    assert.deepEqual(await clearCredentials(secrets, vscode.ExtensionMode.Test, ['neo4jPassword']), ['neo4jPassword']);
    assert.equal(storage.values.size, 0);
  });
});
