// Neo4j persistence: schema, per-file atomic writes, vector / full-text / graph reads. ALL Cypher of the project lives
// in this folder; Neo4jStore is its one entry point and delegates each method to the module that does that job.
//
// Graph model (every node carries `workspace`, so each query is confined to one workspace by an indexed property):
//   (:Workspace {id})-[:CONTAINS]->(:File {key, path})-[:HAS_CHUNK]->(:Chunk {id})
//   (:Chunk)-[:NEXT]->(:Chunk)               consecutive chunks of one file
//   (:Chunk:Unembedded)                      a chunk without its embedding yet (pending.ts)
//   (:Chunk)-[:DEFINES]->(:Symbol {key, name})
//   (:File)-[:LINKS_TO {kind}]->(:File)      only to files that exist; the File keeps its wanted targets
//                                           (linkTargets/linkKinds) so a target written later is linked then.
import type { Neo4jConfig } from '../config';
import type { ChunkToEmbed, EmbeddingBacklog, FileWrite, Store, UnembeddedChunk } from '../ports';
import type { FileState, Hit, SkippedFile, WorkspaceStatus, WorkspaceSummary } from '../types';
import * as admin from './admin';
import * as lease from './lease';
import * as pending from './pending';
import * as schema from './schema';
import * as search from './search';
import { StoreContext } from './session';
import * as state from './state';
import * as vector from './vector';
import * as writes from './writes';
import type { WriteFailure } from './writes';

export { escapeLucene } from './lucene';
export type { FileState, WorkspaceStatus, WorkspaceSummary } from '../types';
export { DimensionMismatchError } from './schema';
export { StoreUnavailableError } from './session';
export { writeIsolated, type WriteFailure } from './writes';

export interface StoreOptions {
  /** Chunks written per transaction; files are never split across transactions (IndexingConfig.writeBatchChunks). */
  maxChunksPerTransaction?: number;
  /**
   * Workspaces up to this many chunks are scored exactly when the ANN search returns fewer than k of their chunks
   * (20,000; 0 turns the exact fallback off, so a search returns only what the index found).
   */
  exactScanLimit?: number;
  /**
   * Confine vector searches to the workspace inside a filtered index (Cypher 25's SEARCH … WHERE) instead of after the
   * search. Off by default: Neo4j 2026.09.0, the newest release tested, fails such searches once the index has
   * deleted entries, which every edit leaves (an ArrayIndexOutOfBoundsException in Lucene's filtered search; once the
   * JVM drops the exception's message, the server cannot even send the error and the query hangs). The engine suite
   * on 2026 found it (test/integration/engine.test.ts, "embedding failing for good …"); turn it on for a release
   * whose tests pass with it.
   */
  vectorPreFilter?: boolean;
}

export class Neo4jStore implements Store {
  private constructor(private readonly ctx: StoreContext) {}

  /** Opens a driver and proves that the server answers, accepts the credentials and has the database. */
  static async connect(cfg: Neo4jConfig, options: StoreOptions = {}): Promise<Neo4jStore> {
    return new Neo4jStore(
      await StoreContext.open(cfg, Math.max(1, options.maxChunksPerTransaction ?? 1000), Math.max(0, options.exactScanLimit ?? 20_000), options.vectorPreFilter ?? false),
    );
  }

  /** The server's kernel version, as it said when the store connected. */
  get serverVersion(): string {
    return this.ctx.server.version;
  }

  close(): Promise<void> {
    return this.ctx.close();
  }

  // schema.ts
  ensureSchema(dimensions: number | null): Promise<void> {
    return schema.ensureSchema(this.ctx, dimensions);
  }
  /** The size of the vectors the index holds, or null while there is no vector index. */
  vectorDimensions(): Promise<number | null> {
    return schema.lookUpVectorDimensions(this.ctx);
  }

  // writes.ts
  upsertWorkspace(ws: { id: string; name: string; roots: string[] }): Promise<void> {
    return writes.upsertWorkspace(this.ctx, ws);
  }
  recordSkipped(workspaceId: string, skipped: { byReason: Record<string, number>; files: SkippedFile[] }): Promise<void> {
    return writes.recordSkipped(this.ctx, workspaceId, skipped);
  }
  replaceFiles(workspaceId: string, files: FileWrite[]): Promise<Array<WriteFailure<FileWrite>>> {
    return writes.replaceFiles(this.ctx, workspaceId, files);
  }
  touchFiles(workspaceId: string, files: Array<{ path: string; size: number; mtimeMs: number }>): Promise<void> {
    return writes.touchFiles(this.ctx, workspaceId, files);
  }
  deleteFiles(workspaceId: string, paths: string[]): Promise<void> {
    return writes.deleteFiles(this.ctx, workspaceId, paths);
  }

