// The conversation: the turns, their rendering in the transcript (this answer's fallback notices, what BitNet is doing
// before the first word, the answer, its incomplete mark, error, Sources list and footer), the notices that belong to no
// question, and the clicks on citations and Copy buttons.
import type { FromWebview, IncompleteReason, ReadingProgress, SelectionView, SourceView, ToWebview } from '../protocol/messages';

type AnswerMode = Extract<ToWebview, { type: 'done' }>['mode'];
import { MAX_HISTORY_CONTENT, MAX_INSERT } from '../protocol/limits';
import type { Clock } from './clock';
import { button, h, icon } from './dom';
import { incompleteText, lineRange, questionText, readingText, retryIn, sourceLabel } from './format';
import { AnswerRenderer } from './markdown';
import { codeBlock, sourceButton, sourcesAnswer } from './snippets';

type Ask = Extract<FromWebview, { type: 'ask' }>;
export type HistoryMessage = Ask['history'][number];
export type Action = NonNullable<Extract<ToWebview, { type: 'error' }>['action']>;
export type Status = 'streaming' | 'done' | 'stopped' | 'error';
/** What BitNet is doing before the first word: reading the prompt, or waiting out a 429 until a time of the clock. */
export type Progress = ReadingProgress | { kind: 'waiting'; until: number };

interface TurnView {
  root: HTMLElement;
  notices: HTMLElement;
  progress: HTMLElement;
  answer: HTMLElement;
  incomplete: HTMLElement;
  error: HTMLElement;
  sources: HTMLElement;
  footer: HTMLElement;
}

/** What a turn is, apart from its elements. */
export interface TurnData {
  id: string;
  /** What the user typed; with `selection`, the code attached to it (the model gets both: questionText). */
  question: string;
  selection?: SelectionView;
  answer: string;
  sources: SourceView[];
  cited: number[];
  footer?: string;
  error?: string;
  status: Status;
  /** The history sent with the question, so Retry asks exactly the same; recomputed for restored turns. */
  history?: HistoryMessage[];
  action?: Action;
  /** Set when the answer was cut off, empty or ended early; its text and sources are kept. */
  incomplete?: IncompleteReason;
  /** What this answer fell back to and why, shown above it. */
  notices?: string[];
  /** Until the first word; not saved. */
  progress?: Progress;
  /** Set when done: a retrieval-only answer shows its sources as snippets, not its text. */
  mode?: AnswerMode;
  /** A retrieval-only answer's question words that no source mentions. */
  weakMatch?: string[];
}

export interface Turn extends TurnData {
  view: TurnView;
}

/** Earlier turns sent with a follow-up (two messages each, within MAX_HISTORY_MESSAGES); the host trims them further to BitNet's budget. */
const HISTORY_TURNS = 10;

export interface ConversationDeps {
  /** Validates and sends a message to the extension; false when it was not sent. */
  send(message: FromWebview): boolean;
  retry(turn: Turn): void;
  copy(text: string): Promise<void>;
  focusInput(): void;
  log(message: string, detail?: unknown): void;
  /** After an answer re-renders: the chip being previewed may be gone. */
  rendered(): void;
  /** An example question of the empty state was clicked. */
  ask(question: string): void;
  clock: Clock;
}

/** How close to the end (px) still counts as "at the latest": scroll positions are fractional when zoomed. */
const AT_END_PX = 16;

export class Conversation {
  /** The transcript: the turns, then the notices. */
  readonly element: HTMLElement;
  /** The transcript with its "Jump to latest" control, which floats over its lower edge. */
  readonly container: HTMLElement;
  private readonly jump: HTMLButtonElement;
  /**
   * Whether the transcript keeps to its end as answers grow: on after sending and while the user stays at the end,
   * off once they scroll up to read (then "Jump to latest" shows until they are back at the end).
   */
  private following = true;
  private lastScrollTop = 0;
  /** What screen readers are told: an answer once it is complete, or that it stopped. */
  readonly announcer: HTMLElement;
  private readonly doc: Document;
  private readonly renderer = new AnswerRenderer();
  private readonly empty: HTMLElement;
  /** Questions made from the indexed workspace, offered while the conversation is empty. */
  private readonly examples: HTMLElement;
  private readonly notices: HTMLElement;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** The next tick of a 429 countdown (one turn streams at a time). */
  private countdown: { turn: Turn; cancel: () => void } | undefined;
  private list: Turn[] = [];

