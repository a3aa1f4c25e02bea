// The host side of the chat: the webview view (its own Activity Bar container), the same chat in an editor tab, the
// HTML shell with its CSP, and one ChatSession per webview that parses every message and routes it to the engine.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { AnswerProgress } from '../core/answer';
import type { Engine } from '../core/engine';
import type { Source } from '../core/retrieve';
import { errorMessage } from '../core/errors';
import type { WorkspaceSpec } from '../core/workspace';
import { collapsedBanners, fromWebview, toWebview, type AnswerProgressView, type FromWebview, type SelectionView, type SourceView, type ToWebview } from '../protocol/messages';
import { MAX_EXAMPLE, MAX_LANGUAGE, MAX_NOTICE, MAX_NOTICES, MAX_WEAK_WORD, MAX_WEAK_WORDS } from '../protocol/limits';
import type { ConversationStore } from './conversations';
import { examplesOf } from './examples';
import type { OpenEngine } from './engineHost';
import { describeError, isCancellation, type WebviewCommand } from './errors';
import type { Log, Redact } from './log';

export const CHAT_VIEW_ID = 'workspaceRag.chat';
export const CHAT_PANEL_TYPE = 'workspaceRag.chatPanel';
const PANEL_TITLE = 'Workspace RAG Chat';

export interface SourceLocation {
  path: string;
  startLine: number;
  endLine: number;
}

/** What a webview offers a session; a real Webview or, in tests, a fake. */
export interface WebviewPort {
  postMessage(message: unknown): Thenable<boolean>;
  onDidReceiveMessage: vscode.Event<unknown>;
}

export interface ChatDeps {
  /** Runs work with the engine (a lease: the engine stays open until it is done). */
  useEngine: <T>(work: (open: OpenEngine) => Promise<T>) => Promise<T>;
  onEngineChange: vscode.Event<void>;
  workspace: () => WorkspaceSpec | undefined;
  /** The current text of a workspace-relative file (an open editor's buffer first), or undefined when it is gone. */
  currentText: (path: string) => Promise<string | undefined>;
  openSource: (location: SourceLocation, column: vscode.ViewColumn) => Promise<boolean>;
  /** Runs a button's command; `setting` is the one the last error named, for Open Settings. */
  runCommand: (command: WebviewCommand, setting?: string) => void;
  /** An answer came back (the walkthrough's last step is done). */
  answered?: () => void;
  /** A code block's Insert at Cursor. */
  insertCode: (code: string) => Promise<boolean>;
  /** The conversation every chat view shows, and the kept ones. */
  conversations: ConversationStore;
  /** Where the user's chat preferences are kept across windows (the collapsed mode banners): the global state. */
  preferences: Pick<vscode.Memento, 'get' | 'update'>;
  log: Log;
  redact: Redact;
}

