// `workspace-rag mcp` as an MCP host runs it: the SDK's Client spawns the CLI over stdio with environment variables
// only, lists the tools and calls each against the real Neo4j and the local Azure embeddings and BitNet servers,
// with progress notifications, a 2026-era client, and the failures a user meets (an empty query, Neo4j unreachable,
// a bad variable) as tool errors of a server that keeps running.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client, type ClientOptions } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { startEmbeddingServer, type EmbeddingServer } from '../servers/azure-embeddings';
import { startChatServer, type ChatServer } from '../servers/chat-completions';
import { fakeAzureCli, FakeEntra } from '../servers/entra';
import { neo4jTestConfig, TEST_DIMENSIONS } from './neo4j-env';
import { copySample, LEAK_CANARY } from './workspace-fixture';

const REPO = path.resolve(__dirname, '../..');
const CLI = path.join(REPO, 'src/cli/main.ts');

type CallResult = Awaited<ReturnType<Client['callTool']>>;

interface Connection {
  client: Client;
  stderr: () => string;
  close: () => Promise<void>;
}

/** The server as a host starts it: `workspace-rag mcp --folder …` with only the environment the host config gives. */
async function connect(env: Record<string, string>, folders: string[], options?: ClientOptions): Promise<Connection> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', CLI, 'mcp', ...folders.flatMap((f) => ['--folder', f])],
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'workspace-rag-test', version: '1.0.0' }, options);
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

const textOf = (r: CallResult): string =>
  r.content
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');

interface SourceOut {
  n: number;
  path: string;
  startLine: number;
  endLine: number;
  text: string;
  score: number;
  via: string[];
}

