// The index for VS Code's agents (Copilot agent mode, or any chat that calls tools), both optional: nothing else of
// the extension needs them or Copilot.
// - A Language Model tool, `workspaceRag_searchWorkspace` (package.json contributes.languageModelTools), that searches
//   in-process through the engine host, as the chat does, with the MCP tool's input schema, budget and text.
// - An MCP server definition provider (contributes.mcpServerDefinitionProviders) for the editor's MCP support: the
//   CLI bundle the .vsix carries, `dist/workspace-rag.js mcp --folder …`, run by the extension host's own Node with
//   the extension's settings as the CLI's environment variables.
// Both APIs are feature-detected at run time: engines.vscode stays ^1.100.0 and @types/vscode at 1.100, which has
// lm.registerTool but not the MCP API (1.101), so that part of the API is typed here by hand (McpApi).
import * as vscode from 'vscode';
import { configToEnv, SECRET_VARIABLES, type EngineConfig } from '../core/config';
import { errorMessage } from '../core/errors';
import type { WorkspaceSpec } from '../core/workspace';
import { searchParagraphs } from '../mcp/format';
import { SEARCH_BUDGET_TOKENS, searchInput } from '../mcp/schemas';
import type { ChatDeps } from './chatView';
import { describeError, isCancellation } from './errors';
import type { Folder } from './folders';
import type { Log, Redact } from './log';

/** package.json contributes.languageModelTools[0].name. */
export const SEARCH_TOOL = 'workspaceRag_searchWorkspace';
/** package.json contributes.mcpServerDefinitionProviders[0].id. */
export const MCP_PROVIDER = 'workspaceRag.mcpServer';
const MCP_LABEL = 'Workspace RAG';

// ---- The Language Model tool ----------------------------------------------------------------------------------------

interface SearchToolDeps {
  useEngine: ChatDeps['useEngine'];
  workspace: () => WorkspaceSpec | undefined;
  redact: Redact;
  log: Log;
}

/** The input VS Code passes, as package.json declares it; parsed again with the MCP tool's zod schema. */
type SearchToolInput = { query: string; k?: number };

export class SearchTool implements vscode.LanguageModelTool<SearchToolInput> {
  constructor(private readonly deps: SearchToolDeps) {}

  prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<SearchToolInput>): vscode.PreparedToolInvocation {
    const query = typeof options.input?.query === 'string' ? options.input.query.trim() : '';
    const shown = query.length > 80 ? `${query.slice(0, 79)}…` : query;
    // Read-only: no confirmation, only what it does.
    return { invocationMessage: `Searching the Workspace RAG index for "${this.deps.redact(shown)}"` };
  }

  /** The sources as text parts (what was found, then one part per source); a failure throws its message for the model. */
  async invoke(options: vscode.LanguageModelToolInvocationOptions<SearchToolInput>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    const input = searchInput.safeParse(options.input);
    if (!input.success) throw new Error(`Workspace RAG search: ${input.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
    const { query, k } = input.data;
    const ws = this.deps.workspace();
    if (!ws) throw new Error('Workspace RAG search: no folder is open, so there is no index to search.');
    const abort = new AbortController();
    const cancelled = token.onCancellationRequested(() => abort.abort());
    try {
      const paragraphs = await this.deps.useEngine(async ({ engine }) => {
        if ((await engine.status(ws)).files === 0) return undefined;
        const retrieval = await engine.search(ws, query, { budgetTokens: SEARCH_BUDGET_TOKENS, signal: abort.signal });
        return searchParagraphs(query, retrieval, k, 'run "Workspace RAG: Index Workspace" if files changed');
      });
      if (!paragraphs) throw new NotIndexed();
      this.deps.log.info(`Language Model tool: searched for ${query.length} characters, ${paragraphs.length} parts.`);
      return new vscode.LanguageModelToolResult(paragraphs.map((text) => new vscode.LanguageModelTextPart(this.deps.redact(text))));
    } catch (error) {
      if (error instanceof NotIndexed) throw error;
      if (token.isCancellationRequested || isCancellation(error)) throw new vscode.CancellationError();
      const described = describeError(error, this.deps.redact);
      this.deps.log.warn(`Language Model tool: the search failed: ${described.message}`);
      throw new Error(`Workspace RAG search failed: ${described.message}`);
    } finally {
      cancelled.dispose();
    }
  }
}

class NotIndexed extends Error {
  constructor() {
    super('This workspace is not indexed yet: the user can run "Workspace RAG: Index Workspace" (the first run indexes every folder).');
  }
}

// ---- The MCP server definition provider -----------------------------------------------------------------------------

/** The part of VS Code 1.101's API this module uses (vscode.d.ts: lm.registerMcpServerDefinitionProvider and McpStdioServerDefinition). */
interface McpStdioServerDefinition {
  readonly label: string;
  cwd?: vscode.Uri;
  command: string;
  args: string[];
  env: Record<string, string | number | null>;
  version?: string;
}
interface McpServerDefinitionProvider {
  readonly onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): vscode.ProviderResult<McpStdioServerDefinition[]>;
  resolveMcpServerDefinition?(server: McpStdioServerDefinition, token: vscode.CancellationToken): vscode.ProviderResult<McpStdioServerDefinition>;
}
interface McpApi {
  registerMcpServerDefinitionProvider(id: string, provider: McpServerDefinitionProvider): vscode.Disposable;
  McpStdioServerDefinition: new (label: string, command: string, args?: string[], env?: Record<string, string | number | null>, version?: string) => McpStdioServerDefinition;
}

/**
 * The MCP API of the running VS Code, or undefined before 1.101, where it became stable. 1.100 already has the
 * function, as a preview that wants another contribution point (modelContextServerCollections) and throws on ours.
 */
function mcpApi(): McpApi | undefined {
  const [major, minor] = vscode.version.split('.').map(Number);
  if (!(major > 1 || (major === 1 && minor >= 101))) return undefined;
  const lm = vscode.lm as Partial<Pick<McpApi, 'registerMcpServerDefinitionProvider'>> | undefined;
  const definition = (vscode as unknown as Partial<Pick<McpApi, 'McpStdioServerDefinition'>>).McpStdioServerDefinition;
  if (typeof lm?.registerMcpServerDefinitionProvider !== 'function' || typeof definition !== 'function') return undefined;
  return { registerMcpServerDefinitionProvider: lm.registerMcpServerDefinitionProvider.bind(lm), McpStdioServerDefinition: definition };
}

/** How to start the server: what a definition carries, independent of VS Code's class for it. */
export interface McpLaunch {
  label: string;
  command: string;
  args: string[];
  cwd: string;
  /** null removes a variable the extension host would otherwise pass on. */
  env: Record<string, string | null>;
  version: string;
}

interface McpLauncherDeps {
  /** dist/workspace-rag.js of the installed extension. */
  serverScript: string;
  version: string;
  folders: () => Folder[];
  engineConfig: () => Promise<EngineConfig>;
}

/**
 * The launch of `workspace-rag mcp` on the open folders. `withKeys: false` is what the editor is given to list (it
 * persists provided definitions, environment included, in its workspace storage), so it carries the settings but no
 * key; the keys are added when the server is about to start (resolve), and reach only the child's environment.
 */
export class McpLauncher {
  constructor(private readonly deps: McpLauncherDeps) {}

  async launch(withKeys: boolean): Promise<McpLaunch | undefined> {
    const folders = this.deps.folders();
    if (folders.length === 0) return undefined;
    const env: Record<string, string | null> = {
      // The extension host's executable is Electron in desktop VS Code: this makes it plain Node.
      ELECTRON_RUN_AS_NODE: '1',
    };
    let config: EngineConfig | undefined;
    try {
      config = await this.deps.engineConfig();
    } catch (error) {
      // A bad setting or a missing key: listed all the same (the editor shows the server), refused at start.
      if (withKeys) throw error;
    }
    if (config) {
      for (const [name, value] of Object.entries(configToEnv(config))) env[name] = value ?? null;
    }
    if (!withKeys) for (const name of SECRET_VARIABLES) env[name] = null;
    return {
      label: MCP_LABEL,
      command: process.execPath,
      // The CLI's heap hint (its shebang line, which a direct start skips).
      args: ['--max-old-space-size=1024', this.deps.serverScript, 'mcp', ...folders.flatMap((f) => ['--folder', f.fsPath])],
      cwd: folders[0].fsPath,
      env,
      version: this.deps.version,
    };
  }
}

export interface McpRegistration {
  /** What the provider gives the editor to list and what it resolves that to for a start, per server (for tests). */
  definitions(): Promise<Array<{ provided: McpLaunch; resolved: McpLaunch | undefined }>>;
}

/**
 * Registers the provider where the API exists. Its definitions change (and the editor is told) when settings, keys or
 * folders change, so a running server is restarted with the new configuration.
 */
export function registerMcpServer(launcher: McpLauncher, onDidChange: vscode.Event<void>, log: Log, redact: Redact, subscriptions: vscode.Disposable[]): McpRegistration | undefined {
  const api = mcpApi();
  if (!api) {
    log.info(`MCP server: not offered to VS Code ${vscode.version}, which has no stable MCP server definition API (1.101 and later have it).`);
    return undefined;
  }
  const changed = new vscode.EventEmitter<void>();
  const toDefinition = (l: McpLaunch): McpStdioServerDefinition => {
    const definition = new api.McpStdioServerDefinition(l.label, l.command, l.args, l.env, l.version);
    definition.cwd = vscode.Uri.file(l.cwd);
    return definition;
  };
  const provider = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: async (): Promise<McpStdioServerDefinition[]> => {
      const launch = await launcher.launch(false);
      return launch ? [toDefinition(launch)] : [];
    },
    resolveMcpServerDefinition: async (server: McpStdioServerDefinition): Promise<McpStdioServerDefinition | undefined> => {
      let launch: McpLaunch | undefined;
      try {
        launch = await launcher.launch(true);
      } catch (error) {
        // The editor shows this where the server would have started.
        const described = describeError(error, redact);
        log.warn(`MCP server: not started: ${described.message}`);
        throw new Error(`Workspace RAG: ${described.message}`);
      }
      if (!launch) return undefined;
      server.command = launch.command;
      server.args = launch.args;
      server.cwd = vscode.Uri.file(launch.cwd);
      server.env = launch.env;
      log.info(`MCP server: starting workspace-rag mcp on ${launch.cwd}${launch.args.length > 5 ? ' and more folders' : ''}.`);
      return server;
    },
  } satisfies McpServerDefinitionProvider;
  let registration: vscode.Disposable;
  try {
    registration = api.registerMcpServerDefinitionProvider(MCP_PROVIDER, provider);
  } catch (error) {
    // An editor whose API differs from 1.101's must not fail the activation: the rest of the extension needs none of it.
    changed.dispose();
    log.warn(`MCP server: VS Code ${vscode.version} refused the provider: ${errorMessage(error)}`);
    return undefined;
  }
  subscriptions.push(changed, registration, onDidChange(() => changed.fire()), vscode.workspace.onDidChangeWorkspaceFolders(() => changed.fire()));
  log.info('MCP server: offered to VS Code (workspace-rag mcp over stdio).');
  const fields = (d: McpStdioServerDefinition): McpLaunch => ({
    label: d.label,
    command: d.command,
    args: [...d.args],
    cwd: d.cwd?.fsPath ?? '',
    env: Object.fromEntries(Object.entries(d.env).map(([k, v]) => [k, v === null ? null : String(v)])),
    version: d.version ?? '',
  });
  return {
    async definitions() {
      const out = [];
      for (const definition of await provider.provideMcpServerDefinitions()) {
        const provided = fields(definition);
        const resolved = await provider.resolveMcpServerDefinition(definition);
        out.push({ provided, resolved: resolved && fields(resolved) });
      }
      return out;
    },
  };
}

/** Registers the Language Model tool where the API exists (VS Code 1.95 and later; forks may lack it). */
export function registerSearchTool(tool: SearchTool, log: Log, subscriptions: vscode.Disposable[]): boolean {
  if (typeof vscode.lm?.registerTool !== 'function') {
    log.info(`Language Model tool: not offered (VS Code ${vscode.version} has no vscode.lm.registerTool).`);
    return false;
  }
  try {
    subscriptions.push(vscode.lm.registerTool(SEARCH_TOOL, tool));
  } catch (error) {
    log.warn(`Language Model tool: VS Code ${vscode.version} refused it: ${errorMessage(error)}`);
    return false;
  }
  return true;
}
