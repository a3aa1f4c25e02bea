import { strict as assert } from 'node:assert';
import { authOf, configFromEnv, ConfigError, configToEnv, usesEntra, type EngineConfig } from '../../src/core/config';

const base = { NEO4J_PASSWORD: 'test-password' };
const azure = { AZURE_OPENAI_ENDPOINT: 'https://example.openai.azure.com/', AZURE_OPENAI_API_KEY: 'fake-key', AZURE_OPENAI_EMBEDDING_DEPLOYMENT: 'emb' };

function configError(env: Record<string, string>): ConfigError {
  try {
    configFromEnv(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error;
  }
  assert.fail('expected the configuration to be rejected');
}

describe('configFromEnv', () => {
  it('applies defaults and leaves optional services out when their endpoint is unset', () => {
    const config = configFromEnv(base);
    assert.equal(config.neo4j.uri, 'neo4j://127.0.0.1:7687');
    assert.equal(config.neo4j.database, 'neo4j');
    assert.equal(config.embedding, undefined);
    assert.equal(config.chat, undefined);
    assert.equal(config.indexing.maxFileBytes, 1024 * 1024);
    const azureOnly = configFromEnv({ ...base, AZURE_OPENAI_ENDPOINT: azure.AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY: azure.AZURE_OPENAI_API_KEY });
    assert.equal(azureOnly.embedding?.deployment, 'text-embedding-3-small', 'the deployment the extension defaults to');
    assert.equal(azureOnly.embedding?.dimensions, 1536);
  });

  it('parses numbers, booleans and comma lists and trims a trailing slash from endpoints', () => {
    const config = configFromEnv({
      ...base,
      ...azure,
      AZURE_OPENAI_EMBEDDING_DIMENSIONS: '256',
      AZURE_OPENAI_SEND_DIMENSIONS: 'false',
      RAG_EXCLUDE: 'docs/**, *.txt',
      BITNET_ENDPOINT: 'http://127.0.0.1:8080/v1/',
      BITNET_AUTH_STYLE: 'api-key',
    });
    assert.equal(config.embedding?.endpoint, 'https://example.openai.azure.com');
    assert.equal(config.embedding?.dimensions, 256);
    assert.equal(config.embedding?.sendDimensions, false);
    assert.deepEqual(config.indexing.exclude, ['docs/**', '*.txt']);
    assert.equal(config.chat?.endpoint, 'http://127.0.0.1:8080/v1');
    assert.equal(config.chat?.authStyle, 'api-key');
  });

  it('names the variable and what it expects', () => {
    assert.equal(configError({}).details.setting, 'NEO4J_PASSWORD');
    const notNumber = configError({ ...base, RAG_TOP_K: 'many' });
    assert.equal(notNumber.details.setting, 'RAG_TOP_K');
    assert.match(notNumber.message, /number.*"many"/);
    assert.equal(configError({ ...base, NEO4J_URI: 'http://localhost:7474' }).details.setting, 'NEO4J_URI');
    assert.equal(configError({ ...base, BITNET_ENDPOINT: 'ftp://x' }).details.setting, 'BITNET_ENDPOINT');
    assert.equal(configError({ ...base, BITNET_ENDPOINT: 'http://x', BITNET_AUTH_STYLE: 'basic' }).details.setting, 'BITNET_AUTH_STYLE');
    assert.equal(configError({ ...base, ...azure, AZURE_OPENAI_EMBEDDING_DIMENSIONS: '5000' }).details.setting, 'AZURE_OPENAI_EMBEDDING_DIMENSIONS');
    assert.equal(configError({ ...base, AZURE_OPENAI_ENDPOINT: 'https://x' }).details.setting, 'AZURE_OPENAI_API_KEY');
  });

  it('signs in with Microsoft Entra ID instead of a key when AZURE_OPENAI_AUTH is entra, with the tenant of AZURE_TENANT_ID', () => {
    const endpoint = { AZURE_OPENAI_ENDPOINT: azure.AZURE_OPENAI_ENDPOINT };
    const keyless = configFromEnv({ ...base, ...endpoint, AZURE_OPENAI_AUTH: 'entra', AZURE_TENANT_ID: 'contoso.onmicrosoft.com' });
    assert.equal(keyless.embedding?.auth, 'entra');
    assert.equal(keyless.embedding?.apiKey, undefined);
    assert.equal(keyless.entra?.tenantId, 'contoso.onmicrosoft.com');
    assert.equal(usesEntra(keyless), true);
    assert.deepEqual(authOf(keyless), { embeddings: 'Microsoft Entra ID (tenant contoso.onmicrosoft.com)', chat: undefined });
    const keyed = configFromEnv({ ...base, ...azure });
    assert.equal(keyed.embedding?.auth, 'key', 'a key stays the default');
    assert.equal(usesEntra(keyed), false);
    assert.deepEqual(authOf(keyed), { embeddings: 'API key', chat: undefined });
    // Without the key, key auth names both ways out.
    const noKey = configError({ ...base, ...endpoint });
    assert.equal(noKey.details.setting, 'AZURE_OPENAI_API_KEY');
    assert.match(noKey.message, /an API key \(or AZURE_OPENAI_AUTH set to "entra"/);
    assert.equal(configError({ ...base, ...endpoint, AZURE_OPENAI_AUTH: 'aad' }).details.setting, 'AZURE_OPENAI_AUTH');
    assert.match(configError({ ...base, ...endpoint, AZURE_OPENAI_AUTH: 'aad' }).message, /"key" or "entra"/);
    assert.equal(configError({ ...base, AZURE_TENANT_ID: 'tenant id/with spaces' }).details.setting, 'AZURE_TENANT_ID');
  });

  it('takes entra as the BitNet auth style, for an Azure AI Foundry endpoint without keys', () => {
    const config = configFromEnv({ ...base, ...azure, BITNET_ENDPOINT: 'https://my-project.services.ai.azure.com/models', BITNET_AUTH_STYLE: 'entra' });
    assert.equal(config.chat?.authStyle, 'entra');
    assert.equal(usesEntra(config), true);
    assert.deepEqual(authOf(config), { embeddings: 'API key', chat: 'Microsoft Entra ID' });
    const bitnetCpp = configFromEnv({ ...base, BITNET_ENDPOINT: 'http://127.0.0.1:8080/v1' });
    assert.equal(authOf(bitnetCpp).chat, 'no key');
  });

  it('never puts a secret value in the message', () => {
    const error = configError({ ...base, ...azure, AZURE_OPENAI_API_KEY: 'fake-key', EMBED_CONCURRENCY: '0' });
    assert.doesNotMatch(error.message, /fake-key/);
  });
});

describe('configFromEnv: credentials written inside URLs', () => {
  const SECRET = 'hunter2-FAKE-SECRET-9f8e7d';
  const cases: Array<[string, Record<string, string>]> = [
    ['NEO4J_URI', { NEO4J_URI: `neo4j://neo4j:${SECRET}@db.example.com:7687` }],
    ['NEO4J_URI', { NEO4J_URI: `bolt+s://${SECRET}@db.example.com` }],
    ['NEO4J_URI', { NEO4J_URI: `neo4j://db.example.com:7687?token=${SECRET}` }],
    ['AZURE_OPENAI_ENDPOINT', { ...azure, AZURE_OPENAI_ENDPOINT: `https://user:${SECRET}@example.openai.azure.com` }],
    ['AZURE_OPENAI_ENDPOINT', { ...azure, AZURE_OPENAI_ENDPOINT: `https://example.openai.azure.com/?api-key=${SECRET}` }],
    ['BITNET_ENDPOINT', { BITNET_ENDPOINT: `https://user:${SECRET}@bitnet.example.com/v1` }],
    ['BITNET_ENDPOINT', { BITNET_ENDPOINT: `https://bitnet.example.com/v1?key=${SECRET}` }],
    ['BITNET_ENDPOINT', { BITNET_ENDPOINT: `https://bitnet.example.com/v1?sv=2024&SIG=${SECRET}` }],
    ['BITNET_ENDPOINT', { BITNET_ENDPOINT: `https://fn.example.net/api/v1?code=${SECRET}` }],
  ];
  for (const [variable, env] of cases) {
    it(`rejects ${Object.values(env).find((v) => v.includes(SECRET))} naming ${variable}, without echoing the secret`, () => {
      const error = configError({ ...base, ...env });
      assert.equal(error.details.setting, variable);
      assert.match(error.details.expected, /without a user name, password or key/);
      assert.ok(!JSON.stringify({ message: error.message, details: error.details }).includes(SECRET), error.message);
    });
  }

  it('accepts URLs whose query carries no key', () => {
    const config = configFromEnv({ ...base, NEO4J_URI: 'neo4j://db.example.com:7687?policy=eu', BITNET_ENDPOINT: 'https://b.example.com/v1?api-version=2024-05-01' });
    assert.equal(config.neo4j.uri, 'neo4j://db.example.com:7687?policy=eu');
    assert.equal(config.chat?.endpoint, 'https://b.example.com/v1?api-version=2024-05-01');
  });
});

describe('configFromEnv: malformed Neo4j URIs and budgets', () => {
  for (const [uri, why] of [
    ['neo4j://db.example.com:99999', /port from 1 to 65535/],
    ['neo4j://db.example.com:abc', /port from 1 to 65535/],
    ['bolt://127.0.0.1:0', /port from 1 to 65535/],
    ['neo4j://[::1:7687', /IPv6 address in brackets/],
    ['neo4j://', /URI/],
  ] as const) {
    it(`rejects ${uri}`, () => {
      const error = configError({ ...base, NEO4J_URI: uri });
      assert.equal(error.details.setting, 'NEO4J_URI');
      assert.match(error.details.expected, why);
    });
  }

  it('accepts IPv6, secure schemes and a missing port', () => {
    for (const uri of ['neo4j://[::1]:7687', 'bolt+s://db.example.com', 'neo4j+ssc://db.example.com:7687', 'bolt://localhost:7687/'])
      assert.equal(configFromEnv({ ...base, NEO4J_URI: uri }).neo4j.uri, uri);
  });

  it('rejects an answer reserve at least as large as the context, naming both', () => {
    const endpoint = { BITNET_ENDPOINT: 'http://127.0.0.1:8080/v1' };
    for (const env of [
      { ...endpoint, BITNET_CONTEXT_TOKENS: '1024', BITNET_MAX_ANSWER_TOKENS: '1024' },
      { ...endpoint, BITNET_CONTEXT_TOKENS: '1024', BITNET_MAX_ANSWER_TOKENS: '2000' },
      { ...endpoint, BITNET_MAX_ANSWER_TOKENS: '8000' },
    ]) {
      const error = configError({ ...base, ...env });
      assert.equal(error.details.setting, 'BITNET_CONTEXT_TOKENS', JSON.stringify(env));
      assert.match(error.message, /BITNET_MAX_ANSWER_TOKENS/);
      assert.match(error.message, /BITNET_CONTEXT_TOKENS/);
    }
    assert.equal(configFromEnv({ ...base, ...endpoint, BITNET_CONTEXT_TOKENS: '1024', BITNET_MAX_ANSWER_TOKENS: '1023' }).chat?.maxAnswerTokens, 1023);
  });
});

describe('configFromEnv: messages read naturally', () => {
  const expected = (env: Record<string, string>) => configError({ ...base, ...env }).details.expected;
  it('phrases ranges, whole numbers, choices, URLs and patterns', () => {
    assert.equal(expected({ RAG_MAX_FILE_BYTES: '0' }), 'a whole number of at least 1');
    assert.equal(expected({ RAG_TOP_K: '0' }), 'a whole number from 1 to 100');
    assert.equal(expected({ RAG_TOP_K: '101' }), 'a whole number from 1 to 100');
    assert.equal(expected({ RAG_TOP_K: '2.5' }), 'a whole number from 1 to 100, got 2.5');
    assert.equal(expected({ BITNET_ENDPOINT: 'http://b', BITNET_TEMPERATURE: '3' }), 'a number from 0 to 2');
    assert.equal(expected({ ...azure, EMBED_PRICE_PER_MILLION_TOKENS: '-1' }), 'a number of at least 0');
    assert.equal(expected({ BITNET_ENDPOINT: 'http://b', BITNET_AUTH_STYLE: 'basic' }), '"bearer", "api-key" or "entra"');
    assert.equal(expected({ BITNET_ENDPOINT: 'ftp://b' }), 'an http(s) URL');
    assert.equal(expected({ NEO4J_URI: 'http://localhost:7474' }), 'a neo4j:// or bolt:// URI');
  });

  it('never shows zod’s own wording', () => {
    const envs: Array<Record<string, string>> = [
      { RAG_MAX_FILE_BYTES: '0' },
      { RAG_TOP_K: '2.5' },
      { RAG_CHUNK_TOKENS: '9000' },
      { BITNET_ENDPOINT: 'http://b', BITNET_AUTH_STYLE: 'x' },
      { AZURE_OPENAI_ENDPOINT: 'https://x', AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_SEND_DIMENSIONS: 'yes' },
    ];
    for (const env of envs)
      assert.doesNotMatch(configError({ ...base, ...env }).message, /Too small|Too big|Invalid|>=|<=|expected int|expected one of/);
  });
});

describe('configToEnv', () => {
  const defined = (env: Record<string, string | undefined>) => Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));

  it('writes every variable configFromEnv reads, so the configuration reads back the same', () => {
    const full: EngineConfig = configFromEnv({
      ...base,
      ...azure,
      NEO4J_URI: 'neo4j+s://db.example.com:7687',
      AZURE_OPENAI_EMBEDDING_DIMENSIONS: '256',
      AZURE_OPENAI_SEND_DIMENSIONS: 'false',
      AZURE_OPENAI_EMBEDDING_MODEL: 'text-embedding-3-large',
      EMBED_PRICE_PER_MILLION_TOKENS: '0.13',
      BITNET_ENDPOINT: 'http://127.0.0.1:8080/v1',
      BITNET_API_KEY: 'fake-bitnet',
      BITNET_TEMPERATURE: '0.7',
      BITNET_FIRST_TOKEN_SECONDS: '2.5',
      BITNET_AUTH_STYLE: 'entra',
      AZURE_OPENAI_AUTH: 'entra',
      AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      RAG_INCLUDE: 'docs/**,src/**',
      RAG_TOP_K: '5',
    });
    assert.deepEqual(configFromEnv(defined(configToEnv(full))), full);
    const minimal = configFromEnv(base);
    assert.deepEqual(configFromEnv(defined(configToEnv(minimal))), minimal);
  });

  it('names the variables of absent groups and unset fields, so a child can drop inherited ones', () => {
    const env = configToEnv(configFromEnv(base));
    for (const name of ['AZURE_OPENAI_ENDPOINT', 'AZURE_OPENAI_API_KEY', 'AZURE_OPENAI_AUTH', 'AZURE_TENANT_ID', 'BITNET_ENDPOINT', 'BITNET_API_KEY']) {
      assert.ok(name in env, `${name} is listed`);
      assert.equal(env[name], undefined);
    }
    assert.equal(env.NEO4J_PASSWORD, 'test-password');
    // A child's environment: what it inherits, with each listed variable set or removed. Inherited values of the
    // absent groups would otherwise turn them on in the child.
    const child: Record<string, string | undefined> = { AZURE_OPENAI_ENDPOINT: 'https://elsewhere.example.com', AZURE_OPENAI_API_KEY: 'other', NEO4J_PASSWORD: 'other' };
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined) delete child[name];
      else child[name] = value;
    }
    assert.equal(configFromEnv(child).embedding, undefined);
    assert.equal(configFromEnv(child).neo4j.password, 'test-password');
  });

  it('writes lists whose items hold commas as JSON, which configFromEnv reads back', () => {
    const config = configFromEnv(base);
    config.indexing.include = ['src/**/*.{ts,js}', 'docs/**'];
    config.indexing.exclude = ['[abc]*.md'];
    const env = configToEnv(config);
    assert.equal(env.RAG_INCLUDE, '["src/**/*.{ts,js}","docs/**"]');
    assert.equal(env.RAG_EXCLUDE, '["[abc]*.md"]');
    const back = configFromEnv(defined(env));
    assert.deepEqual(back.indexing.include, ['src/**/*.{ts,js}', 'docs/**']);
    assert.deepEqual(back.indexing.exclude, ['[abc]*.md']);
    // A comma list that starts with a character class is still a comma list.
    assert.deepEqual(configFromEnv({ ...base, RAG_EXCLUDE: '[abc]*.md,*.txt' }).indexing.exclude, ['[abc]*.md', '*.txt']);
  });
});
