// The conversations of this workspace, kept by the extension in its workspace state: the one every chat view shows
// (the Activity Bar view and the editor tab alike), and the earlier ones New Chat keeps, listed newest first,
// reopened or deleted from any view and restored after a reload. The list is bounded: the oldest conversations go
// first when there are more than MAX_CONVERSATIONS or they take more than MAX_STORED_CHARS. What is stored is read
// back through the protocol's schema, like any other input.
import * as vscode from 'vscode';
import { z } from 'zod';
import { MAX_CONVERSATIONS, MAX_TITLE } from '../protocol/limits';
import { savedConversation, type ConversationSummary, type SavedConversation } from '../protocol/messages';
import type { Log } from './log';

const KEY = 'workspaceRag.conversations';
/** About 4 MB of JSON: VS Code keeps workspace state in SQLite and reads all of it at startup. */
const MAX_STORED_CHARS = 4_000_000;

const storedSchema = z.object({
  /** The conversation the chat views show; it may have no turns yet (after New Chat), then it is not in the list. */
  current: z.string().optional(),
  conversations: z.array(savedConversation),
});
type Stored = z.infer<typeof storedSchema>;

/** The current conversation changed, or was changed in one chat view: every other one shows it now. */
export interface ConversationChange {
  conversation: SavedConversation;
  /** The chat view the change came from, which already shows it. */
  origin?: unknown;
}

export class ConversationStore implements vscode.Disposable {
  private readonly switched = new vscode.EventEmitter<ConversationChange>();
  readonly onDidSwitch = this.switched.event;
  private readonly listed = new vscode.EventEmitter<void>();
  /** The list of kept conversations changed (one saved, deleted, or dropped as the oldest). */
  readonly onDidChangeList = this.listed.event;

  constructor(
    private readonly memento: Pick<vscode.Memento, 'get' | 'update'>,
    private readonly log: Pick<Log, 'warn'>,
  ) {}

  /** The conversation the chat views show, or undefined before any view has shown one. */
  current(): SavedConversation | undefined {
    const stored = this.read();
    if (stored.current === undefined) return undefined;
    return stored.conversations.find((c) => c.id === stored.current) ?? { id: stored.current, updatedAt: 0, turns: [] };
  }

  /** Keeps `conversation` (it becomes the current one) and shows it in every chat view but `origin`. */
  async save(conversation: SavedConversation, origin: unknown): Promise<void> {
    const stored = this.read();
    const others = stored.conversations.filter((c) => c.id !== conversation.id);
    const conversations = conversation.turns.length > 0 ? [conversation, ...others] : others;
    await this.write({ current: conversation.id, conversations: bounded(conversations) });
    this.switched.fire({ conversation, origin });
    this.listed.fire();
  }

  /** The kept conversations, the one changed last first: the first question as a title, the time, how many turns. */
  list(): ConversationSummary[] {
    return this.read().conversations.map((c) => ({ id: c.id, title: titleOf(c), updatedAt: c.updatedAt, turns: c.turns.length }));
  }

  /** Forgets a conversation; the views showing it move on to a new one themselves. */
  async delete(id: string): Promise<void> {
    const stored = this.read();
    if (!stored.conversations.some((c) => c.id === id)) return;
    await this.write({ current: stored.current, conversations: stored.conversations.filter((c) => c.id !== id) });
    this.listed.fire();
  }

  /** Makes `id` the current conversation (a kept one, or a new empty one) and shows it in every chat view. */
  async open(id: string): Promise<void> {
    const stored = this.read();
    await this.write({ ...stored, current: id });
    this.switched.fire({ conversation: stored.conversations.find((c) => c.id === id) ?? { id, updatedAt: 0, turns: [] } });
  }

  private read(): Stored {
    const raw = this.memento.get<unknown>(KEY);
    if (raw === undefined) return { conversations: [] };
    const parsed = storedSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    this.log.warn(`Discarded the stored chat conversations: they do not parse (${parsed.error.issues[0]?.message ?? 'unknown'}).`);
    return { conversations: [] };
  }

  private async write(stored: Stored): Promise<void> {
    await this.memento.update(KEY, stored);
  }

  dispose(): void {
    this.switched.dispose();
    this.listed.dispose();
  }
}

/** The first question's first line, cut to fit. */
function titleOf(c: SavedConversation): string {
  const first = (c.turns[0]?.question ?? '').trim().split('\n', 1)[0].replace(/\s+/g, ' ');
  return first.length > MAX_TITLE ? `${first.slice(0, MAX_TITLE - 1)}…` : first || 'Untitled conversation';
}

/** The newest conversations that fit both bounds (they are kept newest first). */
function bounded(conversations: SavedConversation[]): SavedConversation[] {
  const kept: SavedConversation[] = [];
  let chars = 0;
  for (const c of conversations.slice(0, MAX_CONVERSATIONS)) {
    chars += JSON.stringify(c).length;
    // The newest one always stays, however long: it is the one on screen.
    if (kept.length > 0 && chars > MAX_STORED_CHARS) break;
    kept.push(c);
  }
  return kept;
}