describe('workspace-rag mcp (the SDK client over stdio, real Neo4j, local Azure and BitNet servers)', function () {
  this.timeout(180_000);
  const neo4j = neo4jTestConfig();
  const neo4jEnv = { NEO4J_URI: neo4j.uri, NEO4J_USERNAME: neo4j.username, NEO4J_PASSWORD: neo4j.password, NEO4J_DATABASE: neo4j.database };
  let embeddings: EmbeddingServer;
  let chat: ChatServer;
  let env: Record<string, string>;
  let folder: string;
  let mcp: Connection;
  const opened: Connection[] = [];
  const open = async (e: Record<string, string>, folders = [folder], options?: ClientOptions) => {
    const c = await connect(e, folders, options);
    opened.push(c);
    return c;
  };
  const call = (name: string, args: Record<string, unknown> = {}, c = mcp) => c.client.callTool({ name, arguments: args });

  before(async () => {
    embeddings = await startEmbeddingServer({ apiKey: LEAK_CANARY, dimensions: TEST_DIMENSIONS });
    chat = await startChatServer({});
    folder = await fs.realpath(await copySample('mcp'));
    env = {
      ...neo4jEnv,
      AZURE_OPENAI_ENDPOINT: embeddings.url,
      AZURE_OPENAI_API_KEY: LEAK_CANARY,
      AZURE_OPENAI_EMBEDDING_DEPLOYMENT: 'text-embedding-3-small',
      AZURE_OPENAI_EMBEDDING_DIMENSIONS: String(TEST_DIMENSIONS),
      BITNET_ENDPOINT: chat.llamaEndpoint,
    };
    mcp = await open(env);
  });

  after(async () => {
    for (const c of opened) await c.close().catch(() => undefined);
    await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, 'clear', '--folder', folder], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...neo4jEnv },
    }).catch(() => undefined);
    await embeddings?.close();
    await chat?.close();
    await fs.rm(folder, { recursive: true, force: true });
  });

  it('lists the four tools with their input and output schemas, and says what it serves on stderr', async () => {
    const { tools } = await mcp.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['ask_workspace', 'index_status', 'reindex', 'search_workspace']);
    for (const t of tools) {
      assert.equal(t.outputSchema?.type, 'object', `${t.name} declares its structured result`);
      assert.ok(t.description?.includes(folder), `${t.name} names the workspace it serves`);
    }
    const search = tools.find((t) => t.name === 'search_workspace')!;
    assert.deepEqual(search.inputSchema.required, ['query']);
    assert.ok(search.inputSchema.properties && 'k' in search.inputSchema.properties);
    assert.equal(tools.find((t) => t.name === 'reindex')!.annotations?.readOnlyHint, false);
    assert.equal(search.annotations?.readOnlyHint, true);
    assert.match(mcp.client.getInstructions() ?? '', /search_workspace/);
    assert.match(mcp.stderr(), /workspace-rag mcp: serving the index of .* over stdio/);
  });

  it('says nothing is indexed yet, and refuses a search until reindex ran', async () => {
    const status = await call('index_status');
    assert.ok(!status.isError, textOf(status));
    assert.equal((status.structuredContent as { indexed: boolean }).indexed, false);
    assert.match(textOf(status), /Nothing is indexed .* call reindex/);
    const search = await call('search_workspace', { query: 'snapshots' });
    assert.equal(search.isError, true);
    assert.match(textOf(search), /Nothing is indexed for .* yet: call reindex first/);
  });

  it('reindexes the workspace with progress notifications that only grow, up to their total', async () => {
    const updates: Array<{ progress: number; total?: number; message?: string }> = [];
    const r = await mcp.client.callTool({ name: 'reindex', arguments: {} }, { onprogress: (p) => updates.push(p), resetTimeoutOnProgress: true });
    assert.ok(!r.isError, textOf(r));
    const report = r.structuredContent as { complete: boolean; scope: null; files: { discovered: number; changed: number }; chunks: { embedded: number; written: number }; mode: string };
    assert.equal(report.complete, true);
    assert.equal(report.scope, null);
    assert.equal(report.mode, 'embeddings');
    assert.equal(report.files.discovered, 9);
    assert.equal(report.files.changed, 9);
    assert.ok(report.chunks.written > 9 && report.chunks.embedded > 0);
    assert.match(textOf(r), /Indexed 9 files of .* 9 updated, 0 unchanged, 0 removed/);
    assert.ok(updates.length >= 3, `progress was reported (${updates.length} updates)`);
    for (let i = 1; i < updates.length; i++) assert.ok(updates[i].progress > updates[i - 1].progress, `progress grows: ${JSON.stringify(updates)}`);
    const last = updates[updates.length - 1];
    assert.equal(last.progress, last.total, 'the last update reaches the total');
    assert.ok(updates.some((u) => /Indexing: \d+\/9 changed files read/.test(u.message ?? '')));

    const quiet = await call('reindex');
    assert.ok(!quiet.isError, textOf(quiet));
    assert.equal((quiet.structuredContent as { files: { changed: number; unchanged: number } }).files.unchanged, 9, 'a second run reads nothing');
  });

  it('reports the status: counts, the embedded share, freshness and the last run', async () => {
    const r = await call('index_status');
    assert.ok(!r.isError, textOf(r));
    const s = r.structuredContent as { indexed: boolean; files: number; chunks: number; embeddedShare: number; pendingChanges: number; fresh: boolean; lastIndexedAt: string; mode: { embeddings: boolean; generation: boolean }; workspace: { roots: string[] } };
    assert.equal(s.indexed, true);
    assert.equal(s.files, 9);
    assert.ok(s.chunks > 9);
    assert.equal(s.embeddedShare, 1);
    assert.equal(s.pendingChanges, 0);
    assert.equal(s.fresh, true);
    assert.ok(Date.now() - Date.parse(s.lastIndexedAt) < 120_000, `indexed just now: ${s.lastIndexedAt}`);
    assert.deepEqual(s.mode, { embeddings: true, generation: true });
    assert.deepEqual(s.workspace.roots, [folder]);
    assert.match(textOf(r), /files: 9\n/);
    assert.match(textOf(r), /freshness: up to date/);
  });

  it('searches: at most k sources, best first, each the exact text of its line range', async () => {
    const r = await call('search_workspace', { query: 'How often does Pebble write snapshots to disk?', k: 3 });
    assert.ok(!r.isError, textOf(r));
    const out = r.structuredContent as { retrievalMode: string; sources: SourceOut[] };
    assert.equal(out.retrievalMode, 'hybrid');
    assert.ok(out.sources.length >= 1 && out.sources.length <= 3, `${out.sources.length} sources`);
    assert.ok(out.sources.some((s) => s.path === 'docs/configuration.md'), out.sources.map((s) => s.path).join(', '));
    for (let i = 1; i < out.sources.length; i++) assert.ok(out.sources[i - 1].score >= out.sources[i].score, 'best first');
    for (const s of out.sources) {
      const lines = (await fs.readFile(path.join(folder, s.path), 'utf8')).split('\n');
      assert.equal(s.text.replace(/\n$/, ''), lines.slice(s.startLine - 1, s.endLine).join('\n'), `${s.path}:${s.startLine}-${s.endLine} is exact`);
      assert.ok(s.via.length > 0);
    }
    assert.match(textOf(r), /^\[1\] [\w./-]+:\d+-\d+/m);
    assert.match(textOf(r), /```markdown\n/);
  });

  it('answers with citations of real line ranges, complete', async () => {
    const updates: string[] = [];
    const r = await mcp.client.callTool({ name: 'ask_workspace', arguments: { question: 'How do I build pebblectl?' } }, { onprogress: (p) => updates.push(p.message ?? '') });
    assert.ok(!r.isError, textOf(r));
    const a = r.structuredContent as { mode: string; complete: boolean; answer: string; citations: Array<{ n: number; path: string; startLine: number; endLine: number }>; sources: SourceOut[] };
    assert.equal(a.mode, 'generated');
    assert.equal(a.complete, true);
    assert.ok(a.citations.length >= 1, a.answer);
    for (const c of a.citations) {
      assert.match(a.answer, new RegExp(`\\[${c.n}\\]`));
      assert.deepEqual({ path: a.sources[c.n - 1].path, startLine: a.sources[c.n - 1].startLine, endLine: a.sources[c.n - 1].endLine }, { path: c.path, startLine: c.startLine, endLine: c.endLine });
    }
    assert.ok(a.citations.some((c) => c.path === 'docs/install.md'));
    assert.match(textOf(r), /Sources:\n(\[\d+\] [\w./-]+:\d+-\d+\n?)+$/);
    assert.ok(updates.some((u) => /BitNet is reading \d+ prompt tokens/.test(u)), `reading progress: ${JSON.stringify(updates)}`);
  });

  it('reindexes only the paths given, relative or absolute, and leaves the rest pending', async () => {
    await fs.appendFile(path.join(folder, 'docs/install.md'), '\n## Uninstalling\n\nRemove /opt/pebble and the pebble service user.\n');
    await fs.appendFile(path.join(folder, 'src/store.ts'), '\nexport const QUOKKA_LIMIT = 42;\n');
    const one = await call('reindex', { paths: ['./docs/install.md'] });
    assert.ok(!one.isError, textOf(one));
    const report = one.structuredContent as { scope: string[]; files: { discovered: number; changed: number; deleted: number } };
    assert.deepEqual(report.scope, ['docs/install.md']);
    assert.equal(report.files.discovered, 1);
    assert.equal(report.files.changed, 1);
    assert.equal(((await call('index_status')).structuredContent as { pendingChanges: number }).pendingChanges, 1, 'src/store.ts is still to do');
    const uninstall = (await call('search_workspace', { query: 'Uninstalling pebble service user' })).structuredContent as { sources: SourceOut[] };
    assert.ok(uninstall.sources.some((s) => s.text.includes('## Uninstalling')), 'the new text is searchable');

    const folderRun = await call('reindex', { paths: [path.join(folder, 'src')] });
    assert.ok(!folderRun.isError, textOf(folderRun));
    assert.deepEqual((folderRun.structuredContent as { scope: string[] }).scope, ['src']);
    assert.equal((folderRun.structuredContent as { files: { changed: number; unchanged: number } }).files.changed, 1);
    assert.equal((folderRun.structuredContent as { files: { changed: number; unchanged: number } }).files.unchanged, 2, 'the other files of src were only compared');
    assert.equal(((await call('index_status')).structuredContent as { pendingChanges: number }).pendingChanges, 0);

    await fs.rm(path.join(folder, 'tools/compact.py'));
    const removal = await call('reindex', { paths: ['tools/compact.py'] });
    assert.equal((removal.structuredContent as { files: { deleted: number } }).files.deleted, 1, 'a deleted file leaves the index');
    const status = (await call('index_status')).structuredContent as { files: number; pendingChanges: number };
    assert.equal(status.files, 8);
    assert.equal(status.pendingChanges, 0);

    const nothing = await call('reindex', { paths: ['docs/no-such-file.md'] });
    assert.ok(!nothing.isError, textOf(nothing));
    assert.match(textOf(nothing), /No indexable file matches docs\/no-such-file\.md/);
  });

  it('stops a reindex the client cancels, and the next one finishes it', async () => {
    await fs.appendFile(path.join(folder, 'docs/snapshots.md'), '\nSnapshots of a cancelled run are written by the next one.\n');
    embeddings.setFault({ kind: 'slow', delayMs: 4000 });
    const cancel = new AbortController();
    const started = Date.now();
    const running = mcp.client.callTool({ name: 'reindex', arguments: {} }, { signal: cancel.signal });
    setTimeout(() => cancel.abort(), 800);
    await assert.rejects(running);
    embeddings.setFault(null);
    // The cancelled run lets go of the workspace at once: this one does not wait for its lease to expire (30 s).
    const next = await call('reindex');
    assert.ok(!next.isError, textOf(next));
    // Keyword-first: the cancelled run may already have written the edit, its vectors still to come; either way the
    // next run leaves the index current and wholly embedded.
    const done = next.structuredContent as { files: { changed: number }; unembedded: number };
    assert.ok(done.files.changed <= 1, JSON.stringify(done.files));
    assert.equal(done.unembedded, 0);
    const status = (await call('index_status')).structuredContent as { pendingChanges: number; embeddedShare: number };
    assert.deepEqual([status.pendingChanges, status.embeddedShare], [0, 1]);
    assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms`);
  });

  it('refuses paths outside the workspace, empty queries and out-of-range arguments as tool errors', async () => {
    const outside = await call('reindex', { paths: [path.dirname(folder)] });
    assert.equal(outside.isError, true);
    assert.match(textOf(outside), /is outside the workspace \(.*\): reindex updates files of the workspace only/);
    const up = await call('reindex', { paths: ['../elsewhere'] });
    assert.equal(up.isError, true);
    assert.match(textOf(up), /outside the workspace/);

    for (const query of ['', '   ']) {
      const empty = await call('search_workspace', { query });
      assert.equal(empty.isError, true, `"${query}" is refused`);
      assert.match(textOf(empty), /The query is empty/);
    }
    const zeroWidth = await call('ask_workspace', { question: '\u200b' });
    assert.equal(zeroWidth.isError, true);
    assert.match(textOf(zeroWidth), /The question is empty/);
    const badK = await call('search_workspace', { query: 'snapshots', k: 0 });
    assert.equal(badK.isError, true);
    assert.match(textOf(badK), /k/);
    const missing = await call('ask_workspace', {});
    assert.equal(missing.isError, true);
    assert.match(textOf(missing), /question/);
    // The server is still there.
    assert.ok(!(await call('index_status')).isError);
  });

  it('labels keyword-only search and retrieval-only answers when Azure and BitNet are not configured', async () => {
    const bare = await open(neo4jEnv);
    const search = await call('search_workspace', { query: 'snapshot interval' }, bare);
    assert.ok(!search.isError, textOf(search));
    assert.equal((search.structuredContent as { retrievalMode: string }).retrievalMode, 'keyword-only');
    const ask = await call('ask_workspace', { question: 'How do I build pebblectl?' }, bare);
    assert.ok(!ask.isError, textOf(ask));
    const a = ask.structuredContent as { mode: string; complete: boolean; sources: SourceOut[] };
    assert.equal(a.mode, 'retrieval-only');
    assert.equal(a.complete, true);
    assert.ok(a.sources.some((s) => s.path === 'docs/install.md'));
    assert.match(textOf(ask), /Retrieval-only mode/);
    const status = (await call('index_status', {}, bare)).structuredContent as { mode: { embeddings: boolean; generation: boolean } };
    assert.deepEqual(status.mode, { embeddings: false, generation: false });
  });

  it('serves a 2026-07-28 client too, with the same structured results', async () => {
    const modern = await open(env, [folder], { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    assert.equal(modern.client.getProtocolEra(), 'modern');
    const { tools } = await modern.client.listTools();
    assert.equal(tools.length, 4);
    const r = await call('search_workspace', { query: 'snapshot interval', k: 2 }, modern);
    assert.ok(!r.isError, textOf(r));
    const out = r.structuredContent as { sources: SourceOut[] };
    assert.ok(out.sources.length >= 1 && out.sources.length <= 2);
    const updates: number[] = [];
    const run = await modern.client.callTool({ name: 'reindex', arguments: {} }, { onprogress: (p) => updates.push(p.progress) });
    assert.ok(!run.isError, textOf(run));
    assert.ok(updates.length >= 2, 'progress reaches a 2026-era client');
  });

  it('reports Neo4j unreachable as a tool error on every call, without the password, and keeps serving', async () => {
    const down = await open({ ...env, NEO4J_URI: 'neo4j://127.0.0.1:1' });
    assert.equal((await down.client.listTools()).tools.length, 4, 'the server starts without Neo4j');
    for (const tool of ['index_status', 'search_workspace', 'reindex']) {
      const r = await call(tool, tool === 'search_workspace' ? { query: 'snapshots' } : {}, down);
      assert.equal(r.isError, true, tool);
      assert.match(textOf(r), /Neo4j is not reachable at neo4j:\/\/127\.0\.0\.1:1/, tool);
      assert.doesNotMatch(textOf(r), new RegExp(neo4j.password));
    }
    assert.match(down.stderr(), /could not open the engine: Neo4j is not reachable/);
    assert.doesNotMatch(down.stderr(), new RegExp(`${neo4j.password}|${LEAK_CANARY}`));
  });

  it('names a bad variable in a tool error, without echoing secrets', async () => {
    const bad = await open({ ...env, EMBED_CONCURRENCY: 'lots' });
    const r = await call('index_status', {}, bad);
    assert.equal(r.isError, true);
    assert.match(textOf(r), /EMBED_CONCURRENCY: expected a number, got "lots"/);
    assert.doesNotMatch(textOf(r) + bad.stderr(), new RegExp(LEAK_CANARY));
    const missingKey = await open({ ...env, AZURE_OPENAI_API_KEY: '' });
    const m = await call('search_workspace', { query: 'snapshots' }, missingKey);
    assert.equal(m.isError, true);
    assert.match(textOf(m), /AZURE_OPENAI_API_KEY/);
  });

  it('reports a folder that is gone as a tool error naming it', async () => {
    const gone = path.join(folder, 'no-such-folder');
    const c = await open(env, [gone]);
    const r = await call('reindex', {}, c);
    assert.equal(r.isError, true);
    assert.match(textOf(r), /no-such-folder does not exist; its index was left as it is/);
    const status = await call('index_status', {}, c);
    assert.ok(!status.isError, textOf(status));
    assert.equal((status.structuredContent as { fresh: boolean | null }).fresh, null);
    assert.match((status.structuredContent as { freshnessNote: string }).freshnessNote, /does not exist/);
  });
});

