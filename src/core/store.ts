// Neo4j persistence: schema, per-file atomic writes, vector / full-text / graph reads. ALL Cypher of the project lives here.
//
// Graph model (every node carries `workspace`, so each query is confined to one workspace by an indexed property):
//   (:Workspace {id})-[:CONTAINS]->(:File {key, path})-[:HAS_CHUNK]->(:Chunk {id})
//   (:Chunk)-[:NEXT]->(:Chunk)               consecutive chunks of one file
//   (:Chunk)-[:DEFINES]->(:Symbol {key, name})
//   (:File)-[:LINKS_TO {kind}]->(:File)      only to files that exist; the File keeps its wanted targets
//                                           (linkTargets/linkKinds) so a target written later is linked then.
import { createHash } from 'node:crypto';
import neo4j, { type Driver, type ManagedTransaction, type Session } from 'neo4j-driver';
import { z } from 'zod';
import type { Neo4jConfig } from './config';
import type { FileRecord, Hit, StoredChunk } from './types';

const VECTOR_INDEX = 'chunk_embedding';
const FULLTEXT_INDEX = 'chunk_fulltext';
/** Separates the workspace id from a path or a name in composite keys; cannot occur in either. */
const SEP = '\u0000';
/** Rows per statement for bulk reads and for the batched deletes of clear operations. */
const READ_BATCH = 1000;
const DELETE_BATCH = 5000;
const INDEX_WAIT_SECONDS = 300;
/**
 * The insert beam of the vector index's HNSW graph (Neo4j's default is 100). Inserting into the graph is most of
 * Neo4j's work while indexing; 64 costs about 0.6 of the time. Neo4j's int8 quantization stays on: with float vectors
 * the search over the many segments a bulk load leaves was 3-5x slower on this project's benchmark machine, and on
 * dense vectors quantized recall@10 stays high (0.84 at 53k chunks; the sparse hashed test vectors lose more, 0.65).
 */
const HNSW_EF_CONSTRUCTION = 64;
/** Vector search: how many times the workspace's share of k to ask the ANN index for, and the least and most asked. */
const OVERFETCH = 4;
/** The least the ANN search is asked for, its beam: recall@10 0.63 at 100 against 0.61 at 40, for ~2 ms more. */
const MIN_ANN_FETCH = 100;
const MAX_ANN_FETCH = 2500;
/** Workspaces up to this many chunks are scored exactly when the ANN leg comes back short. */
const EXACT_SCAN_LIMIT = 20_000;
/** Chunk counts only steer the over-fetch, so they may be a little old. */
const COUNT_TTL_MS = 30_000;

const fileKey = (workspaceId: string, path: string): string => `${workspaceId}${SEP}${path}`;
const symbolKey = (workspaceId: string, name: string): string => `${workspaceId}${SEP}${name}`;
/**
 * A single Lucene term that identifies the workspace in the full-text index: hex survives the analyzer as one token,
 * so `+wsToken:<it>` is an exact filter inside Lucene (the raw id would be split into several tokens).
 */
const workspaceToken = (workspaceId: string): string => `w${createHash('sha256').update(workspaceId).digest('hex').slice(0, 40)}`;

// ---------------------------------------------------------------------------------------------------------------------
// Errors

