import { strict as assert } from 'node:assert';
import { configFromEnv, ConfigError } from '../../src/core/config';

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

  it('never puts a secret value in the message', () => {
    const error = configError({ ...base, ...azure, AZURE_OPENAI_API_KEY: 'fake-key', EMBED_CONCURRENCY: '0' });
    assert.doesNotMatch(error.message, /fake-key/);
  });
});
