// The composition root: activate() builds every service once, wires them through constructors and registers each
// disposable with the context. The extension adapts VS Code to the engine and adds no retrieval logic of its own.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import { usesEntra } from '../core/config';
import { openEngine } from '../core/engine';
import type { ToWebview } from '../protocol/messages';
import { Actions } from './actions';
import { McpLauncher, registerMcpServer, registerSearchTool, SearchTool, type McpLaunch, type McpRegistration } from './agents';
import { CHAT_PANEL_TYPE, CHAT_VIEW_ID, ChatSession, ChatViewProvider, type ChatDeps, type SourceLocation } from './chatView';
import { ConversationStore } from './conversations';
import { CodeInserter } from './insert';
import { EngineHost } from './engineHost';
import { MicrosoftSignIn } from './entra';
import { workspaceOf, type Folder } from './folders';
import { IndexingService } from './indexing';
import { Log } from './log';
import { pickClearScope, SELECTION_QUESTION, selectionContext } from './prompts';
import { StatusView } from './statusView';
import { clearCredentials, Secrets, setCredentials } from './secrets';
import { Settings } from './settings';
import { SourceFiles } from './sources';
import { IndexStatusBar, plural, type IndexState } from './statusBar';
import { Walkthrough } from './walkthrough';
import { WorkspaceFileSystem } from './workspaceFs';

export const COMMANDS = {
  indexWorkspace: 'workspaceRag.indexWorkspace',
  rebuildIndex: 'workspaceRag.rebuildIndex',
  clearIndex: 'workspaceRag.clearIndex',
  showIndexStatus: 'workspaceRag.showIndexStatus',
  openChat: 'workspaceRag.openChat',
  askAboutSelection: 'workspaceRag.askAboutSelection',
  setCredentials: 'workspaceRag.setCredentials',
  clearCredentials: 'workspaceRag.clearCredentials',
  showLog: 'workspaceRag.showLog',
  /** Internal: opens a cited range; the chat uses it, and so can tests. */
  openSource: 'workspaceRag.openSource',
} as const;

const sourceLocation = z
  .object({ path: z.string().min(1), startLine: z.number().int().min(1), endLine: z.number().int().min(1) })
  .refine((l) => l.endLine >= l.startLine, 'endLine before startLine');

/** Returned by activate() in test mode only: what the extension-host suite needs to look inside. */
export interface TestApi {
  logUri: vscode.Uri;
  /** What the status bar item shows now. */
  statusBar(): IndexState;
  /** Index runs started so far (by commands or file changes). */
  indexRuns(): number;
  /** Feeds messages to a chat session as a webview would and returns everything the host posted back. */
  chat(messages: unknown[]): Promise<ToWebview[]>;
  /** What was offered to agents: the Language Model tool, and the MCP provider (where VS Code has the APIs). */
  agents: { tool: boolean; mcp: McpRegistration | undefined; launch(): Promise<McpLaunch | undefined> };
}

