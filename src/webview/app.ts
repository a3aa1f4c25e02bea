// The chat panel: the banners, the conversation, the composer and the source preview, and the protocol between them
// and the extension. It knows nothing of the VS Code API: main.ts hands it a `post` function and a state store, so
// tests drive it with a DOM implementation and plain functions.
import { fromWebview, toWebview, type FromWebview, type SavedConversation, type SelectionView, type ToWebview } from '../protocol/messages';
import { MAX_NOTICES, MAX_QUESTION } from '../protocol/limits';
import { systemClock, type Clock } from './clock';
import { Banners } from './banners';
import { Conversation, type Turn, type TurnData } from './conversation';
import { HistoryPanel } from './history';
import { button, h, icon } from './dom';
import { footerText, lineRange, questionText } from './format';
import { Persistence, restoredTurns, savedTurns, type StateStore } from './persistence';
import { SourcePreview } from './preview';

export type { StateStore } from './persistence';

export interface AppDeps {
  /** Sends a message to the extension; only called with messages that parse as `fromWebview`. */
  post(message: FromWebview): void;
  state: StateStore;
  /** Writes text to the clipboard (navigator.clipboard in the webview). */
  copy(text: string): Promise<void>;
  log?(message: string, detail?: unknown): void;
  newId?(): string;
  /** Ids of conversations; random by default. */
  newConversationId?(): string;
  /** The time for countdowns; the browser's by default. */
  clock?: Clock;
}

/** A question as asked: what the user typed, and the code attached to it. */
interface Asked {
  question: string;
  selection?: SelectionView;
}

/** A change to a turn's data (never its elements). */
type TurnPatch = Partial<TurnData>;

const STOPPED: TurnPatch = { status: 'stopped', footer: 'Stopped' };

export class ChatApp {
  private readonly doc: Document;
  private readonly log: (message: string, detail?: unknown) => void;
  private readonly newId: () => string;
  private readonly newConversationId: () => string;
  private readonly clock: Clock;
  private readonly conversation: Conversation;
  private readonly preview: SourcePreview;
  private readonly persistence: Persistence;

