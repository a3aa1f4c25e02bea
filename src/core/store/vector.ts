// The vector leg: the k chunks of one workspace nearest to a query vector. The workspace is filtered after the search,
// which over-fetches in proportion to the workspace's share of the index, and a small workspace the ANN search leaves
// short is scored exactly. On 2026.x the search is Cypher 25's SEARCH clause (the procedure is deprecated there); with
// StoreOptions.vectorPreFilter and an index that declares the workspace, the clause confines the ANN search to the
// workspace inside the index (a pre-filter), which Neo4j 2026.09.0 gets wrong once the index has deleted entries.
import neo4j from 'neo4j-driver';
import { z } from 'zod';
import type { Hit } from '../types';
import { HIT_FIELDS } from './rows';
import { DimensionMismatchError, lookUpVectorIndex, UNEMBEDDED } from './schema';
import { readHits } from './search';
import { errorCode, type StoreContext, type VectorIndexInfo } from './session';

/**
 * Vector search: how many times the workspace's share of k to ask the ANN index for, and the least and most asked.
 * The cost grows with the fetch (a beam per Lucene segment): at 107k chunks, a workspace half of them and k = 30, 2
 * (fetch 120) took the leg from p50 23 to 13 ms against 4 (240); a search left short still asks again for four times more.
 * Quality held: bench:quality (fastify, MiniLM; fetch 100 there against 120) measured hit@5 36/53, MRR@5 0.54 after it,
 * against 35/53, 0.53 before (that run also had other changes of its session).
 */
const OVERFETCH = 2;
/** The least the ANN search is asked for, its beam: recall@10 0.63 at 100 against 0.61 at 40, for ~2 ms more. */
const MIN_ANN_FETCH = 100;
const MAX_ANN_FETCH = 2500;
/** Chunk counts only steer the over-fetch and the exact fallback, so they may be a little old. */
const COUNT_TTL_MS = 30_000;

/** How a search is confined to the workspace: inside the index, or after it (over-fetching). */
export type VectorFiltering = 'in-index' | 'after-search';

/** The filtering a search with this index does on this server (StoreOptions.vectorPreFilter says why it is opt-in). */
export const filteringOf = (ctx: StoreContext, index: VectorIndexInfo): VectorFiltering => (index.filtered && ctx.vectorPreFilter ? 'in-index' : 'after-search');

/**
 * The k chunks of the workspace nearest to `vector` (cosine, scores (1+cos)/2), never a chunk of another workspace.
 *
 * In-index: the SEARCH clause's WHERE on `c.workspace` is applied while the HNSW graph is searched, so the search
 * returns the workspace's nearest chunks however small its share of the index, without an over-fetch.
 *
 * After the search: Neo4j 5.26 filters only after the ANN search, so a workspace holding a small share of the index
 * gets few or no hits from a plain over-fetch. We over-fetch in proportion to the workspace's share of all chunks
 * (bounded); on 2026.x this runs as SEARCH without a filter, elsewhere through db.index.vector.queryNodes.
 *
 * When either still yields fewer than k hits, a small workspace (up to exactScanLimit chunks, where it is cheap) is
 * scored exactly with vector.similarity.cosine; after the search, a large one asks the index again for four times as
 * many. All paths return the same score scale. The chunk counts are cached for a short while.
 */
export async function vectorSearch(ctx: StoreContext, workspaceId: string, vector: number[] | Float32Array, k: number): Promise<Hit[]> {
  if (k <= 0) return [];
  const index = await lookUpVectorIndex(ctx);
  if (index === null) return [];
  if (vector.length !== index.dimensions) throw DimensionMismatchError.of(index.dimensions, vector.length);
  const query = Array.from(vector);
  try {
    return await searchWith(ctx, index, workspaceId, query, k);
  } catch (e) {
    // Another process finished a migration (dropping the index we knew) or cleared everything: look again, once.
    if (!/IndexNotFound|PropertyNotFound/.test(errorCode(e))) throw e;
    ctx.vectorIndex = undefined;
    const fresh = await lookUpVectorIndex(ctx);
    if (fresh === null) return [];
    if (vector.length !== fresh.dimensions) throw DimensionMismatchError.of(fresh.dimensions, vector.length);
    return searchWith(ctx, fresh, workspaceId, query, k);
  }
}

