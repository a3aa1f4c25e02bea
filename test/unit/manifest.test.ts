// package.json's contributes.configuration is what VS Code shows and validates; the zod schemas in src/core/config.ts
// (and the extension's own in src/extension/settings.ts) are what the engine accepts. These tests hold the two to one
// another, setting by setting, so a default, a range or a choice changed in one place fails here until it changes in
// the other.
import '../shim/register';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { chatSchema, configFromEnv, embeddingSchema, entraSchema, indexingSchema, neo4jSchema } from '../../src/core/config';
import { MCP_PROVIDER, SEARCH_TOOL } from '../../src/extension/agents';
import { HOST_SETTING_OF, hostSchema, readEngineConfig, readHostSettings, SECTION, SETTING_OF } from '../../src/extension/settings';
import { searchInput } from '../../src/mcp/schemas';

interface JsonSchema {
  type?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  pattern?: string;
  items?: JsonSchema;
  minLength?: number;
  scope?: string;
}

const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: {
    configuration: { properties: Record<string, JsonSchema> };
    languageModelTools: Array<{ name: string; inputSchema: unknown; when?: string }>;
    mcpServerDefinitionProviders: Array<{ id: string; label: string }>;
  };
  capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
};
const contributed = manifest.contributes.configuration.properties;
const contributedKeys = Object.keys(contributed).filter((k) => k.startsWith(`${SECTION}.`));

/** The schema each SETTING_OF group is parsed with; a group added there without one here is a type error. */
const SCHEMA_OF: Record<keyof typeof SETTING_OF, z.ZodObject> = {
  neo4j: neo4jSchema,
  embedding: embeddingSchema,
  chat: chatSchema,
  indexing: indexingSchema,
  entra: entraSchema,
};

interface Expected {
  setting: string;
  source: string;
  field: JsonSchema;
}

/** Every setting the extension reads, with the JSON Schema of the field it fills (what the engine accepts as input). */
function expectedSettings(): Expected[] {
  const out: Expected[] = [];
  const add = (schema: z.ZodObject, fields: Record<string, string>, source: string) => {
    const properties = (z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, JsonSchema> }).properties;
    for (const [field, setting] of Object.entries(fields)) {
      assert.ok(properties[field], `${source}.${field} (read from ${SECTION}.${setting}) is not a field of its schema`);
      out.push({ setting: `${SECTION}.${setting}`, source: `${source}.${field}`, field: properties[field] });
    }
  };
  for (const group of Object.keys(SETTING_OF) as (keyof typeof SETTING_OF)[]) add(SCHEMA_OF[group], SETTING_OF[group], `${group}Schema`);
  add(hostSchema, HOST_SETTING_OF, 'hostSchema');
  return out;
}

/** zod writes the safe-integer range for an unbounded int; package.json leaves such a bound out. */
const bound = (n: number | undefined) => (n === undefined || Math.abs(n) === Number.MAX_SAFE_INTEGER ? undefined : n);
/** A pattern as a RegExp would print it, so `://` and `:\/\/` compare equal. */
const regex = (p: string | undefined) => (p === undefined ? undefined : new RegExp(p).source);

describe('package.json settings ↔ the configuration schemas', () => {
  const expected = expectedSettings();

  it('contributes exactly the settings the extension reads', () => {
    assert.deepEqual([...contributedKeys].sort(), expected.map((e) => e.setting).sort());
  });

  for (const { setting, source, field } of expected) {
    it(`${setting} matches ${source}`, () => {
      const declared = contributed[setting];
      assert.ok(declared, `${setting} is not in package.json`);
      assert.equal(declared.type, field.type, 'type');
      if (field.default !== undefined) assert.deepEqual(declared.default, field.default, 'default');
      else {
        // No engine default: the setting is optional (or switches its group on), and "" is how it reads as unset.
        assert.equal(declared.type, 'string');
        assert.equal(declared.default, '', 'a setting without an engine default defaults to "" (not set)');
      }
      assert.equal(declared.minimum, bound(field.minimum), 'minimum');
      assert.equal(declared.maximum, bound(field.maximum), 'maximum');
      assert.deepEqual(declared.enum, field.enum, 'enum');
      assert.equal(regex(declared.pattern), regex(field.pattern), 'pattern');
      assert.deepEqual(declared.items, field.items, 'items');
    });
  }

  it('keeps the settings that choose where keys go machine-scoped and restricted in untrusted workspaces', () => {
    const machine = contributedKeys.filter((k) => contributed[k].scope === 'machine').sort();
    assert.deepEqual([...manifest.capabilities.untrustedWorkspaces.restrictedConfigurations].sort(), machine);
    for (const key of ['neo4j.uri', 'azure.endpoint', 'bitnet.endpoint']) assert.ok(machine.includes(`${SECTION}.${key}`), key);
  });

  it('configures the engine from untouched settings as the CLI does from no variables', () => {
    const defaults = (overrides: Record<string, unknown>) => (key: string) => overrides[key] ?? contributed[`${SECTION}.${key}`]?.default;
    const secrets = { neo4jPassword: 'fake-password', azureApiKey: 'fake-azure-key', bitnetApiKey: 'fake-bitnet-key' };
    assert.deepEqual(readEngineConfig(defaults({}), secrets), configFromEnv({ NEO4J_PASSWORD: secrets.neo4jPassword }));
    const endpoints = { 'azure.endpoint': 'https://r.openai.azure.com', 'bitnet.endpoint': 'http://127.0.0.1:8080/v1' };
    assert.deepEqual(
      readEngineConfig(defaults(endpoints), secrets),
      configFromEnv({
        NEO4J_PASSWORD: secrets.neo4jPassword,
        AZURE_OPENAI_ENDPOINT: endpoints['azure.endpoint'],
        AZURE_OPENAI_API_KEY: secrets.azureApiKey,
        BITNET_ENDPOINT: endpoints['bitnet.endpoint'],
        BITNET_API_KEY: secrets.bitnetApiKey,
      }),
    );
    assert.deepEqual(readHostSettings(defaults({})), hostSchema.parse({}));
  });
});

describe('package.json agent contributions', () => {
  /** A JSON Schema without its descriptions (the tool's wording is VS Code's, the MCP tool's its own) and $schema. */
  const shape = (schema: unknown): unknown =>
    JSON.parse(JSON.stringify(schema, (key, value: unknown) => (key === 'description' || key === '$schema' ? undefined : value)));

  it("declares the search tool with the MCP search_workspace tool's input schema, under the name the extension registers", () => {
    assert.deepEqual(manifest.contributes.languageModelTools.map((t) => t.name), [SEARCH_TOOL]);
    const [tool] = manifest.contributes.languageModelTools;
    assert.deepEqual(shape(tool.inputSchema), shape(z.toJSONSchema(searchInput, { io: 'input' })));
    assert.equal(tool.when, 'workspaceFolderCount > 0');
  });

  it('declares the MCP server definition provider the extension registers', () => {
    assert.deepEqual(manifest.contributes.mcpServerDefinitionProviders.map((p) => p.id), [MCP_PROVIDER]);
  });
});
