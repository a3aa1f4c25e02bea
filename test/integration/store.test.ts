// Neo4jStore against a real Neo4j 5.26 (`bash scripts/neo4j.sh start`). Raw Cypher here only verifies what the store wrote.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import neo4j, { type Driver } from 'neo4j-driver';
import { SPECIFIC_NAME_FILES } from '../../src/core/ports';
import { DimensionMismatchError, Neo4jStore, StoreUnavailableError } from '../../src/core/store';
import type { FileRecord, StoredChunk } from '../../src/core/types';
import { ensureTestSchema, neo4jTestConfig, TEST_DIMENSIONS, uniqueWorkspaceId } from './neo4j-env';

const DIMS = 16;
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

/** A vector near `base`: the DB's workspaces look alike, the worst case for post-filtered ANN search. */
function near(base: number[], rand: () => number, spread: number): number[] {
  return normalise(base.map((x) => x + (rand() - 0.5) * spread));
}

const cosineScore = (a: number[], b: number[]) => {
  const dot = a.reduce((s, x, i) => s + x * b[i], 0);
  return (1 + dot / (Math.hypot(...a) * Math.hypot(...b))) / 2;
};

interface ChunkSpec {
  text: string;
  defines?: string[];
  symbol?: string;
  embedding?: number[] | null;
}

function fileWrite(ws: string, path: string, specs: ChunkSpec[], opts: { version?: string; links?: FileRecord['links'] } = {}) {
  const version = opts.version ?? 'v1';
  const chunks: StoredChunk[] = specs.map((s, ordinal) => ({
    id: sha(`${ws}\0${path}\0${ordinal}`),
    ordinal,
    path,
    language: path.endsWith('.md') ? 'markdown' : 'typescript',
    kind: s.symbol ? 'function' : 'section',
    symbol: s.symbol,
    startLine: ordinal * 10 + 1,
    endLine: ordinal * 10 + 9,
    text: s.text,
    contentHash: sha(s.text),
    tokens: s.text.split(/\s+/).length,
    defines: s.defines ?? [],
    embedKey: sha(`model\0${DIMS}\0${s.text}`),
    embedding: s.embedding === undefined ? null : s.embedding,
  }));
  const file: FileRecord = {
    path,
    language: chunks[0]?.language ?? 'markdown',
    fileHash: sha(`${path}\0${version}\0${specs.map((s) => s.text).join('\n')}`),
    size: 100 + specs.length,
    mtimeMs: 1_700_000_000_000.5,
    chunkerKey: 'chunker-1',
    links: opts.links ?? [],
  };
  return { file, chunks };
}

