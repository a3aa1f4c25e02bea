import '../../shim/register';
import { strict as assert } from 'node:assert';
import { ConfigError } from '../../../src/core/config';
import { MissingSecretError, readEngineConfig, readHostSettings } from '../../../src/extension/settings';

const reader = (values: Record<string, unknown>) => (key: string) => values[key];
const keys = { neo4jPassword: 'pw-neo4j', azureApiKey: 'az-key-123', bitnetApiKey: 'bn-key-456' };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  assert.fail('expected a ConfigError');
}

describe('extension settings → EngineConfig', () => {
  it('builds Neo4j only (keyword-only, retrieval-only) when no endpoint is set, with the engine defaults', () => {
    const config = readEngineConfig(reader({ 'neo4j.uri': 'neo4j://db:7687', 'neo4j.username': 'neo4j', 'azure.endpoint': '', 'bitnet.endpoint': '' }), keys);
    assert.deepEqual(config.neo4j, { uri: 'neo4j://db:7687', username: 'neo4j', password: 'pw-neo4j', database: 'neo4j' });
    assert.equal(config.embedding, undefined);
    assert.equal(config.chat, undefined);
    assert.equal(config.indexing.maxFileBytes, 1024 * 1024);
  });

  it('reads Azure and BitNet groups with their keys from the secrets', () => {
    const config = readEngineConfig(
      reader({
        'neo4j.uri': 'bolt://h:1',
        'neo4j.username': 'u',
        'azure.endpoint': 'https://r.openai.azure.com/',
        'azure.deployment': 'emb',
        'azure.dimensions': 256,
        'bitnet.endpoint': 'http://127.0.0.1:8080/v1',
        'bitnet.authStyle': 'api-key',
        'bitnet.model': '',
        'bitnet.contextTokens': 4096,
        'indexing.include': ['docs/**'],
      }),
      keys,
    );
    assert.equal(config.embedding?.endpoint, 'https://r.openai.azure.com');
    assert.equal(config.embedding?.apiKey, 'az-key-123');
    assert.equal(config.embedding?.dimensions, 256);
    assert.equal(config.chat?.apiKey, 'bn-key-456');
    assert.equal(config.chat?.authStyle, 'api-key');
    assert.equal(config.chat?.model, undefined, 'an empty string means unset');
    assert.deepEqual(config.indexing.include, ['docs/**']);
  });

  it('signs in with Microsoft Entra ID instead of the keys when the auth settings say entra: no key is needed or passed on', () => {
    const settings = {
      'neo4j.uri': 'neo4j://db:7687',
      'neo4j.username': 'neo4j',
      'azure.endpoint': 'https://r.openai.azure.com',
      'azure.auth': 'entra',
      'azure.tenantId': 'contoso.onmicrosoft.com',
      'bitnet.endpoint': 'https://p.services.ai.azure.com/models',
      'bitnet.authStyle': 'entra',
    };
    const keyless = readEngineConfig(reader(settings), { neo4jPassword: 'pw-neo4j' });
    assert.equal(keyless.embedding?.auth, 'entra');
    assert.equal(keyless.embedding?.apiKey, undefined);
    assert.equal(keyless.chat?.authStyle, 'entra');
    assert.equal(keyless.entra?.tenantId, 'contoso.onmicrosoft.com');
    // Keys stored from before are left out: the sign-in replaces them.
    const stored = readEngineConfig(reader(settings), keys);
    assert.equal(stored.embedding?.apiKey, undefined);
    assert.equal(stored.chat?.apiKey, undefined);
    // Key auth still needs its key, and a tenant must look like one.
    assert.throws(() => readEngineConfig(reader({ ...settings, 'azure.auth': 'key' }), { neo4jPassword: 'pw' }), MissingSecretError);
    assert.equal(configError(() => readEngineConfig(reader({ ...settings, 'azure.tenantId': 'not a tenant!' }), keys)).details.setting, 'workspaceRag.azure.tenantId');
    assert.equal(configError(() => readEngineConfig(reader({ ...settings, 'azure.auth': 'aad' }), keys)).details.setting, 'workspaceRag.azure.auth');
  });

  it('names the setting at fault', () => {
    assert.equal(configError(() => readEngineConfig(reader({ 'neo4j.uri': 'http://db', 'neo4j.username': 'n' }), keys)).details.setting, 'workspaceRag.neo4j.uri');
    const endpoint = configError(() => readEngineConfig(reader({ 'neo4j.uri': 'neo4j://db', 'neo4j.username': 'n', 'azure.endpoint': 'not a url', 'azure.deployment': 'd' }), keys));
    assert.equal(endpoint.details.setting, 'workspaceRag.azure.endpoint');
    assert.match(endpoint.details.expected, /http\(s\) URL/);
    const dims = configError(() =>
      readEngineConfig(reader({ 'neo4j.uri': 'neo4j://db', 'neo4j.username': 'n', 'azure.endpoint': 'https://x', 'azure.deployment': 'd', 'azure.dimensions': 'big' }), keys),
    );
    assert.equal(dims.details.setting, 'workspaceRag.azure.dimensions');
    assert.match(dims.details.expected, /"big"/);
    const style = configError(() => readEngineConfig(reader({ 'neo4j.uri': 'neo4j://db', 'neo4j.username': 'n', 'bitnet.endpoint': 'http://b', 'bitnet.authStyle': 'basic' }), keys));
    assert.equal(style.details.setting, 'workspaceRag.bitnet.authStyle');
    const size = configError(() => readEngineConfig(reader({ 'neo4j.uri': 'neo4j://db', 'neo4j.username': 'n', 'indexing.maxFileBytes': 0 }), keys));
    assert.equal(size.details.setting, 'workspaceRag.indexing.maxFileBytes');
  });

  it('refuses credentials inside URLs and malformed URIs, naming the setting and never the secret', () => {
    const secret = 'FAKE-url-secret-31337';
    const base = { 'neo4j.uri': 'neo4j://db:7687', 'neo4j.username': 'n' };
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ 'neo4j.uri': `neo4j://neo4j:${secret}@db:7687` }, 'workspaceRag.neo4j.uri', /without a user name, password or key/],
      [{ 'azure.endpoint': `https://u:${secret}@r.openai.azure.com`, 'azure.deployment': 'd' }, 'workspaceRag.azure.endpoint', /without a user name/],
      [{ 'azure.endpoint': `https://r.openai.azure.com?api-key=${secret}`, 'azure.deployment': 'd' }, 'workspaceRag.azure.endpoint', /without a user name/],
      [{ 'bitnet.endpoint': `https://b.example.com/v1?code=${secret}` }, 'workspaceRag.bitnet.endpoint', /without a user name/],
      [{ 'neo4j.uri': 'neo4j://db:99999' }, 'workspaceRag.neo4j.uri', /port from 1 to 65535/],
      [{ 'neo4j.uri': 'neo4j://[::1:7687' }, 'workspaceRag.neo4j.uri', /IPv6/],
    ];
    for (const [values, setting, expected] of cases) {
      const error = configError(() => readEngineConfig(reader({ ...base, ...values }), keys));
      assert.equal(error.details.setting, setting);
      assert.match(error.details.expected, expected);
      assert.ok(!error.message.includes(secret));
    }
  });

  it('refuses a context too small to hold the answer reserve and sources, naming the setting in words', () => {
    const error = configError(() => readEngineConfig(reader({ 'neo4j.uri': 'neo4j://db', 'neo4j.username': 'n', 'bitnet.endpoint': 'http://b/v1', 'bitnet.contextTokens': 512 }), keys));
    assert.equal(error.details.setting, 'workspaceRag.bitnet.contextTokens');
    assert.equal(error.details.expected, 'a whole number from 1024 to 1000000');
  });

  it('asks for the Neo4j password, and for the Azure key only when Azure is configured; BitNet may run without one', () => {
    const base = { 'neo4j.uri': 'neo4j://db', 'neo4j.username': 'n' };
    assert.throws(() => readEngineConfig(reader(base), {}), (e: unknown) => e instanceof MissingSecretError && e.secret === 'neo4jPassword');
    assert.throws(
      () => readEngineConfig(reader({ ...base, 'azure.endpoint': 'https://x', 'azure.deployment': 'd' }), { neo4jPassword: 'p' }),
      (e: unknown) => e instanceof MissingSecretError && e.secret === 'azureApiKey' && /Set Credentials/.test(e.message),
    );
    const config = readEngineConfig(reader({ ...base, 'bitnet.endpoint': 'http://b/v1' }), { neo4jPassword: 'p' });
    assert.equal(config.chat?.apiKey, undefined);
  });

  it('reads the settings only the extension uses, with the default for a missing or mistyped value', () => {
    assert.deepEqual(readHostSettings(reader({ 'indexing.autoUpdate': false })), { autoUpdate: false });
    assert.deepEqual(readHostSettings(reader({})), { autoUpdate: true });
    assert.deepEqual(readHostSettings(reader({ 'indexing.autoUpdate': 'no' })), { autoUpdate: true });
  });
});
