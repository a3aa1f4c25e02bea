import '../../shim/register';
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { EngineConfig } from '../../../src/core/config';
import type { Engine } from '../../../src/core/engine';
import { ChatSession, type ChatDeps } from '../../../src/extension/chatView';
import { ConversationStore } from '../../../src/extension/conversations';
import { Log } from '../../../src/extension/log';
import type { SavedConversation, ToWebview } from '../../../src/protocol/messages';

function memento() {
  const data = new Map<string, unknown>();
  return {
    data,
    get: <T>(key: string) => data.get(key) as T | undefined,
    update: async (key: string, value: unknown) => void data.set(key, structuredClone(value)),
  };
}

const quiet = new Log(Object.fromEntries(['trace', 'debug', 'info', 'warn', 'error'].map((l) => [l, () => undefined])) as unknown as vscode.LogOutputChannel, (t) => t);

/** Chat sessions over one store, as the Activity Bar view and an editor tab are. */
function views(store: ConversationStore) {
  const engine = { status: async () => ({ files: 1 }), capabilities: { embeddings: true, generation: true } } as unknown as Engine;
  const deps: ChatDeps = {
    useEngine: (work) => work({ engine, config: {} as EngineConfig }),
    onEngineChange: new vscode.EventEmitter<void>().event,
    workspace: () => ({ id: 'ws', name: 'ws', roots: [{ name: 'ws', path: '/ws' }] }),
    currentText: async () => undefined,
    openSource: async () => true,
    runCommand: () => undefined,
    insertCode: async () => true,
    conversations: store,
    preferences: { get: () => undefined, update: async () => undefined },
    log: quiet,
    redact: (t) => t,
  };
  return () => {
    const posted: ToWebview[] = [];
    const session = new ChatSession({ postMessage: async (m) => (posted.push(m as ToWebview), true), onDidReceiveMessage: new vscode.EventEmitter<unknown>().event }, deps);
    const conversations = () => posted.filter((m): m is Extract<ToWebview, { type: 'conversation' }> => m.type === 'conversation').map((m) => m.conversation);
    return { session, posted, conversations, send: (m: unknown) => session.receive(m) };
  };
}

const turn = (id: string, question: string) => ({ id, question, answer: `About ${question}`, sources: [], cited: [], footer: 'Total 1 s' });
const conversation = (id: string, updatedAt: number, ...questions: string[]): SavedConversation => ({ id, updatedAt, turns: questions.map((q, i) => turn(`${id}-t${i}`, q)) });

