// Neo4j going away, at start or in the middle of an index run, is reported within about 10 s as "not reachable",
// without the driver's routing-table dump. A small TCP proxy stands between the engine and the test server, so the
// outage is the proxy closing (every socket destroyed, no more listening) and the shared server is never disturbed.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import neo4j from 'neo4j-driver';
import { embeddingSchema, indexingSchema, retrievalSchema, type EngineConfig, type Neo4jConfig } from '../../src/core/config';
import { openEngine, type Engine } from '../../src/core/engine';
import { nodeFileSystem } from '../../src/core/node-fs';
import { Neo4jStore, StoreUnavailableError } from '../../src/core/store';
import { workspaceFor } from '../../src/core/workspace';
import { startEmbeddingServer, type EmbeddingServer } from '../servers/azure-embeddings';
import { neo4jTestConfig, TEST_DIMENSIONS } from './neo4j-env';
import { generatedWorkspace } from './workspace-fixture';

/** What the driver says when discovery fails; none of it may reach a message. */
const ROUTING_DUMP = /RoutingTable|routing table|routers=|Could not perform discovery/i;

interface Proxy {
  port: number;
  /** Connections made through it so far. */
  readonly connections: number;
  /** Destroys every socket and stops listening: the server is gone. */
  kill(): Promise<void>;
}

async function startProxy(target: { host: string; port: number }): Promise<Proxy> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return connections;
    },
    async kill() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function assertUnreachable(error: unknown): asserts error is StoreUnavailableError {
  assert.ok(error instanceof StoreUnavailableError, `expected a StoreUnavailableError, got ${String(error)}`);
  assert.equal(error.kind, 'unreachable');
  assert.match(error.message, /Neo4j is not reachable at neo4j:\/\/127\.0\.0\.1:\d+/);
  assert.doesNotMatch(error.message, ROUTING_DUMP);
}

describe('Neo4j unreachable, at start or mid-run (through a TCP proxy)', function () {
  this.timeout(120_000);
  const real = neo4jTestConfig();
  const target = new URL(real.uri);
  let embeddings: EmbeddingServer;
  let dimensions = TEST_DIMENSIONS;
  const engines: Engine[] = [];
  const workspaces: string[] = [];

  const config = (neo4jConfig: Neo4jConfig): EngineConfig => ({
    neo4j: neo4jConfig,
    // Small, slightly slow batches: the run is still writing when the proxy goes away.
    embedding: embeddingSchema.parse({
      endpoint: embeddings.url, apiKey: 'fake-key', deployment: 'text-embedding-3-small', dimensions, maxBatchInputs: 50, concurrency: 1,
    }),
    indexing: indexingSchema.parse({ writeBatchChunks: 100 }),
    retrieval: retrievalSchema.parse({}),
  });

  before(async () => {
    // Index at the size the shared database already has (other suites set it), so nothing needs clearing.
    const store = await Neo4jStore.connect(real);
    try {
      dimensions = (await store.vectorDimensions()) ?? TEST_DIMENSIONS;
    } finally {
      await store.close();
    }
    embeddings = await startEmbeddingServer({ apiKey: 'fake-key', dimensions, latencyMs: 40 });
  });

  after(async () => {
    for (const e of engines) await e.close().catch(() => undefined);
    await embeddings?.close();
    const store = await Neo4jStore.connect(real);
    const driver = neo4j.driver(real.uri, neo4j.auth.basic(real.username, real.password));
    try {
      for (const id of workspaces) {
        await store.clearWorkspace(id);
        // The run could not release its lease (the server was gone for it); it would expire, but leave nothing.
        await driver.executeQuery('MATCH (l:Lease {workspace: $ws}) DELETE l', { ws: id }, { database: real.database });
      }
    } finally {
      await store.close();
      await driver.close();
    }
  });

  it('fails to open within about 10 s when nothing listens, without the routing table', async () => {
    const port = await closedPort();
    const started = Date.now();
    const error = await openEngine(config({ ...real, uri: `neo4j://127.0.0.1:${port}` }), nodeFileSystem).then(
      (e) => (engines.push(e), assert.fail('the engine opened')),
      (e: unknown) => e,
    );
    assert.ok(Date.now() - started < 10_000, `reported after ${Date.now() - started} ms`);
    assertUnreachable(error);
  });

  it('ends a run within about 10 s of the server going away, with an unreachable error and no routing table', async () => {
    const proxy = await startProxy({ host: target.hostname, port: Number(target.port || 7687) });
    const e = await openEngine(config({ ...real, uri: `neo4j://127.0.0.1:${proxy.port}` }), nodeFileSystem);
    engines.push(e);
    const root = await generatedWorkspace('outage', 240, 6);
    const ws = workspaceFor([{ name: path.basename(root), path: root }]);
    workspaces.push(ws.id);

    let killedAt = 0;
    let killing: Promise<void> | undefined;
    const report = await e.index(ws, {
      onProgress: (p) => {
        if (p.chunksDone > 0 && !killing) {
          killedAt = Date.now();
          killing = proxy.kill();
        }
      },
    });
    const took = Date.now() - killedAt;
    await killing;
    assert.ok(killedAt > 0, 'the proxy was killed while chunks were being written');
    assert.ok(proxy.connections > 0, 'the engine went through the proxy');
    assert.ok(report.error, `the run reports the outage: ${JSON.stringify(report)}`);
    assert.ok(took < 15_000, `the run ended ${took} ms after the server went away`);
    assertUnreachable(report.error.cause);
    assert.doesNotMatch(report.error.message, ROUTING_DUMP);
    assert.ok(report.files.changed < 240, `${report.files.changed} files written before the outage`);
  });
});
