// Every setting of the engine, as zod schemas: the one place that says each default, range and choice. The CLI reads
// them from environment variables and the extension from VS Code settings plus SecretStorage; both end in the same
// parsed `EngineConfig`. package.json's `contributes.configuration` repeats what the extension exposes, and
// test/unit/manifest.test.ts holds it to these schemas (through their JSON Schema).
import { z } from 'zod';
import { EngineError } from './errors';

// ---- Credentials inside URLs ----
// A key or password written into a URL would be printed wherever the URL is (messages, logs, `--json`): such URLs are
// refused at validation, and redactUrlSecrets scrubs them from text all the same, in case one slips through.

/** Query parameters that carry a key: Azure's `api-key`, Functions' `code`, SAS `sig`, … (compared without case). */
const SECRET_PARAMETERS = ['api-key', 'api_key', 'apikey', 'key', 'code', 'sig', 'token', 'access_token', 'password', 'secret', 'subscription-key'];
const NO_CREDENTIALS = 'without a user name, password or key in it (they have settings of their own)';

/**
 * Whether a URL carries credentials: user info (`scheme://user:pass@host`) or a key-bearing query parameter. Any `@`
 * counts: none of these URLs has a legitimate one, and a password with a `/` or `?` in it would hide the user info.
 */
function carriesCredentials(value: string): boolean {
  if (value.includes('@')) return true;
  const query = value.split('#')[0].split('?').slice(1).join('?');
  return [...new URLSearchParams(query).keys()].some((k) => SECRET_PARAMETERS.includes(k.toLowerCase()));
}

const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*(?::[^\s@]*)?@/gi;
const SECRET_PARAMETER = new RegExp(`([?&](?:${SECRET_PARAMETERS.join('|')})=)[^&#\\s'"]*`, 'gi');

/** `scheme://user:pass@host` → `scheme://***@host`, and `?api-key=…` (or key, code, sig, …) → `?api-key=***`. */
export function redactUrlSecrets(text: string, mark = '***'): string {
  return text.replace(USER_INFO, `$1${mark}@`).replace(SECRET_PARAMETER, `$1${mark}`);
}

