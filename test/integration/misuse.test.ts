// Real mistakes against the real Neo4j: clear racing an index run (two engines, as two processes would be), a root
// that is missing or not a folder, a file whose symbol names exceed Neo4j's index key limit, and an embedding size
// changed under an existing index. Each must leave the index whole and say what happened.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import neo4j, { type Driver } from 'neo4j-driver';
import { embeddingSchema, indexingSchema, retrievalSchema, type EngineConfig } from '../../src/core/config';
import { openEngine, type Engine } from '../../src/core/engine';
import { nodeFileSystem } from '../../src/core/node-fs';
import { DimensionMismatchError, Neo4jStore, StoreUnavailableError } from '../../src/core/store';
import type { FileWrite } from '../../src/core/ports';
import { workspaceFor, WorkspaceRootError, type WorkspaceSpec } from '../../src/core/workspace';
import { startEmbeddingServer, type EmbeddingServer } from '../servers/azure-embeddings';
import { neo4jTestConfig, prepareTestDatabase, TEST_DIMENSIONS } from './neo4j-env';
import { copySample, generatedWorkspace } from './workspace-fixture';

describe('misuse (real Neo4j)', function () {
  this.timeout(300_000);
  const neo4jConfig = neo4jTestConfig();
  let embeddings: EmbeddingServer;
  let driver: Driver;
  const engines: Engine[] = [];
  const created: WorkspaceSpec[] = [];

  const config = (dimensions = TEST_DIMENSIONS): EngineConfig => ({
    neo4j: neo4jConfig,
    embedding: embeddingSchema.parse({ endpoint: embeddings.url, apiKey: 'fake-key-misuse', deployment: 'text-embedding-3-small', dimensions }),
    indexing: indexingSchema.parse({ writeBatchChunks: 100 }),
    retrieval: retrievalSchema.parse({}),
  });
  const engine = async (dimensions?: number) => {
    const e = await openEngine(config(dimensions), nodeFileSystem);
    engines.push(e);
    return e;
  };
  const workspace = (dir: string) => {
    const ws = workspaceFor([{ name: path.basename(dir), path: dir }]);
    created.push(ws);
    return ws;
  };
  const count = async (cypher: string, params: Record<string, unknown>) =>
    z((await driver.executeQuery(cypher, params, { database: neo4jConfig.database })).records[0].get('n'));
  const z = (v: unknown) => Number(v);
  const nodesOf = (ws: WorkspaceSpec) =>
    count('MATCH (n) WHERE n.workspace = $ws OR (n:Workspace AND n.id = $ws) RETURN count(n) AS n', { ws: ws.id });
  const orphans = (ws: WorkspaceSpec) => count('MATCH (c:Chunk {workspace: $ws}) WHERE NOT (:File)-[:HAS_CHUNK]->(c) RETURN count(c) AS n', { ws: ws.id });

  before(async () => {
    embeddings = await startEmbeddingServer({ apiKey: 'fake-key-misuse', dimensions: TEST_DIMENSIONS, latencyMs: 20 });
    driver = neo4j.driver(neo4jConfig.uri, neo4j.auth.basic(neo4jConfig.username, neo4jConfig.password), { disableLosslessIntegers: true });
    await prepareTestDatabase(neo4jConfig);
  });

  after(async () => {
    const e = engines[0];
    for (const ws of created) await e?.clear({ workspace: ws }).catch(() => undefined);
    for (const x of engines) await x.close().catch(() => undefined);
    await driver?.close();
    await embeddings?.close();
  });

  it('a clear racing an index run (another process) leaves nothing of the workspace, and the next index works', async () => {
    const indexing = await engine();
    const clearing = await engine();
    const ws = workspace(await generatedWorkspace('race', 150, 4));
    for (let round = 0; round < 3; round++) {
      let started!: () => void;
      const writing = new Promise<void>((resolve) => (started = resolve));
      const run = indexing.index(ws, { onProgress: (p) => p.chunksDone > 0 && started() });
      await Promise.race([writing, run]);
      await clearing.clear({ workspace: ws });
      const report = await run;
      assert.equal(await nodesOf(ws), 0, `round ${round}: a clear that returned leaves nothing (the run ${report.cancelled ? 'was stopped' : 'had finished'})`);
      if (report.cancelled) assert.match(report.error?.message ?? '', /another process is clearing/);
      assert.equal((await clearing.status(ws)).files, 0, 'the cleared workspace no longer answers');
    }
    const next = await indexing.index(ws);
    assert.equal(next.error, undefined, next.error?.message);
    assert.equal(next.failures.length, 0, JSON.stringify(next.failures));
    assert.equal(next.files.changed, 150);
    assert.equal(await orphans(ws), 0);
  });

  it('index of a missing root, a file or an unreadable folder touches nothing of its index', async () => {
    const e = await engine();
    const dir = await copySample('missing-root');
    const ws = workspace(dir);
    const first = await e.index(ws);
    assert.equal(first.error, undefined);
    const before = await nodesOf(ws);
    assert.ok(before > 0);

    const moved = `${dir}-unmounted`;
    await fs.rename(dir, moved);
    try {
      await assert.rejects(e.index(ws), (err: unknown) => err instanceof WorkspaceRootError && err.kind === 'missing' && /does not exist/.test(err.message));
      await fs.writeFile(dir, 'now a file');
      await assert.rejects(e.index(ws), (err: unknown) => err instanceof WorkspaceRootError && err.kind === 'not-a-folder');
      await fs.rm(dir);
      if (os.userInfo().uid !== 0) {
        await fs.mkdir(dir, { mode: 0o000 });
        await assert.rejects(e.index(ws), (err: unknown) => err instanceof WorkspaceRootError && err.kind === 'unreadable');
        await fs.rmdir(dir);
      }
      assert.equal(await nodesOf(ws), before, 'nothing was removed');
    } finally {
      await fs.rename(moved, dir);
    }
    assert.equal((await e.index(ws)).files.deleted, 0);
  });

  it('indexes tsc output whose computed method names run to tens of KB, and defines no such symbol', async () => {
    const e = await engine();
    const dir = await copySample('huge-symbol');
    // The shape tsc gives a class with private methods (openai@6's ChatCompletionStream.js): their bodies folded into
    // one computed method name, over many lines, so the file is not judged minified.
    const computed = Array.from({ length: 900 }, (_, i) => `__classPrivateFieldGet(this, _Stream_instances, "m", _Stream_step${i})`).join(',\n    ');
    await fs.writeFile(
      path.join(dir, 'src', 'stream.js'),
      `"use strict";\nclass Stream {\n  [(${computed}, Symbol.asyncIterator)]() {\n    return this;\n  }\n  render() {\n    return 1;\n  }\n}\nexports.Stream = Stream;\n`,
    );
    const ws = workspace(dir);
    const report = await e.index(ws);
    assert.equal(report.error, undefined, report.error?.message);
    assert.deepEqual(report.failures, []);
    assert.equal(await count('MATCH (f:File {workspace: $ws, path: "src/stream.js"}) RETURN count(f) AS n', { ws: ws.id }), 1);
    assert.equal(await count('MATCH (s:Symbol {workspace: $ws}) WHERE size(s.name) > 256 RETURN count(s) AS n', { ws: ws.id }), 0);
    assert.equal(await count('MATCH (c:Chunk {workspace: $ws}) WHERE size(c.symbol) > 256 RETURN count(c) AS n', { ws: ws.id }), 0);
    const render = await count('MATCH (:Symbol {workspace: $ws, name: "render"})<-[:DEFINES]-(c:Chunk {path: "src/stream.js"}) RETURN count(c) AS n', { ws: ws.id });
    assert.equal(render, 1, 'the ordinary method is still a symbol');
  });

  it('a changed embedding size: status still works, clear everything succeeds, and the next index takes the new size', async () => {
    const e256 = await engine();
    const ws = workspace(await copySample('dimensions'));
    assert.equal((await e256.index(ws)).error, undefined);
    const e64 = await engine(64);
    // The embedding server answers with the size asked for (the dimensions parameter), as text-embedding-3 does.
    await assert.rejects(e64.index(ws), (err: unknown) => err instanceof DimensionMismatchError && err.details.indexDimensions === TEST_DIMENSIONS);
    assert.ok((await e64.status(ws)).files > 0, 'status works during a mismatch');
    await e64.clear('everything');
    const report = await e64.index(ws);
    assert.equal(report.error, undefined, report.error?.message);
    const dims = await driver.executeQuery(`SHOW VECTOR INDEXES YIELD options RETURN options.indexConfig['vector.dimensions'] AS d`, {}, { database: neo4jConfig.database });
    assert.equal(Number(dims.records[0].get('d')), 64);
    assert.ok((await e64.search(ws, 'How often does Pebble write snapshots to disk?')).sources.length > 0);
    await e64.clear('everything');
    await prepareTestDatabase(neo4jConfig); // back to the size the other suites use
  });

  it('pays once for vectors embedded before a failed write, in the same process and in the next one', async () => {
    const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wrag-cache-'));
    let writes = 0;
    // Neo4j "goes away" at the second write that carries vectors, in each engine (a batch written with the vectors
    // that arrived in time, or vectors written after their chunks): the batches embedded by then are paid for but
    // unwritten.
    const flakyStore = async (cfg: EngineConfig) => {
      const real = await Neo4jStore.connect(cfg.neo4j, { maxChunksPerTransaction: cfg.indexing.writeBatchChunks });
      await real.ensureSchema(null);
      let mine = 0;
      const cut = () => {
        writes++;
        if (++mine === 2) throw new StoreUnavailableError('unreachable', 'Neo4j is not reachable (the test cut it)');
      };
      return Object.assign(Object.create(real) as Neo4jStore, {
        replaceFiles: async (ws: string, files: FileWrite[]) => {
          if (files.some((f) => f.chunks.some((c) => c.embedding))) cut();
          return real.replaceFiles(ws, files);
        },
        setEmbeddings: async (ws: string, rows: Parameters<Neo4jStore['setEmbeddings']>[1]) => {
          cut();
          return real.setEmbeddings(ws, rows);
        },
      });
    };
    const uniqueWorkspace = async (label: string) => {
      const dir = await generatedWorkspace(label, 120, 3);
      for (let m = 0; m < 20; m++) {
        for (const f of await fs.readdir(path.join(dir, `module${m}`))) await fs.appendFile(path.join(dir, `module${m}`, f), `// build ${randomUUID()}\n`);
      }
      return workspace(dir);
    };
    const sent = () => embeddings.requests.flatMap((r) => ((r.body as { input?: string[] } | undefined)?.input ?? []));
    const assertPaidOnce = (what: string) => {
      const inputs = sent();
      assert.equal(new Set(inputs).size, inputs.length, `${what}: ${inputs.length - new Set(inputs).size} inputs were embedded twice`);
    };

    embeddings.requests.length = 0;
    const same = await openEngine(config(), nodeFileSystem, { openStore: flakyStore, cacheDir });
    engines.push(same);
    const wsA = await uniqueWorkspace('paid-once-a');
    const failed = await same.index(wsA);
    assert.ok(failed.error && failed.error.cause instanceof StoreUnavailableError, failed.error?.message);
    const paidBefore = sent().length;
    assert.ok(paidBefore > 0);
    assert.equal((await same.index(wsA)).error, undefined);
    assertPaidOnce('the same process');

    embeddings.requests.length = 0;
    const wsB = await uniqueWorkspace('paid-once-b');
    const crashing = await openEngine(config(), nodeFileSystem, { openStore: flakyStore, cacheDir });
    assert.ok((await crashing.index(wsB)).error);
    await crashing.close();
    const next = await openEngine(config(), nodeFileSystem, { cacheDir });
    engines.push(next);
    const finished = await next.index(wsB);
    assert.equal(finished.error, undefined, finished.error?.message);
    assertPaidOnce('the next process');
    assert.ok(writes >= 4);
    await fs.rm(cacheDir, { recursive: true, force: true });
  });

  it('a keyword-only start pins no vector size', async () => {
    const keywordOnly = await openEngine({ ...config(), embedding: undefined }, nodeFileSystem);
    engines.push(keywordOnly);
    await keywordOnly.clear('everything');
    const ws = workspace(await copySample('keyword-first'));
    assert.equal((await keywordOnly.index(ws)).error, undefined);
    const indexes = await driver.executeQuery('SHOW VECTOR INDEXES YIELD name RETURN count(*) AS n', {}, { database: neo4jConfig.database });
    assert.equal(Number(indexes.records[0].get('n')), 0);
    const e64 = await engine(64);
    const report = await e64.index(ws, { force: true });
    assert.equal(report.error, undefined, report.error?.message);
    await e64.clear('everything');
    await prepareTestDatabase(neo4jConfig);
  });
});
