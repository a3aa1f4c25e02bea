// The history of conversations: the kept ones, newest first, each with its first question as a title, how many
// questions it has and when it last changed; one click reopens it (in every chat view), another deletes it. A panel
// over the transcript, opened from the composer's History button; Escape or the button closes it.
import type { ConversationSummary } from '../protocol/messages';
import type { Clock } from './clock';
import { button, h, icon } from './dom';
import { ago } from './format';

export interface HistoryDeps {
  open(id: string): void;
  delete(id: string): void;
  /** The conversation shown now, marked in the list. */
  currentId(): string;
  /** Where the focus goes when the panel closes. */
  focusInput(): void;
  clock: Clock;
}

export class HistoryPanel {
  readonly element: HTMLElement;
  readonly toggle: HTMLButtonElement;
  private readonly list: HTMLElement;
  private summaries: ConversationSummary[] = [];

  constructor(
    private readonly doc: Document,
    private readonly deps: HistoryDeps,
  ) {
    this.list = h(doc, 'ul', { class: 'history-list', 'aria-label': 'Earlier conversations' });
    const close = button(doc, 'Close the conversation history', 'icon-button history-close', icon(doc, 'close'));
    close.addEventListener('click', () => this.hide(true));
    this.element = h(
      doc,
      'section',
      { class: 'history', id: 'conversation-history', 'aria-label': 'Conversation history' },
      h(doc, 'div', { class: 'history-head' }, h(doc, 'strong', {}, 'Conversations'), close),
      this.list,
    );
    this.element.hidden = true;
    this.toggle = button(doc, 'Conversation history', 'icon-button history-toggle', icon(doc, 'history'));
    this.toggle.setAttribute('aria-expanded', 'false');
    this.toggle.setAttribute('aria-controls', this.element.id);
    this.toggle.addEventListener('click', () => (this.shown ? this.hide(true) : this.show()));
  }

  get shown(): boolean {
    return !this.element.hidden;
  }

  setList(list: ConversationSummary[]): void {
    this.summaries = list;
    if (this.shown) this.render();
  }

  show(): void {
    this.render();
    this.element.hidden = false;
    this.toggle.setAttribute('aria-expanded', 'true');
    this.list.querySelector<HTMLElement>('button')?.focus();
  }

  /** Closes the panel; with `refocus`, the focus goes back to the input (Escape, Close, the toggle). */
  hide(refocus = false): void {
    if (!this.shown) return;
    this.element.hidden = true;
    this.toggle.setAttribute('aria-expanded', 'false');
    if (refocus) this.deps.focusInput();
  }

  private render(): void {
    const doc = this.doc;
    const now = this.deps.clock.now();
    const current = this.deps.currentId();
    if (this.summaries.length === 0) {
      this.list.replaceChildren(h(doc, 'li', { class: 'history-empty' }, 'No conversations yet: New Chat keeps the one you leave here.'));
      return;
    }
    this.list.replaceChildren(
      ...this.summaries.map((c) => {
        const questions = `${c.turns} question${c.turns === 1 ? '' : 's'}`;
        const when = ago(c.updatedAt, now);
        const open = h(
          doc,
          'button',
          { type: 'button', class: 'history-open', 'data-conversation': c.id, 'aria-label': `${c.title}, ${questions}, ${when}${c.id === current ? ', open now' : ''}` },
          h(doc, 'span', { class: 'history-title' }, c.title),
          h(doc, 'span', { class: 'history-meta' }, `${questions} · ${when}`),
        );
        if (c.id === current) open.setAttribute('aria-current', 'true');
        open.addEventListener('click', () => {
          this.hide();
          this.deps.open(c.id);
        });
        const remove = button(doc, `Delete the conversation “${c.title}”`, 'icon-button history-delete', icon(doc, 'trash'));
        remove.addEventListener('click', () => {
          this.deps.delete(c.id);
          // The focus stays in the list, on the next entry (or the previous one at the end).
          const rows = Array.from(this.list.querySelectorAll<HTMLElement>('.history-open'));
          const at = rows.findIndex((r) => r.dataset.conversation === c.id);
          this.summaries = this.summaries.filter((s) => s.id !== c.id);
          this.render();
          const after = Array.from(this.list.querySelectorAll<HTMLElement>('.history-open'));
          (after[Math.min(at, after.length - 1)] ?? this.list.querySelector<HTMLElement>('button') ?? this.toggle).focus();
        });
        return h(doc, 'li', { class: 'history-item' }, open, remove);
      }),
    );
  }
}