/** What is wrong with a Neo4j URI that the pattern accepts, in the words of an expectation; undefined when nothing is. */
function neo4jUriProblem(uri: string): string | undefined {
  if (carriesCredentials(uri)) return `a URI ${NO_CREDENTIALS}`;
  const authority = /^[^:]+:\/\/([^/?#]*)/.exec(uri)?.[1] ?? '';
  if (authority.startsWith('[') && !authority.includes(']')) return 'a URI with its IPv6 address in brackets, as in neo4j://[::1]:7687';
  const port = /^(?:\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(authority)?.[1];
  if (port && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) return 'a neo4j:// or bolt:// URI with a port from 1 to 65535';
  try {
    if (new URL(uri).hostname) return undefined;
  } catch {
    // reported below
  }
  return 'a neo4j:// or bolt:// URI with a valid host, as in neo4j://db.example.com:7687';
}

const url = z
  .url({ protocol: /^https?$/, error: 'an http(s) URL' })
  .refine((u) => !carriesCredentials(u), `an http(s) URL ${NO_CREDENTIALS}`)
  .transform((u) => u.replace(/\/+$/, ''));
const globList = z.array(z.string().min(1));

export const neo4jSchema = z.object({
  uri: z
    .string()
    .regex(/^(neo4j|bolt)(\+s|\+ssc)?:\/\/.+/, 'a neo4j:// or bolt:// URI')
    .superRefine((uri, ctx) => {
      const problem = neo4jUriProblem(uri);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .default('neo4j://127.0.0.1:7687'),
  username: z.string().min(1).default('neo4j'),
  password: z.string().min(1, 'a password'),
  database: z.string().min(1).default('neo4j'),
});
export type Neo4jConfig = z.infer<typeof neo4jSchema>;

/**
 * How Azure requests sign in: `key` sends the resource's API key (`api-key`); `entra` sends a Microsoft Entra ID access
 * token (`Authorization: Bearer`) that the host's sign-in gives (auth.ts), for resources whose keys are disabled.
 */
const azureAuth = z.enum(['key', 'entra']);

export const embeddingSchema = z
  .object({
    endpoint: url,
    auth: azureAuth.default('key'),
    /** Required with `key` auth; unused with `entra`. */
    apiKey: z.string().min(1, 'an API key').optional(),
    deployment: z.string().min(1).default('text-embedding-3-small'),
    apiVersion: z.string().min(1).default('2024-10-21'),
    /** Model name, part of the cache key; defaults to the deployment name. */
    model: z.string().min(1).optional(),
    /** Vector size; text-embedding-3 models shrink to it. */
    dimensions: z.number().int().min(1).max(4096).default(1536),
    /** Sent as `dimensions` only for models that accept it (text-embedding-3). */
    sendDimensions: z.boolean().default(true),
    maxBatchInputs: z.number().int().min(1).max(2048).default(2048),
    maxBatchTokens: z.number().int().min(100).default(100_000),
    concurrency: z.number().int().min(1).max(32).default(4),
    maxRetries: z.number().int().min(0).max(20).default(6),
    timeoutMs: z.number().int().min(1000).default(60_000),
    pricePerMillionTokens: z.number().min(0).default(0.02),
  })
  .superRefine((embedding, ctx) => {
    if (embedding.auth === 'key' && embedding.apiKey === undefined)
      ctx.addIssue({ code: 'custom', path: ['apiKey'], message: 'an API key (or {auth} set to "entra", to sign in with Microsoft Entra ID instead)' });
  });
export type EmbeddingConfig = z.infer<typeof embeddingSchema>;

export const chatSchema = z.object({
  /** Base URL that `/chat/completions` is appended to, e.g. `http://127.0.0.1:8080/v1` or an Azure AI Foundry endpoint. */
  endpoint: url,
  apiKey: z.string().optional(),
  /** `bearer` and `api-key` send apiKey (if any) in that header; `entra` sends a Microsoft Entra ID token as Bearer (Azure AI Foundry). */
  authStyle: z.enum(['bearer', 'api-key', 'entra']).default('bearer'),
  apiVersion: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  // At least twice the default answer reserve (512), so the smallest context still leaves room for sources.
  contextTokens: z.number().int().min(1024).max(1_000_000).default(4096),
  maxAnswerTokens: z.number().int().min(16).default(512),
  /**
   * The first token should come within this many seconds: the sources sent are what the endpoint reads in that time at
   * its learned prompt speed (generate/speed.ts). A fast endpoint still gets the whole context.
   */
  firstTokenSeconds: z.number().min(1).max(600).default(8),
  temperature: z.number().min(0).max(2).default(0.2),
  timeoutMs: z.number().int().min(1000).default(120_000),
}).superRefine((chat, ctx) => {
  // Sources, the question and the history get what the answer's reserve leaves of the context (answer.ts).
  if (chat.maxAnswerTokens >= chat.contextTokens) {
    ctx.addIssue({
      code: 'custom',
      path: ['contextTokens'],
      message: `more than {maxAnswerTokens} (${chat.maxAnswerTokens} tokens kept for the answer), to leave room for the sources and the question`,
    });
  }
});
export type ChatConfig = z.infer<typeof chatSchema>;

export const indexingSchema = z.object({
  include: globList.default([]),
  exclude: globList.default([]),
  maxFileBytes: z.number().int().min(1).default(1024 * 1024),
  /** Chunk budget in tokens: several chunks must fit BitNet's 4096-token context. */
  chunkTokens: z.number().int().min(64).max(8000).default(384),
  overlapLines: z.number().int().min(0).max(50).default(3),
  /** Files replaced per Neo4j transaction batch (each file stays atomic). */
  writeBatchChunks: z.number().int().min(1).default(1000),
});
export type IndexingConfig = z.infer<typeof indexingSchema>;

export const retrievalSchema = z.object({
  /** Hits kept after rank fusion, and the most sources one answer packs. */
  topK: z.number().int().min(1).max(100).default(8),
  /** Candidates each leg (vector, full-text) fetches before fusion. */
  candidateK: z.number().int().min(1).max(500).default(30),
});
export type RetrievalConfig = z.infer<typeof retrievalSchema>;

/**
 * Microsoft Entra ID sign-in, used when the embeddings' auth or the chat's auth style is `entra`: the tenant to sign in
 * to (a directory ID or a domain such as contoso.onmicrosoft.com); by default the account's home tenant.
 */
export const entraSchema = z.object({
  tenantId: z
    .string()
    .regex(/^([0-9A-Za-z][0-9A-Za-z.-]*)?$/, 'a tenant ID (a GUID) or a tenant domain such as contoso.onmicrosoft.com')
    .optional(),
});
export type EntraConfig = z.infer<typeof entraSchema>;

export interface EngineConfig {
  neo4j: Neo4jConfig;
  /** Absent: keyword-only mode (full-text + graph). */
  embedding?: EmbeddingConfig;
  /** Absent: retrieval-only answers. */
  chat?: ChatConfig;
  indexing: IndexingConfig;
  retrieval: RetrievalConfig;
  /** The Entra ID sign-in's tenant; absent: the default tenant. */
  entra?: EntraConfig;
}

/** Whether the configuration signs in with Microsoft Entra ID anywhere, so the host must give a token provider. */
export function usesEntra(config: Pick<EngineConfig, 'embedding' | 'chat'>): boolean {
  return config.embedding?.auth === 'entra' || config.chat?.authStyle === 'entra';
}

/** How each configured service signs in, in words a status line can show. */
export function authOf(config: Pick<EngineConfig, 'embedding' | 'chat' | 'entra'>): { embeddings?: string; chat?: string } {
  const entra = `Microsoft Entra ID${config.entra?.tenantId ? ` (tenant ${config.entra.tenantId})` : ''}`;
  const chat = config.chat && (config.chat.authStyle === 'entra' ? entra : config.chat.apiKey === undefined ? 'no key' : `API key (${config.chat.authStyle === 'bearer' ? 'Authorization: Bearer' : 'api-key header'})`);
  return { embeddings: config.embedding && (config.embedding.auth === 'entra' ? entra : 'API key'), chat };
}

/** A configuration error that names the setting (environment variable or VS Code setting) and what it expects. */
export class ConfigError extends EngineError<'invalid', { setting: string; expected: string }> {
  static of(setting: string, expected: string): ConfigError {
    return new ConfigError('invalid', `${setting}: expected ${expected}`, { setting, expected });
  }
}

// ---- Environment variables (CLI) ----

type Env = Record<string, string | undefined>;
const optional = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v === '' ? undefined : v;
};

/** Maps each schema field to its environment variable, so a bad value names the variable. */
const ENV = {
  neo4j: { uri: 'NEO4J_URI', username: 'NEO4J_USERNAME', password: 'NEO4J_PASSWORD', database: 'NEO4J_DATABASE' },
  embedding: {
    endpoint: 'AZURE_OPENAI_ENDPOINT',
    auth: 'AZURE_OPENAI_AUTH',
    apiKey: 'AZURE_OPENAI_API_KEY',
    deployment: 'AZURE_OPENAI_EMBEDDING_DEPLOYMENT',
    apiVersion: 'AZURE_OPENAI_API_VERSION',
    model: 'AZURE_OPENAI_EMBEDDING_MODEL',
    dimensions: 'AZURE_OPENAI_EMBEDDING_DIMENSIONS',
    sendDimensions: 'AZURE_OPENAI_SEND_DIMENSIONS',
    maxBatchInputs: 'EMBED_MAX_BATCH_INPUTS',
    maxBatchTokens: 'EMBED_MAX_BATCH_TOKENS',
    concurrency: 'EMBED_CONCURRENCY',
    maxRetries: 'EMBED_MAX_RETRIES',
    timeoutMs: 'EMBED_TIMEOUT_MS',
    pricePerMillionTokens: 'EMBED_PRICE_PER_MILLION_TOKENS',
  },
  chat: {
    endpoint: 'BITNET_ENDPOINT',
    apiKey: 'BITNET_API_KEY',
    authStyle: 'BITNET_AUTH_STYLE',
    apiVersion: 'BITNET_API_VERSION',
    model: 'BITNET_MODEL',
    contextTokens: 'BITNET_CONTEXT_TOKENS',
    maxAnswerTokens: 'BITNET_MAX_ANSWER_TOKENS',
    firstTokenSeconds: 'BITNET_FIRST_TOKEN_SECONDS',
    temperature: 'BITNET_TEMPERATURE',
    timeoutMs: 'BITNET_TIMEOUT_MS',
  },
  indexing: {
    include: 'RAG_INCLUDE',
    exclude: 'RAG_EXCLUDE',
    maxFileBytes: 'RAG_MAX_FILE_BYTES',
    chunkTokens: 'RAG_CHUNK_TOKENS',
    overlapLines: 'RAG_OVERLAP_LINES',
    writeBatchChunks: 'RAG_WRITE_BATCH_CHUNKS',
  },
  retrieval: { topK: 'RAG_TOP_K', candidateK: 'RAG_CANDIDATE_K' },
  // The variable @azure/identity's credentials read for the tenant too.
  entra: { tenantId: 'AZURE_TENANT_ID' },
} as const;

/** Reads the raw strings of one group, converting by the schema field's type (numbers, booleans, comma lists). */
function readGroup<S extends z.ZodObject>(schema: S, names: Record<string, string>, env: Env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, variable] of Object.entries(names)) {
    const raw = optional(env, variable);
    if (raw === undefined) continue;
    const inner = unwrap(schema.shape[field] as z.ZodType);
    if (inner instanceof z.ZodNumber) out[field] = raw.match(/^-?\d+(\.\d+)?$/) ? Number(raw) : raw;
    else if (inner instanceof z.ZodBoolean) out[field] = raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
    else if (inner instanceof z.ZodArray) out[field] = listOf(raw);
    else out[field] = raw;
  }
  return out;
}

/**
 * A list variable: comma-separated, or a JSON array of strings for items with commas in them (a glob such as
 * `*.{ts,js}`), as configToEnv writes them.
 */
function listOf(raw: string): unknown {
  if (raw.startsWith('[')) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      // Not JSON after all: a glob may start with a character class.
    }
  }
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

function unwrap(t: z.ZodType): z.ZodType {
  let cur: z.ZodType = t;
  while (cur instanceof z.ZodDefault || cur instanceof z.ZodOptional || cur instanceof z.ZodPipe) {
    cur = cur instanceof z.ZodPipe ? (cur.in as z.ZodType) : (cur.unwrap() as z.ZodType);
  }
  return cur;
}

/**
 * Parses one group, turning the first zod issue into a ConfigError that names the setting. A message may name another
 * field of the group as `{field}`, which becomes that field's setting.
 */
export function parseGroup<S extends z.ZodObject>(schema: S, raw: Record<string, unknown>, settingName: (field: string) => string): z.infer<S> {
  const result = schema.safeParse(raw, { error: (issue) => expectation(schema, issue) });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const expected = issue.message.replace(/\{(\w+)\}/g, (_, field: string) => settingName(field));
  throw ConfigError.of(settingName(String(issue.path[0] ?? '')), expected);
}

/**
 * What a field expects, in words ("a whole number from 1 to 32"), for the issues whose schema gives no message of its
 * own; zod's defaults ("Too small: expected number to be >=1") read badly after "expected".
 */
function expectation(schema: z.ZodObject, issue: z.core.$ZodRawIssue): string | undefined {
  const field = issue.path?.[0] === undefined ? undefined : (schema.shape[String(issue.path[0])] as z.ZodType | undefined);
  const inner = field && unwrap(field);
  const got = (phrase: string) => `${phrase}, got ${JSON.stringify(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'a value (it is required)';
      if (issue.expected === 'int' && inner instanceof z.ZodNumber) return got(numberRange(inner));
      return got(TYPE_WORDS[issue.expected] ?? `a ${issue.expected}`);
    case 'too_small':
    case 'too_big':
      if (inner instanceof z.ZodNumber) return numberRange(inner);
      if (issue.origin === 'string' && issue.code === 'too_small' && Number(issue.minimum) === 1) return 'a value that is not empty';
      return `${issue.code === 'too_small' ? 'at least' : 'at most'} ${issue.code === 'too_small' ? issue.minimum : issue.maximum} ${issue.origin === 'array' ? 'items' : 'characters'}`;
    case 'invalid_value':
      return choices(issue.values.map((v) => JSON.stringify(v)));
    case 'invalid_format':
      return issue.format === 'url' ? 'a URL' : 'a value in the expected format';
    default:
      return undefined;
  }
}

const TYPE_WORDS: Record<string, string> = { number: 'a number', boolean: 'true or false', string: 'text', array: 'a list' };

/** "a whole number from 1 to 32", "a number of at least 0": the bounds zod keeps on the schema (unbounded ones left out). */
function numberRange(n: z.ZodNumber): string {
  const bound = (v: number | null) => (v !== null && Number.isFinite(v) && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined);
  const [min, max] = [bound(n.minValue), bound(n.maxValue)];
  const kind = n.isInt ? 'a whole number' : 'a number';
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min !== undefined) return `${kind} of at least ${min}`;
  return max !== undefined ? `${kind} of at most ${max}` : kind;
}

/** `"a" or "b"`, `"a", "b" or "c"`. */
const choices = (values: string[]): string => (values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`);

/** The engine configuration from environment variables. Azure and BitNet are optional groups: present when their endpoint is set. */
export function configFromEnv(env: Env = process.env): EngineConfig {
  const group = <S extends z.ZodObject>(schema: S, names: Record<string, string>) =>
    parseGroup(schema, readGroup(schema, names, env), (f) => names[f] ?? f);
  const neo4j = group(neo4jSchema, ENV.neo4j);
  const embedding = optional(env, ENV.embedding.endpoint) ? group(embeddingSchema, ENV.embedding) : undefined;
  const chat = optional(env, ENV.chat.endpoint) ? group(chatSchema, ENV.chat) : undefined;
  return {
    neo4j,
    embedding,
    chat,
    indexing: group(indexingSchema, ENV.indexing),
    retrieval: group(retrievalSchema, ENV.retrieval),
    entra: group(entraSchema, ENV.entra),
  };
}

/**
 * The environment that configFromEnv reads back as `config`: every variable of the CLI's, set from the configuration
 * or undefined where it has no value (the group is absent, or an optional field is unset), so a host starting a
 * child with it can also remove what the child would otherwise inherit. Keys are among the values: a host passes them
 * to its child process's environment only, never to a file or a log.
 */
export function configToEnv(config: EngineConfig): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  const put = (names: Record<string, string>, values: object | undefined) => {
    for (const [field, variable] of Object.entries(names)) {
      const value: unknown = values?.[field as keyof typeof values];
      env[variable] = value === undefined ? undefined : Array.isArray(value) ? listVariable(value as string[]) : String(value);
    }
  };
  put(ENV.neo4j, config.neo4j);
  put(ENV.embedding, config.embedding);
  put(ENV.chat, config.chat);
  put(ENV.indexing, config.indexing);
  put(ENV.retrieval, config.retrieval);
  put(ENV.entra, config.entra);
  return env;
}

/** The variables of configToEnv that carry keys. */
export const SECRET_VARIABLES: readonly string[] = [ENV.neo4j.password, ENV.embedding.apiKey, ENV.chat.apiKey];

/** Comma-separated when that reads back the same, else a JSON array. */
const listVariable = (items: string[]): string =>
  items.some((item) => item.includes(',') || item !== item.trim() || item === '') || items[0]?.startsWith('[') ? JSON.stringify(items) : items.join(',');
