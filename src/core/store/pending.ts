// Chunks written before their embeddings (keyword-first indexing): every chunk without a vector carries the
// `:Unembedded` label (indexed by workspace), so the chunks an interrupted run left without one are found at once by
// the next run, a workspace's backlog is counted without reading any vector, and the vector leg knows how many chunks
// of a workspace it can find. The label and the vector change together, in one transaction.
import { z } from 'zod';
import type { ChunkToEmbed, EmbeddingBacklog, UnembeddedChunk } from '../ports';
import { ensureVectorIndex, UNEMBEDDED } from './schema';
import { READ_BATCH, type StoreContext } from './session';

const unembeddedRow = z.object({ id: z.string(), path: z.string(), tokens: z.number() });

/** Every chunk of the workspace that has no embedding, without its text. */
export async function unembeddedChunks(ctx: StoreContext, workspaceId: string): Promise<UnembeddedChunk[]> {
  const result = await ctx.read((tx) =>
    tx.run(`MATCH (c:${UNEMBEDDED} {workspace: $ws}) RETURN c.id AS id, c.path AS path, c.tokens AS tokens`, { ws: workspaceId }),
  );
  return result.records.map((r) => unembeddedRow.parse(r.toObject()));
}

const toEmbedRow = z.object({
  id: z.string(),
  embedKey: z.string(),
  tokens: z.number(),
  text: z.string(),
  header: z.string().nullish().transform((v) => v ?? undefined),
  headingPath: z.string().nullish().transform((v) => v ?? undefined),
});

/** What embedding these chunks needs (their key, input and tokens), for those that still have no embedding. */
export async function chunksToEmbed(ctx: StoreContext, workspaceId: string, ids: string[]): Promise<ChunkToEmbed[]> {
  const out: ChunkToEmbed[] = [];
  for (let i = 0; i < ids.length; i += READ_BATCH) {
    const result = await ctx.read((tx) =>
      tx.run(
        // The hint keeps the unique-id look-up: the planner otherwise seeks the workspace's Unembedded chunks for every
        // id (a batch of 1,000 against 10k waiting chunks stalled the embedding for a minute).
        `UNWIND $ids AS id
         MATCH (c:Chunk {id: id})
         USING INDEX c:Chunk(id)
         WHERE c:${UNEMBEDDED} AND c.workspace = $ws
         RETURN c.id AS id, c.embedKey AS embedKey, c.tokens AS tokens, c.text AS text, c.header AS header, c.headingPath AS headingPath`,
        { ids: ids.slice(i, i + READ_BATCH), ws: workspaceId },
      ),
    );
    for (const r of result.records) out.push(toEmbedRow.parse(r.toObject()));
  }
  return out;
}

/**
 * Gives chunks their vectors: each row's chunk, if it still has the same embedding key (a file rewritten since has
 * new chunks under the same ids) and no vector yet. Returns the embedding keys that were written.
 */
export async function setEmbeddings(
  ctx: StoreContext,
  workspaceId: string,
  rows: Array<{ id: string; embedKey: string; embedding: Float32Array | number[] }>,
): Promise<Set<string>> {
  const written = new Set<string>();
  if (rows.length === 0) return written;
  await ensureVectorIndex(ctx, rows[0].embedding.length);
  ctx.counts.clear();
  for (let i = 0; i < rows.length; i += ctx.maxChunksPerTx) {
    const part = rows.slice(i, i + ctx.maxChunksPerTx).map((r) => ({ id: r.id, embedKey: r.embedKey, embedding: Array.from(r.embedding) }));
    const result = await ctx.write((tx) =>
      tx.run(
        `UNWIND $rows AS row
         MATCH (c:Chunk {id: row.id})
         USING INDEX c:Chunk(id)
         WHERE c:${UNEMBEDDED} AND c.workspace = $ws AND c.embedKey = row.embedKey
         CALL (c, row) {
           CALL db.create.setNodeVectorProperty(c, 'embedding', row.embedding)
         }
         REMOVE c:${UNEMBEDDED}
         RETURN DISTINCT c.embedKey AS key`,
        { rows: part, ws: workspaceId },
      ),
    );
    for (const r of result.records) written.add(z.string().parse(r.get('key')));
  }
  return written;
}

/** The workspace's chunks, and how many of them have no embedding yet; index look-ups only. */
export async function embeddingBacklog(ctx: StoreContext, workspaceId: string): Promise<EmbeddingBacklog> {
  const result = await ctx.read((tx) =>
    tx.run(`RETURN COUNT { (:Chunk {workspace: $ws}) } AS chunks, COUNT { (:${UNEMBEDDED} {workspace: $ws}) } AS unembedded`, { ws: workspaceId }),
  );
  return z.object({ chunks: z.number(), unembedded: z.number() }).parse(result.records[0].toObject());
}
