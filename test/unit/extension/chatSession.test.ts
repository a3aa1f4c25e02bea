import '../../shim/register';
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { ChatError } from '../../../src/core/generate';
import { ConfigError } from '../../../src/core/config';
import type { Engine } from '../../../src/core/engine';
import type { EngineConfig } from '../../../src/core/config';
import type { AskOptions, Answer } from '../../../src/core/answer';
import type { Source } from '../../../src/core/retrieve';
import { chatHtml, ChatSession, linesChanged, type ChatDeps, type SourceLocation } from '../../../src/extension/chatView';
import { ConversationStore } from '../../../src/extension/conversations';
import { Log } from '../../../src/extension/log';
import { redactValues } from '../../../src/extension/secrets';
import type { ToWebview } from '../../../src/protocol/messages';
import { MAX_LANGUAGE, MAX_NOTICE, MAX_NOTICES } from '../../../src/protocol/limits';

const KEY = 'sk-FAKE-unit-5a1c9e7b3d';
const redact = (t: string) => redactValues(t, [KEY]);

const source = (n: number, path: string, startLine: number, text: string): Source => ({
  n,
  path,
  startLine,
  endLine: startLine + text.split('\n').length - 1,
  language: 'markdown',
  text,
  score: 1,
  via: ['vector'],
});

interface Fake {
  files: Record<string, string>;
  indexedFiles: number;
  ask: (question: string, options: AskOptions) => Promise<Answer>;
}

/** A Memento over a map, as VS Code's global state is. */
function memento(initial: Record<string, unknown> = {}) {
  const values = new Map(Object.entries(initial));
  return { values, get: <T>(key: string) => values.get(key) as T | undefined, update: async (key: string, value: unknown) => void values.set(key, value) } as Pick<vscode.Memento, 'get' | 'update'> & { values: Map<string, unknown> };
}

function setup(fake: Fake, preferences = memento()) {
  const posted: ToWebview[] = [];
  const logged: string[] = [];
  const opened: SourceLocation[] = [];
  const commands: Array<string | undefined> = [];
  const inserted: string[] = [];
  const received = new vscode.EventEmitter<unknown>();
  const channel = Object.fromEntries(['trace', 'debug', 'info', 'warn', 'error'].map((level) => [level, (m: string) => logged.push(`${level}: ${m}`)]));
  const log = new Log(channel as unknown as vscode.LogOutputChannel, redact);
  const engine = {
    status: async () => ({ files: fake.indexedFiles }),
    ask: (_ws: unknown, q: string, o: AskOptions = {}) => fake.ask(q, o),
    capabilities: { embeddings: false, generation: true },
  } satisfies Partial<Record<keyof Engine, unknown>> as unknown as Engine;
  const deps: ChatDeps = {
    useEngine: (work) => work({ engine, config: {} as EngineConfig }),
    onEngineChange: new vscode.EventEmitter<void>().event,
    workspace: () => ({ id: 'ws', name: 'ws', roots: [{ name: 'ws', path: '/ws' }] }),
    currentText: async (p) => fake.files[p],
    openSource: async (l) => (opened.push(l), true),
    runCommand: (c, setting) => commands.push(setting ? `${c} ${setting}` : c),
    insertCode: async (code) => (inserted.push(code), true),
    conversations: new ConversationStore({ get: () => undefined, update: async () => undefined }, log),
    preferences,
    log,
    redact,
  };
  const session = new ChatSession({ postMessage: async (m) => (posted.push(m as ToWebview), true), onDidReceiveMessage: received.event }, deps);
  return { session, posted, logged, opened, commands, inserted, send: (m: unknown) => session.receive(m) };
}

const answer = (sources: Source[], text: string, cited: number[]): Answer => ({
  mode: 'generated',
  complete: true,
  notices: [],
  retrievalMode: 'keyword-only',
  text,
  sources,
  cited,
  droppedCitations: 0,
  timings: { retrievalMs: 1, firstTokenMs: 2, totalMs: 3 },
});