  constructor(
    doc: Document,
    private readonly deps: ConversationDeps,
  ) {
    this.doc = doc;
    this.examples = h(doc, 'div', { class: 'examples', role: 'group', 'aria-label': 'Example questions' });
    this.examples.hidden = true;
    this.empty = h(
      doc,
      'div',
      { class: 'empty' },
      h(doc, 'p', { class: 'empty-title' }, 'Ask about your workspace'),
      h(doc, 'p', {}, 'Answers come from your indexed files and cite them: hover a number to preview the lines, click it to open them.'),
      this.examples,
    );
    this.notices = h(doc, 'div', { class: 'notices' });
    // A log whose changes are not read out as they stream: each answer is announced once, complete (announce()).
    this.element = h(doc, 'div', { class: 'transcript', role: 'log', 'aria-live': 'off', 'aria-label': 'Conversation' }, this.empty, this.notices);
    this.element.addEventListener('click', (e) => this.onClick(e));
    this.element.addEventListener('keydown', (e) => this.onRovingKey(e));
    // A chip focused by a click or a preview's return is the group's tab stop from then on.
    this.element.addEventListener('focusin', (e) => {
      const item = (e.target as Element | null)?.closest<HTMLElement>('button[data-source]');
      const group = item?.closest<HTMLElement>('.answer, .turn-sources');
      if (!item || !group) return;
      group.dataset.rovingAt = String(rovingItems(group).indexOf(item));
      rove(group);
    });
    this.announcer = h(doc, 'div', { class: 'sr-only', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    this.jump = button(doc, 'Jump to latest', 'jump-latest', icon(doc, 'down'));
    this.jump.append('Jump to latest');
    this.jump.hidden = true;
    this.jump.addEventListener('click', () => {
      this.follow();
      this.deps.focusInput();
    });
    this.container = h(doc, 'div', { class: 'transcript-wrap' }, this.element, this.jump);
    this.element.addEventListener('scroll', () => this.onScroll());
    // Intent to read up is known before the scroll it causes: a stream's next delta must not pull the view back down.
    this.element.addEventListener('wheel', (e) => {
      if (e.deltaY < 0) this.stopFollowing();
    });
    this.element.addEventListener('keydown', (e) => {
      if (['ArrowUp', 'PageUp', 'Home'].includes(e.key)) this.stopFollowing();
    });
  }

  get turns(): readonly Turn[] {
    return this.list;
  }

  get busy(): boolean {
    return this.list.some((t) => t.status === 'streaming');
  }

  /** The turn whose answer is on its way, if any. */
  get streaming(): Turn | undefined {
    return this.list.find((t) => t.status === 'streaming');
  }

  find(id: string): Turn | undefined {
    return this.list.find((t) => t.id === id);
  }

  add(data: TurnData): Turn {
    const doc = this.doc;
    const view: TurnView = {
      notices: h(doc, 'div', { class: 'turn-notices' }),
      progress: h(doc, 'div', { class: 'turn-progress' }),
      answer: h(doc, 'div', { class: 'answer markdown' }),
      incomplete: h(doc, 'div', { class: 'turn-incomplete' }),
      error: h(doc, 'div', { class: 'turn-error' }),
      sources: h(doc, 'div', { class: 'turn-sources' }),
      footer: h(doc, 'div', { class: 'turn-footer' }),
      root: h(doc, 'article', { class: 'turn', 'data-turn': data.id, 'aria-label': `Question: ${data.question.slice(0, 200)}` }),
    };
    // The question as text, and the code it is about as a code block: never the fenced markdown the model gets.
    const question = h(doc, 'div', { class: 'question' }, h(doc, 'div', { class: 'question-text' }, data.question));
    if (data.selection) question.append(h(doc, 'div', { class: 'question-where' }, `${data.selection.path}:${lineRange(data.selection)}`), codeBlock(doc, data.selection.language, data.selection.text));
    view.root.append(question, view.notices, view.progress, view.answer, view.incomplete, view.error, view.sources, view.footer);
    const turn: Turn = { ...data, view };
    this.list.push(turn);
    this.element.insertBefore(view.root, this.notices);
    this.empty.hidden = true;
    this.render(turn);
    return turn;
  }

  /** The empty state's example questions (none: the workspace is not indexed, or nothing was found to ask about). */
  setExamples(questions: readonly string[]): void {
    const doc = this.doc;
    this.examples.replaceChildren(
      h(doc, 'p', { class: 'examples-title' }, 'Try asking'),
      ...questions.map((q) => {
        const b = h(doc, 'button', { type: 'button', class: 'example', 'aria-label': `Ask: ${q}` }, q);
        b.addEventListener('click', () => this.deps.ask(q));
        return b;
      }),
    );
    this.examples.hidden = questions.length === 0;
  }

  /** Removes every turn and notice (New Chat). */
  clear(): void {
    this.stopCountdown();
    for (const turn of this.list) turn.view.root.remove();
    this.list = [];
    this.notices.replaceChildren();
  }

  /** User and assistant messages of the finished turns before `turn`, most recent last. */
  historyBefore(turn: Turn): HistoryMessage[] {
    const earlier = this.list.slice(0, this.list.indexOf(turn));
    return earlier
      .filter((t) => (t.status === 'done' || t.status === 'stopped') && t.answer.trim() !== '')
      .slice(-HISTORY_TURNS)
      .flatMap((t): HistoryMessage[] => [
        { role: 'user', content: questionText(t).slice(0, MAX_HISTORY_CONTENT) },
        { role: 'assistant', content: t.answer.slice(0, MAX_HISTORY_CONTENT) },
      ]);
  }

  /** Everything a turn shows: its notices and progress, its answer, then its incomplete mark, error, Sources list and footer. */
  render(turn: Turn): void {
    turn.view.root.dataset.turn = turn.id;
    this.renderAnswer(turn);
    this.renderMeta(turn);
    rove(turn.view.sources);
    this.grown();
  }

  /** Re-renders the answer's markdown (it is small, so each delta renders the whole text). */
  renderAnswer(turn: Turn): void {
    if (turn.mode === 'retrieval-only') {
      // The sources are the answer: each once, its lines as code in its language, never as markdown.
      turn.view.answer.replaceChildren(...sourcesAnswer(this.doc, turn.sources, turn.weakMatch));
    } else {
      const { html, cited } = this.renderer.render(answerBody(turn), turn.sources.map((s) => s.n));
      // The one raw-HTML sink: markdown-it output with html:false, so model text arrives here escaped.
      turn.view.answer.innerHTML = html;
      if (turn.status !== 'done') turn.cited = cited;
    }
    for (const chip of Array.from(turn.view.answer.querySelectorAll<HTMLElement>('button.chip'))) {
      const source = turn.sources.find((s) => s.n === Number(chip.dataset.source));
      if (!source) continue;
      chip.setAttribute('aria-label', sourceLabel(source, source.stale));
      chip.classList.toggle('stale', source.stale);
    }
    this.renderProgress(turn);
    // Before any progress the answer itself says it is searching; progress replaces that, the first word replaces both.
    turn.view.answer.classList.toggle('pending', beforeFirstWord(turn) && !turn.progress);
    turn.view.root.classList.toggle('streaming', turn.status === 'streaming');
    rove(turn.view.answer);
    this.deps.rendered();
    this.grown();
  }

  /**
   * What BitNet is doing until the first word. A 429's countdown ticks each second from the clock; only its number
   * changes then, in a part the transcript's live region does not read out every second.
   */
  private renderProgress(turn: Turn): void {
    const el = turn.view.progress;
    const progress = beforeFirstWord(turn) ? turn.progress : undefined;
    if (this.countdown?.turn === turn) this.stopCountdown();
    el.hidden = progress === undefined;
    if (!progress) return el.replaceChildren();
    if (progress.kind === 'reading') {
      el.dataset.kind = 'reading';
      return el.replaceChildren(readingText(progress));
    }
    const left = Math.max(0, progress.until - this.deps.clock.now());
    let count = el.dataset.kind === 'waiting' ? el.querySelector<HTMLElement>('.countdown') : null;
    if (!count) {
      el.dataset.kind = 'waiting';
      count = h(this.doc, 'span', { class: 'countdown', 'aria-live': 'off' });
      el.replaceChildren('BitNet is busy: trying again ', count, '…');
    }
    count.textContent = retryIn(left);
    if (left <= 0) return;
    // The next tick is when the whole seconds left change.
    const next = left - (Math.ceil(left / 1000) - 1) * 1000;
    this.countdown = { turn, cancel: this.deps.clock.after(next, () => this.renderProgress(turn)) };
  }

  private stopCountdown(): void {
    this.countdown?.cancel();
    this.countdown = undefined;
  }

  /** The notices above an answer and the incomplete mark, error, Sources list and footer under it. */
  private renderMeta(turn: Turn): void {
    const doc = this.doc;
    const { notices, incomplete, error, sources, footer } = turn.view;
    // Styled like the mode banners, but for this turn only; its lead ("Keyword-only for this question") in bold.
    notices.replaceChildren(
      ...(turn.notices ?? []).map((text) => {
        const lead = /^([^:\n]{1,60}): /.exec(text);
        return h(doc, 'div', { class: 'banner mode turn-notice' }, ...(lead ? [h(doc, 'strong', {}, lead[1]), text.slice(lead[1].length)] : [text]));
      }),
    );
    const reason = turn.status === 'done' ? turn.incomplete : undefined;
    incomplete.textContent = reason ? incompleteText(reason) : '';
    incomplete.hidden = !reason;
    error.replaceChildren();
    if (turn.error !== undefined) {
      const retry = button(doc, 'Retry', 'text-button', 'Retry');
      retry.disabled = this.busy;
      retry.addEventListener('click', () => this.deps.retry(turn));
      const actions = h(doc, 'div', { class: 'error-actions' }, retry);
      if (turn.action) actions.append(this.commandButton(turn.action));
      error.append(h(doc, 'div', { class: 'error-box', role: 'alert' }, h(doc, 'p', { class: 'error-message' }, turn.error), actions));
    }

    sources.replaceChildren();
    const finished = turn.status === 'done' || turn.status === 'stopped';
    const cited = turn.cited.map((n) => turn.sources.find((s) => s.n === n)).filter((s): s is SourceView => s !== undefined);
    // An answer that cites nothing still shows what it was given, so every claim can be checked.
    // A stopped answer keeps the sources it was given too.
    const listed = cited.length > 0 ? cited : finished ? turn.sources : [];
    // A retrieval-only answer is its sources already.
    if (finished && listed.length > 0 && turn.mode !== 'retrieval-only') {
      const title = cited.length > 0 ? 'Sources' : 'Retrieved sources (none cited)';
      const list = h(doc, 'ul', { class: 'source-list', 'aria-label': title });
      for (const source of [...listed].sort((a, b) => a.n - b.n)) {
        list.append(h(doc, 'li', {}, sourceButton(doc, source)));
      }
      sources.append(h(doc, 'div', { class: 'source-title' }, title), list);
    }

    footer.textContent = turn.footer ?? '';
    footer.hidden = !turn.footer;
  }

  private commandButton(action: Action): HTMLButtonElement {
    const el = button(this.doc, action.label, 'text-button secondary', action.label);
    el.addEventListener('click', () => this.deps.send({ type: 'command', command: action.command }));
    return el;
  }

  /** An error that belongs to no question, e.g. settings that do not validate. */
  addNotice(text: string, action: Action | undefined): void {
    const doc = this.doc;
    const dismiss = button(doc, 'Dismiss', 'text-button secondary', 'Dismiss');
    const notice = h(doc, 'div', { class: 'error-box notice', role: 'alert' }, h(doc, 'p', { class: 'error-message' }, text), h(doc, 'div', { class: 'error-actions' }, action && this.commandButton(action), dismiss));
    dismiss.addEventListener('click', () => {
      notice.remove();
      this.deps.focusInput();
    });
    this.notices.append(notice);
    this.follow();
  }

  /** The transcript's part of the controls: while an answer streams no Retry can start another; the empty text. */
  updateControls(busy: boolean): void {
    this.element.setAttribute('aria-busy', String(busy));
    for (const retry of Array.from(this.element.querySelectorAll<HTMLButtonElement>('.turn-error .error-actions button:first-child'))) retry.disabled = busy;
    this.empty.hidden = this.list.length > 0;
  }

  /** The source a chip or Sources entry stands for. */
  sourceOf(el: HTMLElement): SourceView | undefined {
    const id = el.closest<HTMLElement>('article.turn')?.dataset.turn;
    const turn = this.list.find((t) => t.id === id);
    return turn?.sources.find((s) => s.n === Number(el.dataset.source));
  }

  private atEnd(): boolean {
    const t = this.element;
    return t.scrollHeight - t.scrollTop - t.clientHeight <= AT_END_PX;
  }

  /** Scrolls to the end and keeps there as the answer grows (after sending, Jump to latest, a restore). */
  follow(): void {
    this.following = true;
    this.element.scrollTop = this.element.scrollHeight;
    this.lastScrollTop = this.element.scrollTop;
    this.jump.hidden = true;
  }

  private stopFollowing(): void {
    this.following = false;
  }

  /** After the transcript grew: keep to the end when following, else offer the way back to it. */
  private grown(): void {
    if (this.following) this.follow();
    else this.jump.hidden = this.atEnd();
  }

  /**
   * The user's scrolling decides: moving down to the end follows again; anywhere above the end stops following. A
   * scroll that moves up never restarts it, even near the end (a smooth wheel scroll starts with small steps).
   */
  private onScroll(): void {
    const top = this.element.scrollTop;
    const atEnd = this.atEnd();
    if (!atEnd) this.following = false;
    else if (top >= this.lastScrollTop) this.following = true;
    this.lastScrollTop = top;
    this.jump.hidden = this.following || atEnd;
  }

  dispose(): void {
    this.stopCountdown();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Tells screen readers `text` (a polite status), once. */
  announce(text: string): void {
    // Emptied first, so the same words said twice are read twice.
    this.announcer.textContent = '';
    this.announcer.textContent = text;
  }

  /** Arrow keys, Home and End move between the chips of one answer, or the entries of one Sources list. */
  private onRovingKey(e: KeyboardEvent): void {
    const from = (e.target as Element | null)?.closest<HTMLElement>('button[data-source]');
    const group = from?.closest<HTMLElement>('.answer, .turn-sources');
    if (!from || !group) return;
    const items = rovingItems(group);
    const at = items.indexOf(from);
    const to = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const index = Math.max(0, Math.min(items.length - 1, to));
    group.dataset.rovingAt = String(index);
    rove(group);
    items[index].focus();
  }

  private onClick(e: Event): void {
    const target = (e.target as Element | null)?.closest<HTMLElement>('button');
    if (!target) return;
    if (target.dataset.source !== undefined) {
      const source = this.sourceOf(target);
      if (source) this.deps.send({ type: 'openSource', path: source.path, startLine: source.startLine, endLine: source.endLine });
    } else if (target.classList.contains('copy')) {
      this.copyCode(target, this.codeOf(target));
    } else if (target.classList.contains('insert')) {
      const code = this.codeOf(target);
      if (code) this.deps.send({ type: 'insertCode', code: code.slice(0, MAX_INSERT) });
    }
  }

  /** A code block's code; a snippet's is its source's whole text, not the shortened lines it shows. */
  private codeOf(el: HTMLElement): string {
    const snippet = el.closest<HTMLElement>('.snippet');
    const turnId = el.closest<HTMLElement>('article.turn')?.dataset.turn;
    const source = snippet && this.list.find((t) => t.id === turnId)?.sources.find((s) => s.n === Number(snippet.dataset.snippet));
    if (source) return source.text;
    return el.closest('.code-block')?.querySelector('code')?.textContent ?? '';
  }

  private copyCode(copyButton: HTMLElement, code: string): void {
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
        this.deps.log('Workspace RAG: copying to the clipboard failed', err);
        show('Copy failed');
      },
    );
  }
}

const rovingItems = (group: HTMLElement) => Array.from(group.querySelectorAll<HTMLElement>('button[data-source]'));

/**
 * One tab stop for the chips of an answer (or the entries of a Sources list): the one last moved to, or the first,
 * keeps tabindex 0 and the others -1, so Tab goes past them all to what follows.
 */
function rove(group: HTMLElement): void {
  const items = rovingItems(group);
  const current = items[Number(group.dataset.rovingAt ?? 0)] ?? items[0];
  for (const item of items) item.tabIndex = item === current ? 0 : -1;
}

const beforeFirstWord = (turn: TurnData) => turn.status === 'streaming' && turn.answer === '';

/**
 * The answer as shown: a retrieval-only fallback's text opens with the notice that is already shown above it, so that
 * copy is left out (the turn keeps the whole text, for the history and the saved state).
 */
function answerBody(turn: TurnData): string {
  for (const notice of turn.notices ?? []) {
    if (turn.answer.startsWith(notice)) return turn.answer.slice(notice.length).replace(/^\s+/, '');
  }
  return turn.answer;
}
