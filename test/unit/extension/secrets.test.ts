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
    const before = recorded.inputBoxes;
    assert.deepEqual(await setCredentials(secrets, vscode.ExtensionMode.Production, { neo4jPassword: 'planted' }), []);
    assert.equal(storage.values.size, 0, 'a production call never stores an argument');
    assert.equal(recorded.inputBoxes, before + 1, 'it asks the user instead');
    assert.deepEqual(await setCredentials(secrets, vscode.ExtensionMode.Test, { neo4jPassword: 'pw-test' }), ['neo4jPassword']);
    assert.equal(storage.values.get('workspaceRag.neo4j.password'), 'pw-test');
    await assert.rejects(setCredentials(secrets, vscode.ExtensionMode.Test, { password: 'x' }), 'unknown fields are refused');
    assert.deepEqual(await clearCredentials(secrets, vscode.ExtensionMode.Test, ['neo4jPassword']), ['neo4jPassword']);
    assert.equal(storage.values.size, 0);
  });

  describe('Set Credentials, one flow', () => {
    /** Input boxes that answer from a list, recording what each asked. */
    function ui(answers: Array<string | undefined>, settings: Record<string, string> = {}) {
      const asked: vscode.InputBoxOptions[] = [];
      const told: string[] = [];
      return {
        asked,
        told,
        ui: {
          ask: async (o: vscode.InputBoxOptions) => (asked.push(o), answers.shift()),
          tell: (t: string) => void told.push(t),
          setting: (k: string) => settings[k] ?? '',
        },
      };
    }

    it('asks for each key the configuration needs, in numbered password boxes, and says the others are not needed', async () => {
      const storage = memoryStorage();
      const secrets = new Secrets(storage as unknown as vscode.SecretStorage);
      const t = ui(['neo4j-pw', 'azure-key'], { 'azure.endpoint': 'https://x.openai.azure.com' });
      assert.deepEqual(await setCredentials(secrets, vscode.ExtensionMode.Production, undefined, t.ui), ['neo4jPassword', 'azureApiKey']);
      assert.deepEqual(t.asked.map((o) => [o.title, o.password]), [
        ['Workspace RAG: Neo4j password (1/2)', true],
        ['Workspace RAG: Azure OpenAI API key (2/2)', true],
      ]);
      assert.equal(storage.values.get('workspaceRag.neo4j.password'), 'neo4j-pw');
      assert.equal(storage.values.get('workspaceRag.azure.apiKey'), 'azure-key');
      assert.deepEqual(t.told, [
        'Workspace RAG: Neo4j password saved in the secret storage; Azure OpenAI API key saved in the secret storage; BitNet API key not needed (workspaceRag.bitnet.endpoint is empty, so answers are retrieval-only).',
      ]);
    });

    it('stores the keys together at the end, once: nothing while the boxes are open, nothing at all on Escape', async () => {
      const storage = memoryStorage();
      const secrets = new Secrets(storage as unknown as vscode.SecretStorage);
      let changes = 0;
      secrets.onDidChange(() => changes++);
      const settings = { 'azure.endpoint': 'https://x', 'bitnet.endpoint': 'http://127.0.0.1:8080/v1' };
      const seen: number[] = [];
      const flow = {
        ask: async () => (seen.push(storage.values.size), 'k-' + seen.length),
        tell: () => undefined,
        setting: (k: string) => (settings as Record<string, string>)[k],
      };
      await setCredentials(secrets, vscode.ExtensionMode.Production, undefined, flow);
      assert.deepEqual(seen, [0, 0, 0], 'no key is stored while the user is still typing');
      assert.equal(changes, 1, 'one change for the whole flow');

      const cancelled = ui(['new-pw', undefined], settings);
      assert.deepEqual(await setCredentials(secrets, vscode.ExtensionMode.Production, undefined, cancelled.ui), []);
      assert.equal(storage.values.get('workspaceRag.neo4j.password'), 'k-1', 'Escape in the second box keeps the first unchanged');
    });

    it('keeps a stored key when its box is left empty, and says so', async () => {
      const storage = memoryStorage();
      const secrets = new Secrets(storage as unknown as vscode.SecretStorage);
      await secrets.set('neo4jPassword', 'old-pw');
      const t = ui(['']);
      assert.deepEqual(await setCredentials(secrets, vscode.ExtensionMode.Production, undefined, t.ui), []);
      assert.match(String(t.asked[0].placeHolder), /Stored\. Press Enter to keep it/);
      assert.equal(storage.values.get('workspaceRag.neo4j.password'), 'old-pw');
      assert.match(t.told[0], /^Workspace RAG: Neo4j password kept; Azure OpenAI API key not needed/);
    });
  });
});