describe('Neo4jStore (real Neo4j)', function () {
  let store: Neo4jStore;
  let driver: Driver;

  const query = async (cypher: string, params: Record<string, unknown> = {}) =>
    (await driver.executeQuery(cypher, params, { database: cfg.database })).records.map((r) => r.toObject());
  const count = async (cypher: string, params: Record<string, unknown> = {}) => Number((await query(cypher, params))[0].n);

  async function newWorkspace(label: string): Promise<string> {
    const id = uniqueWorkspaceId(label);
    await store.upsertWorkspace({ id, name: label, roots: [`/tmp/${label}`] });
    return id;
  }

  before(async () => {
    driver = neo4j.driver(cfg.uri, neo4j.auth.basic(cfg.username, cfg.password), { disableLosslessIntegers: true });
    store = await Neo4jStore.connect(cfg, { maxChunksPerTransaction: 500 });
    await ensureTestSchema(store, DIMS);
  });

  after(async () => {
    // This suite works with tiny vectors; leave the database at the size the other suites use.
    await store?.clearAll();
    await store?.ensureSchema(TEST_DIMENSIONS);
    await store?.close();
    await driver?.close();
  });

  describe('schema', () => {
    it('rebuilds a full-text index of an earlier version, giving its chunks their path words', async () => {
      const ws = await newWorkspace('ft-migration');
      await store.replaceFiles(ws, [fileWrite(ws, 'lib/contentTypeParser.js', [{ text: 'function parse(body) { return body; }' }])]);
      // The index and the chunk as an earlier version left them: the raw path indexed, no pathWords.
      await query('DROP INDEX chunk_fulltext IF EXISTS');
      await query("CREATE FULLTEXT INDEX chunk_fulltext FOR (c:Chunk) ON EACH [c.text, c.symbol, c.headingPath, c.path, c.wsToken] OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words'}}");
      await query('MATCH (c:Chunk {workspace: $ws}) REMOVE c.pathWords', { ws });
      await query('CALL db.awaitIndexes(60)');
      assert.deepEqual(await store.fulltextSearch(ws, 'content type parser', 5), [], 'the old index cannot find the file by its name');
      await store.ensureSchema(DIMS);
      const fields = await query("SHOW FULLTEXT INDEXES YIELD name, properties WHERE name = 'chunk_fulltext' RETURN properties");
      assert.deepEqual(fields[0].properties, ['text', 'symbol', 'headingPath', 'pathWords', 'wsToken']);
      assert.deepEqual((await store.fulltextSearch(ws, 'content type parser', 5)).map((h) => h.path), ['lib/contentTypeParser.js']);
    });

    it('is idempotent and leaves every index online', async () => {
      const before = await query('SHOW INDEXES YIELD name RETURN collect(name) AS names');
      await store.ensureSchema(DIMS);
      await store.ensureSchema(DIMS);
      const indexes = await query('SHOW INDEXES YIELD name, type, state RETURN name, type, state');
      assert.deepEqual(
        new Set(indexes.map((i) => i.name)),
        new Set(before[0].names as string[]),
        'no index is added or dropped by running ensureSchema again',
      );
      for (const name of ['chunk_embedding', 'chunk_fulltext', 'chunk_workspace', 'chunk_embed_key', 'file_workspace', 'chunk_id', 'file_key']) {
        const index = indexes.find((i) => i.name === name);
        assert.ok(index, `index ${name} exists`);
        assert.equal(index.state, 'ONLINE', `index ${name} is online`);
      }
      const vector = await query(`SHOW VECTOR INDEXES YIELD name, options WHERE name = 'chunk_embedding' RETURN options.indexConfig AS c`);
      assert.equal((vector[0].c as Record<string, unknown>)['vector.dimensions'], DIMS);
      assert.equal((vector[0].c as Record<string, unknown>)['vector.similarity_function'], 'COSINE');
    });

    it('refuses another embedding size, naming both sizes', async () => {
      await assert.rejects(store.ensureSchema(DIMS + 3), (e: unknown) => {
        assert.ok(e instanceof DimensionMismatchError);
        assert.equal(e.details.indexDimensions, DIMS);
        assert.equal(e.details.configuredDimensions, DIMS + 3);
        assert.match(e.message, new RegExp(`${DIMS}-dimensional.*${DIMS + 3} are configured`));
        assert.doesNotMatch(e.message, /workspace-rag|AZURE_OPENAI|Clear Index/, 'host-neutral: each host adds its own remedy');
        return true;
      });
    });

    it('takes no vector index in keyword-only mode and keeps the existing one', async () => {
      await store.ensureSchema(null);
      assert.equal(await count(`SHOW VECTOR INDEXES YIELD name WHERE name = 'chunk_embedding' RETURN count(*) AS n`), 1);
    });
  });

  describe('writes', () => {
    it('replaces a file whole: new chunks, NEXT chain, symbols, no orphans', async () => {
      const ws = await newWorkspace('replace');
      await store.replaceFiles(ws, [
        fileWrite(ws, 'src/a.ts', [
          { text: 'function alpha() {}', defines: ['alpha'], symbol: 'alpha' },
          { text: 'function beta() {}', defines: ['beta'], symbol: 'beta' },
          { text: 'function gamma() {}', defines: ['gamma', 'gamma'], symbol: 'gamma' },
        ]),
      ]);
      assert.equal(await count('MATCH (:File {workspace: $ws})-[:HAS_CHUNK]->(c:Chunk) RETURN count(c) AS n', { ws }), 3);
      assert.equal(await count('MATCH (a:Chunk {workspace: $ws})-[:NEXT]->(b:Chunk) RETURN count(*) AS n', { ws }), 2);
      assert.equal(await count('MATCH (s:Symbol {workspace: $ws}) RETURN count(s) AS n', { ws }), 3);

      const v2 = fileWrite(ws, 'src/a.ts', [{ text: 'function alpha() { return 2 }', defines: ['alpha'], symbol: 'alpha' }, { text: 'export {}' }], {
        version: 'v2',
      });
      await store.replaceFiles(ws, [v2]);
      const rows = await query(
        'MATCH (:Workspace {id: $ws})-[:CONTAINS]->(f:File)-[:HAS_CHUNK]->(c:Chunk) RETURN c.text AS text, c.ordinal AS ordinal ORDER BY ordinal',
        { ws },
      );
      assert.deepEqual(rows, [
        { text: 'function alpha() { return 2 }', ordinal: 0 },
        { text: 'export {}', ordinal: 1 },
      ]);
      assert.equal(await count('MATCH (a:Chunk {workspace: $ws})-[:NEXT]->(b:Chunk) RETURN count(*) AS n', { ws }), 1);
      assert.deepEqual((await query('MATCH (s:Symbol {workspace: $ws}) RETURN s.name AS name', { ws })).map((r) => r.name), ['alpha']);
      assert.equal(await count('MATCH (c:Chunk {workspace: $ws}) WHERE NOT (:File)-[:HAS_CHUNK]->(c) RETURN count(c) AS n', { ws }), 0);
      assert.equal(await count('MATCH (s:Symbol {workspace: $ws}) WHERE NOT (s)<-[:DEFINES]-() RETURN count(s) AS n', { ws }), 0);
      const state = (await store.fileStates(ws)).get('src/a.ts');
      assert.deepEqual(state, { fileHash: v2.file.fileHash, size: v2.file.size, mtimeMs: v2.file.mtimeMs, chunkerKey: 'chunker-1' });
    });

    it('keeps the old version whole when a replacement fails inside its transaction, and names the file', async () => {
      const ws = await newWorkspace('atomic');
      const v1 = fileWrite(ws, 'doc.md', [{ text: 'old one', defines: ['Old'] }, { text: 'old two' }]);
      await store.replaceFiles(ws, [v1, fileWrite(ws, 'other.md', [{ text: 'other' }])]);
      // A link without a kind makes the last statement of the transaction fail, after chunks were already replaced.
      const broken = fileWrite(ws, 'doc.md', [{ text: 'new text' }], { version: 'v2', links: [{ target: 'other.md', kind: null as never }] });
      const refused = await store.replaceFiles(ws, [broken]);
      assert.deepEqual(refused.map((r) => r.item.file.path), ['doc.md']);
      assert.match(refused[0].message, /Neo4j refused doc\.md/);
      assert.equal((await store.fileStates(ws)).get('doc.md')?.fileHash, v1.file.fileHash);
      const texts = await query('MATCH (:File {key: $key})-[:HAS_CHUNK]->(c) RETURN c.text AS t ORDER BY c.ordinal', { key: `${ws}\u0000doc.md` });
      assert.deepEqual(texts.map((r) => r.t), ['old one', 'old two']);
      assert.equal(await count('MATCH (s:Symbol {workspace: $ws, name: "Old"}) RETURN count(s) AS n', { ws }), 1);
    });

    it('deletes files with their chunks and orphaned symbols, keeping shared ones', async () => {
      const ws = await newWorkspace('delete');
      await store.replaceFiles(ws, [
        fileWrite(ws, 'a.ts', [{ text: 'function shared() {}', defines: ['shared', 'onlyA'] }, { text: 'tail' }]),
        fileWrite(ws, 'b.ts', [{ text: 'function shared() {} // b', defines: ['shared'] }]),
      ]);
      await store.deleteFiles(ws, ['a.ts']);
      assert.deepEqual([...(await store.fileStates(ws)).keys()], ['b.ts']);
      assert.equal(await count('MATCH (c:Chunk {workspace: $ws}) RETURN count(c) AS n', { ws }), 1);
      assert.deepEqual((await query('MATCH (s:Symbol {workspace: $ws}) RETURN s.name AS name', { ws })).map((r) => r.name), ['shared']);
      await store.deleteFiles(ws, ['b.ts', 'never-existed.ts']);
      assert.equal(await count('MATCH (n {workspace: $ws}) RETURN count(n) AS n', { ws }), 0);
    });

    it('stores embeddings as float32 and serves them back from the cache by content key', async () => {
      const ws = await newWorkspace('float32');
      const embedding = Array.from({ length: DIMS }, (_, i) => 0.1 * (i + 1));
      const write = fileWrite(ws, 'e.md', [{ text: 'embedded chunk text', embedding }, { text: 'not embedded yet', embedding: null }]);
      await store.replaceFiles(ws, [write]);
      const [row] = await query('MATCH (c:Chunk {id: $id}) RETURN c.embedding AS e', { id: write.chunks[0].id });
      const stored = row.e as number[];
      // Widened float32 values: 0.1 comes back as 0.10000000149..., which a 64-bit list would keep as 0.1.
      assert.deepEqual(stored, embedding.map((x) => Math.fround(x)));
      assert.notEqual(stored[0], 0.1);

      const cache = await store.cachedEmbeddings([write.chunks[0].embedKey, write.chunks[1].embedKey, 'unknown-key']);
      assert.deepEqual([...cache.keys()], [write.chunks[0].embedKey]);
      assert.ok(cache.get(write.chunks[0].embedKey) instanceof Float32Array);
      assert.deepEqual(Array.from(cache.get(write.chunks[0].embedKey)!), stored);
      assert.deepEqual(await store.status(ws).then((s) => [s.chunks, s.embedded]), [2, 1]);
    });

    it('keeps chunks written without a vector waiting, labelled: listed, read back, given a vector only under their key, counted', async () => {
      const ws = await newWorkspace('waiting');
      const embedding = Array.from({ length: DIMS }, (_, i) => i + 1);
      const first = fileWrite(ws, 'w.md', [{ text: 'embedded already', embedding }, { text: 'waits for its vector' }]);
      await store.replaceFiles(ws, [first]);
      const [done, waiting] = first.chunks;
      assert.deepEqual(await store.unembeddedChunks(ws), [{ id: waiting.id, path: 'w.md', tokens: waiting.tokens }]);
      assert.deepEqual(await store.embeddingBacklog(ws), { chunks: 2, unembedded: 1 });
      assert.deepEqual(await store.chunksToEmbed(ws, [done.id, waiting.id]), [{ id: waiting.id, embedKey: waiting.embedKey, tokens: waiting.tokens, text: 'waits for its vector', header: undefined, headingPath: undefined }]);
      assert.deepEqual(await store.chunksToEmbed(uniqueWorkspaceId('other'), [waiting.id]), [], 'confined to its workspace');

      // The file is rewritten meanwhile: the same chunk id now holds another text, so a vector for the old text is refused.
      const second = fileWrite(ws, 'w.md', [{ text: 'embedded already', embedding }, { text: 'another text now' }], { version: 'v2' });
      await store.replaceFiles(ws, [second]);
      assert.equal(second.chunks[1].id, waiting.id);
      assert.deepEqual([...(await store.setEmbeddings(ws, [{ id: waiting.id, embedKey: waiting.embedKey, embedding }]))], []);
      assert.deepEqual(await store.embeddingBacklog(ws), { chunks: 2, unembedded: 1 });
      const written = await store.setEmbeddings(ws, [{ id: waiting.id, embedKey: second.chunks[1].embedKey, embedding: Float32Array.from(embedding) }]);
      assert.deepEqual([...written], [second.chunks[1].embedKey]);
      assert.deepEqual(await store.embeddingBacklog(ws), { chunks: 2, unembedded: 0 });
      assert.deepEqual(await store.unembeddedChunks(ws), []);
      assert.equal(await count('MATCH (c:Chunk {workspace: $ws}) WHERE c.embedding IS NULL OR c:Unembedded RETURN count(c) AS n', { ws }), 0);
      assert.deepEqual(await store.status(ws).then((st) => [st.chunks, st.embedded]), [2, 2]);
      assert.deepEqual([...(await store.setEmbeddings(ws, [{ id: waiting.id, embedKey: second.chunks[1].embedKey, embedding }]))], [], 'a chunk with a vector keeps it');
    });

    it('records new size and mtime of unchanged files', async () => {
      const ws = await newWorkspace('touch');
      const w = fileWrite(ws, 't.md', [{ text: 'same' }]);
      await store.replaceFiles(ws, [w]);
      await store.touchFiles(ws, [{ path: 't.md', size: 4242, mtimeMs: 1_800_000_000_000 }]);
      assert.deepEqual((await store.fileStates(ws)).get('t.md'), { fileHash: w.file.fileHash, size: 4242, mtimeMs: 1_800_000_000_000, chunkerKey: 'chunker-1' });
    });

    it('refuses to write into a workspace that was never created', async () => {
      const ws = uniqueWorkspaceId('missing');
      await assert.rejects(store.replaceFiles(ws, [fileWrite(ws, 'x.md', [{ text: 'x' }])]), /Unknown workspace/);
    });
  });

  describe('graph', () => {
    let ws: string;
    let chunkIds: string[];

    before(async () => {
      ws = await newWorkspace('graph');
      const a = fileWrite(ws, 'docs/a.md', [{ text: 'intro' }, { text: 'part two' }, { text: 'part three' }, { text: 'part four' }, { text: 'end' }], {
        links: [
          { target: 'docs/b.md', kind: 'link' },
          { target: 'src/c.ts', kind: 'import' },
          { target: 'missing.md', kind: 'link' },
          { target: 'docs/a.md', kind: 'link' },
        ],
      });
      chunkIds = a.chunks.map((c) => c.id);
      // b.md arrives in a later batch than a.md; c.ts in the same one.
      await store.replaceFiles(ws, [a, fileWrite(ws, 'src/c.ts', [{ text: 'export function parseConfig() {}', defines: ['parseConfig'], symbol: 'parseConfig' }, { text: 'more' }])]);
      await store.replaceFiles(ws, [fileWrite(ws, 'docs/b.md', [{ text: 'bee one' }, { text: 'bee two' }])]);
    });

    it('returns NEXT neighbours in both directions, not the seeds', async () => {
      const hits = await store.neighbours(ws, [chunkIds[2]]);
      assert.deepEqual(hits.map((h) => h.text), ['part two', 'part four']);
      const two = await store.neighbours(ws, [chunkIds[1], chunkIds[2]]);
      assert.deepEqual(two.map((h) => h.text), ['intro', 'part four']);
      assert.deepEqual(await store.neighbours(uniqueWorkspaceId('other'), [chunkIds[2]]), [], 'another workspace sees nothing');
    });

    it('finds the chunks that define a symbol', async () => {
      const hits = await store.symbolDefinitions(ws, ['parseConfig', 'noSuchSymbol'], 5);
      assert.equal(hits.length, 1);
      assert.equal(hits[0].path, 'src/c.ts');
      assert.equal(hits[0].symbol, 'parseConfig');
      assert.equal(hits[0].startLine, 1);
      assert.deepEqual(await store.symbolDefinitions(uniqueWorkspaceId('other'), ['parseConfig'], 5), []);
    });

    it('leaves a name defined in more files than SPECIFIC_NAME_FILES to the other legs', async () => {
      const generic = await newWorkspace('generic-name');
      const files = Array.from({ length: SPECIFIC_NAME_FILES + 1 }, (_, i) => fileWrite(generic, `src/m${i}.js`, [{ text: `function get () { return ${i} }`, symbol: 'get', defines: ['get', ...(i < SPECIFIC_NAME_FILES ? ['fewGet'] : [])] }]));
      await store.replaceFiles(generic, files);
      assert.deepEqual(await store.symbolDefinitions(generic, ['get'], 10), []);
      const few = await store.symbolDefinitions(generic, ['get', 'fewGet'], 10);
      assert.deepEqual(few.map((h) => h.path), Array.from({ length: SPECIFIC_NAME_FILES }, (_, i) => `src/m${i}.js`));
    });

    it('tells which terms no chunk of the workspace mentions, by word prefix over text, symbols, headings and paths', async () => {
      const mentions = await newWorkspace('absent-terms');
      await store.replaceFiles(mentions, [
        fileWrite(mentions, 'docs/Server.md', [{ text: 'Routes are registered with fastify.route().' }]),
        fileWrite(mentions, 'lib/contentTypeParser.js', [{ text: 'function add () {}', symbol: 'findRoute', defines: ['findRoute'] }]),
      ]);
      const other = await newWorkspace('absent-terms-other');
      await store.replaceFiles(other, [fileWrite(other, 'docs/grpc.md', [{ text: 'gRPC services run here.' }])]);
      assert.deepEqual(await store.absentTerms(mentions, ['rout', 'registered', 'findrout', 'contenttyp', 'grpc', 'quic']), ['grpc', 'quic']);
      assert.deepEqual(await store.absentTerms(other, ['grpc', 'servic']), []);
      assert.deepEqual(await store.absentTerms(mentions, []), []);
    });

    it('links files in any write order, only to existing files, and relinks a re-created target', async () => {
      const linked = await store.linkedChunks(ws, ['docs/a.md'], 10);
      assert.deepEqual(linked.map((h) => [h.path, h.ordinal]).sort(), [
        ['docs/b.md', 0],
        ['src/c.ts', 0],
      ]);
      const kinds = await query('MATCH (:File {key: $key})-[l:LINKS_TO]->(t:File) RETURN t.path AS path, l.kind AS kind ORDER BY path', {
        key: `${ws}\u0000docs/a.md`,
      });
      assert.deepEqual(kinds, [
        { path: 'docs/b.md', kind: 'link' },
        { path: 'src/c.ts', kind: 'import' },
      ]);
      assert.equal((await store.status(ws)).links, 2);

      await store.deleteFiles(ws, ['docs/b.md']);
      assert.equal((await store.status(ws)).links, 1);
      await store.replaceFiles(ws, [fileWrite(ws, 'docs/b.md', [{ text: 'bee again' }], { version: 'v2' })]);
      assert.deepEqual((await store.linkedChunks(ws, ['docs/a.md'], 10)).map((h) => h.text).sort(), ['bee again', 'export function parseConfig() {}']);
      assert.equal((await store.linkedChunks(ws, ['docs/a.md'], 1)).length, 1, 'limit applies');
    });

    it('reports status and lists workspaces', async () => {
      const s = await store.status(ws);
      assert.deepEqual({ ...s, lastIndexedAt: undefined }, { files: 3, chunks: 8, embedded: 0, symbols: 1, links: 2, lastIndexedAt: undefined, skippedByReason: {}, skipped: [] });
      assert.ok(s.lastIndexedAt && !Number.isNaN(Date.parse(s.lastIndexedAt)));
      const listed = (await store.listWorkspaces()).find((w) => w.id === ws);
      assert.deepEqual(listed, { id: ws, name: 'graph', roots: ['/tmp/graph'], files: 3, chunks: 8 });
      assert.deepEqual(await store.status(uniqueWorkspaceId('none')), { files: 0, chunks: 0, embedded: 0, symbols: 0, links: 0, lastIndexedAt: undefined, skippedByReason: {}, skipped: [] });
    });

    it('clears one workspace completely', async () => {
      const other = await newWorkspace('survivor');
      await store.replaceFiles(other, [fileWrite(other, 'keep.md', [{ text: 'keep me' }])]);
      await store.clearWorkspace(ws);
      assert.equal(await count('MATCH (n) WHERE n.workspace = $ws OR n.id = $ws RETURN count(n) AS n', { ws }), 0);
      assert.equal((await store.status(other)).chunks, 1);
    });
  });

  describe('retrieval isolation', () => {
    const K = 10;
    const base = normalise(Array.from({ length: DIMS }, (_, i) => (i % 3) - 1 + 0.5));
    let small: string;
    let large: string;
    const smallVectors = new Map<string, number[]>();

    before(async function () {
      this.timeout(300_000);
      const rand = prng(42);
      large = await newWorkspace('large');
      small = await newWorkspace('small');
      const largeFiles = Array.from({ length: 300 }, (_, f) =>
        fileWrite(
          large,
          `big/file${f}.md`,
          Array.from({ length: 10 }, (_, i) => ({ text: `common topic large file ${f} part ${i}`, embedding: near(base, rand, 0.2) })),
        ),
      );
      await store.replaceFiles(large, largeFiles);
      const smallFiles = Array.from({ length: 4 }, (_, f) =>
        fileWrite(
          small,
          `small/file${f}.md`,
          Array.from({ length: 5 }, (_, i) => ({ text: `common topic small file ${f} part ${i}`, embedding: near(base, rand, 0.6) })),
        ),
      );
      for (const w of smallFiles) for (const c of w.chunks) smallVectors.set(c.id, c.embedding as number[]);
      await store.replaceFiles(small, smallFiles);
    });

    it('gives a 1% workspace its full k nearest chunks, exactly ranked, and nothing of others', async () => {
      assert.equal((await store.status(large)).chunks, 3000);
      const q = near(base, prng(7), 0.1);
      const hits = await store.vectorSearch(small, q, K);
      assert.equal(hits.length, K);
      assert.ok(hits.every((h) => h.path.startsWith('small/')));
      const expected = [...smallVectors.entries()]
        .map(([id, v]) => ({ id, score: cosineScore(q, v) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, K);
      assert.deepEqual(
        hits.map((h) => h.id),
        expected.map((e) => e.id),
      );
      for (const [i, h] of hits.entries()) assert.ok(Math.abs(h.score - expected[i].score) < 1e-4, 'scores are (1+cos)/2');
      assert.equal((await store.vectorSearch(small, Float32Array.from(q), 100)).length, 20, 'k above the workspace size returns all of it');
    });

    it('serves the large workspace from the ANN index with only its own chunks', async () => {
      const hits = await store.vectorSearch(large, near(base, prng(8), 0.1), K);
      assert.equal(hits.length, K);
      assert.ok(hits.every((h) => h.path.startsWith('big/')));
      assert.ok(hits.every((h, i) => i === 0 || hits[i - 1].score >= h.score));
    });

    it('gives a workspace still being embedded its k nearest embedded chunks, the over-fetch sized by what is embedded', async () => {
      // 3,000 chunks of which 30 have their vector: 1% of the vector index. Counted by all its chunks, the over-fetch
      // would ask the index for 100 and find about one of them; the exact fallback is off, so only the over-fetch counts.
      const rand = prng(11);
      const partial = await newWorkspace('partial');
      const files = Array.from({ length: 300 }, (_, f) =>
        fileWrite(partial, `part/file${f}.md`, Array.from({ length: 10 }, (_, i) => ({ text: `common topic partial file ${f} part ${i}`, embedding: f % 10 === 0 && i < 1 ? near(base, rand, 0.2) : null }))),
      );
      await store.replaceFiles(partial, files);
      assert.deepEqual(await store.embeddingBacklog(partial), { chunks: 3000, unembedded: 2970 });
      const noFallback = await Neo4jStore.connect(cfg, { exactScanLimit: 0 });
      try {
        const hits = await noFallback.vectorSearch(partial, near(base, prng(9), 0.1), K);
        assert.equal(hits.length, K);
        assert.ok(hits.every((h) => h.path.startsWith('part/') && h.ordinal === 0), 'only its embedded chunks');
      } finally {
        await noFallback.close();
        await store.clearWorkspace(partial);
      }
    });

    it('rejects a query vector of the wrong size', async () => {
      await assert.rejects(store.vectorSearch(small, [1, 2, 3], K), DimensionMismatchError);
    });

    it('gives the small workspace its full k full-text hits, only its own', async () => {
      const hits = await store.fulltextSearch(small, 'common topic', K);
      assert.equal(hits.length, K);
      assert.ok(hits.every((h) => h.path.startsWith('small/')));
      assert.deepEqual(await store.fulltextSearch(uniqueWorkspaceId('empty'), 'common topic', K), []);
    });
  });

  describe('full-text queries with Lucene syntax', () => {
    let ws: string;
    before(async () => {
      ws = await newWorkspace('lucene');
      await store.replaceFiles(ws, [
        fileWrite(ws, 'src/core/store.ts', [{ text: 'export class Neo4jStore { replaceFiles(workspaceId) {} }', symbol: 'Neo4jStore', defines: ['Neo4jStore'] }]),
        fileWrite(ws, 'docs/windows.md', [{ text: 'Install under C:\\Program Files\\WorkspaceRag with the zebra installer' }]),
        fileWrite(ws, 'docs/ops.md', [{ text: 'The flamingo operator: a && b || !c means conjunction and negation' }]),
        fileWrite(ws, 'docs/misc.md', [{ text: 'unrelated words about gardening' }]),
      ]);
    });

    const cases: Array<[string, string | null]> = [
      ['src/core/store.ts', 'src/core/store.ts'],
      ['replaceFiles(workspaceId)', 'src/core/store.ts'],
      ['Neo4jStore: what does it do?', 'src/core/store.ts'],
      ['"zebra installer', 'docs/windows.md'],
      ['C:\\Program Files\\zebra', 'docs/windows.md'],
      ['zebra* ~2 ^3', 'docs/windows.md'],
      ['-flamingo', 'docs/ops.md'],
      ['flamingo AND OR NOT', 'docs/ops.md'],
      ['a && b || !c flamingo', 'docs/ops.md'],
      ['{flamingo} [to] +plus', 'docs/ops.md'],
      ['\\', null],
      ['( ) : " * ? - / && || !', null],
      ['AND', null],
    ];
    for (const [text, expected] of cases) {
      it(`handles ${JSON.stringify(text)}`, async () => {
        const hits = await store.fulltextSearch(ws, text, 5);
        if (expected === null) assert.ok(hits.every((h) => h.path !== 'docs/misc.md'));
        else assert.equal(hits[0]?.path, expected);
      });
    }

    it('returns nothing, without asking Lucene, when no word is left', async () => {
      assert.deepEqual(await store.fulltextSearch(ws, ' ( ) \\ / * ', 5), []);
    });
  });

  describe('connection errors', () => {
    it('names the user when the password is wrong, never the password', async () => {
      const password = 'definitely-not-the-password';
      await assert.rejects(Neo4jStore.connect({ ...cfg, password }), (e: unknown) => {
        assert.ok(e instanceof StoreUnavailableError);
        assert.equal(e.kind, 'auth');
        assert.match(e.message, new RegExp(`Neo4j rejected the credentials for user ${cfg.username}`));
        assert.ok(!e.message.includes(password));
        return true;
      });
    });

    it('says the server is not reachable when nothing listens there', async () => {
      const down = { ...cfg, uri: 'bolt://127.0.0.1:1' };
      await assert.rejects(Neo4jStore.connect(down), (e: unknown) => {
        assert.ok(e instanceof StoreUnavailableError);
        assert.equal(e.kind, 'unreachable');
        assert.match(e.message, /Neo4j is not reachable at bolt:\/\/127\.0\.0\.1:1/);
        assert.ok(!e.message.includes(cfg.password));
        return true;
      });
    });

    it('names a missing database', async () => {
      await assert.rejects(Neo4jStore.connect({ ...cfg, database: 'nosuchdb' }), (e: unknown) => {
        assert.ok(e instanceof StoreUnavailableError);
        assert.equal(e.kind, 'database');
        assert.match(e.message, /no database named nosuchdb/);
        return true;
      });
    });
  });

  describe('leases', () => {
    it('a lease asked for while its holder releases it is taken or refused, never an error', async () => {
      const ws = await newWorkspace('lease-race');
      // The window is a few milliseconds: before the fix, one run of 400 rounds (about 20 s) failed and one of 40 did not.
      for (let i = 0; i < 400; i++) {
        assert.equal(await store.tryAcquireLease(ws, `a${i}`), true);
        const [, taken] = await Promise.all([store.releaseLease(ws, `a${i}`), store.tryAcquireLease(ws, `b${i}`)]);
        if (!taken) assert.equal(await store.tryAcquireLease(ws, `b${i}`), true, 'free once released');
        await store.releaseLease(ws, `b${i}`);
      }
    });
  });

  describe('clearAll', () => {
    it('removes every workspace and the vector index, so the dimensions can change', async () => {
      await store.clearAll();
      assert.equal(await count('MATCH (n) WHERE n:Workspace OR n:File OR n:Chunk OR n:Symbol RETURN count(n) AS n'), 0);
      await store.ensureSchema(DIMS * 2);
      const ws = await newWorkspace('redim');
      const v = Array.from({ length: DIMS * 2 }, (_, i) => i + 1);
      await store.replaceFiles(ws, [fileWrite(ws, 'r.md', [{ text: 'resized', embedding: v }])]);
      assert.equal((await store.vectorSearch(ws, v, 3))[0]?.text, 'resized');
      await store.clearAll();
      await store.ensureSchema(DIMS);
    });
  });
});