describe('one conversation across chat views', () => {
  it('shows a view that opens the conversation another view saved, and mirrors later changes to it', async () => {
    const store = new ConversationStore(memento(), quiet);
    const open = views(store);
    const sidebar = open();
    await sidebar.send({ type: 'ready' });
    assert.deepEqual(sidebar.conversations(), [], 'nothing to show before any conversation');
    const first = conversation('c1', 100, 'What is a chunk?');
    await sidebar.send({ type: 'saveConversation', conversation: first });
    assert.deepEqual(sidebar.conversations(), [], 'the view a change came from is not sent it back');

    const tab = open();
    await tab.send({ type: 'ready' });
    assert.deepEqual(tab.conversations(), [first], 'Open Chat shows the same conversation, not an empty one');
    // Before the state, which reads the index: a view shown again gets the newer copy before it can ask anything.
    assert.deepEqual(tab.posted.map((m) => m.type).slice(0, 3), ['conversation', 'conversations', 'state']);

    const second = conversation('c1', 200, 'What is a chunk?', 'How big is one?');
    await tab.send({ type: 'saveConversation', conversation: second });
    assert.deepEqual(sidebar.conversations(), [second]);

    // New Chat in one view: every view moves to the new, empty conversation.
    await sidebar.send({ type: 'openConversation', id: 'c2' });
    assert.deepEqual(tab.conversations().at(-1), { id: 'c2', updatedAt: 0, turns: [] });
    assert.deepEqual(sidebar.conversations().at(-1), { id: 'c2', updatedAt: 0, turns: [] });
  });

  it('keeps the conversation across a reload (a new store over the same workspace state), and drops a stored value that does not parse', async () => {
    const state = memento();
    const saved = conversation('c1', 100, 'What is a chunk?');
    await new ConversationStore(state, quiet).save(saved, undefined);
    const reloaded = views(new ConversationStore(state, quiet))();
    await reloaded.send({ type: 'ready' });
    assert.deepEqual(reloaded.conversations(), [saved]);

    const warnings: string[] = [];
    state.data.set('workspaceRag.conversations', { current: 'c1', conversations: [{ id: 'c1', turns: 'not turns' }] });
    const broken = new ConversationStore(state, { warn: (m: string) => void warnings.push(m) });
    assert.equal(broken.current(), undefined);
    assert.equal(warnings.length, 1);
  });

  it('rejects a saved conversation that breaks the protocol, and keeps nothing of it', async () => {
    const state = memento();
    const view = views(new ConversationStore(state, quiet))();
    await view.send({ type: 'saveConversation', conversation: { id: 'c1', updatedAt: 1, turns: [{ ...turn('t', 'q'), sources: [{ n: 1, path: '../../etc/passwd', startLine: 1, endLine: 1, language: 'x', text: '', stale: false }] }] } });
    assert.equal(state.data.size, 0);
  });

  it('keeps the conversations New Chat leaves as a list, newest first, titled by their first question; deletes one on request', async () => {
    const store = new ConversationStore(memento(), quiet);
    const view = views(store)();
    await view.send({ type: 'ready' });
    await view.send({ type: 'saveConversation', conversation: conversation('c1', 100, '  What is a chunk?\nWith details', 'And then?') });
    await view.send({ type: 'openConversation', id: 'c2' });
    await view.send({ type: 'saveConversation', conversation: conversation('c2', 200, 'How big is one?') });
    const lists = view.posted.filter((m): m is Extract<ToWebview, { type: 'conversations' }> => m.type === 'conversations');
    assert.deepEqual(lists[0].list, [], 'sent when the view is ready');
    assert.deepEqual(lists.at(-1)?.list, [
      { id: 'c2', title: 'How big is one?', updatedAt: 200, turns: 1 },
      { id: 'c1', title: 'What is a chunk?', updatedAt: 100, turns: 2 },
    ]);
    // Another view hears of the change too.
    const other = views(store)();
    await other.send({ type: 'ready' });
    await view.send({ type: 'deleteConversation', id: 'c1' });
    const heard = other.posted.filter((m): m is Extract<ToWebview, { type: 'conversations' }> => m.type === 'conversations').at(-1);
    assert.deepEqual(heard?.list.map((c) => c.id), ['c2']);
  });

  it('bounds the list: the oldest conversations go beyond 30, or beyond about 4 MB, the newest always stays', async () => {
    const store = new ConversationStore(memento(), quiet);
    for (let i = 1; i <= 35; i++) await store.save(conversation(`c${i}`, i, `Question ${i}?`), undefined);
    const ids = store.list().map((c) => c.id);
    assert.equal(ids.length, 30);
    assert.equal(ids[0], 'c35');
    assert.equal(ids.at(-1), 'c6');

    const big = (id: string): SavedConversation => ({ id, updatedAt: 1, turns: Array.from({ length: 20 }, (_, i) => ({ ...turn(`${id}-${i}`, 'q'), answer: 'x'.repeat(99_000) })) });
    await store.save(big('b1'), undefined);
    await store.save(big('b2'), undefined);
    await store.save(big('b3'), undefined);
    const after = store.list().map((c) => c.id);
    assert.deepEqual(after.slice(0, 2), ['b3', 'b2'], 'two of about 2 MB fit');
    assert.ok(!after.includes('b1'));
  });
});
