// The vector leg on each Neo4j line the project supports (CI runs this file against 5.26 LTS and against 2026.x):
// workspace isolation as a filter inside the index where the server has it (2026.01+), and the migration of a vector
// index made without the workspace filter. Raw Cypher here only sets up old schemas and verifies what the store did.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import neo4j, { type Driver } from 'neo4j-driver';
import { Neo4jStore } from '../../src/core/store';
import type { FileRecord, StoredChunk } from '../../src/core/types';
import { ensureTestSchema, neo4jTestConfig, TEST_DIMENSIONS, uniqueWorkspaceId } from './neo4j-env';

const DIMS = 24;
const K = 10;
const cfg = neo4jTestConfig();
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Deterministic pseudo-random numbers, so a failure can be reproduced. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const normalise = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const near = (base: number[], rand: () => number, spread: number) => normalise(base.map((x) => x + (rand() - 0.5) * spread));
const cosineScore = (a: number[], b: number[]) => (1 + a.reduce((s, x, i) => s + x * b[i], 0) / (Math.hypot(...a) * Math.hypot(...b))) / 2;

/** One file of `vectors.length` chunks, each embedded with its vector. */
function fileWrite(ws: string, path: string, vectors: number[][]): { file: FileRecord; chunks: StoredChunk[] } {
  const chunks: StoredChunk[] = vectors.map((embedding, ordinal) => {
    const text = `${path} part ${ordinal}`;
    return {
      id: sha(`${ws}\0${path}\0${ordinal}`),
      ordinal,
      path,
      language: 'markdown',
      kind: 'section',
      startLine: ordinal * 10 + 1,
      endLine: ordinal * 10 + 9,
      text,
      contentHash: sha(text),
      tokens: 4,
      defines: [],
      embedKey: sha(`model\0${DIMS}\0${text}`),
      embedding,
    };
  });
  const file: FileRecord = { path, language: 'markdown', fileHash: sha(`${path}\0${vectors.length}`), size: 100, mtimeMs: 1_700_000_000_000, chunkerKey: 'chunker-1', links: [] };
  return { file, chunks };
}

