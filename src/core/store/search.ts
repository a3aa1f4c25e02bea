// Retrieval: the full-text leg and the graph expansions (NEXT neighbours, symbol definitions, linked files); the vector
// leg is in vector.ts. Every query is confined to one workspace.
import neo4j from 'neo4j-driver';
import { z } from 'zod';
import { type Hit, hitSchema } from '../types';
import { fileKey, symbolKey } from './keys';
import { escapeLucene, FULLTEXT_FIELDS, workspaceToken } from './lucene';
import { HIT_FIELDS } from './rows';
import { FULLTEXT_INDEX } from './schema';
import { SPECIFIC_NAME_FILES } from '../ports';
import type { StoreContext } from './session';

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

/**
 * The terms no chunk of the workspace has a word starting with (a Lucene prefix query per term over every field), so
 * "rout" finds "routes" and "router". Terms are letters and digits only (lineTerms), so they need no escaping.
 */
export async function absentTerms(ctx: StoreContext, workspaceId: string, terms: string[]): Promise<string[]> {
  const asked = [...new Set(terms.filter((t) => /^[\p{L}\p{N}]+$/u.test(t)))].slice(0, MAX_ABSENT_TERMS);
  if (asked.length === 0) return [];
  const fields = FULLTEXT_FIELDS.filter((f) => f !== 'wsToken');
  const queries = asked.map((term) => ({ term, lucene: `+wsToken:${workspaceToken(workspaceId)} +(${fields.map((f) => `${f}:${term.toLowerCase()}*`).join(' ')})` }));
  const result = await ctx.read((tx) =>
    tx.run(
      `UNWIND $queries AS q
       CALL (q) {
         CALL db.index.fulltext.queryNodes($index, q.lucene, {limit: 1}) YIELD node
         RETURN count(node) AS found
       }
       WITH q, found WHERE found = 0
       RETURN q.term AS term`,
      { queries, index: FULLTEXT_INDEX },
    ),
  );
  return result.records.map((r) => z.string().parse(r.get('term')));
}

/** A question has few words worth checking; more would only cost queries. */
const MAX_ABSENT_TERMS = 32;

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
export async function readHits(ctx: StoreContext, query: string, params: Record<string, unknown>): Promise<Hit[]> {
  const result = await ctx.read((tx) => tx.run(query, params));
  return result.records.map((r) => hitSchema.parse(r.get('hit')));
}
