// The chat panel: transcript, composer, citations and previews. It knows nothing of the VS Code API: main.ts hands it
// a `post` function and a state store, so tests drive it with a DOM implementation and plain functions.
import {
  chatState,
  fromWebview,
  toWebview,
  type ChatState,
  type FromWebview,
  type SourceView,
  type ToWebview,
} from '../protocol/messages';
import { button, h, icon } from './dom';
import { footerText, lineRange, sourceLabel } from './format';
import { AnswerRenderer } from './markdown';
import { fillPreview } from './preview';

export interface StateStore {
  get(): unknown;
  set(state: ChatState): void;
}

export interface AppDeps {
  /** Sends a message to the extension; only called with messages that parse as `fromWebview`. */
  post(message: FromWebview): void;
  state: StateStore;
  /** Writes text to the clipboard (navigator.clipboard in the webview). */
  copy(text: string): Promise<void>;
  log?(message: string, detail?: unknown): void;
  newId?(): string;
}

type Ask = Extract<FromWebview, { type: 'ask' }>;
type HistoryMessage = Ask['history'][number];
type Action = NonNullable<Extract<ToWebview, { type: 'error' }>['action']>;
type Status = 'streaming' | 'done' | 'stopped' | 'error';

interface TurnView {
  root: HTMLElement;
  answer: HTMLElement;
  error: HTMLElement;
  sources: HTMLElement;
  footer: HTMLElement;
}

interface Turn {
  id: string;
  question: string;
  answer: string;
  sources: SourceView[];
  cited: number[];
  footer?: string;
  error?: string;
  status: Status;
  /** The history sent with the question, so Retry asks exactly the same; recomputed for restored turns. */
  history?: HistoryMessage[];
  action?: Action;
  view: TurnView;
}

/** Earlier turns sent with a follow-up; the host trims them further to BitNet's budget. */
const HISTORY_TURNS = 10;
/** Turns kept across reloads; older ones would only grow the saved state. */
const SAVED_TURNS = 50;
const MAX_QUESTION = 20_000;
const MAX_HISTORY_CONTENT = 100_000;
const SAVE_DELAY_MS = 500;
/** Grace period for moving the pointer from a chip onto its preview. */
const HIDE_DELAY_MS = 200;

export class ChatApp {
  private readonly doc: Document;
  private readonly renderer = new AnswerRenderer();
  private readonly log: (message: string, detail?: unknown) => void;
  private readonly newId: () => string;
  private turns: Turn[] = [];

