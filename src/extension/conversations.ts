// The conversations of this workspace, kept by the extension in its workspace state: the one every chat view shows
// (the Activity Bar view and the editor tab alike), and the earlier ones New Chat keeps, restored after a reload.
// What is stored is read back through the protocol's schema, like any other input.
import * as vscode from 'vscode';
import { z } from 'zod';
import { savedConversation, type SavedConversation } from '../protocol/messages';
import type { Log } from './log';

const KEY = 'workspaceRag.conversations';

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
    await this.write({ current: conversation.id, conversations });
    this.switched.fire({ conversation, origin });
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
  }
}
