// The conversation across reloads: saved through the webview's state store (getState/setState) and parsed on restore
// like any other input.
import { chatState, type ChatState, type ModeBanner, type SavedTurn } from '../protocol/messages';
import { MAX_SAVED_ANSWER, MAX_SAVED_TURNS } from '../protocol/limits';
import type { Status, TurnData } from './conversation';

export interface StateStore {
  get(): unknown;
  set(state: ChatState): void;
}

/** What is saved: the conversation shown (its id and last change), its turns and the text in the input box. */
export interface Snapshot {
  conversationId?: string;
  updatedAt?: number;
  turns: readonly TurnData[];
  draft: string;
  collapsedBanners?: ModeBanner[];
}

const SAVE_DELAY_MS = 500;

/** Turns as they are saved and sent to the host: the latest MAX_SAVED_TURNS, without their elements or progress. */
export function savedTurns(turns: readonly TurnData[]): SavedTurn[] {
  return turns.slice(-MAX_SAVED_TURNS).map((t) => ({
    id: t.id,
    question: t.question,
    selection: t.selection,
    answer: t.answer.slice(0, MAX_SAVED_ANSWER),
    sources: t.sources,
    cited: t.cited,
    footer: t.footer,
    error: t.error,
    incomplete: t.incomplete,
    notices: t.notices,
    mode: t.mode,
    weakMatch: t.weakMatch,
  }));
}

/** Saved turns as turns again; one saved mid-answer lost its stream (a reload, another view), so it reads as stopped. */
export function restoredTurns(saved: readonly SavedTurn[]): TurnData[] {
  return saved.map((t): TurnData => {
    const status: Status = t.error !== undefined ? 'error' : t.footer === undefined ? 'stopped' : 'done';
    return { ...t, sources: t.sources.map((s) => ({ ...s })), footer: t.footer ?? (status === 'stopped' ? 'Stopped' : undefined), status };
  });
}

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
    const { conversationId, updatedAt, turns, draft, collapsedBanners } = this.snapshot();
    const state: ChatState = { conversationId, updatedAt, turns: savedTurns(turns), draft: draft || undefined, collapsedBanners: collapsedBanners?.length ? collapsedBanners : undefined };
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
    const { conversationId, updatedAt, turns, draft, collapsedBanners } = parsed.data;
    return { conversationId, updatedAt, turns: restoredTurns(turns), draft: draft ?? '', collapsedBanners };
  }

  dispose(): void {
    clearTimeout(this.saveTimer);
  }
}
