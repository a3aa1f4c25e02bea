// The composition root: activate() builds every service once, wires them through constructors and registers each
// disposable with the context. The extension adapts VS Code to the engine and adds no retrieval logic of its own.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import { setGrammarDirectory } from '../core/chunk';
import { truncateToTokens } from '../core/tokens';
import type { ToWebview } from '../protocol/messages';
import { CHAT_PANEL_TYPE, CHAT_VIEW_ID, ChatSession, ChatViewProvider, type ChatDeps, type SourceLocation } from './chatView';
import { EngineHost } from './engineHost';
import type { UserError, WebviewCommand } from './errors';
import { isReallyInside, resolveWorkspacePath, workspaceOf, type Folder } from './folders';
import { IndexingService, type ClearScope, type IndexSummary } from './indexing';
import { Log } from './log';
import { clearCredentials, Secrets, setCredentials } from './secrets';
import { Settings } from './settings';
import { IndexStatusBar, plural } from './statusBar';
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

/** A selection sent to BitNet must leave most of its 4096 tokens to the sources. */
const MAX_SELECTION_TOKENS = 600;

const sourceLocation = z
  .object({ path: z.string().min(1), startLine: z.number().int().min(1), endLine: z.number().int().min(1) })
  .refine((l) => l.endLine >= l.startLine, 'endLine before startLine');

/** Returned by activate() in test mode only: what the extension-host suite needs to look inside. */
export interface TestApi {
  logUri: vscode.Uri;
  /** Feeds messages to a chat session as a webview would and returns everything the host posted back. */
  chat(messages: unknown[]): Promise<ToWebview[]>;
}

export async function activate(context: vscode.ExtensionContext): Promise<TestApi | undefined> {
  const started = performance.now();
  const secrets = new Secrets(context.secrets);
  const channel = vscode.window.createOutputChannel('Workspace RAG', { log: true });
  const log = new Log(channel, secrets.redact);
  context.subscriptions.push(channel, secrets);
  // Redaction must know the keys before anything is logged.
  await secrets.load();
  setGrammarDirectory(path.join(context.extensionPath, 'dist', 'grammars'));

  const settings = new Settings(secrets);
  const fs = new WorkspaceFileSystem(vscode.workspace.fs);
  const host = new EngineHost(settings, fs, log);
  const folders = (): Folder[] =>
    (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => ({ name: f.name, fsPath: f.uri.fsPath }));
  const workspace = () => workspaceOf(folders());
  const statusBar = new IndexStatusBar(COMMANDS.showIndexStatus);

  const runCommand = (command: WebviewCommand, setting?: string): void => {
    const run = {
      setCredentials: () => vscode.commands.executeCommand(COMMANDS.setCredentials),
      openSettings: () => vscode.commands.executeCommand('workbench.action.openSettings', setting ?? `@ext:${context.extension.id}`),
      indexWorkspace: () => vscode.commands.executeCommand(COMMANDS.indexWorkspace),
      showLog: () => log.show(),
      showStatus: () => vscode.commands.executeCommand(COMMANDS.showIndexStatus),
    }[command];
    void Promise.resolve(run()).catch((e: unknown) => log.error(`Command ${command} failed`, e));
  };
  const showError = async (error: UserError, prefix: string): Promise<void> => {
    const buttons = [error.action?.label, 'Show Log'].filter((b): b is string => Boolean(b));
    const picked = await vscode.window.showErrorMessage(`Workspace RAG: ${prefix}. ${error.message}`, ...buttons);
    if (picked === 'Show Log') log.show();
    else if (picked && error.action) runCommand(error.action.command, error.setting);
  };

  const indexing = new IndexingService({
    host,
    log,
    redact: secrets.redact,
    statusBar,
    workspace,
    autoUpdate: () => settings.autoUpdate,
    showError: (error, prefix) => void showError(error, prefix),
  });

  const openSource = async (location: SourceLocation, column: vscode.ViewColumn = vscode.ViewColumn.Active): Promise<boolean> => {
    const resolved = resolveWorkspacePath(folders(), location.path);
    if (!resolved || !(await isReallyInside(resolved.root, resolved.absPath))) {
      log.warn(`Refused to open ${JSON.stringify(location.path)}: it is not inside the workspace folders.`);
      void vscode.window.showWarningMessage(`Workspace RAG: ${location.path} is not inside the workspace folders.`);
      return false;
    }
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.file(resolved.absPath));
      const last = document.lineCount - 1;
      const start = Math.min(location.startLine - 1, last);
      const end = Math.min(Math.max(location.endLine - 1, start), last);
      const range = new vscode.Range(start, 0, end, document.lineAt(end).text.length);
      const editor = await vscode.window.showTextDocument(document, { selection: range, viewColumn: column, preview: true });
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      return true;
    } catch (error) {
      log.error(`Opening ${location.path} failed`, error);
      void vscode.window.showWarningMessage(`Workspace RAG: ${location.path} could not be opened; it may have been deleted or renamed.`);
      return false;
    }
  };

  const currentText = async (relPath: string): Promise<string | undefined> => {
    const resolved = resolveWorkspacePath(folders(), relPath);
    if (!resolved) return undefined;
    const uri = vscode.Uri.file(resolved.absPath);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return open.getText();
    try {
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      return undefined;
    }
  };

  const chatDeps: ChatDeps = {
    useEngine: (work) => host.use(work),
    onEngineChange: host.onDidChange,
    workspace,
    currentText,
    openSource,
    runCommand,
    log,
    redact: secrets.redact,
  };
  const chat = new ChatViewProvider(context.extensionUri, chatDeps);

  context.subscriptions.push(
    settings,
    host,
    statusBar,
    indexing,
    chat,
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
      if ('files' in status) void showStatus(status, runCommand, log);
      else void showError(status, 'Index status unavailable');
      return status;
    }),
    vscode.commands.registerCommand(COMMANDS.openChat, () => void chat.openPanel()),
    vscode.commands.registerCommand(COMMANDS.askAboutSelection, async () => {
      const question = selectionQuestion(vscode.window.activeTextEditor, folders());
      if (question === undefined) {
        void vscode.window.showInformationMessage('Workspace RAG: select some text in an editor first.');
        return;
      }
      await chat.ask(question);
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
      return openSource(location.data);
    }),
  );

  // The status bar needs Neo4j; activation must not wait for it. It follows setting and key changes too.
  context.subscriptions.push(
    host.onDidChange(async () => {
      const status = await indexing.status();
      // A value just typed into the settings is checked now, naming the setting, rather than at the next question.
      if (!('files' in status) && status.kind === 'config') void showError(status, 'Invalid setting');
    }),
  );
  void indexing.status();
  log.info(`Activated in ${Math.round(performance.now() - started)} ms (VS Code ${vscode.version}, ${plural(folders().length, 'folder')}).`);

  if (context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  return {
    logUri: context.logUri,
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

async function pickClearScope(): Promise<ClearScope | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'This workspace', description: "delete this workspace's files, chunks and symbols", scope: 'workspace' as const },
      { label: 'Everything', description: 'every indexed workspace in this Neo4j database, and the vector index', scope: 'everything' as const },
    ],
    { title: 'Workspace RAG: Clear Index', placeHolder: 'What should be deleted from Neo4j?' },
  );
  if (picked?.scope !== 'everything') return picked?.scope;
  const confirm = await vscode.window.showWarningMessage(
    'Delete the index of every workspace in this Neo4j database?',
    { modal: true, detail: 'Each workspace will need to be indexed again.' },
    'Delete Everything',
  );
  return confirm ? 'everything' : undefined;
}