async function searchWith(ctx: StoreContext, index: VectorIndexInfo, workspaceId: string, query: number[], k: number): Promise<Hit[]> {
  const params = { vector: query, ws: workspaceId, k: neo4j.int(k) };
  if (filteringOf(ctx, index) === 'in-index') {
    const hits = await readHits(
      ctx,
      `CYPHER 25
       MATCH (c:Chunk)
         SEARCH c IN (VECTOR INDEX ${index.name} FOR $vector WHERE c.workspace = $ws LIMIT $fetch) SCORE AS score
       RETURN c {${HIT_FIELDS}, score: score} AS hit
       ORDER BY score DESC LIMIT $k`,
      { ...params, fetch: neo4j.int(Math.max(k, MIN_ANN_FETCH)) },
    );
    if (hits.length >= k) return hits;
    // Short only when the workspace has fewer than k embedded chunks, or the approximate search missed some.
    const { mine, chunks } = await chunkCounts(ctx, workspaceId);
    if (hits.length >= Math.min(k, mine) || chunks > ctx.exactScanLimit) return hits;
    return exactScan(ctx, params);
  }

  const { mine, total, chunks } = await chunkCounts(ctx, workspaceId);
  if (mine === 0) return [];
  // 2026.x deprecates the procedure: the same post-filtered search in its SEARCH clause, with no filter inside.
  const ann = (fetch: number) =>
    readHits(
      ctx,
      ctx.server.vectorFilters
        ? `CYPHER 25
           MATCH (c:Chunk)
             SEARCH c IN (VECTOR INDEX ${index.name} FOR $vector LIMIT $fetch) SCORE AS score
           WHERE c.workspace = $ws
           RETURN c {${HIT_FIELDS}, score: score} AS hit
           ORDER BY score DESC LIMIT $k`
        : `CALL db.index.vector.queryNodes($index, $fetch, $vector) YIELD node AS c, score
           WHERE c.workspace = $ws
           RETURN c {${HIT_FIELDS}, score: score} AS hit
           ORDER BY score DESC LIMIT $k`,
      { ...params, index: index.name, fetch: neo4j.int(fetch) },
    );
  const wanted = Math.min(k, mine);
  const fetch = Math.min(Math.max(Math.ceil((OVERFETCH * k * total) / mine), k, MIN_ANN_FETCH), MAX_ANN_FETCH);
  const hits = await ann(fetch);
  if (hits.length >= wanted) return hits;
  return chunks <= ctx.exactScanLimit ? exactScan(ctx, params) : ann(Math.min(fetch * 4, MAX_ANN_FETCH * 4));
}

/** The workspace's chunks scored one by one: exact, and cheap for a small workspace. */
function exactScan(ctx: StoreContext, params: { vector: number[]; ws: string; k: unknown }): Promise<Hit[]> {
  return readHits(
    ctx,
    `MATCH (c:Chunk {workspace: $ws}) WHERE c.embedding IS NOT NULL
     WITH c, vector.similarity.cosine(c.embedding, $vector) AS score
     ORDER BY score DESC LIMIT $k
     RETURN c {${HIT_FIELDS}, score: score} AS hit`,
    params,
  );
}

const countsRow = z.object({ chunks: z.number(), mineUnembedded: z.number(), all: z.number(), allUnembedded: z.number() });

/**
 * Embedded chunks of the workspace (`mine`) and of the whole database (`total`), which the vector index holds, and all
 * chunks of the workspace (`chunks`: what an exact scan reads). A workspace still being embedded (keyword-first
 * indexing) has only part of its chunks in the index, so its share of the index is what the over-fetch needs. Index
 * and count-store look-ups only; cached for COUNT_TTL_MS and dropped when this store writes.
 */
async function chunkCounts(ctx: StoreContext, workspaceId: string): Promise<{ mine: number; total: number; chunks: number }> {
  const cached = ctx.counts.get(workspaceId);
  if (cached && Date.now() - cached.at < COUNT_TTL_MS) return cached;
  const counts = await ctx.read((tx) =>
    tx.run(
      `RETURN COUNT { (c:Chunk {workspace: $ws}) } AS chunks, COUNT { (c:${UNEMBEDDED} {workspace: $ws}) } AS mineUnembedded,
              COUNT { (c:Chunk) } AS all, COUNT { (c:${UNEMBEDDED}) } AS allUnembedded`,
      { ws: workspaceId },
    ),
  );
  const c = countsRow.parse(counts.records[0].toObject());
  const fresh = { mine: Math.max(0, c.chunks - c.mineUnembedded), total: Math.max(0, c.all - c.allUnembedded), chunks: c.chunks, at: Date.now() };
  ctx.counts.set(workspaceId, fresh);
  return fresh;
}
