// Indexing under an Azure quota: the engine's Indexer and Embedder (the real openai client) against the local server's
// sliding-window quota and a real Neo4j. No chunk is lost or paid for twice, few requests are refused, a storm of
// 429s and a cancel are survived, and progress tells the pace. Behaviour only: speed is the benchmark's (npm run bench).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import neo4j, { type Driver } from 'neo4j-driver';
import { embeddingSchema, indexingSchema } from '../../src/core/config';
import { Embedder } from '../../src/core/embed';
import { Indexer, type IndexProgress } from '../../src/core/indexer';
import { nodeFileSystem } from '../../src/core/node-fs';
import { Neo4jStore } from '../../src/core/store';
import { workspaceFor, type WorkspaceSpec } from '../../src/core/workspace';
import { startEmbeddingServer, type EmbeddingServer } from '../servers/azure-embeddings';
import { ensureTestSchema, neo4jTestConfig, TEST_DIMENSIONS } from './neo4j-env';
import { generatedWorkspace } from './workspace-fixture';

const KEY = 'quota-indexing-key-0123456789';
/** 1.2M tokens per minute checked over one second: 20k tokens per second, so a run of ~100k tokens takes seconds. */
const QUOTA = { tokensPerMinute: 1_200_000, windowMs: 1000 };

