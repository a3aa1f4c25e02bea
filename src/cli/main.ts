#!/usr/bin/env -S node --max-old-space-size=1024
// `workspace-rag index|ask|status|clear|mcp` over the same engine the extension uses. Configuration comes from environment
// variables (see README); progress goes to stderr, results to stdout (`--json` for machines).
//
// The heap ceiling in the first line is not a squeeze (an indexing run keeps ~50 MB live) but a hint: V8 sizes heap
// growth for the machine, and on a large one it let ~200 MB of garbage pile up between collections (bench/results.md).
import { existsSync, realpathSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { authOf, configFromEnv, ConfigError, redactUrlSecrets, usesEntra, type EngineConfig } from '../core/config';
import { EmbeddingError } from '../core/embed';
import { DimensionMismatchError, openEngine, StoreUnavailableError, type Engine } from '../core/engine';
import { errorMessage } from '../core/errors';
import type { IndexProgress, IndexReport } from '../core/indexer';
import { workspaceFor, WorkspaceRootError, type WorkspaceSpec } from '../core/workspace';
import { nodeFileSystem } from '../core/node-fs';
import { KEYWORD_ONLY_NOTE } from '../core/answer';
import { QuestionError } from '../core/retrieve';
import { ChatError } from '../core/generate';
import { answerJson, formatReport, formatSources, formatStatus, printJson as print, progressLine, ProgressBar, reportJson } from './format';
import { terminalLine, terminalText } from '../core/controlChars';
import { serveMcp } from '../mcp/serve';
import { credentialTokenProvider } from './entra';
import { version } from '../../package.json';

/** Exit codes: each says what went wrong, so scripts can react. */
export const EXIT = { ok: 0, failed: 1, usage: 2, neo4j: 3, interrupted: 130 } as const;

const USAGE = `Usage:
  workspace-rag index [folders…] [--force] [--json]   index folders (default: the current folder)
  workspace-rag ask "question" [--folder DIR]… [--json]
  workspace-rag status [--folder DIR]… [--json]
  workspace-rag clear [--folder DIR]… | --all [--json]
  workspace-rag mcp [--folder DIR]…                     serve the index to agents: an MCP server over stdio

Configuration is read from environment variables: NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE,
AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY (or AZURE_OPENAI_AUTH=entra to sign in with Microsoft Entra ID,
AZURE_TENANT_ID), AZURE_OPENAI_EMBEDDING_DEPLOYMENT, AZURE_OPENAI_API_VERSION, AZURE_OPENAI_EMBEDDING_DIMENSIONS,
BITNET_ENDPOINT, BITNET_API_KEY, BITNET_AUTH_STYLE, BITNET_MODEL, … (see README).
Exit codes: 0 ok, 1 failed or incomplete, 2 bad usage or configuration, 3 Neo4j unreachable, 130 interrupted.`;

class UsageError extends Error {}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
        folder: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return fail(new UsageError(errorMessage(error)), false);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const json = values.json;
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let engine: Engine | undefined;
  try {
    const folders = command === 'index' ? rest : (values.folder ?? []);
    if (command === 'mcp') {
      if (rest.length || json || values.force || values.all) throw new UsageError('mcp takes only --folder DIR (one or more).');
      return await mcp(workspaceFor((folders.length ? folders : ['.']).map(rootOf)), env, abort);
    }
    const config = configFromEnv(env);
    if (command === 'ask' && rest.length !== 1) throw new UsageError('ask takes exactly one question, in quotes.');
    if (command === 'ask' && !rest[0].trim()) throw new UsageError('ask needs a question: it was empty.');
    if (!['index', 'ask', 'status', 'clear'].includes(command)) throw new UsageError(`Unknown command "${command}".`);
    const ws = workspaceFor((folders.length ? folders : ['.']).map(rootOf));
    engine = await openFromEnv(config, env);
    switch (command) {
      case 'index':
        return await index(engine, ws, { json, force: values.force, signal: abort.signal });
      case 'ask':
        return await ask(engine, config, ws, rest[0], json, abort.signal);
      case 'status':
        return await status(engine, config, ws, json);
      default:
        return await clear(engine, ws, values.all, json);
    }
  } catch (error) {
    return fail(error, json, abort.signal.aborted);
  } finally {
    process.off('SIGINT', onSigint);
    await engine?.close().catch(() => undefined);
  }
}

/**
 * The engine under the configuration the environment gives: the one way every command, the MCP server's too, opens
 * it. With AZURE_OPENAI_AUTH=entra (or BITNET_AUTH_STYLE=entra) it signs in with DefaultAzureCredential (entra.ts).
 */
