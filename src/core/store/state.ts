// What the indexer asks before it writes: each stored file's hash, size, mtime and chunker key, and the embeddings
// already stored for content it is about to embed.
import { z } from 'zod';
import type { FileState } from '../types';
import { fileStateRow } from './rows';
import { READ_BATCH, type StoreContext } from './session';

export async function fileStates(ctx: StoreContext, workspaceId: string): Promise<Map<string, FileState>> {
  const result = await ctx.read((tx) =>
    tx.run(
      `MATCH (f:File {workspace: $ws})
       RETURN f.path AS path, f.fileHash AS fileHash, f.size AS size, f.mtimeMs AS mtimeMs, f.chunkerKey AS chunkerKey`,
      { ws: workspaceId },
    ),
  );
  const states = new Map<string, FileState>();
  for (const record of result.records) {
    const { path, ...state } = fileStateRow.parse(record.toObject());
    states.set(path, state);
  }
  return states;
}

/** Embeddings already stored for these content keys, in any workspace (the key covers model, size and input). */
export async function cachedEmbeddings(ctx: StoreContext, embedKeys: string[]): Promise<Map<string, Float32Array>> {
  const found = new Map<string, Float32Array>();
  const unique = [...new Set(embedKeys)];
  for (let i = 0; i < unique.length; i += READ_BATCH) {
    const result = await ctx.read((tx) =>
      tx.run(
        `UNWIND $keys AS key
         CALL (key) {
           MATCH (c:Chunk {embedKey: key}) WHERE c.embedding IS NOT NULL
           RETURN c.embedding AS embedding LIMIT 1
         }
         RETURN key, embedding`,
        { keys: unique.slice(i, i + READ_BATCH) },
      ),
    );
    for (const record of result.records) {
      found.set(z.string().parse(record.get('key')), Float32Array.from(z.array(z.number()).parse(record.get('embedding'))));
    }
  }
  return found;
}
