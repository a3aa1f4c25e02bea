// VS Code settings + SecretStorage → the engine's EngineConfig, validated by the engine's own zod schemas. A bad value
// becomes a ConfigError naming the setting (`workspaceRag.azure.endpoint`), a missing key a MissingSecretError.
// SETTING_OF and HOST_SETTING_OF name every `workspaceRag.*` setting; test/unit/manifest.test.ts holds package.json's
// contributes.configuration to them and to the schemas (defaults, ranges, choices), so neither can drift.
import * as vscode from 'vscode';
import { z } from 'zod';
import {
  chatSchema,
  embeddingSchema,
  entraSchema,
  indexingSchema,
  neo4jSchema,
  parseGroup,
  retrievalSchema,
  type EngineConfig,
} from '../core/config';
import { SECRETS, type SecretId, type Secrets, type SecretValues } from './secrets';

export const SECTION = 'workspaceRag';

/** Each engine field and the setting (under `workspaceRag.`) it comes from. Keys are never settings: they come from Secrets. */
export const SETTING_OF = {
  neo4j: { uri: 'neo4j.uri', username: 'neo4j.username', database: 'neo4j.database' },
  embedding: { endpoint: 'azure.endpoint', auth: 'azure.auth', deployment: 'azure.deployment', apiVersion: 'azure.apiVersion', dimensions: 'azure.dimensions' },
  chat: {
    endpoint: 'bitnet.endpoint',
    model: 'bitnet.model',
    authStyle: 'bitnet.authStyle',
    apiVersion: 'bitnet.apiVersion',
    contextTokens: 'bitnet.contextTokens',
    firstTokenSeconds: 'bitnet.firstTokenSeconds',
  },
  indexing: { include: 'indexing.include', exclude: 'indexing.exclude', maxFileBytes: 'indexing.maxFileBytes' },
  /** The tenant VS Code's Microsoft sign-in asks for, for the embeddings and a Foundry chat endpoint alike. */
  entra: { tenantId: 'azure.tenantId' },
} as const;

/** The settings only the extension reads (the engine never sees them), and the setting each comes from. */
export const hostSchema = z.object({
  /** Index a moment after files change or are saved. */
  autoUpdate: z.boolean().default(true),
});
export type HostSettings = z.infer<typeof hostSchema>;
export const HOST_SETTING_OF = { autoUpdate: 'indexing.autoUpdate' } as const;

/** A key the configuration needs is not in the secret storage. */
export class MissingSecretError extends Error {
  constructor(readonly secret: SecretId, why: string) {
    super(`The ${SECRETS[secret].label} is not set: ${why}. Run "Workspace RAG: Set Credentials".`);
    this.name = 'MissingSecretError';
  }
}

/** Engine fields the extension has no setting for (their default holds), as a message names them. */
const UNSET_FIELDS: Record<string, string> = { maxAnswerTokens: 'the answer reserve' };

export type SettingReader = (key: string) => unknown;

/**
 * Builds the engine configuration. Azure and BitNet are optional groups, present when their endpoint is set (without
 * them the engine answers keyword-only / retrieval-only). Empty strings mean "not set", as the Settings editor
 * writes them.
 */