/** One webview's conversation with the engine. Nothing from the webview is acted on before it parses. */
export class ChatSession implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];
  private readonly turns = new Map<string, AbortController>();
  private ready = false;
  private pendingPrefill: Extract<ToWebview, { type: 'prefill' }> | undefined;
  private disposed = false;
  /** The setting the last error named, so its Open Settings button lands on it. */
  private lastSetting: string | undefined;

  constructor(
    private readonly webview: WebviewPort,
    private readonly deps: ChatDeps,
    /** Where a cited file opens: beside an editor-tab chat, in the active group for the side-bar chat. */
    private readonly sourceColumn: vscode.ViewColumn = vscode.ViewColumn.Active,
  ) {
    this.subscriptions = [
      webview.onDidReceiveMessage((raw) => void this.receive(raw)),
      deps.onEngineChange(() => {
        if (this.ready) void this.postState();
      }),
      // A conversation changed or opened in another chat view is shown here too: one conversation, wherever it is read.
      deps.conversations.onDidSwitch(({ conversation, origin }) => {
        if (this.ready && origin !== this) void this.post({ type: 'conversation', conversation });
      }),
      deps.conversations.onDidChangeList(() => {
        if (this.ready) void this.post({ type: 'conversations', list: deps.conversations.list() });
      }),
    ];
  }

  /** Puts a question (and the selected code it is about) in the input box, once the webview is listening. */
  prefill(question: string, selection?: SelectionView): void {
    const message: ToWebview = { type: 'prefill', question, selection };
    if (this.ready) void this.post(message);
    else this.pendingPrefill = message;
  }

  async receive(raw: unknown): Promise<void> {
    const parsed = fromWebview.safeParse(raw);
    if (!parsed.success) {
      this.deps.log.warn(`Rejected a malformed message from the chat webview: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ')}`);
      return;
    }
    const message = parsed.data;
    this.deps.log.trace(`webview → host: ${message.type}`);
    switch (message.type) {
      case 'ready': {
        this.ready = true;
        // The conversation first: the state asks Neo4j (the example questions read the index), and meanwhile a view
        // shown again must not answer on in the older copy it restored, then save that over the newer one.
        const current = this.deps.conversations.current();
        if (current) await this.post({ type: 'conversation', conversation: current });
        await this.post({ type: 'conversations', list: this.deps.conversations.list() });
        await this.postState();
        if (this.pendingPrefill !== undefined) await this.post(this.pendingPrefill);
        this.pendingPrefill = undefined;
        return;
      }
      case 'saveConversation':
        return this.deps.conversations.save(message.conversation, this);
      case 'openConversation':
        return this.deps.conversations.open(message.id);
      case 'deleteConversation':
        return this.deps.conversations.delete(message.id);
      case 'ask':
        return this.ask(message);
      case 'stop':
        this.turns.get(message.id)?.abort();
        return;
      case 'openSource':
        await this.deps.openSource(message, this.sourceColumn);
        return;
      case 'command':
        this.deps.runCommand(message.command, message.setting ?? this.lastSetting);
        return;
      case 'insertCode':
        await this.deps.insertCode(message.code);
        return;
      case 'collapseBanners':
        await this.deps.preferences.update(COLLAPSED_BANNERS_KEY, message.modes);
        return;
    }
  }

  private async ask(message: Extract<FromWebview, { type: 'ask' }>): Promise<void> {
    const { id } = message;
    this.turns.get(id)?.abort();
    const controller = new AbortController();
    this.turns.set(id, controller);
    // Sources need a file read for their stale flags; the chain keeps every message of the turn in order anyway.
    let chain: Promise<unknown> = Promise.resolve();
    /** The sources the webview was given, to send again if the prompt numbered them otherwise. */
    const enqueue = (make: () => ToWebview | Promise<ToWebview>) => {
      chain = chain.then(async () => this.post(await make()));
    };
    try {
      const ws = this.deps.workspace();
      if (!ws) {
        enqueue(() => ({ type: 'error', id, kind: 'not-indexed', message: 'Open a folder, then index it, to ask about it.' }));
        return;
      }
      const answer = await this.deps.useEngine(async ({ engine }) => {
        const indexed = (await engine.status(ws)).files > 0;
        enqueue(() => stateOf(engine.capabilities, indexed));
        if (!indexed) return undefined;
        return engine.ask(ws, message.question, {
          history: message.history,
          signal: controller.signal,
          // The engine reports the sources the prompt carries (numbered as the answer cites them), before the first delta.
          onSources: (retrieval) => enqueue(async () => ({ type: 'sources', id, sources: await this.views(retrieval.sources) })),
          onProgress: (progress) => enqueue(() => ({ type: 'progress', id, progress: this.progressView(progress) })),
          onDelta: (text) => enqueue(() => ({ type: 'delta', id, text: this.deps.redact(text) })),
        });
      });
      if (!answer) {
        enqueue(() => ({
          type: 'error',
          id,
          kind: 'not-indexed',
          message: 'This workspace is not indexed yet.',
          action: { label: 'Index Workspace', command: 'indexWorkspace' },
        }));
        return;
      }
      this.deps.answered?.();
      const cited = answer.sources.filter((s) => answer.cited.includes(s.n));
      enqueue(async () => ({
        type: 'done',
        id,
        cited: answer.cited,
        droppedCitations: answer.droppedCitations,
        mode: answer.mode,
        timings: answer.timings,
        usage: answer.usage,
        stale: (await this.views(cited)).filter((v) => v.stale).map((v) => v.n),
        complete: answer.complete,
        incomplete: answer.incomplete,
        notices: answer.notices.filter((n) => n.trim() !== '').slice(0, MAX_NOTICES).map((n) => this.notice(n)),
        weakMatch: answer.mode === 'retrieval-only' && answer.weakMatch?.length ? this.words(answer.weakMatch) : undefined,
      }));
    } catch (error) {
      if (controller.signal.aborted || isCancellation(error)) enqueue(() => ({ type: 'stopped', id }));
      else {
        this.deps.log.error('Answering failed', error);
        const { kind, message: text, action, setting } = describeError(error, this.deps.redact);
        this.lastSetting = setting;
        enqueue(() => ({ type: 'error', id, kind, message: text, action }));
      }
    } finally {
      await chain;
      if (this.turns.get(id) === controller) this.turns.delete(id);
    }
  }

  private async postState(): Promise<void> {
    try {
      const ws = this.deps.workspace();
      const state = await this.deps.useEngine(async ({ engine }) => {
        const indexed = ws ? (await engine.status(ws)).files > 0 : false;
        return stateOf(engine.capabilities, indexed, indexed && ws ? await this.examples(engine, ws) : undefined);
      });
      // Kept by the host: a chat tab opened anew (after a reload, say) has no saved state of its own to restore.
      const collapsed = collapsedBanners.safeParse(this.deps.preferences.get(COLLAPSED_BANNERS_KEY) ?? []);
      await this.post({ ...state, collapsedBanners: collapsed.success ? collapsed.data : [] });
    } catch (error) {
      // Shown now rather than at the first question: a missing key or a stopped Neo4j is the first thing to fix.
      this.deps.log.warn(`The chat could not reach the engine: ${errorMessage(error)}`);
      const { kind, message, action, setting } = describeError(error, this.deps.redact);
      this.lastSetting = setting;
      await this.post({ type: 'error', kind, message, action });
    }
  }

  /** First questions made from what the index is about; none (and a note in the log) when that cannot be read. */
  private async examples(engine: Engine, ws: WorkspaceSpec): Promise<string[] | undefined> {
    try {
      return examplesOf(await engine.overview(ws)).map((e) => this.deps.redact(e).slice(0, MAX_EXAMPLE));
    } catch (error) {
      this.deps.log.warn(`No example questions: ${errorMessage(error)}`);
      return undefined;
    }
  }

  /** Progress as the protocol carries it: a fallback's message scrubbed of keys and cut to fit. */
  private progressView(p: AnswerProgress): AnswerProgressView {
    return p.kind === 'fallback' ? { kind: 'fallback', message: this.notice(p.message) } : p;
  }

  private words(words: string[]): string[] {
    return words
      .map((w) => this.deps.redact(w).slice(0, MAX_WEAK_WORD))
      .filter((w) => w.trim() !== '')
      .slice(0, MAX_WEAK_WORDS);
  }

  private notice(text: string): string {
    const clean = this.deps.redact(text);
    return clean.length > MAX_NOTICE ? `${clean.slice(0, MAX_NOTICE - 1)}…` : clean;
  }

  private async views(sources: Source[]): Promise<SourceView[]> {
    return Promise.all(
      sources.map(async (s) => ({
        n: s.n,
        path: s.path,
        startLine: s.startLine,
        endLine: s.endLine,
        language: s.language.slice(0, MAX_LANGUAGE),
        text: this.deps.redact(s.text),
        stale: linesChanged(await this.deps.currentText(s.path).catch(() => undefined), s),
      })),
    );
  }

  private async post(message: ToWebview): Promise<void> {
    if (this.disposed) return;
    // Our own messages are checked against the contract too: a bug here must not reach the webview as garbage.
    const checked = toWebview.safeParse(message);
    if (!checked.success) {
      this.deps.log.error(`Dropped an invalid ${message.type} message to the webview`, checked.error);
      return;
    }
    await this.webview.postMessage(checked.data);
  }

  dispose(): void {
    this.disposed = true;
    for (const turn of this.turns.values()) turn.abort();
    this.turns.clear();
    for (const s of this.subscriptions) s.dispose();
  }
}