  private readonly banners: HTMLElement;
  private readonly transcript: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly notices: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly preview: HTMLElement;
  private anchor: HTMLElement | undefined;
  private hideTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly deps: AppDeps,
  ) {
    this.doc = root.ownerDocument;
    this.log = deps.log ?? ((message, detail) => console.warn(message, detail));
    this.newId = deps.newId ?? (() => crypto.randomUUID());
    const doc = this.doc;

    this.banners = h(doc, 'div', { class: 'banners', role: 'status' });
    this.empty = h(
      doc,
      'div',
      { class: 'empty' },
      h(doc, 'p', { class: 'empty-title' }, 'Ask about your workspace'),
      h(doc, 'p', {}, 'Answers come from your indexed files and cite them: hover a number to preview the lines, click it to open them.'),
    );
    this.notices = h(doc, 'div', { class: 'notices' });
    this.transcript = h(doc, 'div', { class: 'transcript', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' }, this.empty, this.notices);
    this.input = h(doc, 'textarea', {
      class: 'input',
      rows: '1',
      maxlength: String(MAX_QUESTION),
      placeholder: 'Ask about your workspace',
      title: 'Enter to send, Shift+Enter for a new line',
      'aria-label': 'Question about your workspace',
    });
    this.sendButton = button(doc, 'Send', 'icon-button send', icon(doc, 'send'));
    this.stopButton = button(doc, 'Stop', 'icon-button stop', icon(doc, 'stop'));
    this.stopButton.hidden = true;
    const newChat = button(doc, 'New Chat', 'icon-button new-chat', icon(doc, 'add'));
    const composer = h(doc, 'div', { class: 'composer' }, this.input, h(doc, 'div', { class: 'composer-bar' }, newChat, h(doc, 'span', { class: 'spacer' }), this.stopButton, this.sendButton));
    this.preview = h(doc, 'div', { class: 'preview', id: 'source-preview', role: 'tooltip' });
    this.preview.hidden = true;
    root.replaceChildren(h(doc, 'div', { class: 'chat' }, this.banners, this.transcript, composer), this.preview);

    this.input.addEventListener('keydown', (e) => this.onInputKey(e));
    this.input.addEventListener('input', () => this.save());
    this.sendButton.addEventListener('click', () => this.submit());
    this.stopButton.addEventListener('click', () => this.stop());
    newChat.addEventListener('click', () => this.newChat());
    this.transcript.addEventListener('click', (e) => this.onTranscriptClick(e));
    this.transcript.addEventListener('mouseover', (e) => this.onPointerOver(e));
    this.transcript.addEventListener('mouseout', (e) => this.onPointerOut(e));
    this.transcript.addEventListener('focusin', (e) => this.onPointerOver(e));
    this.transcript.addEventListener('focusout', () => this.hidePreview());
    this.preview.addEventListener('mouseenter', () => this.cancelHide());
    this.preview.addEventListener('mouseleave', () => this.scheduleHide());
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !this.preview.hidden) this.hidePreview();
    });

    this.restore();
    this.send({ type: 'ready' });
  }

  /** Handles one message from the extension; anything that does not parse is logged and ignored. */
  receive(raw: unknown): void {
    const parsed = toWebview.safeParse(raw);
    if (!parsed.success) {
      this.log('Workspace RAG: ignored a malformed message from the extension', parsed.error.issues);
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'state':
        return this.renderBanners(message);
      case 'prefill':
        this.input.value = message.question;
        this.focusInput();
        return this.save();
      case 'error':
        return this.onError(message);
    }
    // The rest belong to a turn in flight; after New Chat or Stop its late messages are dropped.
    const turn = this.turns.find((t) => t.id === message.id);
    if (!turn || turn.status !== 'streaming') return;
    switch (message.type) {
      case 'sources':
        turn.sources = message.sources.map((s) => ({ ...s }));
        this.renderAnswer(turn);
        break;
      case 'delta':
        turn.answer += message.text;
        this.renderAnswer(turn);
        return this.saveSoon();
      case 'done': {
        for (const n of message.stale) {
          const source = turn.sources.find((s) => s.n === n);
          if (source) source.stale = true;
        }
        turn.cited = message.cited.filter((n) => turn.sources.some((s) => s.n === n));
        turn.footer = footerText(message);
        turn.status = 'done';
        this.renderAnswer(turn);
        this.renderMeta(turn);
        this.updateControls();
        break;
      }
      case 'stopped':
        this.finishStopped(turn);
        break;
    }
    this.save();
  }

  dispose(): void {
    clearTimeout(this.saveTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.cancelHide();
  }

  // ---- Asking ----

  private onInputKey(e: KeyboardEvent): void {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    this.submit();
  }

  private get busy(): boolean {
    return this.turns.some((t) => t.status === 'streaming');
  }

  private submit(): void {
    const question = this.input.value.trim();
    if (!question || this.busy) return;
    const turn = this.addTurn({ id: this.newId(), question, answer: '', sources: [], cited: [], status: 'streaming' });
    turn.history = this.historyBefore(turn);
    if (!this.ask(turn)) return;
    this.input.value = '';
    this.focusInput();
    this.save();
  }

  private ask(turn: Turn): boolean {
    const sent = this.send({ type: 'ask', id: turn.id, question: turn.question.slice(0, MAX_QUESTION), history: turn.history ?? [] });
    if (!sent) {
      turn.status = 'error';
      turn.error = 'This question could not be sent.';
      this.renderMeta(turn);
    }
    this.updateControls();
    return sent;
  }

  /** User and assistant messages of the finished turns before `turn`, most recent last. */
  private historyBefore(turn: Turn): HistoryMessage[] {
    const earlier = this.turns.slice(0, this.turns.indexOf(turn));
    return earlier
      .filter((t) => (t.status === 'done' || t.status === 'stopped') && t.answer.trim() !== '')
      .slice(-HISTORY_TURNS)
      .flatMap((t): HistoryMessage[] => [
        { role: 'user', content: t.question.slice(0, MAX_HISTORY_CONTENT) },
        { role: 'assistant', content: t.answer.slice(0, MAX_HISTORY_CONTENT) },
      ]);
  }

  private stop(): void {
    const turn = this.turns.find((t) => t.status === 'streaming');
    if (!turn) return;
    this.send({ type: 'stop', id: turn.id });
    // Stopped at once here: the answer so far is kept and whatever is still on its way is dropped.
    const stopFocused = this.doc.activeElement === this.stopButton;
    this.finishStopped(turn);
    this.save();
    if (stopFocused) this.focusInput();
  }

  private finishStopped(turn: Turn): void {
    turn.status = 'stopped';
    turn.footer = 'Stopped';
    this.renderAnswer(turn);
    this.renderMeta(turn);
    this.updateControls();
  }

  private retry(turn: Turn): void {
    if (this.busy) return;
    turn.history ??= this.historyBefore(turn);
    Object.assign(turn, { id: this.newId(), answer: '', sources: [], cited: [], footer: undefined, error: undefined, action: undefined, status: 'streaming' });
    turn.view.root.dataset.turn = turn.id;
    this.renderAnswer(turn);
    this.renderMeta(turn);
    this.ask(turn);
    this.focusInput();
    this.save();
  }

  private newChat(): void {
    const streaming = this.turns.find((t) => t.status === 'streaming');
    if (streaming) this.send({ type: 'stop', id: streaming.id });
    this.hidePreview();
    for (const turn of this.turns) turn.view.root.remove();
    this.turns = [];
    this.notices.replaceChildren();
    this.updateControls();
    this.save();
    this.focusInput();
  }

  private onError(message: Extract<ToWebview, { type: 'error' }>): void {
    const turn = message.id ? this.turns.find((t) => t.id === message.id) : this.turns.find((t) => t.status === 'streaming');
    if (message.id && (!turn || turn.status !== 'streaming')) return;
    if (!turn) return this.addNotice(message.message, message.action);
    turn.status = 'error';
    turn.error = message.message;
    turn.action = message.action;
    this.renderAnswer(turn);
    this.renderMeta(turn);
    this.updateControls();
    this.save();
  }

  /** Validates and sends; a message that does not match the protocol is logged and not sent. */
  private send(message: FromWebview): boolean {
    const parsed = fromWebview.safeParse(message);
    if (!parsed.success) {
      this.log('Workspace RAG: refused to send a malformed message', parsed.error.issues);
      return false;
    }
    this.deps.post(parsed.data);
    return true;
  }

  // ---- Rendering ----

  private addTurn(data: Omit<Turn, 'view'>): Turn {
    const doc = this.doc;
    const view: TurnView = {
      answer: h(doc, 'div', { class: 'answer markdown' }),
      error: h(doc, 'div', { class: 'turn-error' }),
      sources: h(doc, 'div', { class: 'turn-sources' }),
      footer: h(doc, 'div', { class: 'turn-footer' }),
      root: h(doc, 'article', { class: 'turn', 'data-turn': data.id, 'aria-label': `Question: ${data.question.slice(0, 200)}` }),
    };
    view.root.append(h(doc, 'div', { class: 'question' }, data.question), view.answer, view.error, view.sources, view.footer);
    const turn: Turn = { ...data, view };
    this.turns.push(turn);
    this.transcript.insertBefore(view.root, this.notices);
    this.empty.hidden = true;
    this.renderAnswer(turn);
    this.renderMeta(turn);
    return turn;
  }

  /** Re-renders the answer's markdown (it is small, so each delta renders the whole text). */
  private renderAnswer(turn: Turn): void {
    const stick = this.nearBottom();
    const { html, cited } = this.renderer.render(turn.answer, turn.sources.map((s) => s.n));
    // The one raw-HTML sink: markdown-it output with html:false, so model text arrives here escaped.
    turn.view.answer.innerHTML = html;
    if (turn.status !== 'done') turn.cited = cited;
    for (const chip of Array.from(turn.view.answer.querySelectorAll<HTMLElement>('button.chip'))) {
      const source = turn.sources.find((s) => s.n === Number(chip.dataset.source));
      if (!source) continue;
      chip.setAttribute('aria-label', sourceLabel(source, source.stale));
      chip.classList.toggle('stale', source.stale);
    }
    turn.view.answer.classList.toggle('pending', turn.status === 'streaming' && turn.answer === '');
    turn.view.root.classList.toggle('streaming', turn.status === 'streaming');
    if (this.anchor && !this.anchor.isConnected) this.hidePreview();
    if (stick) this.scrollToBottom();
  }

  /** The error, Sources list and footer under an answer. */
  private renderMeta(turn: Turn): void {
    const doc = this.doc;
    const { error, sources, footer } = turn.view;
    error.replaceChildren();
    if (turn.error !== undefined) {
      const retry = button(doc, 'Retry', 'text-button', 'Retry');
      retry.disabled = this.busy;
      retry.addEventListener('click', () => this.retry(turn));
      const actions = h(doc, 'div', { class: 'error-actions' }, retry);
      if (turn.action) actions.append(this.commandButton(turn.action));
      error.append(h(doc, 'div', { class: 'error-box', role: 'alert' }, h(doc, 'p', { class: 'error-message' }, turn.error), actions));
    }

    sources.replaceChildren();
    const finished = turn.status === 'done' || turn.status === 'stopped';
    const cited = turn.cited.map((n) => turn.sources.find((s) => s.n === n)).filter((s): s is SourceView => s !== undefined);
    // An answer that cites nothing still shows what it was given, so every claim can be checked.
    const listed = cited.length > 0 ? cited : turn.status === 'done' ? turn.sources : [];
    if (finished && listed.length > 0) {
      const title = cited.length > 0 ? 'Sources' : 'Retrieved sources (none cited)';
      const list = h(doc, 'ul', { class: 'source-list', 'aria-label': title });
      for (const source of [...listed].sort((a, b) => a.n - b.n)) {
        list.append(
          h(
            doc,
            'li',
            {},
            h(
              doc,
              'button',
              { type: 'button', class: `source${source.stale ? ' stale' : ''}`, 'data-source': String(source.n), 'aria-label': sourceLabel(source, source.stale) },
              h(doc, 'span', { class: 'source-n' }, String(source.n)),
              h(doc, 'span', { class: 'source-path' }, `${source.path}:${lineRange(source)}`),
              source.stale && h(doc, 'span', { class: 'badge stale-badge' }, 'changed since indexing'),
            ),
          ),
        );
      }
      sources.append(h(doc, 'div', { class: 'source-title' }, title), list);
    }

    footer.textContent = turn.footer ?? '';
    footer.hidden = !turn.footer;
  }

  private commandButton(action: Action): HTMLButtonElement {
    const el = button(this.doc, action.label, 'text-button secondary', action.label);
    el.addEventListener('click', () => this.send({ type: 'command', command: action.command }));
    return el;
  }

  /** An error that belongs to no question, e.g. settings that do not validate. */
  private addNotice(text: string, action: Action | undefined): void {
    const doc = this.doc;
    const dismiss = button(doc, 'Dismiss', 'text-button secondary', 'Dismiss');
    const notice = h(doc, 'div', { class: 'error-box notice', role: 'alert' }, h(doc, 'p', { class: 'error-message' }, text), h(doc, 'div', { class: 'error-actions' }, action && this.commandButton(action), dismiss));
    dismiss.addEventListener('click', () => {
      notice.remove();
      this.focusInput();
    });
    this.notices.append(notice);
    this.scrollToBottom();
  }

  private renderBanners(state: Extract<ToWebview, { type: 'state' }>): void {
    const doc = this.doc;
    const banners: HTMLElement[] = [];
    if (!state.indexed) {
      const index = button(doc, 'Index Workspace', 'text-button', 'Index Workspace');
      index.addEventListener('click', () => this.send({ type: 'command', command: 'indexWorkspace' }));
      banners.push(h(doc, 'div', { class: 'banner' }, h(doc, 'span', {}, 'This workspace is not indexed yet.'), index));
    }
    if (state.keywordOnly) {
      banners.push(h(doc, 'div', { class: 'banner mode' }, h(doc, 'strong', {}, 'Keyword-only mode'), ' — no embeddings endpoint is configured, so sources are found by full-text and graph search only.'));
    }
    if (state.retrievalOnly) {
      banners.push(h(doc, 'div', { class: 'banner mode' }, h(doc, 'strong', {}, 'Retrieval-only mode'), ' — no BitNet endpoint is configured, so answers list the most relevant sources instead of generated text.'));
    }
    this.banners.replaceChildren(...banners);
  }

  private updateControls(): void {
    const busy = this.busy;
    this.sendButton.hidden = busy;
    this.stopButton.hidden = !busy;
    this.transcript.setAttribute('aria-busy', String(busy));
    for (const retry of Array.from(this.transcript.querySelectorAll<HTMLButtonElement>('.turn-error .error-actions button:first-child'))) retry.disabled = busy;
    this.empty.hidden = this.turns.length > 0;
  }

  private nearBottom(): boolean {
    const t = this.transcript;
    return t.scrollHeight - t.scrollTop - t.clientHeight < 40;
  }

  private scrollToBottom(): void {
    this.transcript.scrollTop = this.transcript.scrollHeight;
  }

  private focusInput(): void {
    this.input.focus();
    const end = this.input.value.length;
    this.input.setSelectionRange(end, end);
  }

  // ---- Citations: click, copy and preview ----

  private sourceOf(el: HTMLElement): { source: SourceView } | undefined {
    const id = el.closest<HTMLElement>('article.turn')?.dataset.turn;
    const turn = this.turns.find((t) => t.id === id);
    const source = turn?.sources.find((s) => s.n === Number(el.dataset.source));
    return source && { source };
  }

  private onTranscriptClick(e: Event): void {
    const target = (e.target as Element | null)?.closest<HTMLElement>('button');
    if (!target) return;
    if (target.dataset.source !== undefined) {
      const found = this.sourceOf(target);
      if (found) this.send({ type: 'openSource', path: found.source.path, startLine: found.source.startLine, endLine: found.source.endLine });
    } else if (target.classList.contains('copy')) {
      this.copyCode(target);
    }
  }

  private copyCode(copyButton: HTMLElement): void {
    const code = copyButton.closest('.code-block')?.querySelector('code')?.textContent ?? '';
    const show = (label: string) => {
      copyButton.textContent = label;
      copyButton.setAttribute('aria-label', label);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        copyButton.textContent = 'Copy';
        copyButton.setAttribute('aria-label', 'Copy code');
      }, 1500);
      this.timers.add(timer);
    };
    this.deps.copy(code).then(
      () => show('Copied'),
      (err: unknown) => {
        this.log('Workspace RAG: copying to the clipboard failed', err);
        show('Copy failed');
      },
    );
  }

  private onPointerOver(e: Event): void {
    const el = (e.target as Element | null)?.closest<HTMLElement>('[data-source]');
    if (!el || !this.transcript.contains(el)) return;
    const found = this.sourceOf(el);
    if (!found) return;
    this.cancelHide();
    if (this.anchor === el && !this.preview.hidden) return;
    this.clearAnchor();
    this.anchor = el;
    el.classList.add('preview-anchor');
    el.setAttribute('aria-describedby', this.preview.id);
    fillPreview(this.preview, found.source, found.source.stale);
    this.preview.hidden = false;
  }

  private onPointerOut(e: MouseEvent): void {
    const to = e.relatedTarget as Node | null;
    if (!this.anchor || (to && (this.anchor.contains(to) || this.preview.contains(to)))) return;
    this.scheduleHide();
  }

  private scheduleHide(): void {
    this.cancelHide();
    this.hideTimer = setTimeout(() => this.hidePreview(), HIDE_DELAY_MS);
  }

  private cancelHide(): void {
    if (this.hideTimer !== undefined) clearTimeout(this.hideTimer);
    this.hideTimer = undefined;
  }

  private hidePreview(): void {
    this.cancelHide();
    this.clearAnchor();
    this.preview.hidden = true;
    this.preview.replaceChildren();
  }

  private clearAnchor(): void {
    this.anchor?.classList.remove('preview-anchor');
    this.anchor?.removeAttribute('aria-describedby');
    this.anchor = undefined;
  }

  // ---- Persistence ----

  /** Coalesces the saves of a stream: each one serialises the whole conversation. */
  private saveSoon(): void {
    this.saveTimer ??= setTimeout(() => this.save(), SAVE_DELAY_MS);
  }

  private save(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const state: ChatState = {
      turns: this.turns.slice(-SAVED_TURNS).map((t) => ({
        id: t.id,
        question: t.question,
        answer: t.answer,
        sources: t.sources,
        cited: t.cited,
        footer: t.footer,
        error: t.error,
      })),
      draft: this.input.value || undefined,
    };
    this.deps.state.set(state);
  }

  /** Restores the saved conversation, parsed like any other input; a state that does not parse is dropped. */
  private restore(): void {
    const saved = this.deps.state.get();
    if (saved === undefined || saved === null) return;
    const parsed = chatState.safeParse(saved);
    if (!parsed.success) {
      this.log('Workspace RAG: discarded a saved chat that does not parse', parsed.error.issues);
      return;
    }
    for (const t of parsed.data.turns) {
      // A turn saved mid-answer lost its stream with the reload, so it reads as stopped.
      const status: Status = t.error !== undefined ? 'error' : t.footer === undefined ? 'stopped' : 'done';
      this.addTurn({ ...t, sources: t.sources.map((s) => ({ ...s })), footer: t.footer ?? (status === 'stopped' ? 'Stopped' : undefined), status });
    }
    this.input.value = parsed.data.draft ?? '';
    this.updateControls();
    this.scrollToBottom();
  }
}