  private readonly banners: Banners;
  private readonly history: HistoryPanel;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  /** What the chat is doing ("Generating…"), or why Enter did nothing, next to Stop. */
  private readonly status: HTMLElement;
  /** The question sent with Enter while an answer streams: it is asked as soon as that answer ends. */
  private readonly queuedView: HTMLElement;
  private queued: Asked | undefined;
  /** The code Ask About Selection attached to the question in the input box, shown above it. */
  private readonly attachmentView: HTMLElement;
  private attachment: SelectionView | undefined;
  /** The conversation shown, and the time of its last change here or in another chat view (0: none yet). */
  private conversationId: string;
  private updatedAt = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly deps: AppDeps,
  ) {
    this.doc = root.ownerDocument;
    this.log = deps.log ?? ((message, detail) => console.warn(message, detail));
    this.newId = deps.newId ?? (() => crypto.randomUUID());
    this.clock = deps.clock ?? systemClock;
    this.newConversationId = deps.newConversationId ?? (() => crypto.randomUUID());
    this.conversationId = this.newConversationId();
    const doc = this.doc;

    this.conversation = new Conversation(doc, {
      send: (message) => this.send(message),
      retry: (turn) => this.retry(turn),
      copy: (text) => this.deps.copy(text),
      focusInput: () => this.focusInput(),
      log: this.log,
      rendered: () => this.preview.hideIfDetached(),
      ask: (question) => this.askExample(question),
      clock: this.clock,
    });
    this.preview = new SourcePreview(this.conversation.element, (el) => this.conversation.sourceOf(el));
    this.persistence = new Persistence(deps.state, () => ({
      conversationId: this.conversationId,
      updatedAt: this.updatedAt,
      turns: this.conversation.turns,
      draft: this.input.value,
      collapsedBanners: this.banners.collapsedModes,
    }));

    // The collapsed banners are known before the first state message renders them.
    const collapsed = this.persistence.restore(() => undefined)?.collapsedBanners ?? [];
    this.banners = new Banners(doc, (message) => this.send(message), collapsed, () => this.persistence.save());
    this.input = h(doc, 'textarea', {
      class: 'input',
      rows: '1',
      maxlength: String(MAX_QUESTION),
      placeholder: 'Ask about your workspace',
      title: 'Enter to send, Shift+Enter for a new line',
      'aria-label': 'Question about your workspace',
    });
    this.sendButton = button(doc, 'Send', 'icon-button send', icon(doc, 'send'));
    this.stopButton = button(doc, 'Stop', 'labelled-button stop', icon(doc, 'stop'));
    this.stopButton.append('Stop');
    this.stopButton.title = 'Stop the answer (Escape)';
    this.stopButton.hidden = true;
    this.status = h(doc, 'span', { class: 'composer-status', role: 'status' });
    const unqueue = button(doc, 'Remove the queued question', 'icon-button unqueue', icon(doc, 'close'));
    unqueue.addEventListener('click', () => this.setQueued(undefined));
    this.queuedView = h(doc, 'div', { class: 'queued' }, h(doc, 'span', { class: 'queued-label' }, 'Next'), h(doc, 'span', { class: 'queued-text' }), unqueue);
    this.queuedView.hidden = true;
    const detach = button(doc, 'Remove the attached selection', 'icon-button detach', icon(doc, 'close'));
    detach.addEventListener('click', () => {
      this.setAttachment(undefined);
      this.focusInput();
    });
    this.attachmentView = h(doc, 'div', { class: 'attachment' }, h(doc, 'span', { class: 'attachment-label' }, 'Selection'), h(doc, 'span', { class: 'attachment-where' }), detach);
    this.attachmentView.hidden = true;
    const newChat = button(doc, 'New Chat', 'icon-button new-chat', icon(doc, 'add'));
    this.history = new HistoryPanel(doc, {
      open: (id) => this.openConversation(id),
      delete: (id) => this.deleteConversation(id),
      currentId: () => this.conversationId,
      focusInput: () => this.focusInput(),
      clock: this.clock,
    });
    this.conversation.container.append(this.history.element);
    const composer = h(
      doc,
      'div',
      { class: 'composer' },
      this.queuedView,
      this.attachmentView,
      this.input,
      h(doc, 'div', { class: 'composer-bar' }, newChat, this.history.toggle, this.status, h(doc, 'span', { class: 'spacer' }), this.stopButton, this.sendButton),
    );
    root.replaceChildren(h(doc, 'div', { class: 'chat' }, this.banners.element, this.conversation.container, composer), this.preview.panel, this.conversation.announcer);

    this.input.addEventListener('keydown', (e) => this.onInputKey(e));
    this.input.addEventListener('input', () => this.persistence.save());
    this.sendButton.addEventListener('click', () => this.submit());
    this.stopButton.addEventListener('click', () => this.stop());
    newChat.addEventListener('click', () => this.newChat());
    // Escape closes the preview first, then stops the answer, wherever the focus is in the chat.
    root.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || e.isComposing) return;
      if (this.preview.shown) this.preview.hide();
      else if (this.history.shown) this.history.hide(true);
      else if (this.conversation.busy) this.stop();
      else return;
      e.preventDefault();
    });

    // Focusing the chat view (its title, the Activity Bar icon, a command) focuses the webview's window: the input
    // takes the focus then, unless something in the chat already has it.
    doc.defaultView?.addEventListener('focus', () => {
      const active = doc.activeElement;
      if (!active || active === doc.body || !root.contains(active)) this.focusInput();
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
        // A state sent with an answer carries no examples: the ones shown stay, unless nothing is indexed any more.
        if (!message.indexed) this.conversation.setExamples([]);
        else if (message.examples) this.conversation.setExamples(message.examples);
        return this.banners.render(message);
      case 'prefill':
        this.input.value = message.question;
        this.setAttachment(message.selection);
        this.focusInput();
        // The question is ready to be replaced by the user's own words.
        this.input.setSelectionRange(0, this.input.value.length);
        return this.persistence.save();
      case 'error':
        return this.onError(message);
      case 'conversation':
        return this.showConversation(message.conversation);
      case 'conversations':
        return this.history.setList(message.list);
    }
    // The rest belong to a turn in flight; after New Chat or Stop its late messages are dropped.
    const turn = this.conversation.find(message.id);
    if (!turn || turn.status !== 'streaming') return;
    switch (message.type) {
      case 'sources':
        return this.update(turn, { sources: message.sources.map((s) => ({ ...s })) });
      case 'progress': {
        const p = message.progress;
        if (p.kind === 'fallback') return this.update(turn, { notices: withNotices(turn.notices, [p.message]) });
        // A countdown counts to a time, so a late tick never shows more seconds than are left.
        return this.update(turn, { progress: p.kind === 'waiting' ? { kind: 'waiting', until: this.clock.now() + p.ms } : p });
      }
      case 'delta':
        // The hot path: only the answer changes, and the saves of a stream are coalesced.
        turn.answer += message.text;
        this.conversation.renderAnswer(turn);
        return this.persistence.saveSoon();
      case 'done': {
        const sources = turn.sources.map((s) => (message.stale.includes(s.n) ? { ...s, stale: true } : s));
        const cited = message.cited.filter((n) => sources.some((s) => s.n === n));
        // Not complete without a reason given reads as a stream that ended early.
        const incomplete = message.incomplete ?? (message.complete ? undefined : 'cut-off');
        const notices = withNotices(turn.notices, message.notices);
        this.conversation.announce(answerAnnouncement(message.mode, turn, sources.length));
        return this.update(turn, { sources, cited, footer: footerText(message), status: 'done', incomplete, notices, progress: undefined, mode: message.mode, weakMatch: message.weakMatch });
      }
      case 'stopped':
        this.conversation.announce('The answer stopped.');
        return this.update(turn, STOPPED);
    }
  }

  dispose(): void {
    this.persistence.dispose();
    this.conversation.dispose();
    this.preview.dispose();
  }

  /**
   * The one way a turn changes: applies `patch`, re-renders the turn, brings the controls up to date (a turn that
   * starts or ends streaming flips Send/Stop and every Retry) and saves the conversation.
   */
  private update(turn: Turn, patch: TurnPatch): void {
    Object.assign(turn, patch);
    this.conversation.render(turn);
    this.updateControls();
    this.persistence.save();
    // A turn that ended is part of the conversation now: the host keeps it and shows it in the other chat views.
    if (patch.status !== undefined && patch.status !== 'streaming' && !this.conversation.busy) {
      this.saveConversation();
      this.sendQueued();
    }
  }

  private saveConversation(): void {
    this.updatedAt = Math.max(this.updatedAt + 1, Math.round(this.clock.now()));
    this.persistence.save();
    this.send({ type: 'saveConversation', conversation: { id: this.conversationId, updatedAt: this.updatedAt, turns: savedTurns(this.conversation.turns) } });
  }

  /**
   * The conversation every chat view shows, from the host: when this view is ready, and when another one changed it
   * or moved on to another conversation. An answer streaming here wins (its end is saved and shown everywhere), and
   * what this view already shows as recently is kept.
   */
  private showConversation(incoming: SavedConversation): void {
    if (this.conversation.busy) return;
    if (incoming.id === this.conversationId && incoming.updatedAt <= this.updatedAt) return;
    this.preview.hide();
    this.conversation.clear();
    for (const turn of restoredTurns(incoming.turns)) this.conversation.add(turn);
    this.conversationId = incoming.id;
    this.updatedAt = incoming.updatedAt;
    this.updateControls();
    this.conversation.follow();
    this.persistence.save();
  }

  // ---- Asking ----

  private onInputKey(e: KeyboardEvent): void {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    this.submit();
  }

  /**
   * Sends the input's question; while an answer streams it waits as the next question instead (one at a time: a
   * second one stays in the input box, and the status says why).
   */
  private submit(): void {
    const selection = this.attachment;
    // An attached selection asks its default question when the box was emptied.
    const question = this.input.value.trim() || (selection ? 'What does this code do?' : '');
    if (!question) return;
    if (this.conversation.busy) {
      if (this.queued !== undefined) return this.say('One question is already waiting for this answer to end.');
      this.setQueued({ question, selection });
    } else if (!this.sendQuestion({ question, selection })) return;
    this.input.value = '';
    this.setAttachment(undefined);
    this.focusInput();
    this.persistence.save();
  }

  /** An example question of the empty state: asked as if typed (so it waits its turn while an answer streams). */
  private askExample(question: string): void {
    this.input.value = question;
    this.submit();
  }

  private setAttachment(selection: SelectionView | undefined): void {
    this.attachment = selection;
    this.attachmentView.hidden = selection === undefined;
    this.attachmentView.querySelector('.attachment-where')!.textContent = selection ? `${selection.path}:${lineRange(selection)}` : '';
  }

  private sendQuestion({ question, selection }: Asked): boolean {
    const turn = this.conversation.add({ id: this.newId(), question, selection, answer: '', sources: [], cited: [], status: 'streaming' });
    turn.history = this.conversation.historyBefore(turn);
    // The new question and its answer are what the user looks at now, wherever they had scrolled to.
    this.conversation.follow();
    return this.ask(turn);
  }

  private setQueued(asked: Asked | undefined): void {
    this.queued = asked;
    this.queuedView.hidden = asked === undefined;
    this.queuedView.querySelector('.queued-text')!.textContent = asked ? asked.question + (asked.selection ? ` (${asked.selection.path}:${lineRange(asked.selection)})` : '') : '';
    this.updateControls();
  }

  /** The waiting question, asked once the answer before it ended (done, stopped or failed). */
  private sendQueued(): void {
    const asked = this.queued;
    if (asked === undefined) return;
    this.setQueued(undefined);
    this.sendQuestion(asked);
  }

  /** A note in the status line, e.g. why Enter did not send; the next change of state replaces it. */
  private say(text: string): void {
    this.status.textContent = text;
    this.status.classList.add('note');
  }

  /** Sends the turn's question; a turn whose question cannot be sent fails at once. */
  private ask(turn: Turn): boolean {
    const sent = this.send({ type: 'ask', id: turn.id, question: questionText(turn).slice(0, MAX_QUESTION), history: turn.history ?? [] });
    if (sent) this.updateControls();
    else this.update(turn, { status: 'error', error: 'This question could not be sent.' });
    return sent;
  }

  private stop(): void {
    const turn = this.conversation.streaming;
    if (!turn) return;
    this.send({ type: 'stop', id: turn.id });
    // Stopped at once here: the answer so far is kept and whatever is still on its way is dropped.
    const stopFocused = this.doc.activeElement === this.stopButton;
    this.conversation.announce('The answer stopped.');
    this.update(turn, STOPPED);
    if (stopFocused) this.focusInput();
  }

  private retry(turn: Turn): void {
    if (this.conversation.busy) return;
    const history = turn.history ?? this.conversation.historyBefore(turn);
    this.update(turn, {
      id: this.newId(),
      history,
      answer: '',
      sources: [],
      cited: [],
      footer: undefined,
      error: undefined,
      action: undefined,
      incomplete: undefined,
      notices: undefined,
      progress: undefined,
      mode: undefined,
      weakMatch: undefined,
      status: 'streaming',
    });
    this.conversation.follow();
    this.ask(turn);
    this.focusInput();
  }

  /** Reopens a kept conversation, here and in every other chat view (the host sends it back to all of them). */
  private openConversation(id: string): void {
    if (id === this.conversationId) return this.focusInput();
    this.leaveConversation();
    this.send({ type: 'openConversation', id });
    this.focusInput();
  }

  private deleteConversation(id: string): void {
    this.send({ type: 'deleteConversation', id });
    // The conversation on screen is gone from the list: move on to a new one, as New Chat does.
    if (id === this.conversationId) {
      this.leaveConversation();
      this.startConversation();
    }
  }

  /** Stops what streams, and moves this and every other chat view on to a new, empty conversation. */
  private newChat(): void {
    this.leaveConversation();
    this.startConversation();
    this.focusInput();
  }

  /** Before another conversation is shown: the answer in flight stops and stays in this one. */
  private leaveConversation(): void {
    // A question waiting for the answer in flight goes back to the input box rather than into either conversation.
    if (this.queued !== undefined) {
      this.input.value = [this.queued.question, this.input.value].filter((t) => t.trim()).join('\n');
      if (!this.attachment) this.setAttachment(this.queued.selection);
      this.setQueued(undefined);
    }
    const streaming = this.conversation.streaming;
    if (streaming) {
      this.send({ type: 'stop', id: streaming.id });
      // The partial answer stays in the conversation being left.
      this.update(streaming, STOPPED);
    }
    this.preview.hide();
  }

  private startConversation(): void {
    this.conversation.clear();
    this.conversationId = this.newConversationId();
    this.updatedAt = 0;
    this.updateControls();
    this.persistence.save();
    this.send({ type: 'openConversation', id: this.conversationId });
  }


  private onError(message: Extract<ToWebview, { type: 'error' }>): void {
    const turn = message.id ? this.conversation.find(message.id) : this.conversation.streaming;
    if (message.id && (!turn || turn.status !== 'streaming')) return;
    if (!turn) return this.conversation.addNotice(message.message, message.action);
    this.update(turn, { status: 'error', error: message.message, action: message.action });
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

  // ---- Around the conversation ----

  private updateControls(): void {
    const busy = this.conversation.busy;
    this.sendButton.hidden = busy;
    this.stopButton.hidden = !busy;
    this.status.classList.remove('note');
    this.status.textContent = busy ? (this.queued !== undefined ? 'Generating… the next question waits' : 'Generating…') : '';
    this.conversation.updateControls(busy);
  }

  private focusInput(): void {
    this.input.focus();
    const end = this.input.value.length;
    this.input.setSelectionRange(end, end);
  }

  /** Restores the saved conversation and draft; a saved state that does not parse is dropped. */
  private restore(): void {
    const saved = this.persistence.restore(this.log);
    if (!saved) return;
    if (saved.conversationId) this.conversationId = saved.conversationId;
    this.updatedAt = saved.updatedAt ?? 0;
    for (const turn of saved.turns) this.conversation.add(turn);
    this.input.value = saved.draft;
    this.updateControls();
    this.conversation.follow();
  }
}

/** What a screen reader hears once an answer is complete: the answer's words (not its markdown), or what it lists. */
function answerAnnouncement(mode: Extract<ToWebview, { type: 'done' }>['mode'], turn: Turn, sources: number): string {
  if (mode === 'retrieval-only') return `Sources found: ${sources}, shown as code.`;
  const words = (turn.view.answer.textContent ?? '').replace(/\s+/g, ' ').trim();
  const cut = words.length > ANNOUNCED_CHARS ? `${words.slice(0, ANNOUNCED_CHARS - 1)}…` : words;
  return `Answer complete: ${cut}`;
}

/** Characters of an answer read out when it is complete; the rest is in the transcript. */
const ANNOUNCED_CHARS = 600;

/** A turn's notices with `more` added, each once, within the protocol's count. */
function withNotices(notices: string[] | undefined, more: string[]): string[] | undefined {
  const all = [...new Set([...(notices ?? []), ...more])].slice(0, MAX_NOTICES);
  return all.length > 0 ? all : undefined;
}
