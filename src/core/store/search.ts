// Retrieval: the vector leg (with its workspace-aware over-fetch and exact fallback), the full-text leg, and the graph
// expansions (NEXT neighbours, symbol definitions, linked files). Every query is confined to one workspace.
import neo4j from 'neo4j-driver';
import { z } from 'zod';
import { type Hit, hitSchema } from '../types';
import { fileKey, symbolKey } from './keys';
import { escapeLucene, workspaceToken } from './lucene';
import { HIT_FIELDS } from './rows';
import { DimensionMismatchError, FULLTEXT_INDEX, lookUpVectorDimensions, VECTOR_INDEX } from './schema';
import { SPECIFIC_NAME_FILES } from '../ports';
import type { StoreContext } from './session';

/** Vector search: how many times the workspace's share of k to ask the ANN index for, and the least and most asked. */
const OVERFETCH = 4;
/** The least the ANN search is asked for, its beam: recall@10 0.63 at 100 against 0.61 at 40, for ~2 ms more. */
const MIN_ANN_FETCH = 100;
const MAX_ANN_FETCH = 2500;
/** Workspaces up to this many chunks are scored exactly when the ANN leg comes back short. */
const EXACT_SCAN_LIMIT = 20_000;
/** Chunk counts only steer the over-fetch, so they may be a little old. */
const COUNT_TTL_MS = 30_000;

/**
 * The k chunks of the workspace nearest to `vector` (cosine, scores (1+cos)/2), never a chunk of another workspace.
 *
 * Neo4j 5.26 filters only after the ANN search, so a workspace holding a small share of the index gets few or no
 * hits from a plain over-fetch. We over-fetch in proportion to the workspace's share of all chunks (bounded). When
 * that still yields fewer than k hits, a small workspace (up to EXACT_SCAN_LIMIT chunks, where it is cheap) is scored
 * exactly with vector.similarity.cosine; a large one asks the index again for four times as many. Both legs return
 * the same score scale. The chunk counts are cached for a short while: they only steer the over-fetch.
 */
export async function vectorSearch(ctx: StoreContext, workspaceId: string, vector: number[] | Float32Array, k: number): Promise<Hit[]> {
  if (k <= 0) return [];
  const dims = await lookUpVectorDimensions(ctx);
  if (dims === null) return [];
  if (vector.length !== dims) throw DimensionMismatchError.of(dims, vector.length);
  const query = Array.from(vector);
  const { mine, total } = await chunkCounts(ctx, workspaceId);
  if (mine === 0) return [];

  const ann = (fetch: number) =>
    readHits(
      ctx,
      `CALL db.index.vector.queryNodes($index, $fetch, $vector) YIELD node AS c, score
       WHERE c.workspace = $ws
       RETURN c {${HIT_FIELDS}, score: score} AS hit
       ORDER BY score DESC LIMIT $k`,
      { index: VECTOR_INDEX, fetch: neo4j.int(fetch), vector: query, ws: workspaceId, k: neo4j.int(k) },
    );
  const wanted = Math.min(k, mine);
  const fetch = Math.min(Math.max(Math.ceil((OVERFETCH * k * total) / mine), k, MIN_ANN_FETCH), MAX_ANN_FETCH);
  const hits = await ann(fetch);
  if (hits.length >= wanted) return hits;
  return mine <= EXACT_SCAN_LIMIT
    ? readHits(
        ctx,
        `MATCH (c:Chunk {workspace: $ws}) WHERE c.embedding IS NOT NULL
         WITH c, vector.similarity.cosine(c.embedding, $vector) AS score
         ORDER BY score DESC LIMIT $k
         RETURN c {${HIT_FIELDS}, score: score} AS hit`,
        { ws: workspaceId, vector: query, k: neo4j.int(k) },
      )
    : ann(Math.min(fetch * 4, MAX_ANN_FETCH * 4));
}

/** Chunks of the workspace and of the whole database, cached for COUNT_TTL_MS and dropped when this store writes. */
async function chunkCounts(ctx: StoreContext, workspaceId: string): Promise<{ mine: number; total: number }> {
  const cached = ctx.counts.get(workspaceId);
  if (cached && Date.now() - cached.at < COUNT_TTL_MS) return cached;
  const counts = await ctx.read((tx) =>
    tx.run(`RETURN COUNT { (c:Chunk {workspace: $ws}) } AS mine, COUNT { (c:Chunk) } AS total`, { ws: workspaceId }),
  );
  const fresh = { mine: z.number().parse(counts.records[0].get('mine')), total: z.number().parse(counts.records[0].get('total')), at: Date.now() };
  ctx.counts.set(workspaceId, fresh);
  return fresh;
}

