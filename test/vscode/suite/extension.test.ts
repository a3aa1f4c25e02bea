// The real extension in VS Code's extension host: commands and settings validation, the secrets round trip, index
// and ask through the engine against the real Neo4j and the local protocol servers, citations opening the right
// lines, the watcher, and a scan for a known fake key everywhere it must never appear.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import neo4j from 'neo4j-driver';
import * as vscode from 'vscode';
import type { TestApi } from '../../../src/extension/extension';
import type { IndexReport } from '../../../src/core/indexer';
import type { IndexSummary } from '../../../src/extension/indexing';
import type { UserError } from '../../../src/extension/errors';
import type { ToWebview } from '../../../src/protocol/messages';
import { neo4jTestConfig, prepareTestDatabase, TEST_DIMENSIONS } from '../../integration/neo4j-env';
import { startEmbeddingServer, type EmbeddingServer } from '../../servers/azure-embeddings';
import { startChatServer, type ChatServer } from '../../servers/chat-completions';

const EXTENSION_ID = 'workspace-rag.workspace-rag';
/** Keys no real service has; the leak scan looks for them. */
const AZURE_KEY = 'sk-FAKE-azure-4b7e1c9d2a8f6e30';
const BITNET_KEY = 'sk-FAKE-bitnet-9e2d7a1c5b3f8046';
const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const DEMO = path.join(REPO, 'samples', 'demo-workspace');

const config = () => vscode.workspace.getConfiguration('workspaceRag');
const setting = (key: string, value: unknown) => config().update(key, value, vscode.ConfigurationTarget.Global);
const command = <T>(id: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(`workspaceRag.${id}`, ...args);
const status = () => command<IndexSummary | UserError>('showIndexStatus');

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, attempts = 120): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`gave up waiting for ${what}`);
}

function turnOf(messages: ToWebview[], id: string) {
  const of = <K extends ToWebview['type']>(type: K) => messages.filter((m): m is Extract<ToWebview, { type: K }> => m.type === type && (!('id' in m) || m.id === id));
  return { sources: of('sources')[0], deltas: of('delta'), done: of('done')[0], error: of('error')[0], state: of('state')[0], progress: of('progress') };
}

