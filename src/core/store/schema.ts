// The schema: constraints, the full-text index and the cosine vector index, and the vector index's dimensions.
import neo4j from 'neo4j-driver';
import { EngineError } from '../errors';
import { FULLTEXT_FIELDS, pathWordsOf } from './lucene';
import { errorCode, type StoreContext, type VectorIndexInfo } from './session';

/**
 * The vector index's name. On a server with vector filters (2026.01+) it is created `WITH [c.workspace]`; an index
 * made without that property (by an earlier version, or by 5.26 before the server was upgraded) is migrated by
 * building a filtered twin beside it under MIGRATED_VECTOR_INDEX, and dropping the old one once the twin is online.
 */
const VECTOR_INDEX = 'chunk_embedding';
const MIGRATED_VECTOR_INDEX = 'chunk_embedding_ws';
/**
 * The twin's second label, which no node carries. Measured on 5.26.30 data opened by 2026.09.0: a new index on
 * :Chunk(embedding) takes the provider of the index already there (vector-2.0), which cannot filter ("Creating a
 * filtering vector index with provider 'vector-2.0' is not supported"); an index on :Chunk|MigratedChunk is another
 * schema, so it gets the server's current provider, and it indexes exactly the :Chunk nodes.
 */
const TWIN_EXTRA_LABEL = 'MigratedChunk';
/** Every name the store gives its vector index (clearAll drops them all). */
export const VECTOR_INDEX_NAMES = [VECTOR_INDEX, MIGRATED_VECTOR_INDEX] as const;
/** The property a filtered vector index declares, so a search is confined to one workspace inside the index. */
const FILTER_PROPERTY = 'workspace';
export const FULLTEXT_INDEX = 'chunk_fulltext';
/**
 * The label of every chunk without an embedding (written before its vector, or keyword-only): writes.ts sets it with
 * the chunk, pending.ts removes it with the vector. Indexed by workspace, so a workspace's backlog is found and counted
 * without reading a vector.
 */
export const UNEMBEDDED = 'Unembedded';
const INDEX_WAIT_SECONDS = 300;
/** While a filtered index is being built beside the old one, searches look again this often whether it is online. */
const MIGRATION_POLL_MS = 10_000;
/**
 * The insert beam of the vector index's HNSW graph (Neo4j's default is 100). Inserting into the graph is most of
 * Neo4j's work while indexing; 64 costs about 0.6 of the time. Neo4j's int8 quantization stays on: with float vectors
 * the search over the many segments a bulk load leaves was 3-5x slower on this project's benchmark machine, and on
 * dense vectors quantized recall@10 stays high (0.84 at 53k chunks; the sparse hashed test vectors lose more, 0.65).
 * The quantization is the server's default: int8 on 5.26; on 2026.x binary, with the candidates rescored on the full
 * vectors (its SEARCH returns exact scores; 5.26's quantized ones are up to ~0.02 off).
 */
const HNSW_EF_CONSTRUCTION = 64;

/** The vector index was built for another embedding size than the one configured now. */
export class DimensionMismatchError extends EngineError<'dimensions', { indexDimensions: number; configuredDimensions: number }> {
  /** Host-neutral: the CLI and the extension each add how to clear everything or change the setting. */
  static of(indexDimensions: number, configuredDimensions: number): DimensionMismatchError {
    return new DimensionMismatchError(
      'dimensions',
      `The Neo4j vector index '${VECTOR_INDEX}' holds ${indexDimensions}-dimensional embeddings but ${configuredDimensions} are configured.`,
      { indexDimensions, configuredDimensions },
    );
  }
}

/** The constraints and indexes ensureSchema waits for (a migrated vector index is built in the background). */
const AWAITED_INDEXES = ['workspace_id', 'file_key', 'chunk_id', 'symbol_key', 'lease_workspace', 'file_workspace', 'chunk_workspace', 'chunk_embed_key', 'symbol_workspace', 'chunk_unembedded'];

/**
 * Creates constraints and indexes if missing and waits until they are online. With `dimensions`, also the cosine
 * vector index; an existing one of another size raises DimensionMismatchError (changing it needs a re-index). On a
 * server with vector filters, an existing vector index without the workspace filter starts its migration.
 */
