// The interfaces under the engine. The indexer writes through IndexWriter, the retriever reads through SearchIndex,
// and the engine's administration (status, clear) goes through IndexAdmin. Neo4jStore implements all three; retrieval
// rules are unit-tested against an in-memory fake of SearchIndex, and a second store can be added behind them later.
import type { FileRecord, FileState, Hit, SkippedFile, StoredChunk, WorkspaceStatus, WorkspaceSummary } from './types';

export type { FileState, WorkspaceStatus, WorkspaceSummary };

/** One file's new version: its record and all its chunks, written together. */
export interface FileWrite {
  file: FileRecord;
  chunks: StoredChunk[];
}

/** A chunk written without its embedding (keyword-first indexing), as the indexer queues it: no text. */
export interface UnembeddedChunk {
  id: string;
  path: string;
  tokens: number;
}

/** What embedding a chunk needs: its key, the parts of its input (`embeddingInput`) and its tokens. */
export interface ChunkToEmbed {
  id: string;
  embedKey: string;
  tokens: number;
  text: string;
  header?: string;
  headingPath?: string;
}

/** A workspace's chunks and how many of them have no embedding yet. */
export interface EmbeddingBacklog {
  chunks: number;
  unembedded: number;
}

export interface IndexWriter {
  upsertWorkspace(ws: { id: string; name: string; roots: string[] }): Promise<void>;
  /** What is stored of each file of the workspace, by path. */
  fileStates(workspaceId: string): Promise<Map<string, FileState>>;
  /** Embeddings already stored for these content keys, in any workspace. */
  cachedEmbeddings(embedKeys: string[]): Promise<Map<string, Float32Array>>;
  /**
   * Replaces each file whole (record, chunks, symbols, links): a file is never left half-written. Files the store
   * refuses (a value too large, a constraint) are returned with the reason and keep their previous version; only a
   * failure of the whole store throws.
   */
  replaceFiles(workspaceId: string, files: FileWrite[]): Promise<Array<{ item: FileWrite; message: string }>>;
  /** Every chunk of the workspace that has no embedding yet (written before its vector arrived). */
  unembeddedChunks(workspaceId: string): Promise<UnembeddedChunk[]>;
  /** What embedding these chunks needs, for those of them that still have no embedding. */
  chunksToEmbed(workspaceId: string, ids: string[]): Promise<ChunkToEmbed[]>;
  /**
   * Gives chunks their vectors, each only if it still has that embedding key and no vector (a file rewritten since
   * has other chunks under the same ids). Returns the embedding keys written.
   */
  setEmbeddings(workspaceId: string, rows: Array<{ id: string; embedKey: string; embedding: Float32Array | number[] }>): Promise<Set<string>>;
  /** How many of the workspace's chunks have no embedding yet: index look-ups only, cheap enough for every question. */
  embeddingBacklog(workspaceId: string): Promise<EmbeddingBacklog>;
  /** Records the new size and mtime of files whose content did not change. */
  touchFiles(workspaceId: string, files: Array<{ path: string; size: number; mtimeMs: number }>): Promise<void>;
  deleteFiles(workspaceId: string, paths: string[]): Promise<void>;
  /** What the run skipped, by reason and by path, for `status`. */
  recordSkipped(workspaceId: string, skipped: { byReason: Record<string, number>; files: SkippedFile[] }): Promise<void>;
}

/** The legs the retriever fuses. Every method is confined to one workspace. */
export interface SearchIndex {
  /** The k chunks nearest to `vector` (cosine; scores (1+cos)/2). */
  vectorSearch(workspaceId: string, vector: number[] | Float32Array, k: number): Promise<Hit[]>;
  /** Keyword search over free user text (the implementation escapes it). */
  fulltextSearch(workspaceId: string, userText: string, k: number): Promise<Hit[]>;
  /** The chunks just before and after the given ones, excluding them. */
  neighbours(workspaceId: string, chunkIds: string[]): Promise<Hit[]>;
  /**
   * Chunks that define any of these exact symbol names, in the order the names were given; a name defined in more
   * than SPECIFIC_NAME_FILES files is skipped.
   */
  symbolDefinitions(workspaceId: string, names: string[], limit: number): Promise<Hit[]>;
  /** The first chunk of each file these files link to or import (other than themselves). */
  linkedChunks(workspaceId: string, paths: string[], limit: number): Promise<Hit[]>;
  /**
   * The terms (lower case, as words.ts's lineTerms makes them) that no chunk of the workspace has a word starting
   * with, in its text, symbol, heading path or path: what the workspace never mentions.
   */
  absentTerms(workspaceId: string, terms: string[]): Promise<string[]>;
}

export interface IndexAdmin {
  /** The size of the vectors the index holds, or null while there is none. */
  vectorDimensions(): Promise<number | null>;
  status(workspaceId: string): Promise<WorkspaceStatus>;
  listWorkspaces(): Promise<WorkspaceSummary[]>;
  clearWorkspace(workspaceId: string): Promise<void>;
  /** Every workspace, and the vector index, so the next schema may use another embedding size. */
  clearAll(): Promise<void>;
  // Leases (see leases.ts): one holder per workspace at a time, across processes; a lease not renewed expires.
  tryAcquireLease(workspaceId: string, owner: string): Promise<boolean>;
  renewLease(workspaceId: string, owner: string): Promise<'held' | 'stop' | 'lost'>;
  releaseLease(workspaceId: string, owner: string): Promise<void>;
  /** Asks the holder of one workspace's lease, or of every lease (null), to stop at its next renewal. */
  requestStop(workspaceId: string | null): Promise<void>;
  activeLeases(workspaceId: string | null): Promise<number>;
}

/** What the engine needs of a store. */
export interface Store extends IndexWriter, SearchIndex, IndexAdmin {
  close(): Promise<void>;
}

/**
 * A name defined in more files than this names no one place (`get`, `close`, `id` across a codebase and its docs):
 * the symbol leg leaves it to the other legs rather than pushing arbitrary files up.
 */
export const SPECIFIC_NAME_FILES = 3;