/** Neo4j could not be used at all: unreachable, credentials rejected, or no such database. Never contains the password. */
export class StoreUnavailableError extends Error {
  constructor(readonly reason: 'unreachable' | 'auth' | 'database', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** The vector index was built for another embedding size than the one configured now. */
export class DimensionMismatchError extends Error {
  constructor(readonly indexDimensions: number, readonly configuredDimensions: number) {
    super(
      `The Neo4j vector index '${VECTOR_INDEX}' holds ${indexDimensions}-dimensional embeddings but ${configuredDimensions} are configured. ` +
        `Run \`workspace-rag clear --all\` to drop the index and re-index, or set AZURE_OPENAI_EMBEDDING_DIMENSIONS=${indexDimensions}.`,
    );
    this.name = 'DimensionMismatchError';
  }
}

const errorCode = (e: unknown): string => (e instanceof neo4j.Neo4jError ? e.code : '');

/** Transaction-memory errors are "transient", so the driver would retry the same oversized batch; we split instead. */
const isMemoryError = (e: unknown): boolean => /MemoryLimit|MemoryPoolOutOfMemory|OutOfMemory/i.test(errorCode(e));

class BatchTooLarge extends Error {
  constructor(readonly original: unknown) {
    super('transaction memory exceeded', { cause: original });
  }
}

/**
 * Runs `write` over `items`; when a transaction runs out of memory, writes each half separately (recursively) instead
 * of retrying the same batch. A single item that still does not fit is reported with `describe`.
 */
export async function splitOnMemoryError<T>(items: T[], write: (part: T[]) => Promise<void>, describe: (item: T) => string): Promise<void> {
  try {
    await write(items);
  } catch (e) {
    if (!(e instanceof BatchTooLarge) && !isMemoryError(e)) throw e;
    const original = e instanceof BatchTooLarge ? e.original : e;
    if (items.length <= 1) {
      throw new Error(
        `Neo4j ran out of transaction memory writing ${items.map(describe).join(', ')}; raise db.memory.transaction.max or the server heap`,
        { cause: original },
      );
    }
    const half = Math.ceil(items.length / 2);
    await splitOnMemoryError(items.slice(0, half), write, describe);
    await splitOnMemoryError(items.slice(half), write, describe);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Lucene

const LUCENE_SPECIAL = /[+\-&|!(){}[\]^"~*?:\\/]/g;

/**
 * Turns free user text into a safe Lucene query of OR-ed terms: every syntax character is escaped and the bare
 * operators AND / OR / NOT become plain lowercase words. Words without a letter or digit are dropped (the analyzer
 * would leave nothing of them); returns '' when nothing searchable is left.
 */
export function escapeLucene(userText: string): string {
  return userText
    .split(/\s+/)
    .filter((word) => /[\p{L}\p{N}]/u.test(word))
    .map((word) => (word === 'AND' || word === 'OR' || word === 'NOT' ? word.toLowerCase() : word.replace(LUCENE_SPECIAL, '\\$&')))
    .join(' ');
}

// ---------------------------------------------------------------------------------------------------------------------
// Row shapes (results are parsed: the database is an external boundary)

const optionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

const hitRow = z.object({
  id: z.string(),
  path: z.string(),
  language: z.string(),
  kind: z.string(),
  symbol: optionalString,
  headingPath: optionalString,
  header: optionalString,
  startLine: z.number(),
  endLine: z.number(),
  text: z.string(),
  ordinal: z.number(),
  score: z.number(),
});

/** The Cypher map projection that `hitRow` parses; `score` is added by each query. */
const HIT_FIELDS = 'id: c.id, path: c.path, language: c.language, kind: c.kind, symbol: c.symbol, headingPath: c.headingPath, header: c.header, startLine: c.startLine, endLine: c.endLine, text: c.text, ordinal: c.ordinal';

const fileStateRow = z.object({
  path: z.string(),
  fileHash: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
  chunkerKey: z.string(),
});

const statusRow = z.object({
  files: z.number(),
  chunks: z.number(),
  embedded: z.number(),
  symbols: z.number(),
  links: z.number(),
  lastIndexedAt: optionalString,
  /** The last run's skipped files by reason, kept as JSON on the Workspace node (properties cannot hold maps). */
  skippedByReason: z
    .string()
    .nullish()
    .transform((v) => (v ? z.record(z.string(), z.number()).parse(JSON.parse(v)) : {})),
});

const workspaceRow = z.object({
  id: z.string(),
  name: z.string(),
  roots: z.array(z.string()),
  files: z.number(),
  chunks: z.number(),
});

export interface FileState {
  fileHash: string;
  size: number;
  mtimeMs: number;
  chunkerKey: string;
}
export type WorkspaceStatus = z.infer<typeof statusRow>;
export type WorkspaceSummary = z.infer<typeof workspaceRow>;

export interface StoreOptions {
  /** Chunks written per transaction; files are never split across transactions (IndexingConfig.writeBatchChunks). */
  maxChunksPerTransaction?: number;
}

interface FileWrite {
  file: FileRecord;
  chunks: StoredChunk[];
}

// ---------------------------------------------------------------------------------------------------------------------

export class Neo4jStore {
  private readonly maxChunksPerTx: number;
  /** Dimensions of the vector index: undefined = not looked up yet, null = no index. */
  private vectorDimensions: number | null | undefined;
  private readonly counts = new Map<string, { mine: number; total: number; at: number }>();

  private constructor(private readonly driver: Driver, private readonly cfg: Neo4jConfig, options: StoreOptions) {
    this.maxChunksPerTx = Math.max(1, options.maxChunksPerTransaction ?? 1000);
  }

  /** Opens a driver and proves that the server answers, accepts the credentials and has the database. */
  static async connect(cfg: Neo4jConfig, options: StoreOptions = {}): Promise<Neo4jStore> {
    const driver = neo4j.driver(cfg.uri, neo4j.auth.basic(cfg.username, cfg.password), {
      disableLosslessIntegers: true, // counts, lines and sizes are far below 2^53
      connectionTimeout: 10_000,
      userAgent: 'workspace-rag',
    });
    const store = new Neo4jStore(driver, cfg, options);
    try {
      // An auto-commit query, not executeRead: a down server must fail now, not after the driver's 30 s of retries.
      await store.withSession((session) => session.run('RETURN 1'));
    } catch (e) {
      await driver.close();
      throw e;
    }
    return store;
  }

  async close(): Promise<void> {
    await this.driver.close();
  }

  // ----- schema ------------------------------------------------------------------------------------------------------

  /**
   * Creates constraints and indexes if missing and waits until they are online. With `dimensions`, also the cosine
   * vector index; an existing one of another size raises DimensionMismatchError (changing it needs a re-index).
   */
  async ensureSchema(dimensions: number | null): Promise<void> {
    const existing = await this.lookUpVectorDimensions();
    if (dimensions !== null && existing !== null && existing !== dimensions) {
      throw new DimensionMismatchError(existing, dimensions);
    }
    const statements = [
      'CREATE CONSTRAINT workspace_id IF NOT EXISTS FOR (w:Workspace) REQUIRE w.id IS UNIQUE',
      'CREATE CONSTRAINT file_key IF NOT EXISTS FOR (f:File) REQUIRE f.key IS UNIQUE',
      'CREATE CONSTRAINT chunk_id IF NOT EXISTS FOR (c:Chunk) REQUIRE c.id IS UNIQUE',
      'CREATE CONSTRAINT symbol_key IF NOT EXISTS FOR (s:Symbol) REQUIRE s.key IS UNIQUE',
      'CREATE INDEX file_workspace IF NOT EXISTS FOR (f:File) ON (f.workspace)',
      'CREATE INDEX chunk_workspace IF NOT EXISTS FOR (c:Chunk) ON (c.workspace)',
      'CREATE INDEX chunk_embed_key IF NOT EXISTS FOR (c:Chunk) ON (c.embedKey)',
      'CREATE INDEX symbol_workspace IF NOT EXISTS FOR (s:Symbol) ON (s.workspace)',
      `CREATE FULLTEXT INDEX ${FULLTEXT_INDEX} IF NOT EXISTS FOR (c:Chunk) ON EACH [c.text, c.symbol, c.headingPath, c.path, c.wsToken]
       OPTIONS {indexConfig: {\`fulltext.analyzer\`: 'standard-no-stop-words'}}`,
    ];
    if (dimensions !== null) {
      if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 4096) throw new Error(`Invalid embedding dimensions ${dimensions}: expected an integer from 1 to 4096`);
      statements.push(
        `CREATE VECTOR INDEX ${VECTOR_INDEX} IF NOT EXISTS FOR (c:Chunk) ON (c.embedding)
         OPTIONS {indexConfig: {\`vector.dimensions\`: ${dimensions}, \`vector.similarity_function\`: 'cosine',
                                \`vector.hnsw.ef_construction\`: ${HNSW_EF_CONSTRUCTION}}}`,
      );
    }
    await this.withSession(async (session) => {
      // Schema commands must run in their own auto-commit transactions; IF NOT EXISTS makes them idempotent.
      for (const statement of statements) await session.run(statement);
      await session.run('CALL db.awaitIndexes($seconds)', { seconds: neo4j.int(INDEX_WAIT_SECONDS) });
    });
    this.vectorDimensions = undefined;
  }

  private async lookUpVectorDimensions(): Promise<number | null> {
    if (this.vectorDimensions !== undefined) return this.vectorDimensions;
    const rows = await this.read((tx) =>
      tx.run(`SHOW VECTOR INDEXES YIELD name, options WHERE name = $name RETURN options.indexConfig['vector.dimensions'] AS dims`, {
        name: VECTOR_INDEX,
      }),
    );
    const dims = rows.records[0]?.get('dims');
    this.vectorDimensions = typeof dims === 'number' ? dims : null;
    return this.vectorDimensions;
  }

  // ----- writes ------------------------------------------------------------------------------------------------------

  async upsertWorkspace(ws: { id: string; name: string; roots: string[] }): Promise<void> {
    await this.write((tx) =>
      tx.run(
        `MERGE (w:Workspace {id: $id})
         ON CREATE SET w.createdAt = datetime()
         SET w.name = $name, w.roots = $roots`,
        ws,
      ),
    );
  }

  /** Records what the last run skipped, by reason, for `status`. */
  async recordSkipped(workspaceId: string, skippedByReason: Record<string, number>): Promise<void> {
    await this.write((tx) =>
      tx.run('MATCH (w:Workspace {id: $ws}) SET w.skippedByReason = $json', { ws: workspaceId, json: JSON.stringify(skippedByReason) }),
    );
  }

  /**
   * Replaces the chunks, symbol links, NEXT chain and file links of each file. Files are grouped into transactions of
   * about `maxChunksPerTransaction` chunks; each file is written whole in one transaction together with its fileHash,
   * so an interrupted run leaves every file either old or new. A batch that exceeds the transaction memory is split.
   */
  async replaceFiles(workspaceId: string, files: FileWrite[]): Promise<void> {
    if (files.length === 0) return;
    this.counts.clear();
    for (const batch of this.batches(files)) await this.writeBatch(workspaceId, batch);
  }

  private *batches(files: FileWrite[]): Generator<FileWrite[]> {
    let batch: FileWrite[] = [];
    let chunks = 0;
    for (const f of files) {
      if (batch.length > 0 && chunks + f.chunks.length > this.maxChunksPerTx) {
        yield batch;
        batch = [];
        chunks = 0;
      }
      batch.push(f);
      chunks += f.chunks.length;
    }
    if (batch.length > 0) yield batch;
  }

  private writeBatch(workspaceId: string, batch: FileWrite[]): Promise<void> {
    return splitOnMemoryError(
      batch,
      (part) =>
        this.write(async (tx) => {
          try {
            await this.replaceInTransaction(tx, workspaceId, part);
          } catch (e) {
            if (isMemoryError(e)) throw new BatchTooLarge(e); // not retriable: the driver gives it back to us at once
            throw e;
          }
        }),
      (w) => `${w.file.path} (${w.chunks.length} chunks)`,
    );
  }

  private async replaceInTransaction(tx: ManagedTransaction, workspaceId: string, batch: FileWrite[]): Promise<void> {
    const keys = batch.map((b) => fileKey(workspaceId, b.file.path));
    const { existing, symbols: oldSymbols } = await this.removeFileContents(tx, keys);

    const token = workspaceToken(workspaceId);
    const files = batch.map(({ file, chunks }) => ({
      key: fileKey(workspaceId, file.path),
      props: {
        workspace: workspaceId,
        path: file.path,
        language: file.language,
        fileHash: file.fileHash,
        size: neo4j.int(file.size),
        mtimeMs: file.mtimeMs,
        chunkerKey: file.chunkerKey,
        linkTargets: file.links.map((l) => l.target),
        linkKinds: file.links.map((l) => l.kind),
      },
      chunks: [...chunks]
        .sort((a, b) => a.ordinal - b.ordinal)
        .map((c) => ({
          props: {
            id: c.id,
            workspace: workspaceId,
            wsToken: token,
            path: file.path,
            language: c.language,
            kind: c.kind,
            symbol: c.symbol ?? null,
            headingPath: c.headingPath ?? null,
            header: c.header ?? null,
            startLine: neo4j.int(c.startLine),
            endLine: neo4j.int(c.endLine),
            text: c.text,
            contentHash: c.contentHash,
            tokens: neo4j.int(c.tokens),
            ordinal: neo4j.int(c.ordinal),
            embedKey: c.embedKey,
          },
          embedding: c.embedding === null ? null : Array.from(c.embedding),
          defines: [...new Set(c.defines)].map((name) => ({ key: symbolKey(workspaceId, name), name })),
        })),
    }));
    // One statement per batch writes the files, their chunks, the NEXT chain and the DEFINES links. The files' old
    // chunks were deleted above in this transaction, so chunks and their relationships are CREATEd, not MERGEd;
    // setNodeVectorProperty stores float32 (a plain SET would keep 64-bit floats, twice the size).
    const result = await tx.run(
      `MATCH (w:Workspace {id: $ws})
       SET w.lastIndexedAt = datetime()
       WITH w
       UNWIND $files AS f
       MERGE (file:File {key: f.key})
       SET file += f.props, file.indexedAt = datetime()
       MERGE (w)-[:CONTAINS]->(file)
       WITH file, f
       CALL (file, f) {
         UNWIND f.chunks AS row
         CREATE (c:Chunk)
         SET c = row.props
         CREATE (file)-[:HAS_CHUNK]->(c)
         WITH c, row
         CALL (c, row) {
           WITH c, row WHERE row.embedding IS NOT NULL
           CALL db.create.setNodeVectorProperty(c, 'embedding', row.embedding)
         }
         FOREACH (d IN row.defines |
           MERGE (s:Symbol {key: d.key})
           ON CREATE SET s.workspace = $ws, s.name = d.name
           CREATE (c)-[:DEFINES]->(s))
         WITH c ORDER BY c.ordinal
         WITH collect(c) AS chunks
         FOREACH (i IN range(0, size(chunks) - 2) |
           FOREACH (a IN [chunks[i]] | FOREACH (b IN [chunks[i + 1]] | CREATE (a)-[:NEXT]->(b))))
       }
       RETURN count(file) AS files`,
      { ws: workspaceId, files },
    );
    // Without its Workspace node nothing above matched: say so instead of losing the batch silently.
    if (result.records[0]?.get('files') !== batch.length) throw new Error(`Unknown workspace ${workspaceId}: call upsertWorkspace first`);
    await this.deleteOrphanSymbols(tx, oldSymbols);

    // Links in both directions: from these files to existing ones, and from any file of the workspace that wants one
    // of these files as a target (it may have been written earlier, before the target existed).
    await tx.run(
      `UNWIND $keys AS key
       MATCH (a:File {key: key})
       UNWIND range(0, size(a.linkTargets) - 1) AS i
       MATCH (b:File {key: $ws + $sep + a.linkTargets[i]})
       WHERE b <> a
       MERGE (a)-[:LINKS_TO {kind: a.linkKinds[i]}]->(b)`,
      { keys, ws: workspaceId, sep: SEP },
    );
    // Incoming links can only be missing for files new to the workspace (a replaced File node keeps its incoming links).
    // One indexed scan of the workspace's files per batch that has any (list membership cannot use an index).
    const added = batch.filter((b) => !existing.has(fileKey(workspaceId, b.file.path))).map((b) => b.file.path);
    if (added.length === 0) return;
    await tx.run(
      `MATCH (a:File {workspace: $ws})
       WHERE any(t IN a.linkTargets WHERE t IN $paths)
       UNWIND range(0, size(a.linkTargets) - 1) AS i
       WITH a, i WHERE a.linkTargets[i] IN $paths
       MATCH (b:File {key: $ws + $sep + a.linkTargets[i]})
       WHERE b <> a
       MERGE (a)-[:LINKS_TO {kind: a.linkKinds[i]}]->(b)`,
      { ws: workspaceId, sep: SEP, paths: added },
    );
  }

  /** Deletes the chunks and outgoing links of the given files; returns which files existed and the symbols they defined. */
  private async removeFileContents(tx: ManagedTransaction, keys: string[]): Promise<{ existing: Set<string>; symbols: string[] }> {
    const result = await tx.run(
      `UNWIND $keys AS key
       MATCH (f:File {key: key})
       OPTIONAL MATCH (f)-[l:LINKS_TO]->()
       DELETE l
       WITH DISTINCT f
       OPTIONAL MATCH (f)-[:HAS_CHUNK]->(c:Chunk)
       OPTIONAL MATCH (c)-[:DEFINES]->(s:Symbol)
       WITH collect(DISTINCT f.key) AS existing, collect(DISTINCT c) AS chunks, collect(DISTINCT s.key) AS symbols
       FOREACH (c IN chunks | DETACH DELETE c)
       RETURN existing, symbols`,
      { keys },
    );
    const strings = z.array(z.string());
    return {
      existing: new Set(strings.parse(result.records[0]?.get('existing') ?? [])),
      symbols: strings.parse(result.records[0]?.get('symbols') ?? []),
    };
  }

  private async deleteOrphanSymbols(tx: ManagedTransaction, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await tx.run(
      `UNWIND $keys AS key
       MATCH (s:Symbol {key: key})
       WHERE NOT (s)<-[:DEFINES]-()
       DELETE s`,
      { keys },
    );
  }

  /** Records the new size and mtime of files whose content did not change, so the next run can skip them cheaply. */
  async touchFiles(workspaceId: string, files: Array<{ path: string; size: number; mtimeMs: number }>): Promise<void> {
    for (let i = 0; i < files.length; i += READ_BATCH) {
      const rows = files.slice(i, i + READ_BATCH).map((f) => ({ key: fileKey(workspaceId, f.path), size: neo4j.int(f.size), mtimeMs: f.mtimeMs }));
      await this.write((tx) =>
        tx.run('UNWIND $rows AS row MATCH (f:File {key: row.key}) SET f.size = row.size, f.mtimeMs = row.mtimeMs', { rows }),
      );
    }
  }

  /** Removes files with their chunks; symbols no longer defined anywhere go too. Links to them vanish with them. */
  async deleteFiles(workspaceId: string, paths: string[]): Promise<void> {
    this.counts.clear();
    for (let i = 0; i < paths.length; i += READ_BATCH) {
      const keys = paths.slice(i, i + READ_BATCH).map((p) => fileKey(workspaceId, p));
      await this.write(async (tx) => {
        const { symbols } = await this.removeFileContents(tx, keys);
        await tx.run('UNWIND $keys AS key MATCH (f:File {key: key}) DETACH DELETE f', { keys });
        await this.deleteOrphanSymbols(tx, symbols);
        await tx.run('MATCH (w:Workspace {id: $ws}) SET w.lastIndexedAt = datetime()', { ws: workspaceId });
      });
    }
  }

  // ----- reads used by the indexer ---------------------------------------------------------------------------------

  async fileStates(workspaceId: string): Promise<Map<string, FileState>> {
    const result = await this.read((tx) =>
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
  async cachedEmbeddings(embedKeys: string[]): Promise<Map<string, Float32Array>> {
    const found = new Map<string, Float32Array>();
    const unique = [...new Set(embedKeys)];
    for (let i = 0; i < unique.length; i += READ_BATCH) {
      const result = await this.read((tx) =>
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

  // ----- retrieval -----------------------------------------------------------------------------------------------------

  /**
   * The k chunks of the workspace nearest to `vector` (cosine, scores (1+cos)/2), never a chunk of another workspace.
   *
   * Neo4j 5.26 filters only after the ANN search, so a workspace holding a small share of the index gets few or no
   * hits from a plain over-fetch. We over-fetch in proportion to the workspace's share of all chunks (bounded). When
   * that still yields fewer than k hits, a small workspace (up to EXACT_SCAN_LIMIT chunks, where it is cheap) is scored
   * exactly with vector.similarity.cosine; a large one asks the index again for four times as many. Both legs return
   * the same score scale. The chunk counts are cached for a short while: they only steer the over-fetch.
   */
  async vectorSearch(workspaceId: string, vector: number[] | Float32Array, k: number): Promise<Hit[]> {
    if (k <= 0) return [];
    const dims = await this.lookUpVectorDimensions();
    if (dims === null) return [];
    if (vector.length !== dims) throw new DimensionMismatchError(dims, vector.length);
    const query = Array.from(vector);
    const { mine, total } = await this.chunkCounts(workspaceId);
    if (mine === 0) return [];

    const ann = async (fetch: number) =>
      this.read((tx) =>
        tx.run(
          `CALL db.index.vector.queryNodes($index, $fetch, $vector) YIELD node AS c, score
           WHERE c.workspace = $ws
           RETURN c {${HIT_FIELDS}, score: score} AS hit
           ORDER BY score DESC LIMIT $k`,
          { index: VECTOR_INDEX, fetch: neo4j.int(fetch), vector: query, ws: workspaceId, k: neo4j.int(k) },
        ),
      );
    const wanted = Math.min(k, mine);
    const fetch = Math.min(Math.max(Math.ceil((OVERFETCH * k * total) / mine), k, MIN_ANN_FETCH), MAX_ANN_FETCH);
    let result = await ann(fetch);
    if (result.records.length < wanted) {
      result =
        mine <= EXACT_SCAN_LIMIT
          ? await this.read((tx) =>
              tx.run(
                `MATCH (c:Chunk {workspace: $ws}) WHERE c.embedding IS NOT NULL
                 WITH c, vector.similarity.cosine(c.embedding, $vector) AS score
                 ORDER BY score DESC LIMIT $k
                 RETURN c {${HIT_FIELDS}, score: score} AS hit`,
                { ws: workspaceId, vector: query, k: neo4j.int(k) },
              ),
            )
          : await ann(Math.min(fetch * 4, MAX_ANN_FETCH * 4));
    }
    return result.records.map((r) => hitRow.parse(r.get('hit')));
  }

  /** Chunks of the workspace and of the whole database, cached for COUNT_TTL_MS and dropped when this store writes. */
  private async chunkCounts(workspaceId: string): Promise<{ mine: number; total: number }> {
    const cached = this.counts.get(workspaceId);
    if (cached && Date.now() - cached.at < COUNT_TTL_MS) return cached;
    const counts = await this.read((tx) =>
      tx.run(`RETURN COUNT { (c:Chunk {workspace: $ws}) } AS mine, COUNT { (c:Chunk) } AS total`, { ws: workspaceId }),
    );
    const fresh = { mine: z.number().parse(counts.records[0].get('mine')), total: z.number().parse(counts.records[0].get('total')), at: Date.now() };
    this.counts.set(workspaceId, fresh);
    return fresh;
  }

  /** Keyword search over text, symbol, heading path and path; the workspace filter is a required Lucene term, so it is exact. */
  async fulltextSearch(workspaceId: string, userText: string, k: number): Promise<Hit[]> {
    const terms = escapeLucene(userText);
    if (terms === '' || k <= 0) return [];
    const lucene = `+wsToken:${workspaceToken(workspaceId)} +(${terms})`;
    const result = await this.read((tx) =>
      tx.run(
        `CALL db.index.fulltext.queryNodes($index, $lucene, {limit: $k}) YIELD node AS c, score
         WHERE c.workspace = $ws
         RETURN c {${HIT_FIELDS}, score: score} AS hit`,
        { index: FULLTEXT_INDEX, lucene, k: neo4j.int(k), ws: workspaceId },
      ),
    );
    return result.records.map((r) => hitRow.parse(r.get('hit')));
  }

  /** The chunks just before and after the given ones (NEXT in both directions), excluding the given ones; score 0. */
  async neighbours(workspaceId: string, chunkIds: string[]): Promise<Hit[]> {
    if (chunkIds.length === 0) return [];
    const result = await this.read((tx) =>
      tx.run(
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
      ),
    );
    return result.records.map((r) => hitRow.parse(r.get('hit')));
  }

  /** Chunks that define any of these symbol names (exact names), in the order the names were given; score 1. */
  async symbolDefinitions(workspaceId: string, names: string[], limit: number): Promise<Hit[]> {
    if (names.length === 0 || limit <= 0) return [];
    const result = await this.read((tx) =>
      tx.run(
        `UNWIND range(0, size($keys) - 1) AS i
         MATCH (:Symbol {key: $keys[i]})<-[:DEFINES]-(c:Chunk)
         WITH c, min(i) AS rank
         RETURN c {${HIT_FIELDS}, score: 1.0} AS hit
         ORDER BY rank, c.path, c.ordinal LIMIT $limit`,
        { keys: [...new Set(names)].map((n) => symbolKey(workspaceId, n)), limit: neo4j.int(limit) },
      ),
    );
    return result.records.map((r) => hitRow.parse(r.get('hit')));
  }

  /** The first chunk of each file that these files link to or import (other than the given files themselves); score 0. */
  async linkedChunks(workspaceId: string, paths: string[], limit: number): Promise<Hit[]> {
    if (paths.length === 0 || limit <= 0) return [];
    const result = await this.read((tx) =>
      tx.run(
        `UNWIND range(0, size($keys) - 1) AS i
         MATCH (:File {key: $keys[i]})-[:LINKS_TO]->(t:File)
         WHERE NOT t.path IN $paths
         WITH t, min(i) AS rank
         MATCH (t)-[:HAS_CHUNK]->(c:Chunk {ordinal: 0})
         RETURN c {${HIT_FIELDS}, score: 0.0} AS hit
         ORDER BY rank, c.path LIMIT $limit`,
        { keys: paths.map((p) => fileKey(workspaceId, p)), paths, limit: neo4j.int(limit) },
      ),
    );
    return result.records.map((r) => hitRow.parse(r.get('hit')));
  }

  // ----- administration --------------------------------------------------------------------------------------------

  async status(workspaceId: string): Promise<WorkspaceStatus> {
    const result = await this.read((tx) =>
      tx.run(
        `OPTIONAL MATCH (w:Workspace {id: $ws})
         RETURN COUNT { (:File {workspace: $ws}) } AS files,
                COUNT { (:Chunk {workspace: $ws}) } AS chunks,
                COUNT { (c:Chunk {workspace: $ws}) WHERE c.embedding IS NOT NULL } AS embedded,
                COUNT { (:Symbol {workspace: $ws}) } AS symbols,
                COUNT { (:File {workspace: $ws})-[:LINKS_TO]->() } AS links,
                toString(w.lastIndexedAt) AS lastIndexedAt, w.skippedByReason AS skippedByReason`,
        { ws: workspaceId },
      ),
    );
    return statusRow.parse(result.records[0].toObject());
  }

  async listWorkspaces(): Promise<WorkspaceSummary[]> {
    const result = await this.read((tx) =>
      tx.run(
        `MATCH (w:Workspace)
         RETURN w.id AS id, coalesce(w.name, w.id) AS name, coalesce(w.roots, []) AS roots,
                COUNT { (:File {workspace: w.id}) } AS files, COUNT { (:Chunk {workspace: w.id}) } AS chunks
         ORDER BY name, id`,
      ),
    );
    return result.records.map((r) => workspaceRow.parse(r.toObject()));
  }

  /** Deletes everything of one workspace, in batches so a large workspace does not need one huge transaction. */
  async clearWorkspace(workspaceId: string): Promise<void> {
    this.counts.clear();
    await this.withSession(async (session) => {
      for (const label of ['Chunk', 'File', 'Symbol']) {
        await session.run(
          `MATCH (n:${label} {workspace: $ws})
           CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF $batch ROWS`,
          { ws: workspaceId, batch: neo4j.int(DELETE_BATCH) },
        );
      }
      await session.run('MATCH (w:Workspace {id: $ws}) DETACH DELETE w', { ws: workspaceId });
    });
  }

  /** Deletes every workspace and drops the vector index, so the next ensureSchema may use other dimensions. */
  async clearAll(): Promise<void> {
    this.counts.clear();
    await this.withSession(async (session) => {
      for (const label of ['Chunk', 'File', 'Symbol', 'Workspace']) {
        await session.run(
          `MATCH (n:${label})
           CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF $batch ROWS`,
          { batch: neo4j.int(DELETE_BATCH) },
        );
      }
      await session.run(`DROP INDEX ${VECTOR_INDEX} IF EXISTS`);
    });
    this.vectorDimensions = null;
  }

  // ----- plumbing ----------------------------------------------------------------------------------------------------

  private read<T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    return this.withSession((session) => session.executeRead(work));
  }

  /** executeWrite retries transient failures (leader switch, deadlock, lost connection), so every write is idempotent. */
  private write<T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    return this.withSession((session) => session.executeWrite(work));
  }

  private async withSession<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const session = this.driver.session({ database: this.cfg.database });
    try {
      return await work(session);
    } catch (e) {
      throw this.explain(e);
    } finally {
      await session.close();
    }
  }

  /** Replaces the driver's errors for the three ways of not getting in with a sentence the user can act on. */
  private explain(e: unknown): unknown {
    const code = errorCode(e);
    const { uri, username, database } = this.cfg;
    if (code === 'ServiceUnavailable' || code === 'SessionExpired') {
      return new StoreUnavailableError(
        'unreachable',
        `Neo4j is not reachable at ${uri}: is the server running and the URI right? (${(e as Error).message})`,
        { cause: e },
      );
    }
    if (code.startsWith('Neo.ClientError.Security.') && /Unauthorized|AuthenticationRateLimit|CredentialsExpired/.test(code)) {
      return new StoreUnavailableError('auth', `Neo4j rejected the credentials for user ${username} at ${uri}: check the user name and password.`, {
        cause: e,
      });
    }
    if (code === 'Neo.ClientError.Database.DatabaseNotFound') {
      return new StoreUnavailableError('database', `Neo4j at ${uri} has no database named ${database}.`, { cause: e });
    }
    return e;
  }
}