export async function ensureSchema(ctx: StoreContext, dimensions: number | null): Promise<void> {
  ctx.vectorIndex = undefined;
  const existing = await lookUpVectorIndex(ctx);
  if (dimensions !== null && existing !== null && existing.dimensions !== dimensions) {
    throw DimensionMismatchError.of(existing.dimensions, dimensions);
  }
  const statements = [
    'CREATE CONSTRAINT workspace_id IF NOT EXISTS FOR (w:Workspace) REQUIRE w.id IS UNIQUE',
    'CREATE CONSTRAINT file_key IF NOT EXISTS FOR (f:File) REQUIRE f.key IS UNIQUE',
    'CREATE CONSTRAINT chunk_id IF NOT EXISTS FOR (c:Chunk) REQUIRE c.id IS UNIQUE',
    'CREATE CONSTRAINT symbol_key IF NOT EXISTS FOR (s:Symbol) REQUIRE s.key IS UNIQUE',
    'CREATE CONSTRAINT lease_workspace IF NOT EXISTS FOR (l:Lease) REQUIRE l.workspace IS UNIQUE',
    'CREATE INDEX file_workspace IF NOT EXISTS FOR (f:File) ON (f.workspace)',
    'CREATE INDEX chunk_workspace IF NOT EXISTS FOR (c:Chunk) ON (c.workspace)',
    'CREATE INDEX chunk_embed_key IF NOT EXISTS FOR (c:Chunk) ON (c.embedKey)',
    'CREATE INDEX symbol_workspace IF NOT EXISTS FOR (s:Symbol) ON (s.workspace)',
    `CREATE INDEX chunk_unembedded IF NOT EXISTS FOR (c:${UNEMBEDDED}) ON (c.workspace)`,
    `CREATE FULLTEXT INDEX ${FULLTEXT_INDEX} IF NOT EXISTS FOR (c:Chunk) ON EACH [${FULLTEXT_FIELDS.map((f) => `c.${f}`).join(', ')}]
     OPTIONS {indexConfig: {\`fulltext.analyzer\`: 'standard-no-stop-words'}}`,
  ];
  await migrateFulltextIndex(ctx);
  await ctx.withSession(async (session) => {
    // Schema commands must run in their own auto-commit transactions; IF NOT EXISTS makes them idempotent.
    for (const statement of statements) await session.run(statement);
    // Each by name: db.awaitIndexes would also wait for a vector index still being built by a migration.
    for (const name of [...AWAITED_INDEXES, FULLTEXT_INDEX]) {
      await session.run('CALL db.awaitIndex($name, $seconds)', { name, seconds: neo4j.int(INDEX_WAIT_SECONDS) });
    }
  });
  if (dimensions !== null && existing === null) await ensureVectorIndex(ctx, dimensions);
  else await migrateVectorIndex(ctx);
  ctx.vectorIndex = undefined;
}

/**
 * An index made by an earlier version over other properties (before `pathWords`) is dropped, and the chunks it left
 * without the new property get it, so the CREATE below builds the index this version searches.
 */
async function migrateFulltextIndex(ctx: StoreContext): Promise<void> {
  const found = await ctx.read((tx) => tx.run('SHOW FULLTEXT INDEXES YIELD name, properties WHERE name = $name RETURN properties', { name: FULLTEXT_INDEX }));
  const properties: unknown = found.records[0]?.get('properties');
  if (properties === undefined || JSON.stringify(properties) === JSON.stringify(FULLTEXT_FIELDS)) return;
  await ctx.withSession((session) => session.run(`DROP INDEX ${FULLTEXT_INDEX} IF EXISTS`));
  for (;;) {
    const batch = await ctx.read((tx) =>
      tx.run('MATCH (c:Chunk) WHERE c.pathWords IS NULL RETURN DISTINCT c.path AS path LIMIT $n', { n: neo4j.int(MIGRATION_BATCH) }),
    );
    const rows = batch.records.map((r) => String(r.get('path'))).map((path) => ({ path, words: pathWordsOf(path) }));
    if (rows.length === 0) return;
    await ctx.write((tx) => tx.run('UNWIND $rows AS r MATCH (c:Chunk {path: r.path}) WHERE c.pathWords IS NULL SET c.pathWords = r.words', { rows }));
  }
}

/** Paths per transaction of the full-text migration. */
const MIGRATION_BATCH = 500;

/** The index configuration the store creates: cosine, and the insert beam above; quantization is the server's default. */
function vectorIndexConfig(dimensions: number): Record<string, number | string | boolean> {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 4096) throw new Error(`Invalid embedding dimensions ${dimensions}: expected an integer from 1 to 4096`);
  return { 'vector.dimensions': dimensions, 'vector.similarity_function': 'cosine', 'vector.hnsw.ef_construction': HNSW_EF_CONSTRUCTION };
}

/** The settings a migrated index takes over from the old one; others (a newer server's defaults) are left to the server. */
const KEPT_SETTINGS = ['vector.dimensions', 'vector.similarity_function', 'vector.hnsw.m', 'vector.hnsw.ef_construction', 'vector.quantization.enabled', 'vector.quantization.type'];

/**
 * CREATE VECTOR INDEX for `name` with this configuration; `filtered` declares the workspace as a filter property,
 * which needs Cypher 25 (a server with vector filters). Index names and options cannot be parameters, so the values
 * are written into the statement: names are our constants, and only numbers, booleans and plain words are accepted.
 */
function vectorIndexStatement(name: string, config: Record<string, unknown>, filtered: boolean, labels = 'Chunk'): string {
  const literal = (v: unknown): string => {
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v === 'boolean') return String(v);
    if (typeof v === 'string' && /^[A-Za-z0-9_.-]+$/.test(v)) return `'${v}'`;
    throw new Error(`Unexpected vector index setting ${JSON.stringify(v)}`);
  };
  const options = Object.entries(config)
    .filter(([key]) => KEPT_SETTINGS.includes(key))
    .map(([key, value]) => `\`${key}\`: ${literal(value)}`)
    .join(', ');
  return `${filtered ? 'CYPHER 25 ' : ''}CREATE VECTOR INDEX ${name} IF NOT EXISTS FOR (c:${labels}) ON (c.embedding)
          ${filtered ? `WITH [c.${FILTER_PROPERTY}]` : ''}
          OPTIONS {indexConfig: {${options}}}`;
}

