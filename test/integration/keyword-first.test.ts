// Keyword-first indexing against the real Neo4j and the local Azure embeddings server: files, chunks, symbols and links
// are written before their vectors, so a question is answered by full-text and graph search while the vectors fill in;
// retrieval stays hybrid for what is embedded and says how much is; a run that fails or is cancelled while embedding
// leaves every chunk either with its vector or labelled as waiting for it, and the next run embeds exactly what is
// missing, newest-edited files first, without paying for any text twice. Behaviour only, no timings.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import neo4j, { type Driver } from 'neo4j-driver';
import { embeddingSchema, indexingSchema, retrievalSchema, type EngineConfig } from '../../src/core/config';
import { Embedder } from '../../src/core/embed';
import { openEngine, type Engine } from '../../src/core/engine';
import type { IndexPhase, IndexProgress } from '../../src/core/indexer';
import { nodeFileSystem } from '../../src/core/node-fs';
import { Neo4jStore } from '../../src/core/store';
import { workspaceFor, type WorkspaceSpec } from '../../src/core/workspace';
import { startEmbeddingServer, type EmbeddingServer } from '../servers/azure-embeddings';
import { ensureTestSchema, neo4jTestConfig, TEST_DIMENSIONS } from './neo4j-env';
import { copySample, generatedWorkspace } from './workspace-fixture';

const KEY = 'fake-key-keyword-first';