const openFromEnv = (config: EngineConfig, env: NodeJS.ProcessEnv): Promise<Engine> =>
  openEngine(config, nodeFileSystem, {
    cacheDir: cacheDirOf(env),
    grammarDir: bundledGrammars(),
    tokenProvider: usesEntra(config) ? credentialTokenProvider(config.entra?.tenantId) : undefined,
  });

/**
 * The tree-sitter runtime and grammars beside this bundle, as the .vsix carries them (dist/workspace-rag.js, which
 * the extension starts as its MCP server, with dist/grammars; the .vsix has no node_modules). Elsewhere (src/ under
 * tsx, or a repository without a build) the installed package's.
 */
function bundledGrammars(): string | undefined {
  const dir = path.join(__dirname, 'grammars');
  return existsSync(path.join(dir, 'tree-sitter.wasm')) ? dir : undefined;
}

/**
 * The MCP server on the workspace, until the client closes stdin or a signal stops it. The configuration is read
 * for each opening of the engine, so a bad variable is a tool error naming it rather than a server that never starts.
 */
async function mcp(ws: WorkspaceSpec, env: NodeJS.ProcessEnv, abort: AbortController): Promise<number> {
  const log = (line: string) => void process.stderr.write(`workspace-rag mcp: ${terminalLine(line)}\n`);
  // A client that stops its server sends SIGTERM when closing stdin was not enough: shut down as on stdin's end.
  const onSigterm = () => abort.abort();
  process.once('SIGTERM', onSigterm);
  log(`serving the index of ${describeRoots(ws)} over stdio (version ${version})`);
  try {
    await serveMcp({ workspace: ws, openEngine: () => openFromEnv(configFromEnv(env), env), describeError: explain, realPath: realPathOf, version, log }, abort.signal);
  } finally {
    process.off('SIGTERM', onSigterm);
  }
  return EXIT.ok;
}

/** The user's cache folder (XDG_CACHE_HOME, else ~/.cache), for what outlives a run: vectors paid for but not written. */
function cacheDirOf(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CACHE_HOME?.trim() || path.join(os.homedir(), '.cache'), 'workspace-rag');
}

const describeRoots = (ws: WorkspaceSpec) => terminalLine(ws.roots.map((r) => r.path).join(', '));

/** A folder by its real path, so a root given through a symlink is the same workspace as the folder itself. */
function rootOf(folder: string) {
  const abs = path.resolve(folder);
  // Missing or unreadable: the engine's root check says so, and touches nothing.
  const real = realPathOf(abs) ?? abs;
  return { name: path.basename(real) || real, path: real };
}

function realPathOf(abs: string): string | undefined {
  try {
    return realpathSync.native(abs);
  } catch {
    return undefined;
  }
}

async function index(engine: Engine, ws: WorkspaceSpec, o: { json: boolean; force: boolean; signal: AbortSignal }): Promise<number> {
  const bar = new ProgressBar(process.stderr);
  if (!engine.capabilities.embeddings) process.stderr.write(`${KEYWORD_ONLY_NOTE}\n`);
  const report = await engine.index(ws, { force: o.force, signal: o.signal, onProgress: (p) => bar.update(p) });
  bar.done();
  if (o.json) print(reportJson(report));
  else process.stdout.write(formatReport(report));
  const remedy = report.error && remedyOf(report.error.cause).trim();
  if (remedy && !o.json) process.stderr.write(`workspace-rag: ${terminalLine(remedy)}\n`);
  if (report.cancelled) return EXIT.interrupted;
  return report.error || report.failures.length ? EXIT.failed : EXIT.ok;
}

async function ask(engine: Engine, config: EngineConfig, ws: WorkspaceSpec, question: string, json: boolean, signal: AbortSignal): Promise<number> {
  const status = await engine.status(ws);
  if (status.files === 0) throw new UsageError(`Nothing is indexed for ${describeRoots(ws)}: run \`workspace-rag index\` there first.`);
  if (!json && !config.embedding) process.stderr.write(`${KEYWORD_ONLY_NOTE}\n`);
  const answer = await engine.ask(ws, question, {
    signal,
    onDelta: json ? undefined : (t) => process.stdout.write(terminalText(t)),
    onProgress: json ? undefined : (p) => process.stderr.write(`${terminalLine(progressLine(p))}\n`),
  });
  if (json) print(answerJson(answer));
  else process.stdout.write(`\n\n${formatSources(answer)}`);
  return answer.complete ? EXIT.ok : EXIT.failed;
}