describe('extension chat session', () => {
  it('streams state, sources, deltas and done in order, with stale flags from the current file text', async () => {
    const sources = [source(1, 'docs/a.md', 3, 'line three\nline four'), source(2, 'docs/b.md', 1, 'old text')];
    const t = setup({
      files: { 'docs/a.md': 'one\ntwo\nline three\nline four\n', 'docs/b.md': 'new text\n' },
      indexedFiles: 2,
      ask: async (_q, o) => {
        o.onSources?.({ mode: 'keyword-only', sources, candidates: 2, budgetTokens: 100, usedTokens: 10, timings: { embedMs: 0, searchMs: 0 } });
        o.onDelta?.('See [1]');
        o.onDelta?.(' and [2].');
        return answer(sources, 'See [1] and [2].', [1, 2]);
      },
    });
    await t.send({ type: 'ask', id: 'a1', question: 'q?', history: [{ role: 'user', content: 'earlier' }] });
    assert.deepEqual(t.posted.map((m) => m.type), ['state', 'sources', 'delta', 'delta', 'done']);
    assert.deepEqual(t.posted[0], { type: 'state', keywordOnly: true, retrievalOnly: false, indexed: true });
    const sent = t.posted[1] as Extract<ToWebview, { type: 'sources' }>;
    assert.deepEqual(sent.sources.map((s) => s.stale), [false, true]);
    const done = t.posted[4] as Extract<ToWebview, { type: 'done' }>;
    assert.deepEqual(done.stale, [2]);
    assert.deepEqual(done.cited, [1, 2]);
  });

  it('sends BitNet reading, a 429 waited out and a fallback as progress, in order with the rest of the turn', async () => {
    const sources = [source(1, 'docs/a.md', 1, 'text')];
    const t = setup({
      files: { 'docs/a.md': 'text\n' },
      indexedFiles: 1,
      ask: async (_q, o) => {
        o.onProgress?.({ kind: 'fallback', message: `Keyword-only for this question: the embeddings endpoint failed (key ${KEY} refused).` });
        o.onSources?.({ mode: 'keyword-only', sources, candidates: 1, budgetTokens: 100, usedTokens: 10, timings: { embedMs: 0, searchMs: 0 } });
        o.onProgress?.({ kind: 'reading', promptTokens: 1840, newTokens: 640, estimatedMs: 8205 });
        o.onProgress?.({ kind: 'waiting', ms: 3000 });
        o.onProgress?.({ kind: 'reading', promptTokens: 1840, newTokens: 0, estimatedMs: 0 });
        o.onDelta?.('Yes [1].');
        return answer(sources, 'Yes [1].', [1]);
      },
    });
    await t.send({ type: 'ask', id: 'p1', question: 'q?', history: [] });
    assert.deepEqual(t.posted.map((m) => m.type), ['state', 'progress', 'sources', 'progress', 'progress', 'progress', 'delta', 'done']);
    const progress = t.posted.filter((m) => m.type === 'progress').map((m) => (m as Extract<ToWebview, { type: 'progress' }>).progress);
    assert.deepEqual(progress.slice(1), [
      { kind: 'reading', promptTokens: 1840, newTokens: 640, estimatedMs: 8205 },
      { kind: 'waiting', ms: 3000 },
      { kind: 'reading', promptTokens: 1840, newTokens: 0, estimatedMs: 0 },
    ]);
    assert.equal(progress[0].kind, 'fallback');
    assert.ok(progress[0].kind === 'fallback' && progress[0].message.startsWith('Keyword-only for this question'));
    assert.ok(!JSON.stringify(t.posted).includes(KEY), 'a notice is scrubbed of keys');
  });

  it('marks an incomplete answer in done and carries its notices, scrubbed and cut to the limits', async () => {
    const sources = [source(1, 'docs/a.md', 1, 'text')];
    const notices = [`Retrieval-only for this answer: BitNet could not answer (${KEY} ${'x'.repeat(MAX_NOTICE)})`, ...Array.from({ length: MAX_NOTICES }, (_, i) => `notice ${i}`)];
    const t = setup({
      files: { 'docs/a.md': 'text\n' },
      indexedFiles: 1,
      ask: async (_q, o) => {
        o.onSources?.({ mode: 'keyword-only', sources, candidates: 1, budgetTokens: 100, usedTokens: 10, timings: { embedMs: 0, searchMs: 0 } });
        o.onDelta?.('The answer was going to');
        return { ...answer(sources, 'The answer was going to', []), complete: false, incomplete: 'length', notices };
      },
    });
    await t.send({ type: 'ask', id: 'i1', question: 'q?', history: [] });
    const done = t.posted.at(-1) as Extract<ToWebview, { type: 'done' }>;
    assert.equal(done.type, 'done');
    assert.equal(done.complete, false);
    assert.equal(done.incomplete, 'length');
    assert.equal(done.notices.length, MAX_NOTICES);
    assert.equal(done.notices[0].length, MAX_NOTICE);
    assert.ok(done.notices[0].endsWith('…'));
    assert.ok(!JSON.stringify(done).includes(KEY));
    assert.deepEqual(done.notices.slice(1), notices.slice(1, MAX_NOTICES));
  });

  it("cuts a source's language to the protocol's limit, so its sources still reach the webview", async () => {
    const long = { ...source(1, 'docs/a.md', 1, 'text'), language: 'x'.repeat(MAX_LANGUAGE + 1) };
    const t = setup({
      files: { 'docs/a.md': 'text\n' },
      indexedFiles: 1,
      ask: async (_q, o) => {
        o.onSources?.({ mode: 'keyword-only', sources: [long], candidates: 1, budgetTokens: 100, usedTokens: 10, timings: { embedMs: 0, searchMs: 0 } });
        return answer([long], 'x', []);
      },
    });
    await t.send({ type: 'ask', id: 'l', question: 'q?', history: [] });
    const sent = t.posted.find((m) => m.type === 'sources') as Extract<ToWebview, { type: 'sources' }>;
    assert.equal(sent.sources[0].language, 'x'.repeat(MAX_LANGUAGE));
  });

  it("inserts a code block's code at the cursor, and sends a retrieval-only answer's weak match (scrubbed of keys) with done", async () => {
    const sources = [source(1, 'docs/a.md', 1, 'text')];
    const t = setup({
      files: { 'docs/a.md': 'text\n' },
      indexedFiles: 1,
      ask: async (_q, o) => {
        o.onSources?.({ mode: 'keyword-only', sources, candidates: 1, budgetTokens: 100, usedTokens: 10, timings: { embedMs: 0, searchMs: 0 } });
        return { ...answer(sources, 'Retrieval-only…', [1]), mode: 'retrieval-only', weakMatch: ['quartz', KEY] };
      },
    });
    await t.send({ type: 'insertCode', code: 'npm test\n' });
    assert.deepEqual(t.inserted, ['npm test\n']);
    await t.send({ type: 'insertCode', code: '' });
    assert.deepEqual(t.inserted, ['npm test\n'], 'an empty insert does not parse');
    await t.send({ type: 'ask', id: 'w', question: 'quartz?', history: [] });
    const done = t.posted.find((m) => m.type === 'done') as Extract<ToWebview, { type: 'done' }>;
    assert.deepEqual(done.weakMatch, ['quartz', '••••••']);
  });

  it('passes the history to the engine', async () => {
    let history: unknown;
    const t = setup({ files: {}, indexedFiles: 1, ask: async (_q, o) => ((history = o.history), answer([], 'x', [])) });
    await t.send({ type: 'ask', id: 'h', question: 'and then?', history: [{ role: 'user', content: 'first' }, { role: 'assistant', content: 'answer' }] });
    assert.deepEqual(history, [{ role: 'user', content: 'first' }, { role: 'assistant', content: 'answer' }]);
  });

  it('turns failures into in-line errors with their button, scrubbed of keys', async () => {
    const t = setup({
      files: {},
      indexedFiles: 1,
      ask: async () => {
        throw new ChatError('auth', `rejected key ${KEY} (HTTP 401)`, { status: 401 });
      },
    });
    await t.send({ type: 'ask', id: 'e1', question: 'q', history: [] });
    const error = t.posted.find((m) => m.type === 'error') as Extract<ToWebview, { type: 'error' }>;
    assert.equal(error.kind, 'auth');
    assert.equal(error.id, 'e1');
    assert.equal(error.action?.command, 'setCredentials');
    assert.ok(!JSON.stringify(t.posted).includes(KEY));
    assert.ok(!t.logged.join('\n').includes(KEY), 'the log is scrubbed too');
  });

  it("opens the setting a configuration error named when its Open Settings button is pressed", async () => {
    const t = setup({
      files: {},
      indexedFiles: 1,
      ask: async () => {
        throw ConfigError.of('workspaceRag.bitnet.endpoint', 'an http(s) URL');
      },
    });
    await t.send({ type: 'ask', id: 'c1', question: 'q', history: [] });
    const error = t.posted.find((m) => m.type === 'error') as Extract<ToWebview, { type: 'error' }>;
    assert.equal(error.action?.command, 'openSettings');
    await t.send({ type: 'command', command: 'openSettings' });
    assert.deepEqual(t.commands, ['openSettings workspaceRag.bitnet.endpoint']);
  });

  it("opens the setting a mode banner names, and no setting outside the banners' list", async () => {
    const t = setup({ files: {}, indexedFiles: 1, ask: async () => assert.fail('must not ask') });
    await t.send({ type: 'command', command: 'openSettings', setting: 'workspaceRag.bitnet.endpoint' });
    await t.send({ type: 'command', command: 'openSettings', setting: 'terminal.integrated.shell.linux' });
    assert.deepEqual(t.commands, ['openSettings workspaceRag.bitnet.endpoint']);
  });

  it('keeps the collapsed mode banners for every view and window: stored when the webview says, sent with each state', async () => {
    const preferences = memento();
    const t = setup({ files: {}, indexedFiles: 1, ask: async () => assert.fail('must not ask') }, preferences);
    const states = () => t.posted.filter((m): m is Extract<ToWebview, { type: 'state' }> => m.type === 'state');
    await t.send({ type: 'ready' });
    assert.deepEqual(states().at(-1)?.collapsedBanners, []);
    await t.send({ type: 'collapseBanners', modes: ['retrieval-only'] });
    assert.deepEqual(preferences.values.get('workspaceRag.collapsedBanners'), ['retrieval-only']);
    // Another chat view, or the same one after a reload, is told when it becomes ready.
    const other = setup({ files: {}, indexedFiles: 1, ask: async () => assert.fail('must not ask') }, preferences);
    await other.send({ type: 'ready' });
    const state = other.posted.find((m) => m.type === 'state') as Extract<ToWebview, { type: 'state' }>;
    assert.deepEqual(state.collapsedBanners, ['retrieval-only']);
    // A mode that is not a banner is refused like any malformed message, and a stored value that does not parse is none.
    await t.send({ type: 'collapseBanners', modes: ['everything'] });
    assert.deepEqual(preferences.values.get('workspaceRag.collapsedBanners'), ['retrieval-only']);
    preferences.values.set('workspaceRag.collapsedBanners', 'retrieval-only');
    await t.send({ type: 'ready' });
    assert.deepEqual(states().at(-1)?.collapsedBanners, []);
  });

  it('offers first questions made from the overview of the index when the webview is ready, and none when it cannot be read', async () => {
    const t = setup({ files: {}, indexedFiles: 1, ask: async () => assert.fail('must not ask') });
    const engine = (t.session as unknown as { deps: ChatDeps }).deps;
    let overview: () => Promise<unknown> = async () => ({ readme: { path: 'README.md', title: `Pebble ${KEY}`, headings: [] }, folders: [{ name: 'src', files: 2 }], symbols: [] });
    const use = engine.useEngine;
    engine.useEngine = (work) => use((open) => work({ ...open, engine: { ...open.engine, overview: () => overview() } as Engine }));
    await t.send({ type: 'ready' });
    const state = t.posted.find((m) => m.type === 'state') as Extract<ToWebview, { type: 'state' }>;
    assert.deepEqual(state.examples, ['What is Pebble ••••••?', 'What is in the src folder?']);
    overview = async () => {
      throw new Error('Neo4j went away');
    };
    await t.send({ type: 'ready' });
    const again = t.posted.filter((m) => m.type === 'state').at(-1) as Extract<ToWebview, { type: 'state' }>;
    assert.equal(again.examples, undefined);
    assert.ok(t.logged.some((l) => l.includes('No example questions: Neo4j went away')));
  });

  it('asks to index first when nothing is indexed', async () => {
    const t = setup({ files: {}, indexedFiles: 0, ask: async () => assert.fail('must not ask') });
    await t.send({ type: 'ask', id: 'n', question: 'q', history: [] });
    const error = t.posted.find((m) => m.type === 'error') as Extract<ToWebview, { type: 'error' }>;
    assert.equal(error.kind, 'not-indexed');
    assert.equal(error.action?.command, 'indexWorkspace');
  });

  it('stops a running turn on request', async () => {
    let release!: () => void;
    const t = setup({
      files: {},
      indexedFiles: 1,
      ask: (_q, o) =>
        new Promise((_resolve, reject) => {
          release = () => reject(new ChatError('cancelled', 'stopped'));
          o.signal?.addEventListener('abort', () => release());
        }),
    });
    const turn = t.send({ type: 'ask', id: 's1', question: 'q', history: [] });
    await new Promise((r) => setImmediate(r));
    await t.send({ type: 'stop', id: 's1' });
    await turn;
    assert.equal(t.posted.at(-1)?.type, 'stopped');
  });

  it('rejects and logs malformed or unknown messages without acting on them', async () => {
    const t = setup({ files: {}, indexedFiles: 1, ask: async () => assert.fail('must not ask') });
    for (const bad of [null, 'ask', { type: 'ask', id: 'x' }, { type: 'openSource', path: '../../etc/passwd', startLine: 1, endLine: 1 }, { type: 'command', command: 'workbench.action.terminal.new' }, { type: 'eval' }]) {
      await t.send(bad);
    }
    assert.deepEqual(t.posted, []);
    assert.deepEqual(t.opened, []);
    assert.deepEqual(t.commands, []);
    assert.equal(t.logged.filter((l) => l.startsWith('warn: Rejected')).length, 6);
  });

  it('routes citations and commands from the closed list', async () => {
    const t = setup({ files: {}, indexedFiles: 1, ask: async () => assert.fail('must not ask') });
    await t.send({ type: 'openSource', path: 'docs/a.md', startLine: 3, endLine: 4 });
    await t.send({ type: 'command', command: 'setCredentials' });
    assert.equal(t.opened[0].path, 'docs/a.md');
    assert.deepEqual(t.commands, ['setCredentials']);
  });

  it('delivers a prefill once the webview is ready', async () => {
    const t = setup({ files: {}, indexedFiles: 1, ask: async () => assert.fail('must not ask') });
    t.session.prefill('What does this do?');
    assert.equal(t.posted.length, 0);
    await t.send({ type: 'ready' });
    assert.deepEqual(t.posted.map((m) => m.type), ['conversations', 'state', 'prefill']);
  });
});