describe('keyword-first indexing (real Neo4j, local Azure server)', function () {
  this.timeout(240_000);
  const neo4jConfig = neo4jTestConfig();
  let server: EmbeddingServer;
  let store: Neo4jStore;
  let driver: Driver;
  const engines: Engine[] = [];
  const created: WorkspaceSpec[] = [];

  const config = (indexing: Record<string, unknown> = {}, embedding: Record<string, unknown> = {}): EngineConfig => ({
    neo4j: neo4jConfig,
    embedding: embeddingSchema.parse({ endpoint: server.url, apiKey: KEY, deployment: 'text-embedding-3-small', dimensions: TEST_DIMENSIONS, maxRetries: 0, ...embedding }),
    indexing: indexingSchema.parse(indexing),
    retrieval: retrievalSchema.parse({}),
  });
  const engine = async (...args: Parameters<typeof config>) => {
    const e = await openEngine(config(...args), nodeFileSystem);
    engines.push(e);
    return e;
  };
  const workspace = (dir: string) => {
    const ws = workspaceFor([{ name: path.basename(dir), path: dir }]);
    created.push(ws);
    return ws;
  };
  const one = async (cypher: string, params: Record<string, unknown>) => Number((await driver.executeQuery(cypher, params, { database: neo4jConfig.database })).records[0].get('n'));
  /** Chunks whose label and vector disagree: a chunk is labelled Unembedded exactly when it has no vector. */
  const inconsistent = (ws: WorkspaceSpec) =>
    one('MATCH (c:Chunk {workspace: $ws}) WHERE (c.embedding IS NULL) <> (c:Unembedded) RETURN count(c) AS n', { ws: ws.id });
  /** Texts the server embedded (answered 200) since request `from`, with how often each. */
  const served = (from = 0) => {
    const counts = new Map<string, number>();
    server.requests.forEach((r, i) => {
      if (i < from || server.statuses[i] !== 200) return;
      for (const t of (r.body as { input: string[] }).input) counts.set(t, (counts.get(t) ?? 0) + 1);
    });
    return counts;
  };
  /** Files whose every text no other run has embedded (the store's content cache spans workspaces). */
  const uniqueFiles = async (dir: string) => {
    const run = randomUUID();
    for (const folder of await fs.readdir(dir)) {
      for (const f of await fs.readdir(path.join(dir, folder))) {
        const file = path.join(dir, folder, f);
        await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replaceAll('for the ledger.', `for the ledger of run ${run}.`));
      }
    }
  };

  before(async () => {
    server = await startEmbeddingServer({ apiKey: KEY, dimensions: TEST_DIMENSIONS });
    store = await Neo4jStore.connect(neo4jConfig);
    await ensureTestSchema(store, TEST_DIMENSIONS);
    driver = neo4j.driver(neo4jConfig.uri, neo4j.auth.basic(neo4jConfig.username, neo4jConfig.password), { disableLosslessIntegers: true });
  });
  afterEach(() => server.setFault(null));
  after(async () => {
    for (const ws of created) await store.clearWorkspace(ws.id).catch(() => undefined);
    for (const e of engines) await e.close().catch(() => undefined);
    await store?.close();
    await driver?.close();
    await server?.close();
  });

  it('answers before the embeddings: hybrid for what is embedded, the share said, and the next run embeds only the rest', async () => {
    const e = await engine();
    // The sample's texts are embedded once, so a second copy of it finds their vectors in the content cache.
    assert.equal((await e.index(workspace(await copySample('kw-base')))).error, undefined);
    const root = await copySample('kw-partial');
    const word = `quokka${randomUUID().slice(0, 8)}`;
    await fs.mkdir(path.join(root, 'notes'), { recursive: true });
    for (let i = 0; i < 3; i++) {
      await fs.writeFile(path.join(root, 'notes', `field-${i}.md`), `# Field note ${i}\n\nThe ${word} colony ${i} was counted at dawn by the ${randomUUID()} survey.\n`);
    }
    const ws = workspace(root);

    // The endpoint fails for good: every file is written anyway, the new notes without their vectors.
    server.setFault({ kind: 'server-error', status: 500 });
    const phases: IndexPhase[] = [];
    const failed = await e.index(ws, { onProgress: (p) => phases.push(p.phase) });
    server.setFault(null);
    assert.match(failed.error?.message ?? '', /500|server/i);
    assert.equal(failed.cancelled, false);
    assert.equal(failed.files.notIndexed, 0, 'every file is written');
    assert.equal(failed.files.changed, failed.files.discovered - failed.files.skipped);
    assert.equal(failed.unembedded, 3, "the three notes' chunks wait for their vectors");
    assert.ok(failed.chunks.reused > 0, "the sample's chunks took their vectors from the content cache");
    assert.ok(phases.includes('embedding'), 'the run said when every file was written and only vectors were left');
    assert.equal(await inconsistent(ws), 0);

    const status = await e.status(ws);
    assert.deepEqual(failed.coverage, { chunks: status.chunks, embedded: status.embedded });
    assert.equal(status.chunks - status.embedded, 3);

    // Asked now: found by full-text search, still hybrid retrieval, and the answer says how much is embedded.
    const answer = await e.ask(ws, `How was the ${word} colony counted?`);
    assert.equal(answer.retrievalMode, 'hybrid');
    assert.ok(answer.sources.some((s) => s.path.startsWith('notes/field-') && s.via.includes('fulltext')), JSON.stringify(answer.sources.map((s) => [s.path, s.via])));
    assert.deepEqual(answer.embedding, { chunks: status.chunks, embedded: status.embedded });
    const share = Math.floor((status.embedded / status.chunks) * 100);
    assert.ok(answer.notices.some((n) => n.startsWith(`Embedding ${share}%: the vector search covered the ${status.embedded} of ${status.chunks} chunks`)), answer.notices.join(' | '));

    // What is embedded is found by the vector leg, and the vector leg never returns a chunk without a vector.
    const sample = await e.search(ws, 'How often does Pebble write snapshots to disk?');
    assert.equal(sample.mode, 'hybrid');
    assert.ok(sample.sources.some((s) => s.via.includes('vector')), 'the vector leg answers for the embedded chunks');
    const question = new Embedder(config().embedding!);
    const [vector] = (await question.embed([`The ${word} colony was counted at dawn`])).vectors;
    const hits = await store.vectorSearch(ws.id, vector, 50);
    assert.ok(hits.length > 0);
    assert.equal(await one('MATCH (c:Chunk) WHERE c.id IN $ids AND c.embedding IS NULL RETURN count(c) AS n', { ids: hits.map((h) => h.id) }), 0);
    assert.ok(hits.every((h) => !h.path.startsWith('notes/field-')));

    // The next run reads no file and embeds exactly the three waiting chunks.
    const from = server.requests.length;
    const next = await e.index(ws);
    assert.equal(next.error, undefined, next.error?.message);
    assert.equal(next.files.changed, 0);
    assert.equal(next.chunks.written, 0);
    assert.equal(next.chunks.embedded, 3);
    assert.equal(next.unembedded, 0);
    assert.equal(next.coverage, undefined);
    const texts = [...served(from).keys()];
    assert.equal(texts.length, 3);
    assert.ok(texts.every((t) => t.includes(word)));
    const after = await e.status(ws);
    assert.equal(after.embedded, after.chunks);
    assert.equal(await inconsistent(ws), 0);
    const complete = await e.ask(ws, `How was the ${word} colony counted?`);
    assert.equal(complete.embedding, undefined);
    assert.ok(!complete.notices.some((n) => n.startsWith('Embedding')));
    assert.ok(complete.sources.some((s) => s.path.startsWith('notes/field-') && s.via.includes('vector')), 'now the vector leg finds the notes too');
  });

  it('a run cancelled while embedding leaves every file searchable; the next run embeds only the rest, no text paid twice', async () => {
    const e = await engine({ writeBatchChunks: 60 }, { maxBatchInputs: 16 });
    const root = await generatedWorkspace('kw-cancel', 120, 4);
    await uniqueFiles(root);
    const ws = workspace(root);
    const from = server.requests.length;
    // Slow answers: the files are all written long before their vectors are; the cancel comes then.
    server.setFault({ kind: 'slow', delayMs: 600 });
    const abort = new AbortController();
    const events: IndexProgress[] = [];
    const cancelled = await e.index(ws, {
      signal: abort.signal,
      onProgress: (p) => {
        events.push(p);
        if (p.phase === 'embedding') abort.abort();
      },
    });
    server.setFault(null);
    assert.equal(cancelled.cancelled, true, cancelled.error?.message);
    assert.equal(cancelled.files.changed, 120, 'every file was written before the cancel');
    assert.equal(cancelled.files.notIndexed, 0);
    assert.ok(cancelled.unembedded > 0 && cancelled.unembedded < cancelled.chunks.written, `${cancelled.unembedded} of ${cancelled.chunks.written} waiting`);
    const atCancel = events.find((p) => p.phase === 'embedding')!;
    assert.ok(atCancel.embedding && atCancel.embedding.share < 1, 'the progress said how much was embedded');
    assert.equal(await inconsistent(ws), 0);
    const status = await e.status(ws);
    assert.equal(status.chunks - status.embedded, cancelled.unembedded, 'the report and the index agree on what waits');
    const question = 'checksum of record 7 for the ledger';
    assert.ok((await e.search(ws, question)).sources.some((s) => s.path === 'module7/file7.ts'), 'keyword search covers every file');

    const next = await e.index(ws);
    assert.equal(next.error, undefined, next.error?.message);
    assert.equal(next.files.changed, 0, 'no file is read again');
    assert.equal(next.unembedded, 0);
    assert.equal(next.chunks.embedded, cancelled.unembedded, 'only what waited is embedded');
    const done = await e.status(ws);
    assert.equal(done.embedded, done.chunks);
    assert.equal(await inconsistent(ws), 0);
    // The requests in flight at the cancel were answered and kept: each text was paid for once across both runs.
    const counts = served(from);
    counts.delete(question);
    assert.deepEqual(new Set(counts.values()), new Set([1]));
    assert.equal(counts.size, await one('MATCH (c:Chunk {workspace: $ws}) RETURN count(DISTINCT c.embedKey) AS n', { ws: ws.id }));
  });

  it('hands the embedding over to the next run: ends without an error once its files are written, and nothing is paid twice', async () => {
    const e = await engine({ writeBatchChunks: 60 }, { maxBatchInputs: 16 });
    const root = await generatedWorkspace('kw-hand-over', 100, 4);
    await uniqueFiles(root);
    const ws = workspace(root);
    const from = server.requests.length;
    server.setFault({ kind: 'slow', delayMs: 600 });
    const handOver = new AbortController();
    const first = await e.index(ws, { handOver: handOver.signal, onProgress: (p) => p.phase === 'embedding' && handOver.abort() });
    server.setFault(null);
    assert.equal(first.error, undefined, first.error?.message);
    assert.equal(first.cancelled, false);
    assert.equal(first.files.changed, 100);
    assert.ok(first.unembedded > 0, 'it ended before the last vector');
    assert.deepEqual(first.coverage, await e.status(ws).then((st) => ({ chunks: st.chunks, embedded: st.embedded })));
    assert.equal(await inconsistent(ws), 0);
    const next = await e.index(ws);
    assert.equal(next.error, undefined, next.error?.message);
    assert.equal(next.chunks.embedded, first.unembedded);
    assert.equal(next.unembedded, 0);
    const counts = served(from);
    assert.deepEqual(new Set(counts.values()), new Set([1]));
    assert.equal(counts.size, await one('MATCH (c:Chunk {workspace: $ws}) RETURN count(DISTINCT c.embedKey) AS n', { ws: ws.id }));
  });

  it('embeds the newest-edited files first, the leftovers of a failed run included', async () => {
    // The store as the engine opens it, recording which chunks each batch of the embedding asks for, in order.
    const batches: string[][] = [];
    const recording = async (cfg: EngineConfig) => {
      const real = await Neo4jStore.connect(cfg.neo4j, { maxChunksPerTransaction: cfg.indexing.writeBatchChunks });
      await real.ensureSchema(null);
      return Object.assign(Object.create(real) as Neo4jStore, {
        chunksToEmbed: (ws: string, ids: string[]) => {
          batches.push(ids);
          return real.chunksToEmbed(ws, ids);
        },
      });
    };
    const e = await openEngine(config({ writeBatchChunks: 40 }), nodeFileSystem, { openStore: recording });
    engines.push(e);
    const root = await generatedWorkspace('kw-newest', 60, 3);
    await uniqueFiles(root);
    // Edited in this order: file0 oldest, file59 newest.
    const base = Date.now() / 1000 - 3600;
    for (let f = 0; f < 60; f++) await fs.utimes(path.join(root, `module${f % 20}`, `file${f}.ts`), base + f, base + f);
    const ws = workspace(root);
    const fileOf = (id: string) => id.slice(id.lastIndexOf(':') + 1, id.lastIndexOf('#'));

    server.setFault({ kind: 'server-error', status: 500 });
    const failed = await e.index(ws);
    server.setFault(null);
    assert.match(failed.error?.message ?? '', /500|server/i);
    assert.equal(failed.unembedded, failed.chunks.written, 'nothing was embedded');
    assert.equal(fileOf(batches[0][0]), 'module19/file59.ts', 'the first batch starts with the newest file');
    assert.deepEqual([...new Set(batches[0].map(fileOf))].slice(0, 3), ['module19/file59.ts', 'module18/file58.ts', 'module17/file57.ts']);

    // file3 is edited (touched) now: the next run finds its content unchanged, and its leftovers go first.
    await fs.utimes(path.join(root, 'module3', 'file3.ts'), new Date(), new Date());
    batches.length = 0;
    const next = await e.index(ws);
    assert.equal(next.error, undefined, next.error?.message);
    assert.equal(next.files.changed, 0);
    assert.equal(next.files.unchanged, 60);
    assert.equal(next.unembedded, 0);
    assert.deepEqual([...new Set(batches[0].map(fileOf))].slice(0, 2), ['module3/file3.ts', 'module19/file59.ts']);
    // Then the rest by age: the oldest file is asked for last.
    assert.equal(fileOf(batches.at(-1)!.at(-1)!), 'module0/file0.ts');
    assert.equal(await one('MATCH (c:Chunk {workspace: $ws}) WHERE c.embedding IS NULL RETURN count(c) AS n', { ws: ws.id }), 0);
  });
});
