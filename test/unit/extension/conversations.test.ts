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
});