/**
 * Keyword search over text, symbol, heading path and path; the workspace filter is a required Lucene term, so it is
 * exact. Text of any length works: escapeLucene keeps the query within Lucene's clause limit.
 */
export async function fulltextSearch(ctx: StoreContext, workspaceId: string, userText: string, k: number): Promise<Hit[]> {
  const terms = escapeLucene(userText);
  if (terms === '' || k <= 0) return [];
  const lucene = `+wsToken:${workspaceToken(workspaceId)} +(${terms})`;
  return readHits(
    ctx,
    `CALL db.index.fulltext.queryNodes($index, $lucene, {limit: $k}) YIELD node AS c, score
     WHERE c.workspace = $ws
     RETURN c {${HIT_FIELDS}, score: score} AS hit`,
    { index: FULLTEXT_INDEX, lucene, k: neo4j.int(k), ws: workspaceId },
  );
}

/** The chunks just before and after the given ones (NEXT in both directions), excluding the given ones; score 0. */
export async function neighbours(ctx: StoreContext, workspaceId: string, chunkIds: string[]): Promise<Hit[]> {
  if (chunkIds.length === 0) return [];
  return readHits(
    ctx,
    // The hint keeps the unique-id lookup: a plan cached while the workspace was small once chose the workspace
    // index instead and scanned every chunk of it (150 ms per question at 10k chunks).
    `UNWIND $ids AS id
     MATCH (a:Chunk {id: id})-[:NEXT]-(c:Chunk)
     USING INDEX a:Chunk(id)
     WHERE a.workspace = $ws AND NOT c.id IN $ids
     WITH DISTINCT c
     RETURN c {${HIT_FIELDS}, score: 0.0} AS hit
     ORDER BY c.path, c.ordinal`,
    { ids: chunkIds, ws: workspaceId },
  );
}

/** Chunks that define any of these symbol names (exact names, each in at most SPECIFIC_NAME_FILES files), in the order the names were given; score 1. */
export async function symbolDefinitions(ctx: StoreContext, workspaceId: string, names: string[], limit: number): Promise<Hit[]> {
  if (names.length === 0 || limit <= 0) return [];
  return readHits(
    ctx,
    `UNWIND range(0, size($keys) - 1) AS i
     MATCH (:Symbol {key: $keys[i]})<-[:DEFINES]-(c:Chunk)
     WITH i, collect(c) AS definers, count(DISTINCT c.path) AS files
     WHERE files <= $maxFiles
     UNWIND definers AS c
     WITH c, min(i) AS rank
     RETURN c {${HIT_FIELDS}, score: 1.0} AS hit
     ORDER BY rank, c.path, c.ordinal LIMIT $limit`,
    { keys: [...new Set(names)].map((n) => symbolKey(workspaceId, n)), limit: neo4j.int(limit), maxFiles: neo4j.int(SPECIFIC_NAME_FILES) },
  );
}

/** The first chunk of each file that these files link to or import (other than the given files themselves); score 0. */
export async function linkedChunks(ctx: StoreContext, workspaceId: string, paths: string[], limit: number): Promise<Hit[]> {
  if (paths.length === 0 || limit <= 0) return [];
  return readHits(
    ctx,
    `UNWIND range(0, size($keys) - 1) AS i
     MATCH (:File {key: $keys[i]})-[:LINKS_TO]->(t:File)
     WHERE NOT t.path IN $paths
     WITH t, min(i) AS rank
     MATCH (t)-[:HAS_CHUNK]->(c:Chunk {ordinal: 0})
     RETURN c {${HIT_FIELDS}, score: 0.0} AS hit
     ORDER BY rank, c.path LIMIT $limit`,
    { keys: paths.map((p) => fileKey(workspaceId, p)), paths, limit: neo4j.int(limit) },
  );
}

/** Runs a read query that returns each chunk as `hit` (HIT_FIELDS plus its score) and parses the rows. */
async function readHits(ctx: StoreContext, query: string, params: Record<string, unknown>): Promise<Hit[]> {
  const result = await ctx.read((tx) => tx.run(query, params));
  return result.records.map((r) => hitSchema.parse(r.get('hit')));
}