/**
 * The vector index for vectors of this size, created when the first embeddings are written (not before: a
 * keyword-only start, or a first run that has not embedded yet, must not pin a size). Another size in the index is a
 * DimensionMismatchError, which stops a run: it is no one file's fault.
 */
export async function ensureVectorIndex(ctx: StoreContext, dimensions: number): Promise<void> {
  const existing = await lookUpVectorIndex(ctx);
  if (existing?.dimensions === dimensions) return;
  if (existing) throw DimensionMismatchError.of(existing.dimensions, dimensions);
  await ctx.withSession(async (session) => {
    await session.run(vectorIndexStatement(VECTOR_INDEX, vectorIndexConfig(dimensions), ctx.server.vectorFilters));
    await session.run('CALL db.awaitIndex($name, $seconds)', { name: VECTOR_INDEX, seconds: neo4j.int(INDEX_WAIT_SECONDS) });
  });
  ctx.vectorIndex = undefined;
}

/** The size of the vectors in the vector index, or null while there is none. */
export async function lookUpVectorDimensions(ctx: StoreContext): Promise<number | null> {
  return (await lookUpVectorIndex(ctx))?.dimensions ?? null;
}

interface FoundVectorIndex {
  name: string;
  online: boolean;
  filtered: boolean;
  config: Record<string, unknown>;
}

async function vectorIndexes(ctx: StoreContext): Promise<FoundVectorIndex[]> {
  const rows = await ctx.read((tx) =>
    tx.run(
      `SHOW VECTOR INDEXES YIELD name, state, properties, options
       WHERE name IN $names
       RETURN name, state, properties, options.indexConfig AS config ORDER BY name`,
      { names: [...VECTOR_INDEX_NAMES] },
    ),
  );
  return rows.records.map((r) => ({
    name: String(r.get('name')),
    online: r.get('state') === 'ONLINE',
    filtered: (r.get('properties') as unknown[]).slice(1).includes(FILTER_PROPERTY),
    config: r.get('config') as Record<string, unknown>,
  }));
}

/**
 * The vector index to search and its size, cached. On a server with vector filters an online filtered index is
 * preferred; when one has come online beside an index without the filter, the migration is finished here (the old
 * index is dropped). While it is still being built, the answer is only cached for MIGRATION_POLL_MS.
 */
export async function lookUpVectorIndex(ctx: StoreContext): Promise<VectorIndexInfo | null> {
  const cached = ctx.vectorIndex;
  if (cached === null || (cached && !(cached.migrating && Date.now() - cached.checkedAt > MIGRATION_POLL_MS))) return cached;
  let found = await vectorIndexes(ctx);
  const ready = ctx.server.vectorFilters ? found.find((i) => i.filtered && i.online) : undefined;
  const stale = found.filter((i) => i !== ready && !i.filtered);
  if (ready && stale.length > 0) {
    await ctx.withSession(async (session) => {
      for (const old of stale) await session.run(`DROP INDEX ${old.name} IF EXISTS`);
    });
    found = found.filter((i) => !stale.includes(i));
  }
  const chosen = ready ?? found.find((i) => i.online) ?? found[0];
  const dims = chosen?.config['vector.dimensions'];
  ctx.vectorIndex =
    chosen && typeof dims === 'number'
      ? { name: chosen.name, dimensions: dims, filtered: ctx.server.vectorFilters && chosen.filtered, migrating: !ready && found.some((i) => i.filtered), checkedAt: Date.now() }
      : null;
  return ctx.vectorIndex;
}

/**
 * On a server with vector filters, an index without the workspace filter (made by an earlier version, or before the
 * server was upgraded from 5.26) gets a filtered twin with the same configuration, built in the background from the
 * stored embeddings (nothing is embedded again). Searches keep using the old index, filtering after the search, until
 * the twin is online; then lookUpVectorIndex drops the old one.
 */
async function migrateVectorIndex(ctx: StoreContext): Promise<void> {
  if (!ctx.server.vectorFilters) return;
  const found = await vectorIndexes(ctx);
  const old = found.find((i) => !i.filtered);
  if (!old || found.some((i) => i.filtered)) return;
  const twin = VECTOR_INDEX_NAMES.find((name) => name !== old.name)!;
  try {
    await ctx.withSession((session) => session.run(vectorIndexStatement(twin, old.config, true, `Chunk|${TWIN_EXTRA_LABEL}`)));
  } catch (e) {
    // Another process started the same migration a moment earlier; or the server refused the twin, and the old index
    // keeps serving, filtered after the search, as on 5.26: opening the engine must not fail for the migration.
    if (!errorCode(e).startsWith('Neo.ClientError.')) throw e;
  }
}
