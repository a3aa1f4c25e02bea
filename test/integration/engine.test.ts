// The whole engine against a real Neo4j and the local Azure embeddings and chat-completions servers: indexing with
// hostile files, answers with exact citations, incremental runs, failures that keep the index consistent, isolation.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import neo4j, { type Driver } from 'neo4j-driver';
import { chatSchema, embeddingSchema, indexingSchema, retrievalSchema, type EngineConfig } from '../../src/core/config';
import { openEngine, type Engine } from '../../src/core/engine';
import { Embedder } from '../../src/core/embed';
import { WorkerChunker } from '../../src/core/chunk/chunker';
import { Indexer, type IndexReport } from '../../src/core/indexer';
import { Neo4jStore } from '../../src/core/store';
import { workspaceFor, type WorkspaceSpec } from '../../src/core/workspace';
import { nodeFileSystem } from '../../src/core/node-fs';
import { ChatError } from '../../src/core/generate';
import { KEYWORD_ONLY_NOTE, RETRIEVAL_ONLY_NOTE } from '../../src/core/answer';
import type { FileSystem } from '../../src/core/types';
import { startEmbeddingServer, type EmbeddingServer } from '../servers/azure-embeddings';
import { startChatServer, type ChatServer } from '../servers/chat-completions';
import { ensureTestSchema, neo4jTestConfig, TEST_DIMENSIONS } from './neo4j-env';
import { copySample, generatedWorkspace, hostileWorkspace, LEAK_CANARY, vanishingFileSystem } from './workspace-fixture';

const EMBEDDING_KEY = 'fake-azure-key-for-tests';
const CHAT_KEY = 'fake-bitnet-key-for-tests';

