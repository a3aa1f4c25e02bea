// The MCP server's own rules without Neo4j: progress values that only grow and come at a sane rate, reindex paths
// mapped to index paths (and refused outside the workspace), and, through the SDK's Client over an in-memory pair
// against a scripted engine, results that match their output schemas and failures that are tool errors, with an
// engine that failed to open tried again on the next call.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import type { Answer } from '../../src/core/answer';
import type { Engine } from '../../src/core/engine';
import type { IndexOptions, IndexProgress, IndexReport } from '../../src/core/indexer';
import type { WorkspaceStatus } from '../../src/core/ports';
import { QuestionError, type Retrieval, type Source } from '../../src/core/retrieve';
import { workspaceFor, type WorkspaceSpec } from '../../src/core/workspace';
import { indexPaths, PathScopeError } from '../../src/mcp/paths';
import { indexProgress, ProgressReporter, type ProgressUpdate } from '../../src/mcp/progress';
import { createServer, EngineHolder, type McpHost } from '../../src/mcp/server';

const ROOT = path.resolve('/work/ws/app');
const single = workspaceFor([{ name: 'app', path: ROOT }]);
const several = workspaceFor([
  { name: 'app', path: ROOT },
  { name: 'lib', path: path.resolve('/work/ws/lib') },
]);

describe('MCP progress', () => {
  it('sends only growing values, and a new message without a new step half-way to the next one', () => {
    const sent: ProgressUpdate[] = [];
    let t = 0;
    const r = new ProgressReporter((u) => sent.push(u), () => t);
    r.update(0, undefined, 'a', true);
    r.update(1, undefined, 'b', true);
    r.update(1, undefined, 'c', true);
    r.update(1, undefined, 'c', true); // nothing new
    r.update(1, undefined, 'd', false); // not important, no new step
    r.update(0, undefined, 'e', true); // never backwards: half-way again
    t = 1000;
    r.update(2, 5, 'f');
    assert.deepEqual(
      sent.map((u) => [u.progress, u.message]),
      [
        [0, 'a'],
        [1, 'b'],
        [1.5, 'c'],
        [1.75, 'e'],
        [2, 'f'],
      ],
    );
    assert.equal(sent[4].total, 5);
  });

  it('sends regular steps at most every 250 ms, phase changes and waits at once, and ends at the total', () => {
    const sent: ProgressUpdate[] = [];
    let t = 0;
    const on = indexProgress(new ProgressReporter((u) => sent.push(u), () => t));
    const p = (over: Partial<IndexProgress>): IndexProgress => ({ phase: 'indexing', filesTotal: 1000, filesDone: 0, chunksDone: 0, tokens: 0, ...over });
    on(p({ phase: 'discovering', filesTotal: 0 }));
    on(p({ phase: 'comparing', filesTotal: 0 }));
    for (let i = 0; i <= 1000; i++) {
      t += 1; // a file a millisecond
      on(p({ filesDone: i, chunksDone: i * 2 }));
      if (i === 500) on(p({ filesDone: i, throttledMs: 12_000 }));
    }
    on(p({ phase: 'removing', filesDone: 1000 }));
    on(p({ phase: 'done', filesDone: 1000 }));
    assert.ok(sent.length < 20, `${sent.length} updates for 1000 files`);
    for (let i = 1; i < sent.length; i++) assert.ok(sent[i].progress > sent[i - 1].progress);
    assert.ok(sent.some((u) => /throttled by Azure OpenAI: waiting 12 s/.test(u.message ?? '')), 'a 429 wait is sent at once');
    assert.equal(sent.at(-1)!.progress, 1003);
    assert.equal(sent.at(-1)!.total, 1003);
    assert.equal(sent[0].total, undefined, 'no total before the changed files are known');
  });

  it('while the vectors fill in behind the written files, grows with the share embedded and stays below the end', () => {
    const sent: ProgressUpdate[] = [];
    let t = 0;
    const on = indexProgress(new ProgressReporter((u) => sent.push(u), () => (t += 1000)));
    const p = (over: Partial<IndexProgress>): IndexProgress => ({ phase: 'embedding', filesTotal: 10, filesDone: 10, chunksDone: 40, tokens: 0, ...over });
    const pace = (share: number) => ({ tokensPerMinute: 300_000, quotaTokensPerMinute: 350_000, tokensLeft: 1000, etaMs: 60_000, share });
    on(p({ phase: 'removing' }));
    on(p({ embedding: pace(0.25) }));
    on(p({ embedding: pace(0.999) }));
    on(p({ phase: 'done' }));
    assert.deepEqual(sent.map((u) => u.progress), [12, 12.25, 12.99, 13]);
    assert.equal(sent[1].message, 'Every file is written and searchable by keywords; embedding 25% at 300k tokens/min of the 350k quota, about 1 min left');
  });
});

