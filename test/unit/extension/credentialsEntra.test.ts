// Set Credentials when a service signs in with Microsoft Entra ID: the Microsoft sign-in first, for the tenant, and
// no box for a key it makes unnecessary.
import '../../shim/register';
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { Secrets, setCredentials } from '../../../src/extension/secrets';
import { EventEmitter } from '../../shim/vscode';

describe('Set Credentials with Entra ID sign-in', () => {
  const memory = () => {
    const values = new Map<string, string>();
    const storage = {
      get: async (k: string) => values.get(k),
      store: async (k: string, v: string) => void values.set(k, v),
      delete: async (k: string) => void values.delete(k),
      onDidChange: new EventEmitter<unknown>().event,
    };
    return { values, secrets: new Secrets(storage as unknown as vscode.SecretStorage) };
  };
  const flow = (settings: Record<string, string>, answers: string[], account: string | undefined) => {
    const asked: string[] = [];
    const told: string[] = [];
    const signIns: Array<string | undefined> = [];
    const ui = {
      ask: async (o: vscode.InputBoxOptions) => (asked.push(String(o.title)), answers.shift()),
      tell: (t: string) => void told.push(t),
      setting: (k: string) => settings[k] ?? '',
      signIn: async (tenantId: string | undefined) => (signIns.push(tenantId), account),
    };
    return { ui, asked, told, signIns };
  };
  const keyless = { 'azure.endpoint': 'https://r.openai.azure.com', 'azure.auth': 'entra', 'azure.tenantId': 'contoso.onmicrosoft.com' };

  it('signs in to Microsoft for the tenant and asks for no Azure key, only the keys still needed', async () => {
    const { values, secrets } = memory();
    const t = flow(keyless, ['neo4j-pw'], 'ada@contoso.com');
    assert.deepEqual(await setCredentials(secrets, vscode.ExtensionMode.Production, undefined, t.ui), ['neo4jPassword']);
    assert.deepEqual(t.signIns, ['contoso.onmicrosoft.com']);
    assert.deepEqual(t.asked, ['Workspace RAG: Neo4j password'], 'one box: the Azure key is not asked for');
    assert.equal(values.get('workspaceRag.azure.apiKey'), undefined);
    assert.match(t.told[0], /^Workspace RAG: signed in to Microsoft as ada@contoso\.com \(tenant contoso\.onmicrosoft\.com\); Neo4j password saved/);
    assert.match(t.told[0], /Azure OpenAI API key not needed \(workspaceRag\.azure\.auth is entra: your Microsoft account signs in instead\)/);
  });

  it('says so when the sign-in is declined, and leaves a Foundry endpoint signing in with Entra ID without its key too', async () => {
    const { secrets } = memory();
    const t = flow({ 'bitnet.endpoint': 'https://p.services.ai.azure.com/models', 'bitnet.authStyle': 'entra' }, ['neo4j-pw'], undefined);
    await setCredentials(secrets, vscode.ExtensionMode.Production, undefined, t.ui);
    assert.deepEqual(t.signIns, [undefined], 'no tenant set: the account\'s own');
    assert.deepEqual(t.asked, ['Workspace RAG: Neo4j password']);
    assert.match(t.told[0], /^Workspace RAG: not signed in to Microsoft \(Set Credentials again, or the Accounts menu, signs in\); /);
    assert.match(t.told[0], /BitNet API key not needed \(workspaceRag\.bitnet\.authStyle is entra/);
  });

  it('asks for the key and does not sign in when the auth is key, or when one key is asked for by name', async () => {
    const { secrets } = memory();
    const keyed = flow({ ...keyless, 'azure.auth': 'key' }, ['neo4j-pw', 'azure-key'], 'ada@contoso.com');
    assert.deepEqual(await setCredentials(secrets, vscode.ExtensionMode.Production, undefined, keyed.ui), ['neo4jPassword', 'azureApiKey']);
    assert.deepEqual(keyed.signIns, []);
    const one = flow(keyless, ['new-pw'], 'ada@contoso.com');
    await setCredentials(secrets, vscode.ExtensionMode.Production, 'neo4jPassword', one.ui);
    assert.deepEqual(one.signIns, []);
  });
});