async function status(engine: Engine, config: EngineConfig, ws: WorkspaceSpec, json: boolean): Promise<number> {
  const s = await engine.status(ws);
  const auth = authOf(config);
  if (json) print({ workspaceId: ws.id, roots: ws.roots.map((r) => r.path), ...s, capabilities: engine.capabilities, auth });
  else process.stdout.write(formatStatus(ws, s, engine.capabilities, auth));
  return EXIT.ok;
}

async function clear(engine: Engine, ws: WorkspaceSpec, all: boolean, json: boolean): Promise<number> {
  await engine.clear(all ? 'everything' : { workspace: ws });
  const what = all ? 'the whole Workspace RAG index (every workspace, and the vector index)' : `the index of ${describeRoots(ws)}`;
  if (json) print({ cleared: all ? 'all' : ws.id });
  else process.stdout.write(`Cleared ${what}.\n`);
  return EXIT.ok;
}

function fail(error: unknown, json: boolean, interrupted = false): number {
  const code = interrupted ? EXIT.interrupted : exitCodeOf(error);
  const message = interrupted ? 'Interrupted.' : explain(error);
  if (json) print({ error: message, exitCode: code });
  else process.stderr.write(`workspace-rag: ${terminalLine(message)}\n${code === EXIT.usage && error instanceof UsageError ? `\n${USAGE}\n` : ''}`);
  return code;
}

/** An error's message and the CLI's remedy; validation refuses URLs that carry credentials, and this redaction is the backstop should one slip through. */
const explain = (error: unknown): string => redactUrlSecrets(`${errorMessage(error)}${remedyOf(error)}`);

function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof QuestionError || error instanceof WorkspaceRootError || error instanceof DimensionMismatchError) {
    return EXIT.usage;
  }
  if (error instanceof StoreUnavailableError) return error.kind === 'database' ? EXIT.usage : EXIT.neo4j;
  return EXIT.failed;
}

/** The engine's messages are host-neutral; the CLI adds its own way out. */
function remedyOf(error: unknown): string {
  if (error instanceof DimensionMismatchError) {
    const { indexDimensions } = error.details;
    return ` Run \`workspace-rag clear --all\` to drop the index and index again, or set AZURE_OPENAI_EMBEDDING_DIMENSIONS=${indexDimensions}.`;
  }
  if (error instanceof StoreUnavailableError && error.kind === 'database') return ' Set NEO4J_DATABASE to an existing database.';
  if (error instanceof ChatError && error.kind === 'context-length') return ' Even with fewer sources it did not fit: set BITNET_CONTEXT_TOKENS to the context the server was started with (llama-server -c).';
  if (error instanceof StoreUnavailableError && error.kind === 'unreachable' && error.details.badAddress) return ' Check NEO4J_URI.';
  if (error instanceof StoreUnavailableError && error.kind === 'auth') return ' Check NEO4J_USERNAME and NEO4J_PASSWORD.';
  if ((error instanceof EmbeddingError || error instanceof ChatError) && error.kind === 'auth') return authRemedy(error);
  return '';
}

/** A refused or failed sign-in: the way to sign in (or the key to check) for the service that refused it. */
function authRemedy(error: EmbeddingError | ChatError): string {
  const embeddings = error instanceof EmbeddingError;
  if (error.details.auth === 'entra') {
    return (
      ' Sign in with `az login` (with --tenant when AZURE_TENANT_ID names one), or give DefaultAzureCredential another credential: ' +
      'a managed identity, or AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or a federated token (AZURE_TOKEN_CREDENTIALS picks one).' +
      (embeddings ? ` Or set AZURE_OPENAI_AUTH=key with AZURE_OPENAI_API_KEY.` : '')
    );
  }
  if (/key based authentication is disabled/i.test(error.message))
    return ` The resource accepts no keys: set ${embeddings ? 'AZURE_OPENAI_AUTH' : 'BITNET_AUTH_STYLE'}=entra to sign in with Microsoft Entra ID.`;
  return embeddings ? ' Check AZURE_OPENAI_API_KEY (or set AZURE_OPENAI_AUTH=entra).' : ' Check BITNET_API_KEY and BITNET_AUTH_STYLE.';
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    // main() reports every failure itself; this is a bug in that reporting, and must still not exit 0.
    (error: unknown) => {
      process.stderr.write(`workspace-rag: ${terminalLine(errorMessage(error))}\n`);
      process.exit(EXIT.failed);
    },
  );
}
