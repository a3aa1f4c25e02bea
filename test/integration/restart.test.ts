// Neo4j stopped in the middle of indexing, then started again: the next run completes the rest, with no duplicates and
// no orphans. It runs its own second server (port and data folder of its own), so the shared one is never disturbed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import neo4j, { type Driver } from 'neo4j-driver';
import { embeddingSchema, indexingSchema, neo4jSchema, retrievalSchema, type EngineConfig } from '../../src/core/config';
import { openEngine, type Engine } from '../../src/core/engine';
import { workspaceFor } from '../../src/core/workspace';
import { nodeFileSystem } from '../../src/core/node-fs';
import { chunkFile } from '../../src/core/chunk';
import { startEmbeddingServer, type EmbeddingServer } from '../servers/azure-embeddings';
import { prepareTestDatabase, TEST_DIMENSIONS } from './neo4j-env';
import { generatedWorkspace } from './workspace-fixture';

const REPO = path.resolve(__dirname, '../..');
/** A server of its own, stopped and started by the test; NEO4J_RESTART_PORT moves it off a port in use on a shared machine. */
const PORT = Number(process.env.NEO4J_RESTART_PORT ?? 7697);
const PASSWORD = 'fake-password-for-the-restart-test-server';
const run = promisify(execFile);

describe('Neo4j restarting during indexing (its own server)', function () {
  this.timeout(600_000);
  const env = { ...process.env, NEO4J_PORT: String(PORT), NEO4J_DIR: path.join(REPO, '.neo4j-restart-test'), NEO4J_PASSWORD: PASSWORD, NEO4J_HEAP: '512m' };
  const neo4jScript = (command: 'start' | 'stop') => run('bash', [path.join(REPO, 'scripts/neo4j.sh'), command], { env, cwd: REPO });
  const neo4jConfig = neo4jSchema.parse({ uri: `neo4j://127.0.0.1:${PORT}`, username: 'neo4j', password: PASSWORD });
  let embeddings: EmbeddingServer;
  const engines: Engine[] = [];

  const config = (): EngineConfig => ({
    neo4j: neo4jConfig,
    // Slow, small embedding batches and small write batches: the run is still writing when the server goes away.
    embedding: embeddingSchema.parse({
      endpoint: embeddings.url, apiKey: 'fake-key', deployment: 'text-embedding-3-small', dimensions: TEST_DIMENSIONS, maxBatchInputs: 50, concurrency: 1,
    }),
    indexing: indexingSchema.parse({ writeBatchChunks: 100 }),
    retrieval: retrievalSchema.parse({}),
  });
  const engine = async () => {
    const e = await openEngine(config(), nodeFileSystem);
    engines.push(e);
    return e;
  };

  before(async () => {
    await neo4jScript('start');
    embeddings = await startEmbeddingServer({ apiKey: 'fake-key', dimensions: TEST_DIMENSIONS, latencyMs: 40 });
  });

  after(async () => {
    for (const e of engines) await e.close().catch(() => undefined);
    await embeddings?.close();
    await neo4jScript('stop');
  });

  it('leaves every file old or new, and the next run completes without duplicates or orphans', async () => {
    const root = await generatedWorkspace('restart', 240, 6);
    const ws = workspaceFor([{ name: 'restart', path: root }]);
    await prepareTestDatabase(neo4jConfig);
    const first = await engine();
    await first.clear({ workspace: ws });

    let stopping: Promise<unknown> | undefined;
    const interrupted = await first.index(ws, {
      onProgress: (p) => {
        if (p.chunksDone > 0 && !stopping) stopping = neo4jScript('stop');
      },
    });
    await stopping;
    assert.match(interrupted.error?.message ?? '', /Neo4j/, 'the run reports that Neo4j went away');
    assert.ok(interrupted.files.changed > 0 && interrupted.files.changed < 240, `${interrupted.files.changed} files written before the stop`);
    assert.equal(interrupted.files.notIndexed + interrupted.files.changed, 240, 'every new file is written or counted as not indexed yet');
    assert.equal(interrupted.files.notUpdated, 0, 'none of them had a previous version');

    await neo4jScript('start');
    const second = await engine();
    const completed = await second.index(ws);
    assert.equal(completed.error, undefined);
    assert.ok(completed.files.unchanged >= interrupted.files.changed, 'files written before the stop are not redone');
    assert.equal(completed.files.changed + completed.files.unchanged, 240);

    const expectedChunks = await expectedChunkCount(root, config().indexing.chunkTokens, config().indexing.overlapLines);
    const driver: Driver = neo4j.driver(neo4jConfig.uri, neo4j.auth.basic('neo4j', PASSWORD), { disableLosslessIntegers: true });
    try {
      const one = async (cypher: string) => (await driver.executeQuery(cypher, { ws: ws.id })).records[0].get('n');
      assert.equal(await one('MATCH (f:File {workspace: $ws}) RETURN count(f) AS n'), 240);
      assert.equal(await one('MATCH (c:Chunk {workspace: $ws}) RETURN count(c) AS n'), expectedChunks);
      assert.equal(await one('MATCH (c:Chunk {workspace: $ws}) RETURN count(DISTINCT c.id) AS n'), expectedChunks);
      assert.equal(await one('MATCH (c:Chunk {workspace: $ws}) WHERE NOT (:File)-[:HAS_CHUNK]->(c) RETURN count(c) AS n'), 0, 'no orphan chunks');
      assert.equal(await one('MATCH (f:File {workspace: $ws}) WHERE NOT (f)-[:HAS_CHUNK]->() RETURN count(f) AS n'), 0, 'no file without its chunks');
      assert.equal(await one('MATCH (c:Chunk {workspace: $ws}) WHERE c.embedding IS NULL RETURN count(c) AS n'), 0, 'every chunk embedded');
      assert.equal(await one('MATCH (s:Symbol {workspace: $ws}) WHERE NOT ()-[:DEFINES]->(s) RETURN count(s) AS n'), 0, 'no orphan symbols');
    } finally {
      await driver.close();
    }
  });
});

/** The chunks a clean index of the folder has: what the chunker makes of every file. */
async function expectedChunkCount(root: string, maxTokens: number, overlapLines: number): Promise<number> {
  let total = 0;
  for (const folder of await fs.readdir(root)) {
    for (const file of await fs.readdir(path.join(root, folder))) {
      const text = await fs.readFile(path.join(root, folder, file), 'utf8');
      total += (await chunkFile(`${folder}/${file}`, text, { maxTokens, overlapLines })).chunks.length;
    }
  }
  return total;
}