describe('MCP reindex paths', () => {
  const none = () => undefined;

  it('maps relative and absolute paths of one root to index paths', () => {
    assert.deepEqual(indexPaths(single, ['docs/a.md', './src/', 'src\\b.ts', path.join(ROOT, 'lib', 'c.ts'), ROOT, '.'], none), ['docs/a.md', 'src', 'src/b.ts', 'lib/c.ts', '']);
  });

  it('prefixes the root name with several roots, and wants it on relative paths', () => {
    assert.deepEqual(indexPaths(several, [path.resolve('/work/ws/lib/x.ts'), 'app/docs', path.resolve('/work/ws/app')], none), ['lib/x.ts', 'app/docs', 'app']);
    assert.throws(() => indexPaths(several, ['docs/a.md'], none), /starts with the folder's name \(app, lib\)/);
  });

  it('resolves links of an absolute path, and refuses what is outside the workspace', () => {
    const link = path.resolve('/tmp/link-to-app');
    assert.deepEqual(indexPaths(single, [path.join(link, 'a.md')], (p) => (p.startsWith(link) ? p.replace(link, ROOT) : undefined)), ['a.md']);
    assert.throws(() => indexPaths(single, [path.resolve('/work/ws/lib/x.ts')], none), PathScopeError);
    assert.throws(() => indexPaths(single, ['../lib/x.ts'], none), /outside the workspace/);
    assert.throws(() => indexPaths(single, [path.resolve('/work/ws/application/x.ts')], none), /outside/, 'a sibling sharing a prefix is not inside');
  });
});

const status = (over: Partial<WorkspaceStatus> = {}): WorkspaceStatus => ({
  files: 2, chunks: 4, embedded: 3, symbols: 1, links: 0, lastIndexedAt: '2026-01-01T00:00:00Z', skippedByReason: { secret: 1 }, skipped: [{ path: '.env', reason: 'secret' }], ...over,
});

const source = (n: number, over: Partial<Source> = {}): Source => ({ n, path: `docs/${n}.md`, startLine: 1, endLine: 2, language: 'markdown', text: 'one\ntwo\n', score: 1 / n, via: ['fulltext'], ...over });

const report = (ws: WorkspaceSpec, files: Partial<IndexReport['files']> = {}): IndexReport => ({
  workspaceId: ws.id, mode: 'embeddings',
  files: { discovered: 2, changed: 1, unchanged: 1, deleted: 0, skipped: 0, notUpdated: 0, notIndexed: 0, ...files },
  skippedByReason: {}, skipped: [], chunks: { written: 2, embedded: 2, reused: 0 }, unembedded: 0, tokens: 40, estimatedCost: 0.0001, cancelled: false, failures: [], durationMs: 5,
});

/** An engine that answers from scripts and records what it was asked. */
function scriptedEngine(over: Partial<Engine> = {}): Engine & { indexed: IndexOptions[] } {
  const indexed: IndexOptions[] = [];
  const retrieval: Retrieval = { mode: 'hybrid', sources: [source(1, { symbol: 'install', text: 'has ``` inside\n' }), source(2), source(3)], candidates: 7, budgetTokens: 8000, usedTokens: 60, timings: { embedMs: 1, searchMs: 1 } };
  const answer: Answer = { mode: 'generated', retrievalMode: 'hybrid', text: 'Run make [1].', sources: retrieval.sources, cited: [1], droppedCitations: 0, complete: false, incomplete: 'length', notices: [], timings: { retrievalMs: 3, totalMs: 9 } };
  return {
    indexed,
    capabilities: { embeddings: true, generation: true },
    index: async (ws, o = {}) => {
      indexed.push(o);
      o.onProgress?.({ phase: 'discovering', filesTotal: 0, filesDone: 0, chunksDone: 0, tokens: 0 });
      o.onProgress?.({ phase: 'done', filesTotal: 1, filesDone: 1, chunksDone: 2, tokens: 40 });
      return report(ws);
    },
    ask: async () => answer,
    search: async () => retrieval,
    status: async () => status(),
    overview: async () => ({ folders: [], symbols: [] }),
    pendingChanges: async () => 3,
    clear: async () => undefined,
    close: async () => undefined,
    ...over,
  };
}

async function connected(openEngine: McpHost['openEngine'], ws = single) {
  const logged: string[] = [];
  const host: McpHost = { workspace: ws, openEngine, describeError: (e) => `${e instanceof Error ? e.message : String(e)} (remedy)`, realPath: () => undefined, version: '0.0.0', log: (l) => logged.push(l) };
  const engines = new EngineHolder(host);
  const server = createServer(host, engines);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'unit', version: '1.0.0' });
  await client.connect(clientSide);
  const text = (r: Awaited<ReturnType<Client['callTool']>>) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  return { client, logged, text, close: async () => (await client.close(), await engines.close()) };
}

