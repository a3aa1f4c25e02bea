// One file's way from disk to a write: read and check it, chunk it, bound every indexed value, give each chunk its id
// and embedding key. Any failure tied to the file (unreadable, vanished, a chunker crash) is its skip with a reason
// naming it; only a cancellation goes up, so one file never stops a run.
import { createHash } from 'node:crypto';
import { boundChunk, boundLinks, keyPart } from './bounds';
import { embeddingInput, languageOf, resolveLinks, type ChunkSettings } from '../chunk';
import { ChunkingFailed, type Chunker } from '../chunk/chunker';
import { readAndClassify } from '../discover';
import type { Embedder } from '../embed';
import { errorMessage } from '../errors';
import type { FileWrite } from '../ports';
import type { DiscoveredFile, FileRecord, FileSystem, SkippedFile, StoredChunk } from '../types';

export type Prepared = FileWrite | { skip: SkippedFile } | { touch: { path: string; size: number; mtimeMs: number } };

export interface PrepareContext {
  fs: FileSystem;
  workspaceId: string;
  maxFileBytes: number;
  settings: ChunkSettings;
  chunkerKey: string;
  chunker: Chunker;
  embedder: Pick<Embedder, 'embedKey'> | undefined;
  /** Paths of this run's files, for resolving links and imports. */
  exists: (path: string) => boolean;
}

/** Reads, checks and chunks one file. Content that still hashes to `storedHash` only needs its stat refreshed. */
export async function prepareFile(ctx: PrepareContext, f: DiscoveredFile, storedHash: string | undefined): Promise<Prepared> {
  const read = await readAndClassify(ctx.fs, f, ctx.maxFileBytes);
  if (!read.ok) return { skip: { path: f.path, reason: read.reason, detail: read.detail } };
  const fileHash = sha256(read.text);
  if (storedHash === fileHash) return { touch: { path: f.path, size: f.size, mtimeMs: f.mtimeMs } };
  let chunked;
  try {
    chunked = await ctx.chunker.chunk(f.path, read.text, ctx.settings);
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') throw error;
    // Reported with the file's name, and its previous version (if any) stays in the index.
    const detail = error instanceof ChunkingFailed ? error.details.reason : `the chunker failed: ${errorMessage(error)}`;
    return { skip: { path: f.path, reason: 'index-failed', detail } };
  }
  const chunks: StoredChunk[] = chunked.chunks.map((raw, ordinal) => {
    const c = boundChunk(raw);
    return {
      ...c,
      defines: withShortNames(c.defines),
      id: chunkId(ctx.workspaceId, f.path, ordinal),
      ordinal,
      embedKey: ctx.embedder ? ctx.embedder.embedKey(embeddingInput(c)) : `text:${c.contentHash}`,
      embedding: null,
    };
  });
  const file: FileRecord = {
    path: f.path,
    language: languageOf(f.path),
    fileHash,
    size: f.size,
    mtimeMs: f.mtimeMs,
    chunkerKey: ctx.chunkerKey,
    links: boundLinks(resolveLinks(f.path, chunked.links, ctx.exists)),
  };
  return { file, chunks };
}

/** Deterministic, so a retried write is idempotent; a path too long for an index key is hashed. */
const chunkId = (workspaceId: string, path: string, ordinal: number): string => `${workspaceId}:${keyPart(path)}#${ordinal}`;

/** A question names `evictIfNeeded` more often than `PebbleStore.evictIfNeeded`: a qualified name also defines its last part. */
function withShortNames(names: string[]): string[] {
  return [...new Set(names.flatMap((n) => [n, n.split(/\.|::|#/).pop() ?? n]))].filter(Boolean);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