describe('engine (real Neo4j, local Azure and BitNet protocol servers)', function () {
  this.timeout(180_000);
  const neo4jConfig = neo4jTestConfig();
  let embeddings: EmbeddingServer;
  let chat: ChatServer;
  let driver: Driver;
  const engines: Engine[] = [];
  let store: Neo4jStore;

  function config(overrides: { embedding?: boolean; chat?: boolean; maxRetries?: number } = {}): EngineConfig {
    return {
      neo4j: neo4jConfig,
      embedding:
        overrides.embedding === false
          ? undefined
          : embeddingSchema.parse({
              endpoint: embeddings.url,
              apiKey: EMBEDDING_KEY,
              deployment: 'text-embedding-3-small',
              dimensions: TEST_DIMENSIONS,
              maxRetries: overrides.maxRetries ?? 3,
              timeoutMs: 5000,
            }),
      chat:
        overrides.chat === false
          ? undefined
          : chatSchema.parse({ endpoint: chat.azureEndpoint, apiKey: CHAT_KEY, authStyle: 'api-key', apiVersion: '2024-05-01-preview', timeoutMs: 5000 }),
      indexing: indexingSchema.parse({}),
      retrieval: retrievalSchema.parse({}),
    };
  }

  async function engine(overrides?: Parameters<typeof config>[0], files: FileSystem = nodeFileSystem): Promise<Engine> {
    const e = await openEngine(config(overrides), files);
    engines.push(e);
    return e;
  }

  const created: WorkspaceSpec[] = [];
  const workspace = (dir: string): WorkspaceSpec => {
    const ws = workspaceFor([{ name: path.basename(dir), path: dir }]);
    created.push(ws);
    return ws;
  };
  const rows = async (cypher: string, params: Record<string, unknown> = {}) =>
    (await driver.executeQuery(cypher, params, { database: neo4jConfig.database })).records.map((r) => r.toObject());

  before(async () => {
    embeddings = await startEmbeddingServer({ apiKey: EMBEDDING_KEY, dimensions: TEST_DIMENSIONS });
    chat = await startChatServer({ apiKey: CHAT_KEY, apiVersion: '2024-05-01-preview' });
    driver = neo4j.driver(neo4jConfig.uri, neo4j.auth.basic(neo4jConfig.username, neo4jConfig.password), { disableLosslessIntegers: true });
    // The tests read and clean up through a store of their own; the engines under test expose only their API.
    store = await Neo4jStore.connect(neo4jConfig);
    await ensureTestSchema(store, TEST_DIMENSIONS);
  });

  after(async () => {
    for (const ws of created) await store?.clearWorkspace(ws.id).catch(() => undefined);
    await store?.close();
    for (const e of engines) await e.close().catch(() => undefined);
    await driver?.close();
    await embeddings?.close();
    await chat?.close();
  });

  describe('indexing a workspace with hostile files', () => {
    let e: Engine;
    let ws: WorkspaceSpec;
    let report: IndexReport;

    before(async () => {
      e = await engine({}, vanishingFileSystem());
      ws = workspace(await hostileWorkspace());
      report = await e.index(ws);
    });

    it('indexes the Markdown and code and skips every hostile file with its reason', () => {
      assert.equal(report.error, undefined);
      assert.equal(report.files.changed, 10, JSON.stringify(report));
      assert.ok(report.chunks.written >= 15);
      // The embedding cache spans the database, so only the fixture's one new file is embedded here.
      assert.ok(report.tokens > 0);
      assert.ok(report.estimatedCost > 0);
      for (const reason of ['secret', 'binary', 'too-large', 'invalid-utf8', 'minified', 'symlink-loop', 'vanished'] as const)
        assert.ok((report.skippedByReason[reason] ?? 0) >= 1, `expected a file skipped as ${reason}: ${JSON.stringify(report.skippedByReason)}`);
    });

    it('never lets a secret reach Neo4j', async () => {
      const leaks = await rows(
        `MATCH (n) WHERE any(k IN keys(n) WHERE toStringOrNull(n[k]) CONTAINS $canary
           OR (n[k] IS :: LIST<ANY> AND any(x IN n[k] WHERE toStringOrNull(x) CONTAINS $canary)))
         RETURN count(n) AS n`,
        { canary: LEAK_CANARY },
      );
      assert.equal(leaks[0].n, 0);
      const envFiles = await rows('MATCH (f:File {workspace: $ws}) WHERE f.path CONTAINS ".env" RETURN f.path AS p', { ws: ws.id });
      assert.deepEqual(envFiles, []);
    });

    it('stores chunks with exact lines that match the files on disk', async () => {
      const chunks = await rows('MATCH (c:Chunk {workspace: $ws}) RETURN c.path AS path, c.startLine AS s, c.endLine AS e, c.text AS text', { ws: ws.id });
      for (const c of chunks) {
        const lines = (await fs.readFile(path.join(ws.roots[0].path, c.path), 'utf8')).split('\n');
        assert.equal(c.text, lines.slice(c.s - 1, c.e).join('\n'), `${c.path}:${c.s}-${c.e}`);
      }
    });

    it('reports skipped files by reason in status', async () => {
      const status = await e.status(ws);
      assert.equal(status.files, 10);
      assert.ok((status.skippedByReason.secret ?? 0) >= 2);
    });

    it('answers with the exact source cited, streamed', async () => {
      let streamed = '';
      const answer = await e.ask(ws, 'How often does Pebble write snapshots to disk?', { onDelta: (t) => (streamed += t) });
      assert.equal(answer.mode, 'generated');
      assert.equal(answer.retrievalMode, 'hybrid');
      assert.equal(streamed, answer.text);
      const cited = answer.cited.map((n) => answer.sources[n - 1]);
      const source = cited.find((s) => s.path === 'docs/configuration.md');
      assert.ok(source, `expected docs/configuration.md among ${JSON.stringify(cited.map((s) => s.path))}`);
      const intervalLine = await lineOf(ws, 'docs/configuration.md', 'PEBBLE_SNAPSHOT_INTERVAL_SECONDS');
      assert.ok(source.startLine <= intervalLine && intervalLine <= source.endLine, `line ${intervalLine} in ${source.startLine}-${source.endLine}`);
      assert.match(answer.text, /\[\d+\]/);
      assert.ok(answer.usage && answer.usage.promptTokens > 0);
      assert.ok(answer.timings.firstTokenMs !== undefined && answer.timings.firstTokenMs <= answer.timings.totalMs);
    });

    it('finds the definition of a symbol named in the question', async () => {
      const answer = await e.ask(ws, 'What does evictIfNeeded do?');
      const definition = answer.sources.find((s) => s.path === 'src/store.ts' && s.via.includes('symbol'));
      assert.ok(definition, JSON.stringify(answer.sources.map((s) => [s.path, s.via])));
      const line = await lineOf(ws, 'src/store.ts', 'private evictIfNeeded');
      assert.ok(definition.startLine <= line && line <= definition.endLine);
      assert.ok(answer.cited.includes(definition.n));
    });

    it('keeps questions full of Lucene syntax working', async () => {
      for (const q of ['What does src/store.ts (PebbleStore) do: "evict*"?', 'snapshot -interval AND/OR NOT \\ ~2 ^3 [a TO z] {x}', '***', '"']) {
        const answer = await e.ask(ws, q);
        assert.ok(['generated', 'no-sources'].includes(answer.mode), q);
      }
    });

    it('drops citations of sources that do not exist and counts them', async () => {
      chat.setBehaviour({ citeMissing: 9, splitCitations: true });
      try {
        const answer = await e.ask(ws, 'How do I install Pebble on Linux?');
        assert.equal(answer.droppedCitations, 1);
        assert.doesNotMatch(answer.text, /\[9\]/);
        assert.ok(answer.cited.length >= 1);
        assert.ok(answer.cited.every((n) => n >= 1 && n <= answer.sources.length));
      } finally {
        chat.setBehaviour({});
      }
    });

    it('says so when the sources do not hold the answer', async () => {
      const answer = await e.ask(ws, 'Which Kubernetes operator reconciles quantum annealing jobs?');
      assert.match(answer.text, /(do not|don't|does not) contain|found nothing/i);
    });

    it('surfaces endpoint errors with their kind and no key', async () => {
      chat.setFault({ kind: 'auth', times: 1 });
      await assert.rejects(e.ask(ws, 'How do I install Pebble?'), (err: unknown) => {
        assert.ok(err instanceof ChatError);
        assert.equal(err.kind, 'auth');
        assert.doesNotMatch(err.message, new RegExp(CHAT_KEY));
        return true;
      });
    });
  });

  describe('modes without Azure or BitNet', () => {
    it('answers keyword-only and retrieval-only, labelled', async () => {
      const e = await engine({ embedding: false, chat: false });
      const ws = workspace(await copySample('keyword'));
      const report = await e.index(ws);
      assert.equal(report.mode, 'keyword-only');
      assert.equal(report.tokens, 0);
      const answer = await e.ask(ws, 'How do I build pebblectl?');
      assert.equal(answer.retrievalMode, 'keyword-only');
      assert.equal(answer.mode, 'retrieval-only');
      assert.ok(answer.text.startsWith(RETRIEVAL_ONLY_NOTE));
      assert.ok(KEYWORD_ONLY_NOTE.length > 0);
      const first = answer.sources[0];
      assert.equal(first.path, 'docs/install.md');
      assert.deepEqual(answer.cited, answer.sources.map((s) => s.n));
    });
  });

  describe('incremental runs', () => {
    let e: Engine;
    let ws: WorkspaceSpec;
    let root: string;

    before(async () => {
      e = await engine();
      root = await copySample('incremental');
      ws = workspace(root);
      const first = await e.index(ws);
      assert.equal(first.error, undefined);
    });

    it('a no-op run embeds nothing and sends no request', async () => {
      const requests = embeddings.stats.requests;
      const report = await e.index(ws);
      assert.equal(report.tokens, 0);
      assert.equal(report.chunks.embedded, 0);
      assert.equal(report.files.changed, 0);
      assert.equal(embeddings.stats.requests, requests);
    });

    it('a touched but unchanged file is not re-chunked', async () => {
      const file = path.join(root, 'docs/snapshots.md');
      const later = new Date(Date.now() + 5000);
      await fs.utimes(file, later, later);
      const report = await e.index(ws);
      assert.equal(report.files.changed, 0);
      assert.equal(report.tokens, 0);
      assert.equal((await e.index(ws)).files.unchanged, 9);
    });

    it('editing one function re-embeds that chunk only', async () => {
      const file = path.join(root, 'cmd/pebblectl/main.go');
      const text = await fs.readFile(file, 'utf8');
      // A port no earlier run used, or the database-wide cache would already know the edited chunk.
      const url = `http://localhost:${10_000 + Math.floor(Math.random() * 50_000)}`;
      await fs.writeFile(file, text.replace('return "http://127.0.0.1:7070"', `return "${url}"`));
      const report = await e.index(ws);
      assert.equal(report.files.changed, 1);
      assert.equal(report.chunks.embedded, 1);
      assert.ok(report.chunks.reused >= 1);
      const stored = await rows('MATCH (c:Chunk {workspace: $ws, path: "cmd/pebblectl/main.go"}) WHERE c.text CONTAINS $url RETURN count(c) AS n', { ws: ws.id, url });
      assert.equal(stored[0].n, 1);
    });

    it('renaming a file re-embeds nothing', async () => {
      await fs.rename(path.join(root, 'tools/compact.py'), path.join(root, 'tools/compaction.py'));
      const report = await e.index(ws);
      assert.equal(report.chunks.embedded, 0);
      assert.equal(report.tokens, 0);
      assert.equal(report.files.deleted, 1);
      assert.equal(report.files.changed, 1);
      const paths = (await rows('MATCH (f:File {workspace: $ws}) RETURN f.path AS p', { ws: ws.id })).map((r) => r.p);
      assert.ok(paths.includes('tools/compaction.py') && !paths.includes('tools/compact.py'));
    });

    it('a new chunking setting re-chunks unchanged files once, re-embedding only new texts; then runs read nothing', async () => {
      const cfg = config();
      let reads: string[] = [];
      const counting: FileSystem = { ...nodeFileSystem, readFile: (p) => (reads.push(p), nodeFileSystem.readFile(p)) };
      const small = new Indexer(store, new Embedder(cfg.embedding!), counting, { ...cfg.indexing, chunkTokens: 96 });
      const before = await rows('MATCH (c:Chunk {workspace: $ws}) RETURN count(c) AS n', { ws: ws.id });
      const rechunked = await small.run(ws);
      assert.equal(rechunked.error, undefined);
      assert.equal(rechunked.files.changed, rechunked.files.discovered);
      const after = await rows('MATCH (c:Chunk {workspace: $ws}) RETURN count(c) AS n, max(c.tokens) AS most', { ws: ws.id });
      assert.ok(after[0].n > before[0].n, `${after[0].n} chunks at 96 tokens vs ${before[0].n}`);
      reads = [];
      const again = await small.run(ws);
      assert.equal(again.files.changed, 0);
      // (Discovery still reads ignore files, here the .gitignore files above the workspace.)
      assert.deepEqual(reads.filter((p) => !p.endsWith('.gitignore')), [], 'an unchanged file under the same settings is not even read');
      // Back to the default size for the tests below.
      const back = await e.index(ws);
      assert.equal(back.files.changed, back.files.discovered);
    });

    it('--force re-chunks every file and takes every embedding from the cache', async () => {
      const report = await e.index(ws, { force: true });
      assert.equal(report.error, undefined);
      assert.equal(report.files.changed, report.files.discovered);
      assert.equal(report.chunks.embedded, 0);
      assert.equal(report.chunks.reused, report.chunks.written);
    });

    it('deleting a file removes it and its chunks', async () => {
      await fs.rm(path.join(root, 'docs/install.md'));
      const report = await e.index(ws);
      assert.equal(report.files.deleted, 1);
      const left = await rows('MATCH (c:Chunk {workspace: $ws, path: "docs/install.md"}) RETURN count(c) AS n', { ws: ws.id });
      assert.equal(left[0].n, 0);
      const links = await rows('MATCH (:File {workspace: $ws})-[:LINKS_TO]->(f:File {path: "docs/install.md"}) RETURN count(f) AS n', { ws: ws.id });
      assert.equal(links[0].n, 0);
    });
  });

  describe('chunking in the worker', () => {
    it('a file the worker cannot chunk is reported, keeps its previous version, and the rest is indexed', async () => {
      const e = await engine();
      const cfg = config();
      const chunker = new WorkerChunker({ maxHeapMb: 24 });
      const indexer = new Indexer(store, new Embedder(cfg.embedding!), nodeFileSystem, cfg.indexing, { bulk: chunker });
      try {
        const dir = await generatedWorkspace('worker', 40, 2);
        const ws = workspace(dir);
        await fs.writeFile(path.join(dir, 'table.ts'), 'export const first = 1;\n');
        const first = await indexer.run(ws);
        assert.equal(first.error, undefined);
        assert.equal(first.files.changed, 41);

        // ~950 KB (under the 1 MiB file limit) of distinct constants: more than a 24 MB worker heap can chunk.
        const constants = Array.from({ length: 9000 }, (_, i) => `export const v${i} = 'w${(i * 7919).toString(36)} x${i} y${i * 3} z${i * 7}';`);
        await fs.writeFile(path.join(dir, 'table.ts'), constants.join('\n'));
        for (let f = 0; f < 40; f++) await fs.appendFile(path.join(dir, `module${f % 20}`, `file${f}.ts`), `export const extra${f} = ${f};\n`);
        const second = await indexer.run(ws);
        assert.equal(second.error, undefined);
        assert.equal(second.files.changed, 40);
        assert.deepEqual(second.failures, [{ path: 'table.ts', message: 'chunking needed more than 24 MB of memory' }]);
        const kept = await rows('MATCH (c:Chunk {workspace: $ws, path: "table.ts"}) RETURN c.text AS text', { ws: ws.id });
        assert.deepEqual(kept.map((r) => r.text), ['export const first = 1;']);
        const extras = await rows('MATCH (:Symbol {workspace: $ws})<-[:DEFINES]-(c:Chunk) WHERE c.text CONTAINS "extra" RETURN count(DISTINCT c) AS n', { ws: ws.id });
        assert.equal(extras[0].n, 40);
      } finally {
        await chunker.close();
      }
    });
  });

  describe('cancellation', () => {
    it('stops between batches, leaves written files whole, and the next run finishes the rest', async () => {
      const e = await openEngine({ ...config(), indexing: indexingSchema.parse({ writeBatchChunks: 20 }) }, nodeFileSystem);
      engines.push(e);
      const ws = workspace(await generatedWorkspace('cancel', 60, 4));
      const abort = new AbortController();
      const cancelled = await e.index(ws, { signal: abort.signal, onProgress: (p) => p.chunksDone > 0 && abort.abort() });
      assert.equal(cancelled.cancelled, true);
      assert.match(cancelled.error?.message ?? '', /cancelled/);
      assert.ok(cancelled.files.changed > 0 && cancelled.files.changed < 60);
      const rest = await e.index(ws);
      assert.equal(rest.error, undefined);
      assert.equal(rest.files.changed + rest.files.unchanged, 60);
      assert.ok(rest.files.unchanged >= cancelled.files.changed);
      const orphans = await rows('MATCH (c:Chunk {workspace: $ws}) WHERE NOT (:File)-[:HAS_CHUNK]->(c) RETURN count(c) AS n', { ws: ws.id });
      assert.equal(orphans[0].n, 0);
    });
  });

  describe('failing endpoints', () => {
    it('BitNet down: the answer is the retrieved sources, labelled retrieval-only for it', async () => {
      const e = await engine();
      const ws = workspace(await copySample('bitnet-down'));
      assert.equal((await e.index(ws)).error, undefined);
      chat.setFault({ kind: 'server-error', status: 503 });
      try {
        const answer = await e.ask(ws, 'How do I build pebblectl?');
        assert.equal(answer.mode, 'retrieval-only');
        assert.match(answer.notices.join(' '), /Retrieval-only for this answer: BitNet could not answer/);
        assert.ok(answer.sources.some((s) => s.path === 'docs/install.md'));
      } finally {
        chat.setFault(null);
      }
    });

    it('embeddings endpoint down: the question is answered keyword-only, labelled, within seconds', async () => {
      const e = await engine({ maxRetries: 6 });
      const ws = workspace(await copySample('azure-down'));
      assert.equal((await e.index(ws)).error, undefined);
      embeddings.setFault({ kind: 'server-error', status: 503 });
      try {
        const started = Date.now();
        const answer = await e.ask(ws, 'How do I build pebblectl?');
        assert.ok(Date.now() - started < 8000, `${Date.now() - started} ms, not six retries`);
        assert.equal(answer.retrievalMode, 'keyword-only');
        assert.match(answer.notices.join(' '), /Keyword-only for this question: the embeddings endpoint failed/);
        assert.ok(answer.sources.some((s) => s.path === 'docs/install.md'));
      } finally {
        embeddings.setFault(null);
      }
    });

    it('survives throttling by honouring retry-after', async () => {
      const e = await engine();
      const ws = workspace(await copySample('throttle'));
      await fs.writeFile(path.join(ws.roots[0].path, 'docs/throttled.md'), '# Throttled\n\nA unique paragraph about marmalade tariffs.\n');
      embeddings.setFault({ kind: 'throttle', retryAfterMs: 50, times: 2 });
      const report = await e.index(ws);
      assert.equal(report.error, undefined);
      assert.equal(report.files.changed, 10);
    });

    it('embedding failing for good still writes the edit, searchable by keywords; the next run embeds only its new chunks', async () => {
      const e = await engine({ maxRetries: 1 });
      const root = await copySample('failing');
      const ws = workspace(root);
      assert.equal((await e.index(ws)).error, undefined);
      const file = path.join(root, 'docs/snapshots.md');
      const edit = `Run it from a systemd timer every ${Math.floor(Math.random() * 1e9)} seconds.`; // new to the embedding cache
      await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('Run it from cron once a day.', edit));
      embeddings.setFault({ kind: 'server-error', status: 500 });
      let report: IndexReport;
      try {
        report = await e.index(ws);
      } finally {
        embeddings.setFault(null);
      }
      assert.match(report.error?.message ?? '', /500|server/i);
      assert.equal(report.files.changed, 1, 'the edited file is written whole, before its vector');
      assert.equal(report.files.notUpdated, 0);
      // What waits for a vector is the edited file's new texts (the edit re-chunks its sections), and nothing else.
      const waiting = await rows('MATCH (c:Chunk:Unembedded {workspace: $ws}) RETURN c.path AS path, c.text CONTAINS $edit AS edited, c.embedding IS NULL AS pending', {
        ws: ws.id,
        edit,
      });
      assert.ok(waiting.length >= 1);
      assert.ok(waiting.every((c) => c.path === 'docs/snapshots.md' && c.pending === true), JSON.stringify(waiting));
      assert.ok(waiting.some((c) => c.edited === true));
      assert.equal(report.unembedded, waiting.length);
      const found = await e.search(ws, `systemd timer ${edit.match(/\d+/)![0]} seconds`);
      assert.equal(found.mode, 'hybrid');
      assert.ok(found.sources.some((s) => s.path === 'docs/snapshots.md' && s.text.includes(edit)), 'full-text search finds the new text meanwhile');

      const before = embeddings.requests.length;
      const next = await e.index(ws);
      assert.equal(next.error, undefined, next.error?.message);
      assert.equal(next.files.changed, 0, 'nothing is read again');
      assert.equal(next.chunks.embedded, waiting.length, 'only the waiting chunks are embedded');
      assert.equal(next.unembedded, 0);
      const sent = embeddings.requests.slice(before).flatMap((r) => (r.body as { input: string[] }).input);
      assert.equal(sent.length, waiting.length);
      assert.ok(sent.some((t) => t.includes(edit)));
      const left = await rows('MATCH (c:Chunk {workspace: $ws}) WHERE c.embedding IS NULL OR c:Unembedded RETURN count(c) AS n', { ws: ws.id });
      assert.equal(left[0].n, 0);
    });
  });

  describe('isolation', () => {
    it('two workspaces in one database never see each other', async () => {
      const e = await engine();
      const a = workspace(await copySample('iso-a'));
      const b = workspace(await copySample('iso-b'));
      await fs.writeFile(path.join(b.roots[0].path, 'docs/zebra.md'), '# Zebra migration\n\nThe zebra migration runbook moves herds across the savanna.\n');
      await e.index(a);
      await e.index(b);
      const inA = await e.ask(a, 'What does the zebra migration runbook say?');
      assert.ok(inA.sources.every((s) => s.path !== 'docs/zebra.md'));
      const inB = await e.ask(b, 'What does the zebra migration runbook say?');
      assert.equal(inB.sources[0].path, 'docs/zebra.md');
      const crossed = await rows('MATCH (f:File {workspace: $a})-[:HAS_CHUNK]->(c:Chunk) WHERE c.workspace <> $a RETURN count(c) AS n', { a: a.id });
      assert.equal(crossed[0].n, 0);
    });
  });
});

async function lineOf(ws: WorkspaceSpec, rel: string, needle: string): Promise<number> {
  const lines = (await fs.readFile(path.join(ws.roots[0].path, rel), 'utf8')).split('\n');
  const index = lines.findIndex((l) => l.includes(needle));
  assert.ok(index >= 0, `${needle} in ${rel}`);
  return index + 1;
}