// Keyless: `workspace-rag mcp` with AZURE_OPENAI_AUTH=entra and BITNET_AUTH_STYLE=entra (a Foundry BitNet endpoint)
// signs in through the CLI's DefaultAzureCredential, narrowed to its Azure CLI login, with a fake `az` on PATH whose
// tokens the local servers' fake issuer signed. Both resources have their keys disabled.
describe('workspace-rag mcp signing in with Microsoft Entra ID', function () {
  this.timeout(180_000);
  const neo4j = neo4jTestConfig();
  const neo4jEnv = { NEO4J_URI: neo4j.uri, NEO4J_USERNAME: neo4j.username, NEO4J_PASSWORD: neo4j.password, NEO4J_DATABASE: neo4j.database };
  let entra: FakeEntra;
  let embeddings: EmbeddingServer;
  let chat: ChatServer;
  let az: Awaited<ReturnType<typeof fakeAzureCli>>;
  let tools: string;
  let folder: string;
  let mcp: Connection | undefined;

  before(async () => {
    entra = new FakeEntra();
    embeddings = await startEmbeddingServer({ apiKey: LEAK_CANARY, entra, disableLocalAuth: true, dimensions: TEST_DIMENSIONS });
    chat = await startChatServer({ entra, disableLocalAuth: true });
    tools = await fs.mkdtemp(path.join(os.tmpdir(), 'wrag-mcp-az-'));
    az = await fakeAzureCli(entra, tools, { lifetimeMs: 60 * 60_000 });
    folder = await fs.realpath(await copySample('mcp-entra'));
    // Text of this run only, so the content cache (other suites indexed the sample) cannot spare the embedding.
    await fs.writeFile(path.join(folder, 'docs', 'tokens.md'), `# Token lifetime\n\nPebble's session tokens live 45 minutes (run ${randomUUID()}).\n`);
  });

  after(async () => {
    await mcp?.close().catch(() => undefined);
    await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, 'clear', '--folder', folder], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...neo4jEnv },
    }).catch(() => undefined);
    await az?.close();
    await embeddings?.close();
    await chat?.close();
    await fs.rm(folder, { recursive: true, force: true });
    await fs.rm(tools, { recursive: true, force: true });
  });

  it('reindexes and answers with BitNet, both services on one sign-in, no key anywhere', async () => {
    mcp = await connect(
      {
        ...neo4jEnv,
        PATH: `${tools}:${process.env.PATH ?? ''}`,
        AZURE_OPENAI_ENDPOINT: embeddings.url,
        AZURE_OPENAI_AUTH: 'entra',
        AZURE_TENANT_ID: entra.tenantId,
        AZURE_OPENAI_EMBEDDING_DIMENSIONS: String(TEST_DIMENSIONS),
        BITNET_ENDPOINT: chat.azureEndpoint,
        BITNET_AUTH_STYLE: 'entra',
        AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential',
      },
      [folder],
    );
    const indexed = await mcp.client.callTool({ name: 'reindex', arguments: {} });
    assert.ok(!indexed.isError, textOf(indexed));
    assert.equal((indexed.structuredContent as { complete: boolean }).complete, true, textOf(indexed));
    const asked = await mcp.client.callTool({ name: 'ask_workspace', arguments: { question: 'How long do Pebble session tokens live?' } });
    assert.ok(!asked.isError, textOf(asked));
    const answer = asked.structuredContent as { mode: string; sources: SourceOut[] };
    assert.equal(answer.mode, 'generated', 'BitNet answered: its Foundry endpoint took the token');
    assert.ok(answer.sources.some((s) => s.path === 'docs/tokens.md'));
    const sent = [...embeddings.requests, ...chat.requests.filter((r) => r.path.endsWith('/chat/completions'))];
    assert.ok(embeddings.requests.length > 0 && sent.length > embeddings.requests.length);
    for (const r of sent) {
      assert.equal(r.headers['api-key'], undefined);
      assert.equal(r.headers.authorization, `Bearer ${az.tokens[0]}`);
    }
    assert.deepEqual(entra.checked.map((c) => c.verdict), sent.map(() => 'valid'));
    assert.equal(az.calls.length, 1, 'one sign-in for both services: the same Cognitive Services scope');
    assert.ok(!mcp.stderr().includes(az.tokens[0]), 'the token is not logged');
  });
});
