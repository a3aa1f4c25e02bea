// The conversation across reloads: saved through the webview's state store (getState/setState) and parsed on restore
// like any other input.
import { chatState, type ChatState } from '../protocol/messages';
import type { Status, TurnData } from './conversation';

export interface StateStore {
  get(): unknown;
  set(state: ChatState): void;
}

/** What is saved: the turns and the text in the input box. */
export interface Snapshot {
  turns: readonly TurnData[];
  draft: string;
}

/** Turns kept across reloads; older ones would only grow the saved state. */
const SAVED_TURNS = 50;
const SAVE_DELAY_MS = 500;

export class Persistence {
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly snapshot: () => Snapshot,
  ) {}

  /** Coalesces the saves of a stream: each one serialises the whole conversation. */
  saveSoon(): void {
    this.saveTimer ??= setTimeout(() => this.save(), SAVE_DELAY_MS);
  }

  save(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const { turns, draft } = this.snapshot();
    const state: ChatState = {
      turns: turns.slice(-SAVED_TURNS).map((t) => ({
        id: t.id,
        question: t.question,
        answer: t.answer,
        sources: t.sources,
        cited: t.cited,
        footer: t.footer,
        error: t.error,
        incomplete: t.incomplete,
        notices: t.notices,
      })),
      draft: draft || undefined,
    };
    this.store.set(state);
  }

  /** The saved conversation, or undefined when there is none or it does not parse (then it is logged and dropped). */
  restore(log: (message: string, detail?: unknown) => void): Snapshot | undefined {
    const saved = this.store.get();
    if (saved === undefined || saved === null) return undefined;
    const parsed = chatState.safeParse(saved);
    if (!parsed.success) {
      log('Workspace RAG: discarded a saved chat that does not parse', parsed.error.issues);
      return undefined;
    }
    const turns = parsed.data.turns.map((t): TurnData => {
      // A turn saved mid-answer lost its stream with the reload, so it reads as stopped.
      const status: Status = t.error !== undefined ? 'error' : t.footer === undefined ? 'stopped' : 'done';
      return { ...t, sources: t.sources.map((s) => ({ ...s })), footer: t.footer ?? (status === 'stopped' ? 'Stopped' : undefined), status };
    });
    return { turns, draft: parsed.data.draft ?? '' };
  }

  dispose(): void {
    clearTimeout(this.saveTimer);
  }
}