describe('Workspace RAG extension', function () {
  this.timeout(120_000);
  let api: TestApi;
  let embeddings: EmbeddingServer;
  let chat: ChatServer;
  let root: string;
  const neo4jConfig = neo4jTestConfig();
  /** Every message the host posted to chat sessions: the leak scan reads them. */
  const posted: ToWebview[] = [];
  const ask = async (id: string, question: string, history: Array<{ role: 'user' | 'assistant'; content: string }> = []) => {
    const messages = await api.chat([{ type: 'ask', id, question, history }]);
    posted.push(...messages);
    return turnOf(messages, id);
  };

  before(async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the launcher opens a folder');
    root = folder.uri.fsPath;
    fs.cpSync(DEMO, root, { recursive: true });
    await prepareTestDatabase(neo4jConfig);
    embeddings = await startEmbeddingServer({ apiKey: AZURE_KEY, dimensions: TEST_DIMENSIONS });
    chat = await startChatServer({ apiKey: BITNET_KEY });
    await setting('neo4j.uri', neo4jConfig.uri);
    await setting('neo4j.username', neo4jConfig.username);
    await setting('neo4j.database', neo4jConfig.database);
    await setting('azure.endpoint', embeddings.url);
    await setting('azure.deployment', 'text-embedding-3-small');
    await setting('azure.dimensions', TEST_DIMENSIONS);
    await setting('bitnet.endpoint', chat.azureEndpoint);
    await setting('bitnet.authStyle', 'api-key');
    await setting('indexing.autoUpdate', false);
    const extension = vscode.extensions.getExtension<TestApi | undefined>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is loaded as the development extension`);
    const exported = await extension.activate();
    assert.ok(exported, 'activate() returns the test API in test mode');
    api = exported;
    await command('setCredentials', { neo4jPassword: neo4jConfig.password, azureApiKey: AZURE_KEY, bitnetApiKey: BITNET_KEY });
  });

  after(async () => {
    await command('clearIndex', 'workspace');
    await command('clearCredentials', ['neo4jPassword', 'azureApiKey', 'bitnetApiKey']);
    for (const key of ['neo4j.uri', 'neo4j.username', 'neo4j.database', 'azure.endpoint', 'azure.deployment', 'azure.dimensions', 'bitnet.endpoint', 'bitnet.authStyle', 'indexing.autoUpdate']) {
      await setting(key, undefined);
    }
    await embeddings?.close();
    await chat?.close();
  });

  describe('manifest and commands', () => {
    it('registers every contributed command, each under the Workspace RAG category', async () => {
      const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: Array<{ command: string; category: string }> } };
      const registered = new Set(await vscode.commands.getCommands(true));
      const expected = ['indexWorkspace', 'rebuildIndex', 'clearIndex', 'showIndexStatus', 'openChat', 'askAboutSelection', 'setCredentials', 'clearCredentials', 'showLog'];
      assert.deepEqual(manifest.contributes.commands.map((c) => c.command).sort(), expected.map((c) => `workspaceRag.${c}`).sort());
      for (const c of manifest.contributes.commands) {
        assert.equal(c.category, 'Workspace RAG');
        assert.ok(registered.has(c.command), `${c.command} is registered`);
      }
      assert.ok(registered.has('workspaceRag.openSource'));
    });

    it('keeps endpoint and URI settings out of workspace settings', async () => {
      for (const key of ['neo4j.uri', 'azure.endpoint', 'bitnet.endpoint']) {
        await assert.rejects(
          Promise.resolve(config().update(key, 'https://attacker.example', vscode.ConfigurationTarget.Workspace)),
          `workspace settings must not be able to set workspaceRag.${key}`,
        );
      }
    });

    it('names a bad setting and offers Open Settings', async () => {
      await setting('azure.endpoint', 'not a url');
      try {
        const result = await status();
        assert.ok(!('files' in result));
        assert.equal(result.kind, 'config');
        assert.equal(result.setting, 'workspaceRag.azure.endpoint');
        assert.equal(result.action?.command, 'openSettings');
      } finally {
        await setting('azure.endpoint', embeddings.url);
      }
    });
  });

  describe('credentials', () => {
    it('reports a missing key with Set Credentials, and works again once it is set', async () => {
      await command('clearCredentials', ['neo4jPassword']);
      const missing = await status();
      assert.ok(!('files' in missing));
      assert.equal(missing.kind, 'missing-key');
      assert.equal(missing.action?.command, 'setCredentials');
      await command('setCredentials', { neo4jPassword: neo4jConfig.password });
      const ok = await status();
      assert.ok('files' in ok, `status after setting the password: ${JSON.stringify(ok)}`);
    });

    it('rejects a wrong Neo4j password with an error that does not echo it', async () => {
      await command('setCredentials', { neo4jPassword: 'fake-wrong-password' });
      try {
        const rejected = await status();
        assert.ok(!('files' in rejected));
        assert.equal(rejected.kind, 'neo4j');
        assert.ok(!rejected.message.includes('fake-wrong-password'));
      } finally {
        await command('setCredentials', { neo4jPassword: neo4jConfig.password });
      }
    });
  });

  describe('index and ask', () => {
    it('indexes the workspace through workspace.fs into Neo4j', async () => {
      const report = await command<IndexReport | undefined>('indexWorkspace');
      assert.ok(report, 'the command returns the run report');
      assert.equal(report.error, undefined);
      assert.equal(report.mode, 'embeddings');
      assert.ok(report.files.changed >= 7, `indexed ${report.files.changed} files`);
      assert.ok(report.chunks.written > 0);
      // Embeddings may come from the content-keyed cache (other suites index the same demo files): all are present.
      assert.equal(report.chunks.embedded + report.chunks.reused, report.chunks.written);
      const s = await status();
      assert.ok('files' in s);
      assert.equal(s.files, report.files.changed);
      assert.equal(s.embedded, s.chunks);
      assert.equal(s.changedFiles, 0);
      assert.equal(s.keywordOnly, false);
      assert.equal(s.retrievalOnly, false);
    });

    it('answers with sources, streamed deltas and citations, and carries history into a follow-up', async () => {
      const first = await ask('t1', 'How do I install Pebble on Linux?');
      assert.equal(first.error, undefined, first.error?.message);
      assert.deepEqual({ ...first.state, type: 'state' }, { type: 'state', keywordOnly: false, retrievalOnly: false, indexed: true });
      assert.ok(first.sources.sources.length > 0);
      assert.ok(first.sources.sources.some((s) => s.path === 'docs/install.md'));
      assert.ok(first.deltas.length > 0);
      assert.equal(first.done.mode, 'generated');
      assert.ok(first.done.cited.length > 0);
      assert.deepEqual(first.done.stale, []);
      const answer = first.deltas.map((d) => d.text).join('');
      const followUp = await ask('t2', 'And on macOS?', [
        { role: 'user', content: 'How do I install Pebble on Linux?' },
        { role: 'assistant', content: answer },
      ]);
      assert.equal(followUp.done?.mode, 'generated');
      const sent = chat.requests.at(-1)!.body as { messages: Array<{ role: string; content: string }> };
      assert.ok(sent.messages.some((m) => m.role === 'assistant' && m.content === answer), 'the previous answer reaches BitNet');
    });

    it('shows endpoint failures in line: 401 with Set Credentials; a 429 is waited out once, then the sources answer, labelled', async () => {
      chat.setFault({ kind: 'auth', times: 1 });
      const unauthorized = await ask('t3', 'How do snapshots work?');
      assert.equal(unauthorized.error?.kind, 'auth');
      assert.equal(unauthorized.error?.action?.command, 'setCredentials');
      chat.setFault({ kind: 'throttle', retryAfterSeconds: 1, times: 10 });
      try {
        const throttled = await ask('t4', 'How do snapshots work?');
        assert.deepEqual(throttled.progress.filter((p) => p.progress.kind === 'waiting').map((p) => p.progress), [{ kind: 'waiting', ms: 1000 }]);
        assert.equal(throttled.done?.mode, 'retrieval-only');
        assert.match(throttled.done?.notices.join(' ') ?? '', /Retrieval-only for this answer: BitNet could not answer .*429/);
        assert.ok(throttled.sources.sources.length > 0);
      } finally {
        chat.setFault(null);
      }
    });

    it('marks a citation stale once its lines change, and still opens it', async () => {
      const question = 'How do I install Pebble on Linux?';
      const file = path.join(root, 'docs', 'install.md');
      const original = fs.readFileSync(file, 'utf8');
      const before = await ask('t5', question);
      // A line of install.md that the answer's source shows is edited below; a source elsewhere must stay fresh.
      const shown = before.sources.sources.find((s) => s.path === 'docs/install.md');
      assert.ok(shown, `install.md is a source: ${JSON.stringify(before.sources.sources.map((x) => [x.path, x.startLine, x.endLine]))}`);
      const lines = original.split('\n');
      const line = lines.findIndex((text, i) => i + 1 >= shown.startLine && i + 1 <= shown.endLine && /\w/.test(text)) + 1;
      const covers = (s: { path: string; startLine: number; endLine: number }) => s.path === 'docs/install.md' && s.startLine <= line && s.endLine >= line;
      assert.ok(before.sources.sources.filter(covers).every((s) => !s.stale));
      try {
        fs.writeFileSync(file, lines.map((text, i) => (i + 1 === line ? `${text} (edited)` : text)).join('\n'));
        const after = await ask('t6', question);
        const edited = after.sources.sources.find(covers);
        assert.ok(edited, `a source covers the edited line: ${JSON.stringify(after.sources.sources.map((x) => [x.path, x.startLine, x.endLine]))}`);
        assert.equal(edited.stale, true);
        for (const s of after.sources.sources.filter((x) => !covers(x))) assert.equal(s.stale, false, `${s.path}:${s.startLine}-${s.endLine} did not change`);
        if (after.done.cited.includes(edited.n)) assert.ok(after.done.stale.includes(edited.n));
        assert.equal(await command('openSource', { path: edited.path, startLine: edited.startLine, endLine: edited.endLine }), true);
        assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, file);
      } finally {
        fs.writeFileSync(file, original);
        // The editor opened above reloads the restored file asynchronously; a later test selecting lines in it must
        // not race that reload (it moved a selection's end by a line once).
        await eventually(
          async () => (vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file)?.getText() ?? original) === original || undefined,
          'the open install.md to show the restored text',
        );
      }
    });
  });

  describe('agents: the Language Model tool and the MCP server', () => {
    const manifest = () =>
      vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
        contributes: { languageModelTools: Array<{ name: string; inputSchema: unknown }>; mcpServerDefinitionProviders: Array<{ id: string }> };
      };
    const [major, minor] = vscode.version.split('.').map(Number);
    /** VS Code 1.101 made the MCP server definition API stable; the extension offers its server from there on. */
    const mcpIsStable = major > 1 || minor >= 101;
    const hasMcpApi = typeof (vscode.lm as unknown as Record<string, unknown>).registerMcpServerDefinitionProvider === 'function';

    it('registers the search tool with its declared schema, and returns sources as text parts when invoked', async () => {
      const [declared] = manifest().contributes.languageModelTools;
      assert.equal(declared.name, 'workspaceRag_searchWorkspace');
      assert.equal(api.agents.tool, true, 'vscode.lm.registerTool exists from VS Code 1.95 on');
      const info = await eventually(async () => vscode.lm.tools.find((t) => t.name === declared.name), 'the tool in vscode.lm.tools');
      assert.deepEqual(info.inputSchema, declared.inputSchema);
      const result = await vscode.lm.invokeTool(declared.name, { input: { query: 'How do I install Pebble on Linux?', k: 3 }, toolInvocationToken: undefined });
      const parts = result.content.filter((p): p is vscode.LanguageModelTextPart => p instanceof vscode.LanguageModelTextPart).map((p) => p.value);
      assert.equal(parts.length, result.content.length, 'every part is text');
      assert.match(parts[0], /^3 sources for "How do I install Pebble on Linux\?" \(hybrid search/);
      assert.equal(parts.length, 4, parts.join('\n---\n'));
      for (const [i, part] of parts.slice(1).entries()) assert.match(part, new RegExp(`^\\[${i + 1}\\] \\S+:\\d+-\\d+`));
      assert.ok(parts.some((p) => /^\[\d\] docs\/install\.md:\d+-\d+/.test(p) && p.includes('Linux')), 'the install guide is among the sources');
    });

    it("gives the model the tool's failures as messages: an empty query, a password Neo4j refuses", async () => {
      await assert.rejects(Promise.resolve(vscode.lm.invokeTool('workspaceRag_searchWorkspace', { input: { query: '  ' }, toolInvocationToken: undefined })), /query is empty/);
      await command('setCredentials', { neo4jPassword: 'fake-wrong-password' });
      try {
        await assert.rejects(Promise.resolve(vscode.lm.invokeTool('workspaceRag_searchWorkspace', { input: { query: 'install' }, toolInvocationToken: undefined })), (e: Error) => {
          assert.match(e.message, /Workspace RAG search failed: .*(credentials|authentication|password)/i);
          assert.ok(!e.message.includes('fake-wrong-password'));
          return true;
        });
      } finally {
        await command('setCredentials', { neo4jPassword: neo4jConfig.password });
      }
    });

    it('offers the MCP server where VS Code has the API, without keys in what the editor stores, and its definition starts and answers', async function () {
      this.timeout(90_000);
      assert.equal(manifest().contributes.mcpServerDefinitionProviders[0].id, 'workspaceRag.mcpServer');
      if (mcpIsStable) assert.ok(hasMcpApi, `VS Code ${vscode.version} has vscode.lm.registerMcpServerDefinitionProvider`);
      // 1.100 has a preview of the function that throws on our contribution point; activation must stay clean there.
      assert.equal(api.agents.mcp !== undefined, mcpIsStable, 'the provider is registered exactly where the stable API exists');
      let launch;
      if (api.agents.mcp) {
        const definitions = await api.agents.mcp.definitions();
        assert.equal(definitions.length, 1);
        const [{ provided, resolved }] = definitions;
        // VS Code keeps provided definitions in its workspace storage: the keys are only added on resolve.
        for (const secret of [AZURE_KEY, BITNET_KEY, neo4jConfig.password]) assert.ok(!JSON.stringify(provided).includes(secret), 'no key in the provided definition');
        assert.deepEqual([provided.env.NEO4J_PASSWORD, provided.env.AZURE_OPENAI_API_KEY, provided.env.BITNET_API_KEY], [null, null, null]);
        assert.equal(provided.env.AZURE_OPENAI_ENDPOINT, embeddings.url);
        assert.ok(resolved);
        launch = resolved;
      } else {
        launch = await api.agents.launch();
      }
      assert.ok(launch);
      assert.equal(launch.env.NEO4J_PASSWORD, neo4jConfig.password);
      assert.equal(launch.env.AZURE_OPENAI_API_KEY, AZURE_KEY);
      assert.equal(launch.env.BITNET_API_KEY, BITNET_KEY);
      assert.equal(launch.env.BITNET_AUTH_STYLE, 'api-key');
      assert.equal(launch.command, process.execPath);
      assert.ok(launch.args.some((a) => a.endsWith(path.join('dist', 'workspace-rag.js'))), launch.args.join(' '));
      // Started as VS Code starts it: the extension host's environment, with the definition's over it (null removes).
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...process.env, ...launch.env })) if (typeof v === 'string') env[k] = v;
      const transport = new StdioClientTransport({ command: launch.command, args: launch.args, cwd: launch.cwd, env, stderr: 'pipe' });
      let stderr = '';
      transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const client = new Client({ name: 'workspace-rag-vscode-suite', version: '1.0.0' });
      try {
        await client.connect(transport);
        const tools = (await client.listTools()).tools.map((t) => t.name).sort();
        assert.deepEqual(tools, ['ask_workspace', 'index_status', 'reindex', 'search_workspace']);
        const found = await client.callTool({ name: 'search_workspace', arguments: { query: 'How do I install Pebble on Linux?' } });
        assert.notEqual(found.isError, true, JSON.stringify(found.content));
        const result = found.structuredContent as { retrievalMode: string; notice?: string; sources: Array<{ path: string }> };
        assert.ok(result.sources.some((s) => s.path === 'docs/install.md'), JSON.stringify(result.sources.map((s) => s.path)));
        // Hybrid, not the keyword-only fallback: the Azure key reached the server and the embeddings endpoint took it.
        assert.deepEqual([result.retrievalMode, result.notice], ['hybrid', undefined]);
      } catch (error) {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- server stderr ---\n${stderr}`);
      } finally {
        await client.close();
      }
      for (const secret of [AZURE_KEY, BITNET_KEY]) assert.ok(!stderr.includes(secret), 'no key in the server log');
    });
  });

  describe('citations', () => {
    it('opens the cited file with the range selected and revealed', async () => {
      assert.equal(await command('openSource', { path: 'docs/install.md', startLine: 5, endLine: 7 }), true);
      const editor = vscode.window.activeTextEditor;
      assert.ok(editor);
      assert.equal(editor.document.uri.fsPath, path.join(root, 'docs', 'install.md'));
      assert.equal(editor.selection.start.line, 4);
      assert.equal(editor.selection.end.line, 6);
      assert.ok(editor.visibleRanges.some((r) => r.contains(editor.selection.start)));
    });

    it('refuses paths outside the workspace folders, links out of them included', async () => {
      const before = vscode.window.activeTextEditor?.document.uri.toString();
      assert.equal(await command('openSource', { path: '../outside.md', startLine: 1, endLine: 1 }), false);
      assert.equal(await command('openSource', { path: '/etc/hostname', startLine: 1, endLine: 1 }), false);
      const link = path.join(root, 'escape.txt');
      fs.symlinkSync('/etc/hostname', link);
      try {
        assert.equal(await command('openSource', { path: 'escape.txt', startLine: 1, endLine: 1 }), false);
      } finally {
        fs.rmSync(link);
      }
      assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), before);
    });

    it('rejects malformed webview messages without acting on them', async () => {
      const replies = await api.chat([{ type: 'openSource', path: '../../etc/passwd', startLine: 1, endLine: 1 }, { type: 'eval', code: 'x' }, 'not even an object']);
      assert.deepEqual(replies, []);
    });
  });

  describe('chat view', () => {
    const chatTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('workspaceRag.chatPanel'));

    it('opens the chat in one editor tab, however often Open Chat runs', async () => {
      await command('openChat');
      await eventually(async () => chatTabs().length > 0 || undefined, 'the chat tab');
      await command('openChat');
      await command('openChat');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(chatTabs().length, 1, 'Open Chat brings the tab forward instead of opening a second, empty chat');
    });

    it('shows a chat view that opens later the conversation another chat view saved, kept in the workspace state', async () => {
      const conversation = {
        id: 'conv-suite-1',
        updatedAt: 1_700_000_000_000,
        turns: [{ id: 't-suite-1', question: 'How do I install Pebble on Linux?', answer: 'Unpack it [1].', sources: [], cited: [], footer: 'Total 1 s' }],
      };
      await api.chat([{ type: 'ready' }, { type: 'saveConversation', conversation }]);
      const later = await api.chat([{ type: 'ready' }]);
      assert.deepEqual(
        later.filter((m) => m.type === 'conversation').map((m) => m.type === 'conversation' && m.conversation),
        [conversation],
      );
      // New Chat in any view: the next view opens on the new, empty conversation.
      await api.chat([{ type: 'openConversation', id: 'conv-suite-2' }]);
      const next = await api.chat([{ type: 'ready' }]);
      assert.deepEqual(
        next.filter((m) => m.type === 'conversation').map((m) => m.type === 'conversation' && m.conversation.id),
        ['conv-suite-2'],
      );
    });

    it("inserts a code block's code at the cursor of the editor used last, when the chat tab covers it", async () => {
      const document = await vscode.workspace.openTextDocument({ content: 'first\nsecond\n', language: 'plaintext' });
      const editor = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
      editor.selection = new vscode.Selection(1, 0, 1, 0);
      await new Promise((r) => setTimeout(r, 200));
      // The chat tab opens in the same group, in front of the editor: no text editor is active any more.
      await command('openChat');
      await eventually(async () => (vscode.window.activeTextEditor === undefined ? true : undefined), 'the chat tab in front');
      await api.chat([{ type: 'insertCode', code: 'inserted();\n' }]);
      assert.equal(document.getText(), 'first\ninserted();\nsecond\n');
      assert.equal(vscode.window.activeTextEditor?.document, document, 'the editor is brought forward with the focus');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });
  });

  describe('outages and vanished folders', () => {
    const nodes = async () => {
      const driver = neo4j.driver(neo4jConfig.uri, neo4j.auth.basic(neo4jConfig.username, neo4jConfig.password));
      try {
        const r = await driver.executeQuery('MATCH (f:File) WHERE f.path STARTS WITH "docs/" RETURN count(f) AS n', {}, { database: neo4jConfig.database });
        return Number(r.records[0].get('n'));
      } finally {
        await driver.close();
      }
    };

    it('shows a Neo4j outage in the status bar instead of "up to date", and recovers', async () => {
      await setting('neo4j.uri', 'neo4j://127.0.0.1:1');
      try {
        const down = await eventually(async () => {
          const s = await status();
          return 'files' in s ? undefined : s;
        }, 'the status to fail');
        assert.equal(down.kind, 'neo4j');
        assert.match(down.message, /not reachable/);
        assert.equal(api.statusBar().kind, 'unavailable');
        assert.equal(await command<IndexReport | undefined>('indexWorkspace'), undefined, 'a run cannot start');
        assert.equal(api.statusBar().kind, 'unavailable');
      } finally {
        await setting('neo4j.uri', neo4jConfig.uri);
      }
      await eventually(async () => {
        const s = await status();
        return 'files' in s ? s : undefined;
      }, 'the status to come back');
      assert.ok(['up-to-date', 'changed'].includes(api.statusBar().kind), api.statusBar().kind);
    });

    it('deletes nothing when a workspace folder disappears (an unmounted drive), and says why', async () => {
      const before = await nodes();
      assert.ok(before > 0);
      const away = `${root}-unmounted`;
      fs.renameSync(root, away);
      try {
        const report = await command<IndexReport | undefined>('indexWorkspace');
        assert.equal(report, undefined, 'no run happens');
        const state = api.statusBar();
        assert.equal(state.kind, 'unavailable');
        assert.match(state.kind === 'unavailable' ? state.message : '', /does not exist; its index was left as it is/);
        const s = await status();
        assert.ok(!('files' in s), 'status does not claim "up to date" for a folder that is gone');
        assert.equal(await nodes(), before, 'nothing was deleted');
      } finally {
        fs.renameSync(away, root);
      }
      const back = await command<IndexReport | undefined>('indexWorkspace');
      assert.ok(back && back.error === undefined);
      assert.equal(back.files.deleted, 0);
    });
  });

  describe('automatic updates', () => {
    it('starts no index run when a colour theme or another setting unrelated to indexing changes', async () => {
      await setting('indexing.autoUpdate', true);
      const all = vscode.workspace.getConfiguration();
      try {
        // File events of earlier tests (a folder renamed away and back) may still be waiting out the watcher's debounce.
        await new Promise((r) => setTimeout(r, 2500));
        await eventually(async () => (api.statusBar().kind !== 'indexing' ? true : undefined), 'no run in progress');
        const runs = api.indexRuns();
        // A theme picked for this workspace writes .vscode/settings.json into the workspace folder.
        await all.update('workbench.colorTheme', 'Default Light Modern', vscode.ConfigurationTarget.Workspace);
        await all.update('editor.fontSize', 15, vscode.ConfigurationTarget.Global);
        await all.update('editor.tabSize', 3, vscode.ConfigurationTarget.Workspace);
        // Longer than the watcher's 1.5 s debounce and the settings' settling.
        await new Promise((r) => setTimeout(r, 4000));
        assert.equal(api.indexRuns(), runs, 'a settings change started an index run');
      } finally {
        await all.update('workbench.colorTheme', undefined, vscode.ConfigurationTarget.Workspace);
        await all.update('editor.tabSize', undefined, vscode.ConfigurationTarget.Workspace);
        await all.update('editor.fontSize', undefined, vscode.ConfigurationTarget.Global);
        await setting('indexing.autoUpdate', false);
      }
    });

    it('indexes a burst of new files incrementally once updates are on', async () => {
      await setting('indexing.autoUpdate', true);
      try {
        const dir = path.join(root, 'notes');
        fs.mkdirSync(dir, { recursive: true });
        // More than 32 files: a run that size chunks in the worker (dist/chunk-worker.js), here inside the extension host.
        for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(dir, `note-${i}.md`), `# Note ${i}\n\nThe quartz lantern number ${i} is kept in the attic.\n`);
        const indexed = await eventually(async () => {
          const s = await status();
          return 'files' in s && s.changedFiles === 0 && s.files >= 47 ? s : undefined;
        }, 'the new notes to be indexed');
        assert.equal(indexed.changedFiles, 0);
        const answer = await ask('t7', 'Where is the quartz lantern kept?');
        assert.ok(answer.sources.sources.some((s) => s.path.startsWith('notes/')));
      } finally {
        await setting('indexing.autoUpdate', false);
      }
    });
  });

  describe('secrets never leak', () => {
    it('keeps the fake keys out of settings, logs, Neo4j, webview messages and error messages', async () => {
      const keys = [AZURE_KEY, BITNET_KEY];
      const leaks = (where: string, text: string) => {
        for (const key of keys) assert.ok(!text.includes(key), `${key} leaked into ${where}`);
      };
      // Settings: every scope of every workspaceRag setting, and the user settings file itself.
      const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { configuration: { properties: Record<string, unknown> } } };
      for (const key of Object.keys(manifest.contributes.configuration.properties)) {
        leaks(`setting ${key}`, JSON.stringify(vscode.workspace.getConfiguration().inspect(key) ?? {}));
      }
      const userSettings = path.join(process.env.VSCODE_TEST_USER_DATA ?? path.join(REPO, '.tools', 'code-server', 'user-data'), 'User', 'settings.json');
      if (fs.existsSync(userSettings)) leaks('user settings.json', fs.readFileSync(userSettings, 'utf8'));
      // Logs: the output channel's file (flushed by then: earlier tests logged long before).
      const logDir = api.logUri.fsPath;
      const logFiles = fs.existsSync(logDir) ? fs.readdirSync(logDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.log')) : [];
      const channelLog = path.join(path.dirname(logDir), `${EXTENSION_ID}`, 'Workspace RAG.log');
      const texts = [...logFiles.map((f) => fs.readFileSync(path.join(logDir, f), 'utf8')), ...(fs.existsSync(channelLog) ? [fs.readFileSync(channelLog, 'utf8')] : [])];
      assert.ok(texts.some((t) => t.includes('Activated in')), `the extension log was found under ${logDir}`);
      for (const text of texts) leaks('the log', text);
      // Webview messages and the error messages among them.
      assert.ok(posted.some((m) => m.type === 'error'), 'errors were part of what was scanned');
      leaks('webview messages', JSON.stringify(posted));
      // Neo4j: every property of every node and relationship (a test-only audit query).
      const driver = neo4j.driver(neo4jConfig.uri, neo4j.auth.basic(neo4jConfig.username, neo4jConfig.password));
      try {
        const session = driver.session({ database: neo4jConfig.database });
        try {
          for (const key of keys) {
            const result = await session.run(
              `CALL () { MATCH (n) RETURN properties(n) AS p UNION ALL MATCH ()-[r]->() RETURN properties(r) AS p }
               WITH p WHERE any(k IN keys(p) WHERE (p[k] IS :: STRING AND p[k] CONTAINS $key)
                 OR (p[k] IS :: LIST<STRING NOT NULL> AND any(s IN p[k] WHERE s CONTAINS $key)))
               RETURN count(*) AS n`,
              { key },
            );
            assert.equal(result.records[0].get('n').toNumber(), 0, `${key} found in Neo4j`);
          }
        } finally {
          await session.close();
        }
      } finally {
        await driver.close();
      }
    });
  });
});