describe('Neo4jStore vector search on this server (5.26 or 2026.x)', function () {
  this.timeout(300_000);
  let driver: Driver;
  let store: Neo4jStore;
  /** The same database through a store without the exact fallback that filters inside the index: what the index finds. */
  let annOnly: Neo4jStore;
  let version: string;
  /** What this test expects of the server, from its version: 2026.01 and later filter inside the vector index. */
  let hasFilters: boolean;

  const query = async (cypher: string, params: Record<string, unknown> = {}) =>
    (await driver.executeQuery(cypher, params, { database: cfg.database })).records.map((r) => r.toObject());
  const vectorIndexes = async () =>
    (await query("SHOW VECTOR INDEXES YIELD name, properties, state WHERE name STARTS WITH 'chunk_embedding' RETURN name, properties, state ORDER BY name")) as Array<{ name: string; properties: string[]; state: string }>;

  async function newWorkspace(store: Neo4jStore, label: string): Promise<string> {
    const id = uniqueWorkspaceId(label);
    await store.upsertWorkspace({ id, name: label, roots: [`/tmp/${label}`] });
    return id;
  }

  /**
   * A large workspace of `largeChunks` chunks all nearer to `q` than any chunk of a small one of 20, which is well
   * under 1% of the index. Returns the ids and vectors of the small workspace's chunks.
   */
  async function crowdedIndex(target: Neo4jStore, q: number[], largeChunks: number) {
    const rand = prng(11);
    const large = await newWorkspace(target, 'crowd');
    const small = await newWorkspace(target, 'lonely');
    const far = normalise(q.map((x, i) => (i % 2 === 0 ? -x : x + 0.3)));
    const largeFiles = Array.from({ length: largeChunks / 20 }, (_, f) => fileWrite(large, `crowd/f${f}.md`, Array.from({ length: 20 }, () => near(q, rand, 0.3))));
    const smallFiles = Array.from({ length: 2 }, (_, f) => fileWrite(small, `lonely/f${f}.md`, Array.from({ length: 10 }, () => near(far, rand, 1.2))));
    await target.replaceFiles(large, largeFiles);
    await target.replaceFiles(small, smallFiles);
    const smallVectors = new Map(smallFiles.flatMap((w) => w.chunks.map((c) => [c.id, c.embedding as number[]] as const)));
    return { large, small, smallVectors };
  }

  /** The k chunks of the small workspace nearest to q, computed here. */
  const nearest = (vectors: Map<string, number[]>, q: number[], k: number) =>
    [...vectors.entries()]
      .map(([id, v]) => ({ id, score: cosineScore(q, v) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k);

  before(async () => {
    driver = neo4j.driver(cfg.uri, neo4j.auth.basic(cfg.username, cfg.password), { disableLosslessIntegers: true });
    store = await Neo4jStore.connect(cfg);
    annOnly = await Neo4jStore.connect(cfg, { exactScanLimit: 0, vectorPreFilter: true });
    const [kernel] = await query("CALL dbms.components() YIELD name, versions WHERE name = 'Neo4j Kernel' RETURN versions[0] AS v");
    version = String(kernel.v);
    hasFilters = /^(2026\.(0[1-9]|1[0-2])|20(2[7-9]|[3-9]\d))\./.test(version);
    await store.clearAll();
    await ensureTestSchema(store, DIMS);
  });

  after(async () => {
    // Leave the database at the size the other suites use.
    await store?.clearAll();
    await store?.ensureSchema(TEST_DIMENSIONS);
    await annOnly?.close();
    await store?.close();
    await driver?.close();
  });

  it('learns the server version when it connects and creates the index its search needs', async () => {
    assert.equal(store.serverVersion, version);
    const [index] = await vectorIndexes();
    assert.equal(index.name, 'chunk_embedding');
    assert.deepEqual(index.properties, hasFilters ? ['embedding', 'workspace'] : ['embedding'], `Neo4j ${version}`);
    // Pre-filtering is opt-in (StoreOptions.vectorPreFilter: 2026.09.0 fails it once the index has deleted entries).
    assert.equal(await store.vectorFiltering(), 'after-search');
    assert.equal(await annOnly.vectorFiltering(), hasFilters ? 'in-index' : 'after-search');
  });

  describe('isolation', () => {
    const q = normalise(Array.from({ length: DIMS }, (_, i) => Math.sin(i + 1)));
    let small: string;
    let large: string;
    let smallVectors: Map<string, number[]>;

    before(async () => {
      ({ small, large, smallVectors } = await crowdedIndex(store, q, 2000));
    });

    it('has its premise: the 100 chunks nearest to the query are all of the other workspace', async () => {
      const top = await query(
        `MATCH (c:Chunk) WHERE c.workspace IN [$small, $large]
         WITH c, vector.similarity.cosine(c.embedding, $q) AS score ORDER BY score DESC LIMIT 100
         RETURN count(CASE WHEN c.workspace = $large THEN 1 END) AS n`,
        { q, small, large },
      );
      assert.equal(top[0].n, 100, 'so a search that filters after its 100-candidate beam finds none of the small workspace');
    });

    it('returns a small workspace k of its own chunks, nearest first, and the large one only its own', async () => {
      const hits = await store.vectorSearch(small, q, K);
      assert.equal(hits.length, K);
      assert.ok(hits.every((h) => h.path.startsWith('lonely/')));
      assert.ok(hits.every((h, i) => i === 0 || hits[i - 1].score >= h.score));
      // 5.26 ranks by its int8-quantized scores (up to ~0.02 off), so a near tie at the edge may swap.
      const expected = new Set(nearest(smallVectors, q, K).map((e) => e.id));
      assert.ok(hits.filter((h) => expected.has(h.id)).length >= K - 2);
      const other = await store.vectorSearch(large, q, K);
      assert.equal(other.length, K);
      assert.ok(other.every((h) => h.path.startsWith('crowd/')));
    });

    it('filters inside the index on 2026.x: the k nearest from the ANN search alone, exactly scored', async function () {
      if (!hasFilters) this.skip(); // 5.26 and 2025.x filter after the search; the exact fallback covers them
      assert.equal(await annOnly.vectorFiltering(), 'in-index');
      const hits = await annOnly.vectorSearch(small, q, K);
      assert.equal(hits.length, K, 'a post-filter of this beam would have found none (see the premise)');
      const expected = nearest(smallVectors, q, K);
      assert.deepEqual(hits.map((h) => h.id), expected.map((e) => e.id));
      for (const [i, h] of hits.entries()) assert.ok(Math.abs(h.score - expected[i].score) < 1e-4, 'scores are the exact (1+cos)/2');
      assert.equal((await annOnly.vectorSearch(small, q, 50)).length, 20, 'k above the workspace size returns all of it');
      assert.deepEqual(await annOnly.vectorSearch(uniqueWorkspaceId('none'), q, K), []);
    });
  });

  describe('an index made without the workspace filter', () => {
    const q = normalise(Array.from({ length: DIMS }, (_, i) => Math.cos(3 * i + 1)));

    it('keeps working, and on 2026.x is migrated to a filtered twin that replaces it once online', async () => {
      await store.clearAll();
      // As an earlier version (or 5.26 before the server was upgraded) made it: no WITH [c.workspace].
      await query(`CREATE VECTOR INDEX chunk_embedding FOR (c:Chunk) ON (c.embedding)
                   OPTIONS {indexConfig: {\`vector.dimensions\`: ${DIMS}, \`vector.similarity_function\`: 'cosine', \`vector.hnsw.ef_construction\`: 48}}`);
      await query("CALL db.awaitIndex('chunk_embedding', 60)");
      const old = await Neo4jStore.connect(cfg, { vectorPreFilter: true });
      try {
        const { small, smallVectors } = await crowdedIndex(old, q, 400);
        assert.equal(await old.vectorFiltering(), 'after-search');
        assert.deepEqual((await old.vectorSearch(small, q, K)).map((h) => h.id), nearest(smallVectors, q, K).map((e) => e.id), 'filtering after the search, with the exact fallback');

        await store.ensureSchema(DIMS); // what the engine does when it opens
        const during = await vectorIndexes();
        if (!hasFilters) {
          assert.deepEqual(during.map((i) => [i.name, i.properties]), [['chunk_embedding', ['embedding']]], 'nothing to migrate to on this server');
          assert.equal(await store.vectorFiltering(), 'after-search');
          return;
        }
        assert.deepEqual(during.map((i) => [i.name, i.properties]), [
          ['chunk_embedding', ['embedding']],
          ['chunk_embedding_ws', ['embedding', 'workspace']],
        ], 'the filtered twin is built beside the old index, which stays in use meanwhile');
        const [twin] = await query("SHOW VECTOR INDEXES YIELD name, labelsOrTypes, options WHERE name = 'chunk_embedding_ws' RETURN labelsOrTypes, options.indexConfig AS c");
        assert.equal((twin.c as Record<string, unknown>)['vector.hnsw.ef_construction'], 48, 'the twin keeps the old configuration');
        assert.deepEqual(twin.labelsOrTypes, ['Chunk', 'MigratedChunk'], 'another schema, so it gets the current provider (see schema.ts)');
        // Written while the twin is being built: both indexes take it.
        const late = fileWrite(small, 'lonely/late.md', [near(q, prng(5), 0.01)]);
        await old.replaceFiles(small, [late]);
        assert.equal((await old.vectorSearch(small, q, 1))[0]?.id, late.chunks[0].id);

        await query("CALL db.awaitIndex('chunk_embedding_ws', 120)");
        await store.ensureSchema(DIMS);
        assert.deepEqual((await vectorIndexes()).map((i) => [i.name, i.properties, i.state]), [['chunk_embedding_ws', ['embedding', 'workspace'], 'ONLINE']], 'the old index is dropped');
        assert.equal(await store.vectorDimensions(), DIMS);
        assert.equal(await store.vectorFiltering(), 'after-search', 'by default, even on the filtered twin');

        // `old` still has the dropped index in its cache: its next search finds the twin by itself.
        const hits = await old.vectorSearch(small, q, K);
        assert.equal(hits[0]?.id, late.chunks[0].id);
        assert.deepEqual(hits.slice(1).map((h) => h.id), nearest(smallVectors, q, K - 1).map((e) => e.id));
        assert.equal(await old.vectorFiltering(), 'in-index');
        // And the migrated index filters inside itself, as a new one does.
        const fresh = await Neo4jStore.connect(cfg, { exactScanLimit: 0, vectorPreFilter: true });
        try {
          assert.equal((await fresh.vectorSearch(small, q, K)).length, K);
        } finally {
          await fresh.close();
        }

        await store.clearAll();
        assert.deepEqual(await vectorIndexes(), [], 'clearing everything drops the migrated index too');
        await store.ensureSchema(DIMS);
        assert.deepEqual((await vectorIndexes()).map((i) => i.name), ['chunk_embedding'], 'a new index takes the usual name again');
      } finally {
        await old.close();
      }
    });
  });
});