export function readEngineConfig(get: SettingReader, secrets: SecretValues): EngineConfig {
  const group = (fields: Record<string, string>) => readGroup(get, fields);
  const named = (fields: Record<string, string>) => (field: string) => (fields[field] ? `${SECTION}.${fields[field]}` : (UNSET_FIELDS[field] ?? `${SECTION}.${field}`));

  const neo4jRaw = group(SETTING_OF.neo4j);
  if (!secrets.neo4jPassword) throw new MissingSecretError('neo4jPassword', 'Neo4j needs it to sign in');
  const neo4j = parseGroup(neo4jSchema, { ...neo4jRaw, password: secrets.neo4jPassword }, named(SETTING_OF.neo4j));

  const embeddingRaw = group(SETTING_OF.embedding);
  let embedding: EngineConfig['embedding'];
  if (embeddingRaw.endpoint !== undefined) {
    // With Entra ID the Microsoft sign-in replaces the key, which is then neither needed nor sent.
    const keyless = embeddingRaw.auth === 'entra';
    if (!keyless && !secrets.azureApiKey) throw new MissingSecretError('azureApiKey', 'workspaceRag.azure.endpoint is set');
    embedding = parseGroup(embeddingSchema, { ...embeddingRaw, apiKey: keyless ? undefined : secrets.azureApiKey }, named(SETTING_OF.embedding));
  }

  const chatRaw = group(SETTING_OF.chat);
  // A BitNet server of one's own (bitnet.cpp) usually needs no key, so a missing one is not an error here.
  const chatKey = chatRaw.authStyle === 'entra' ? undefined : secrets.bitnetApiKey;
  const chat = chatRaw.endpoint !== undefined ? parseGroup(chatSchema, { ...chatRaw, apiKey: chatKey }, named(SETTING_OF.chat)) : undefined;

  return {
    neo4j,
    embedding,
    chat,
    indexing: parseGroup(indexingSchema, group(SETTING_OF.indexing), named(SETTING_OF.indexing)),
    retrieval: retrievalSchema.parse({}),
    entra: parseGroup(entraSchema, group(SETTING_OF.entra), named(SETTING_OF.entra)),
  };
}

/**
 * The extension's own settings. A value of the wrong type (hand-edited settings.json) falls back to the default
 * rather than failing: none of them guards anything.
 */
export function readHostSettings(get: SettingReader): HostSettings {
  const parsed = hostSchema.safeParse(readGroup(get, HOST_SETTING_OF));
  return parsed.success ? parsed.data : hostSchema.parse({});
}

/** The raw values of one group, by field; empty strings mean "not set", as the Settings editor writes them. */
function readGroup(get: SettingReader, fields: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(fields)) {
    const value = get(key);
    if (value !== undefined && value !== null && value !== '') raw[field] = typeof value === 'string' ? value.trim() : value;
  }
  return raw;
}

/** Every setting the engine configuration is built from, fully qualified; a change to one rebuilds the engine. */
const ENGINE_SETTINGS: string[] = Object.values(SETTING_OF).flatMap((g) => Object.values(g).map((k: string) => `${SECTION}.${k}`));

/** The live settings of the window plus the secret storage; fires onDidChange when either changes. */
export class Settings implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[];
  readonly onDidChange = this.changed.event;

  /** `signIns`: the Microsoft accounts changed, which matters when a service signs in with Entra ID. */
  constructor(
    private readonly secrets: Secrets,
    signIns?: vscode.Event<void>,
  ) {
    this.subscriptions = [
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (ENGINE_SETTINGS.some((s) => e.affectsConfiguration(s))) this.changed.fire();
      }),
      secrets.onDidChange(() => this.changed.fire()),
    ];
    if (signIns)
      this.subscriptions.push(
        signIns(() => {
          if (this.signsInWithEntra) this.changed.fire();
        }),
      );
  }

  /** Whether a configured service signs in with Microsoft Entra ID rather than a key. */
  get signsInWithEntra(): boolean {
    const configuration = vscode.workspace.getConfiguration(SECTION);
    return configuration.get(SETTING_OF.embedding.auth) === 'entra' || configuration.get(SETTING_OF.chat.authStyle) === 'entra';
  }

  async engineConfig(): Promise<EngineConfig> {
    const configuration = vscode.workspace.getConfiguration(SECTION);
    return readEngineConfig((key) => configuration.get(key), await this.secrets.load());
  }

  get autoUpdate(): boolean {
    const configuration = vscode.workspace.getConfiguration(SECTION);
    return readHostSettings((key) => configuration.get(key)).autoUpdate;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