const COLLAPSED_BANNERS_KEY = 'workspaceRag.collapsedBanners';

function stateOf(capabilities: { embeddings: boolean; generation: boolean }, indexed: boolean, examples?: string[]): Extract<ToWebview, { type: 'state' }> {
  return { type: 'state', keywordOnly: !capabilities.embeddings, retrievalOnly: !capabilities.generation, indexed, ...(examples && { examples }) };
}

/** Whether the lines a source cites differ now from the indexed text (CRLF-neutral); a vanished file has changed. */
export function linesChanged(current: string | undefined, source: { startLine: number; endLine: number; text: string; column?: number }): boolean {
  if (current === undefined) return true;
  const lines = current.split(/\r?\n/);
  if (source.endLine > lines.length) return true;
  // A part of a long line: the same text at the same place in that line.
  if (source.column !== undefined) return lines[source.startLine - 1].slice(source.column, source.column + source.text.length) !== source.text;
  const now = lines.slice(source.startLine - 1, source.endLine);
  const then = source.text.replace(/\r?\n$/, '').split(/\r?\n/);
  return now.length !== then.length || now.some((line, i) => line !== then[i]);
}

// ---- Webviews ----

/** The HTML shell: a strict CSP with a per-load nonce, the stylesheet and the bundle from media/, nothing inline. */
export function chatHtml(webview: Pick<vscode.Webview, 'cspSource' | 'asWebviewUri'>, extensionUri: vscode.Uri, nonce = randomBytes(18).toString('base64')): string {
  const media = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', ...parts)).toString();
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${media('chat.css')}">
<title>${PANEL_TITLE}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${media('dist', 'chat.js')}"></script>
</body>
</html>`;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, enableCommandUris: false, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')] };
}

/** The side-bar view, the editor-tab panels (restored after a reload by the serializer), and Ask About Selection. */
export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.WebviewPanelSerializer, vscode.Disposable {
  private view: { view: vscode.WebviewView; session: ChatSession } | undefined;
  private readonly panels = new Set<{ panel: vscode.WebviewPanel; session: ChatSession }>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly deps: ChatDeps,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    const session = this.attach(view.webview, vscode.ViewColumn.Active);
    this.view = { view, session };
    const disposed = view.onDidDispose(() => {
      session.dispose();
      disposed.dispose();
      if (this.view?.view === view) this.view = undefined;
    });
  }

  /** Restores an editor-tab chat after a reload; its conversation comes back from the webview's own state. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    this.adopt(panel);
  }

  /** The chat in an editor tab: the one already open, brought forward, or a new one showing the same conversation. */
  openPanel(): vscode.WebviewPanel {
    const open = [...this.panels][0];
    if (open) {
      open.panel.reveal(undefined, false);
      return open.panel;
    }
    const panel = vscode.window.createWebviewPanel(CHAT_PANEL_TYPE, PANEL_TITLE, vscode.ViewColumn.Active, {
      ...webviewOptions(this.extensionUri),
      enableFindWidget: true,
    });
    this.adopt(panel);
    return panel;
  }

  /** Shows the side-bar chat with `question` in its input box and `selection` attached to it. */
  async ask(question: string, selection?: SelectionView): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    // Focusing resolves the view if it was never shown; its session then waits for `ready` to deliver the prefill.
    this.view?.session.prefill(question, selection);
  }

  private adopt(panel: vscode.WebviewPanel): void {
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'resources', 'chat.svg');
    const entry = { panel, session: this.attach(panel.webview, vscode.ViewColumn.Beside) };
    this.panels.add(entry);
    const disposed = panel.onDidDispose(() => {
      entry.session.dispose();
      disposed.dispose();
      this.panels.delete(entry);
    });
  }

  private attach(webview: vscode.Webview, column: vscode.ViewColumn): ChatSession {
    webview.options = webviewOptions(this.extensionUri);
    const session = new ChatSession(webview, this.deps, column);
    webview.html = chatHtml(webview, this.extensionUri);
    return session;
  }

  dispose(): void {
    this.view?.session.dispose();
    for (const p of this.panels) {
      p.session.dispose();
      p.panel.dispose();
    }
    this.panels.clear();
  }
}