describe('indexing under an Azure quota (real Neo4j, real openai client, local quota server)', function () {
  this.timeout(180_000);
  const neo4jConfig = neo4jTestConfig();
  let server: EmbeddingServer;
  let store: Neo4jStore;
  let driver: Driver;
  const created: WorkspaceSpec[] = [];

  before(async () => {
    store = await Neo4jStore.connect(neo4jConfig);
    await ensureTestSchema(store, TEST_DIMENSIONS);
    driver = neo4j.driver(neo4jConfig.uri, neo4j.auth.basic(neo4jConfig.username, neo4jConfig.password), { disableLosslessIntegers: true });
  });
  const start = async (latencyMs = 5) => {
    server = await startEmbeddingServer({ apiKey: KEY, dimensions: TEST_DIMENSIONS, quota: QUOTA, latencyMs, latencyMsPerToken: 0.002 });
  };
  afterEach(async () => server?.close());
  after(async () => {
    for (const ws of created) await store.clearWorkspace(ws.id).catch(() => undefined);
    await store?.close();
    await driver?.close();
  });

  const indexer = (writeBatchChunks = 150) =>
    new Indexer(
      store,
      new Embedder(embeddingSchema.parse({ endpoint: server.url, apiKey: KEY, deployment: 'text-embedding-3-small', dimensions: TEST_DIMENSIONS, maxRetries: 2 })),
      nodeFileSystem,
      indexingSchema.parse({ writeBatchChunks }),
    );
  const workspace = async (label: string, files: number) => {
    const dir = await generatedWorkspace(label, files, 4);
    // Texts no other run has embedded (the store's content cache spans workspaces): each doc comment names this run.
    const run = randomUUID();
    for (const folder of await fs.readdir(dir)) {
      for (const f of await fs.readdir(path.join(dir, folder))) {
        const file = path.join(dir, folder, f);
        await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replaceAll('for the ledger.', `for the ledger of run ${run}.`));
      }
    }
    // Some files twice over, in other folders: the same chunk texts in different write batches.
    for (let f = 0; f < 12; f++) {
      await fs.mkdir(path.join(dir, 'copies'), { recursive: true });
      await fs.copyFile(path.join(dir, `module${f % 20}`, `file${f}.ts`), path.join(dir, 'copies', `copy${f}.ts`));
    }
    const ws = workspaceFor([{ name: label, path: dir }]);
    created.push(ws);
    return ws;
  };
  /** How often the server embedded each text (answered 200: refused requests embed nothing). */
  const servedCounts = () => {
    const counts = new Map<string, number>();
    server.requests.forEach((r, i) => {
      if (server.statuses[i] !== 200) return;
      for (const t of (r.body as { input: string[] }).input) counts.set(t, (counts.get(t) ?? 0) + 1);
    });
    return counts;
  };
  const refused = () => server.statuses.filter((s) => s === 429).length;
  const chunkStats = async (ws: WorkspaceSpec) => {
    const r = await driver.executeQuery(
      'MATCH (c:Chunk {workspace: $ws}) RETURN count(c) AS chunks, count(c.embedding) AS embedded, count(DISTINCT c.embedKey) AS keys',
      { ws: ws.id },
      { database: neo4jConfig.database },
    );
    return r.records[0].toObject() as { chunks: number; embedded: number; keys: number };
  };

  it('indexes a workspace at the quota: every chunk embedded and written, no text paid twice, few refusals, the pace told', async () => {
    await start();
    const ws = await workspace('quota-run', 240);
    const events: IndexProgress[] = [];
    const report = await indexer().run(ws, { onProgress: (p) => events.push(p) });
    assert.equal(report.error, undefined, report.error?.message);
    const stats = await chunkStats(ws);
    assert.equal(stats.embedded, stats.chunks, 'every chunk has its vector');
    assert.equal(report.chunks.written, stats.chunks);
    const served = servedCounts();
    assert.deepEqual(new Set(served.values()), new Set([1]), 'no text embedded twice, the copies included');
    assert.equal(served.size, stats.keys, 'one embedding per distinct text');
    assert.equal(report.chunks.embedded, stats.keys);
    assert.equal(report.tokens, server.stats.tokens, 'the report counts what the server billed');
    // The pace is real time against a real-time window, so a loaded machine jitters it (6 of 186 refused under a
    // load average of 10): the test bounds the refusals to tell pacing from none, and `npm run bench` measures the
    // share against issue 10's 2 % (0 of ~140 there).
    assert.ok(refused() <= Math.max(2, 0.05 * server.statuses.length), `${refused()} of ${server.statuses.length} requests refused`);
    const paced = events.filter((e) => e.embedding);
    assert.ok(paced.length > 0, 'progress told the embedding pace');
    assert.ok(paced.some((e) => e.embedding!.quotaTokensPerMinute !== undefined && e.embedding!.etaMs !== undefined), 'and the quota and an ETA once learned');
    assert.equal(paced.at(-1)!.embedding!.tokensLeft, 0, 'nothing left at the end');
  });

  it('survives a storm of 429s mid-run: nothing lost, nothing paid twice', async () => {
    await start();
    const ws = await workspace('quota-storm', 160);
    let stormed = false;
    const report = await indexer().run(ws, {
      onProgress: (p) => {
        if (!stormed && p.chunksDone > 0) {
          stormed = true;
          server.setFault({ kind: 'throttle', retryAfterMs: 60, times: 15 });
        }
      },
    });
    assert.equal(report.error, undefined, report.error?.message);
    assert.ok(refused() >= 15, `${refused()} refused`);
    const stats = await chunkStats(ws);
    assert.equal(stats.embedded, stats.chunks);
    assert.deepEqual(new Set(servedCounts().values()), new Set([1]));
    assert.equal(servedCounts().size, stats.keys);
  });

  it('a run cancelled while embedding keeps what it paid for: the next run pays only for the rest', async () => {
    // Slow answers, so that requests are in flight when the cancel comes.
    await start(400);
    const ws = await workspace('quota-cancel', 200);
    const index = indexer();
    const abort = new AbortController();
    const cancelled = await index.run(ws, { signal: abort.signal, onProgress: (p) => p.chunksDone > 0 && abort.abort() });
    assert.equal(cancelled.cancelled, true);
    const rest = await index.run(ws);
    assert.equal(rest.error, undefined, rest.error?.message);
    const stats = await chunkStats(ws);
    assert.equal(stats.embedded, stats.chunks);
    // The requests in flight at the cancel were answered and kept, so nothing was paid for twice.
    assert.deepEqual(new Set(servedCounts().values()), new Set([1]));
    assert.equal(servedCounts().size, stats.keys);
  });
});