  // state.ts
  fileStates(workspaceId: string): Promise<Map<string, FileState>> {
    return state.fileStates(this.ctx, workspaceId);
  }
  cachedEmbeddings(embedKeys: string[]): Promise<Map<string, Float32Array>> {
    return state.cachedEmbeddings(this.ctx, embedKeys);
  }

  // pending.ts
  unembeddedChunks(workspaceId: string): Promise<UnembeddedChunk[]> {
    return pending.unembeddedChunks(this.ctx, workspaceId);
  }
  chunksToEmbed(workspaceId: string, ids: string[]): Promise<ChunkToEmbed[]> {
    return pending.chunksToEmbed(this.ctx, workspaceId, ids);
  }
  setEmbeddings(workspaceId: string, rows: Array<{ id: string; embedKey: string; embedding: Float32Array | number[] }>): Promise<Set<string>> {
    return pending.setEmbeddings(this.ctx, workspaceId, rows);
  }
  embeddingBacklog(workspaceId: string): Promise<EmbeddingBacklog> {
    return pending.embeddingBacklog(this.ctx, workspaceId);
  }

  // vector.ts
  vectorSearch(workspaceId: string, embedding: number[] | Float32Array, k: number): Promise<Hit[]> {
    return vector.vectorSearch(this.ctx, workspaceId, embedding, k);
  }
  /**
   * How a vector search is confined to its workspace: 'in-index' (a pre-filter: Neo4j 2026.01+ with the workspace
   * declared on the index, and StoreOptions.vectorPreFilter) or 'after-search' (an over-fetch: 5.26, 2025.x, while the
   * index's migration runs, and by default); null while there is no vector index.
   */
  async vectorFiltering(): Promise<vector.VectorFiltering | null> {
    const index = await schema.lookUpVectorIndex(this.ctx);
    return index && vector.filteringOf(this.ctx, index);
  }

  // search.ts
  fulltextSearch(workspaceId: string, userText: string, k: number): Promise<Hit[]> {
    return search.fulltextSearch(this.ctx, workspaceId, userText, k);
  }
  neighbours(workspaceId: string, chunkIds: string[]): Promise<Hit[]> {
    return search.neighbours(this.ctx, workspaceId, chunkIds);
  }
  symbolDefinitions(workspaceId: string, names: string[], limit: number): Promise<Hit[]> {
    return search.symbolDefinitions(this.ctx, workspaceId, names, limit);
  }
  linkedChunks(workspaceId: string, paths: string[], limit: number): Promise<Hit[]> {
    return search.linkedChunks(this.ctx, workspaceId, paths, limit);
  }
  absentTerms(workspaceId: string, terms: string[]): Promise<string[]> {
    return search.absentTerms(this.ctx, workspaceId, terms);
  }

  // admin.ts
  status(workspaceId: string): Promise<WorkspaceStatus> {
    return admin.status(this.ctx, workspaceId);
  }
  listWorkspaces(): Promise<WorkspaceSummary[]> {
    return admin.listWorkspaces(this.ctx);
  }
  clearWorkspace(workspaceId: string): Promise<void> {
    return admin.clearWorkspace(this.ctx, workspaceId);
  }
  clearAll(): Promise<void> {
    return admin.clearAll(this.ctx);
  }

  // lease.ts
  tryAcquireLease(workspaceId: string, owner: string): Promise<boolean> {
    return lease.tryAcquireLease(this.ctx, workspaceId, owner);
  }
  renewLease(workspaceId: string, owner: string): Promise<'held' | 'stop' | 'lost'> {
    return lease.renewLease(this.ctx, workspaceId, owner);
  }
  releaseLease(workspaceId: string, owner: string): Promise<void> {
    return lease.releaseLease(this.ctx, workspaceId, owner);
  }
  requestStop(workspaceId: string | null): Promise<void> {
    return lease.requestStop(this.ctx, workspaceId);
  }
  activeLeases(workspaceId: string | null): Promise<number> {
    return lease.activeLeases(this.ctx, workspaceId);
  }
}