describe('extension chat helpers', () => {
  it('compares cited lines CRLF-neutrally and treats a vanished file or range as changed', () => {
    const s = { startLine: 2, endLine: 3, text: 'b\nc' };
    assert.equal(linesChanged('a\r\nb\r\nc\r\n', s), false);
    assert.equal(linesChanged('a\nb\nC\n', s), true);
    assert.equal(linesChanged('a\nb', s), true);
    assert.equal(linesChanged(undefined, s), true);
  });

  it('renders a shell with a strict nonce CSP and only media/ resources', () => {
    const webview = { cspSource: 'https://webview.test', asWebviewUri: (u: vscode.Uri) => u.with({ scheme: 'https' }) };
    const html = chatHtml(webview as unknown as vscode.Webview, vscode.Uri.file('/ext'), 'NONCE123');
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /^default-src 'none'/);
    assert.match(csp, /script-src 'nonce-NONCE123'/);
    assert.match(csp, /style-src https:\/\/webview\.test/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.match(html, /<div id="app"><\/div>/);
    assert.match(html, /<script nonce="NONCE123" src="https:\/\/\/ext\/media\/dist\/chat\.js"><\/script>/);
    assert.match(html, /<link rel="stylesheet" href="https:\/\/\/ext\/media\/chat\.css">/);
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'no inline script');
    assert.doesNotMatch(html, /style=/);
    assert.notEqual(chatHtml(webview as unknown as vscode.Webview, vscode.Uri.file('/ext')), chatHtml(webview as unknown as vscode.Webview, vscode.Uri.file('/ext')), 'a fresh nonce per load');
  });
});