describe('MCP server over a scripted engine', () => {
  it('returns results that match their output schemas, with readable text next to them', async () => {
    const engine = scriptedEngine();
    const c = await connected(async () => engine);
    try {
      await c.client.listTools(); // the client validates structured results against the listed output schemas
      const search = await c.client.callTool({ name: 'search_workspace', arguments: { query: 'install', k: 2 } });
      assert.ok(!search.isError, c.text(search));
      assert.equal((search.structuredContent as { sources: unknown[] }).sources.length, 2, 'k caps the sources');
      assert.match(c.text(search), /\[1\] docs\/1\.md:1-2 \(install\) score 1\.0000\n````markdown\nhas ``` inside\n````/, 'a fence longer than any backtick run inside');
      const ask = await c.client.callTool({ name: 'ask_workspace', arguments: { question: 'how?' } });
      assert.deepEqual((ask.structuredContent as { citations: unknown[] }).citations, [{ n: 1, path: 'docs/1.md', startLine: 1, endLine: 2 }]);
      assert.equal((ask.structuredContent as { complete: boolean }).complete, false);
      assert.match(c.text(ask), /Run make \[1\]\.\n\n\(Incomplete: the answer was cut off at its token limit\.\)\n\nSources:\n\[1\] docs\/1\.md:1-2$/);
      const s = await c.client.callTool({ name: 'index_status', arguments: {} });
      assert.deepEqual(
        { share: (s.structuredContent as { embeddedShare: number }).embeddedShare, pending: (s.structuredContent as { pendingChanges: number }).pendingChanges, fresh: (s.structuredContent as { fresh: boolean }).fresh },
        { share: 0.75, pending: 3, fresh: false },
      );
      assert.match(c.text(s), /freshness: 3 files changed since/);
      assert.match(c.text(s), /skipped: secret: 1/);
      const r = await c.client.callTool({ name: 'reindex', arguments: { paths: ['docs/1.md', path.join(ROOT, 'src')] } });
      assert.ok(!r.isError, c.text(r));
      assert.deepEqual(engine.indexed[0].paths, ['docs/1.md', 'src']);
      const whole = await c.client.callTool({ name: 'reindex', arguments: { paths: ['.'] } });
      assert.equal(engine.indexed[1].paths, undefined, '"." is the whole workspace');
      assert.equal((whole.structuredContent as { scope: null }).scope, null);
    } finally {
      await c.close();
    }
  });

  it('turns every engine failure into a tool error with the remedy, and opens the engine again after a failure', async () => {
    let opens = 0;
    const engine = scriptedEngine({
      search: async () => {
        throw new QuestionError('too-long', 'The question is too long.', {});
      },
      index: async (ws) => ({ ...report(ws), error: { message: 'Neo4j went away', cause: new Error('Neo4j went away') }, files: { ...report(ws).files, notUpdated: 1 } }),
    });
    const c = await connected(async () => {
      if (++opens === 1) throw new Error('Neo4j is not reachable at neo4j://db');
      return engine;
    });
    try {
      await c.client.listTools(); // so the client checks results against the output schemas
      const first = await c.client.callTool({ name: 'index_status', arguments: {} });
      assert.equal(first.isError, true);
      assert.equal(c.text(first), 'Neo4j is not reachable at neo4j://db (remedy)');
      assert.match(c.logged.join('\n'), /could not open the engine: Neo4j is not reachable/);
      const second = await c.client.callTool({ name: 'index_status', arguments: {} });
      assert.ok(!second.isError, 'the next call opens the engine again');
      assert.equal(opens, 2);
      const search = await c.client.callTool({ name: 'search_workspace', arguments: { query: 'x' } });
      assert.equal(search.isError, true);
      assert.equal(c.text(search), 'The question is too long. (remedy)');
      const stopped = await c.client.callTool({ name: 'reindex', arguments: {} });
      assert.equal(stopped.isError, true, 'a run that stopped early is a tool error');
      assert.match(c.text(stopped), /Stopped early: Neo4j went away \(remedy\)\n1 changed file keeps its previous version\.\nCall reindex again to finish\./);
      assert.equal((stopped.structuredContent as { complete: boolean }).complete, false);
    } finally {
      await c.close();
    }
  });

  it('sends progress to a client that asked for it, and none otherwise', async () => {
    const c = await connected(async () => scriptedEngine());
    try {
      const updates: ProgressUpdate[] = [];
      await c.client.callTool({ name: 'reindex', arguments: {} }, { onprogress: (p) => updates.push(p) });
      assert.deepEqual(
        updates.map((u) => u.message),
        ['Looking for files to index…', 'Done.'],
      );
      assert.equal(updates[1].progress, updates[1].total);
    } finally {
      await c.close();
    }
  });
});