async function showStatus(s: IndexSummary, runCommand: (c: WebviewCommand) => void, log: Log): Promise<void> {
  const skipped = Object.values(s.skippedByReason).reduce((a, b) => a + b, 0);
  const state = s.files === 0 ? 'not indexed' : s.changedFiles ? `${plural(s.changedFiles, 'file')} changed since indexing` : 'up to date';
  const modes = [s.keywordOnly ? 'keyword-only retrieval (no Azure endpoint)' : 'hybrid retrieval', s.retrievalOnly ? 'retrieval-only answers (no BitNet endpoint)' : 'BitNet answers'];
  const detail = [
    `${plural(s.files, 'file')}, ${plural(s.chunks, 'chunk')} (${s.embedded} with embeddings), ${skipped} skipped.`,
    `Last indexed: ${s.lastIndexedAt ?? 'never'}.`,
    `Mode: ${modes.join(', ')}.`,
  ].join(' ');
  log.info(`Status of ${s.workspace}: ${state}. ${detail}`);
  const action = s.files === 0 || s.changedFiles ? 'Index Now' : undefined;
  const picked = await vscode.window.showInformationMessage(`Workspace RAG: ${state}. ${detail}`, ...(action ? [action] : []), 'Show Log');
  if (picked === 'Index Now') runCommand('indexWorkspace');
  else if (picked === 'Show Log') runCommand('showLog');
}

/** "Explain …" with the selected lines and where they are, trimmed so the question leaves room for sources. */
function selectionQuestion(editor: vscode.TextEditor | undefined, folders: Folder[]): string | undefined {
  if (!editor || editor.selection.isEmpty) return undefined;
  const text = editor.document.getText(editor.selection).trim();
  if (!text) return undefined;
  const folder = vscode.workspace.getWorkspaceFolder(editor.document.uri);
  const relative = vscode.workspace.asRelativePath(editor.document.uri, folders.length > 1);
  const where = folder ? `${relative}:${editor.selection.start.line + 1}-${editor.selection.end.line + 1}` : path.basename(editor.document.uri.path);
  const excerpt = truncateToTokens(text, MAX_SELECTION_TOKENS);
  // A fence longer than any backtick run inside keeps the excerpt one code block.
  const fence = '`'.repeat(Math.max(3, ...(excerpt.match(/`+/g) ?? []).map((r) => r.length + 1)));
  return `What does this code from ${where} do?\n\n${fence}${editor.document.languageId}\n${excerpt}\n${fence}`;
}