export async function activate(context: vscode.ExtensionContext): Promise<TestApi | undefined> {
  const started = performance.now();
  const secrets = new Secrets(context.secrets);
  const channel = vscode.window.createOutputChannel('Workspace RAG', { log: true });
  const log = new Log(channel, secrets.redact);
  context.subscriptions.push(channel, secrets);
  // Redaction must know the keys before anything is logged.
  await secrets.load();

  // Entra ID: tokens from VS Code's Microsoft account; a sign-in or sign-out there counts as a change of credentials.
  const signIn = new MicrosoftSignIn();
  context.subscriptions.push(signIn);
  const settings = new Settings(secrets, signIn.onDidChange);
  const fs = new WorkspaceFileSystem(vscode.workspace.fs);
  // A .vsix carries no node_modules: the tree-sitter runtime and grammars are copied next to the bundle.
  const grammarDir = path.join(context.extensionPath, 'dist', 'grammars');
  const cacheDir = context.globalStorageUri.fsPath;
  const host = new EngineHost(settings, fs, log, (config, files) =>
    openEngine(config, files, { grammarDir, cacheDir, tokenProvider: usesEntra(config) ? signIn.tokenProvider(config.entra?.tenantId) : undefined }),
  );
  const folders = (): Folder[] =>
    (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => ({ name: f.name, fsPath: f.uri.fsPath }));
  const workspace = () => workspaceOf(folders());
  const statusBar = new IndexStatusBar(COMMANDS.showIndexStatus);
  const walkthrough = new Walkthrough(context, context.extension.id, secrets, statusBar);

  const actions = new Actions(COMMANDS, context.extension.id, log);
  const { run: runCommand, showError } = actions;

  const indexing = new IndexingService({
    host,
    log,
    redact: secrets.redact,
    statusBar,
    workspace,
    autoUpdate: () => settings.autoUpdate,
    showError: (error, prefix, retry) => void showError(error, prefix, retry),
  });

  const sources = new SourceFiles(folders, log);
  const conversations = new ConversationStore(context.workspaceState, log);
  const inserter = new CodeInserter();
  const chatDeps: ChatDeps = {
    useEngine: (work) => host.use(work),
    onEngineChange: host.onDidChange,
    workspace,
    currentText: (relPath) => sources.currentText(relPath),
    openSource: (location, column) => sources.open(location, column),
    runCommand,
    answered: () => walkthrough.asked(),
    insertCode: (code) => inserter.insert(code),
    conversations,
    preferences: context.globalState,
    log,
    redact: secrets.redact,
  };
  const chat = new ChatViewProvider(context.extensionUri, chatDeps);
  const statusView = new StatusView();
  // Agents (optional, where VS Code has the APIs): a search tool in-process, and `workspace-rag mcp` from the .vsix.
  const searchTool = new SearchTool({ useEngine: chatDeps.useEngine, workspace, redact: secrets.redact, log });
  const mcpLauncher = new McpLauncher({
    serverScript: path.join(context.extensionPath, 'dist', 'workspace-rag.js'),
    version: String((context.extension.packageJSON as { version?: unknown }).version),
    folders,
    engineConfig: () => settings.engineConfig(),
  });
  const agents = {
    tool: registerSearchTool(searchTool, log, context.subscriptions),
    mcp: registerMcpServer(mcpLauncher, host.onDidChange, log, secrets.redact, context.subscriptions),
  };

  context.subscriptions.push(
    settings,
    host,
    statusBar,
    indexing,
    conversations,
    inserter,
    walkthrough,
    chat,
    statusView,
    ...indexing.watch(),
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chat),
    vscode.window.registerWebviewPanelSerializer(CHAT_PANEL_TYPE, chat),
    vscode.commands.registerCommand(COMMANDS.indexWorkspace, () => indexing.index(false)),
    vscode.commands.registerCommand(COMMANDS.rebuildIndex, () => indexing.index(true)),
    vscode.commands.registerCommand(COMMANDS.clearIndex, async (arg: unknown) => {
      const scope = context.extensionMode === vscode.ExtensionMode.Test && (arg === 'workspace' || arg === 'everything') ? arg : await pickClearScope();
      return scope ? indexing.clear(scope) : false;
    }),
    vscode.commands.registerCommand(COMMANDS.showIndexStatus, async () => {
      const status = await indexing.status();
      if ('files' in status) void statusView.show(status);
      else void showError(status, 'Index status unavailable');
      return status;
    }),
    vscode.commands.registerCommand(COMMANDS.openChat, () => void chat.openPanel()),
    vscode.commands.registerCommand(COMMANDS.askAboutSelection, async () => {
      const selection = selectionContext(vscode.window.activeTextEditor, folders());
      if (selection === undefined) {
        void vscode.window.showInformationMessage('Workspace RAG: select some text in an editor first.');
        return;
      }
      await chat.ask(SELECTION_QUESTION, selection);
    }),
    vscode.commands.registerCommand(COMMANDS.setCredentials, (arg: unknown) => setCredentials(secrets, context.extensionMode, arg)),
    vscode.commands.registerCommand(COMMANDS.clearCredentials, (arg: unknown) => clearCredentials(secrets, context.extensionMode, arg)),
    vscode.commands.registerCommand(COMMANDS.showLog, () => log.show()),
    vscode.commands.registerCommand(COMMANDS.openSource, (arg: unknown) => {
      const location = sourceLocation.safeParse(arg);
      if (!location.success) {
        log.warn('openSource: ignored an argument that is not {path, startLine, endLine}.');
        return false;
      }
      return sources.open(location.data);
    }),
  );

  // The status bar needs Neo4j; activation must not wait for it. It follows setting and key changes too.
  context.subscriptions.push(host.onDidChange(() => indexing.settingsChangedSoon()));
  void indexing.status();
  void walkthrough.openOnFirstRun();
  log.info(`Activated in ${Math.round(performance.now() - started)} ms (VS Code ${vscode.version}, ${plural(folders().length, 'folder')}).`);

  if (context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  return {
    logUri: context.logUri,
    statusBar: () => statusBar.state,
    indexRuns: () => indexing.runs,
    agents: { ...agents, launch: () => mcpLauncher.launch(true) },
    async chat(messages) {
      const posted: ToWebview[] = [];
      const received = new vscode.EventEmitter<unknown>();
      const session = new ChatSession(
        { postMessage: async (m) => (posted.push(m as ToWebview), true), onDidReceiveMessage: received.event },
        chatDeps,
      );
      try {
        for (const message of messages) await session.receive(message);
      } finally {
        session.dispose();
        received.dispose();
      }
      return posted;
    },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions, the engine's Neo4j driver included.
}
