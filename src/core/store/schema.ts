// The schema: constraints, the full-text index and the cosine vector index, and the vector index's dimensions.
import neo4j from 'neo4j-driver';
import { EngineError } from '../errors';
import { FULLTEXT_FIELDS, pathWordsOf } from './lucene';
import type { StoreContext } from './session';

export const VECTOR_INDEX = 'chunk_embedding';
export const FULLTEXT_INDEX = 'chunk_fulltext';
const INDEX_WAIT_SECONDS = 300;
/**
 * The insert beam of the vector index's HNSW graph (Neo4j's default is 100). Inserting into the graph is most of
 * Neo4j's work while indexing; 64 costs about 0.6 of the time. Neo4j's int8 quantization stays on: with float vectors
 * the search over the many segments a bulk load leaves was 3-5x slower on this project's benchmark machine, and on
 * dense vectors quantized recall@10 stays high (0.84 at 53k chunks; the sparse hashed test vectors lose more, 0.65).
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

/**
 * Creates constraints and indexes if missing and waits until they are online. With `dimensions`, also the cosine
 * vector index; an existing one of another size raises DimensionMismatchError (changing it needs a re-index).
 */
export async function ensureSchema(ctx: StoreContext, dimensions: number | null): Promise<void> {
  const existing = await lookUpVectorDimensions(ctx);
  if (dimensions !== null && existing !== null && existing !== dimensions) {
    throw DimensionMismatchError.of(existing, dimensions);
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
    `CREATE FULLTEXT INDEX ${FULLTEXT_INDEX} IF NOT EXISTS FOR (c:Chunk) ON EACH [${FULLTEXT_FIELDS.map((f) => `c.${f}`).join(', ')}]
     OPTIONS {indexConfig: {\`fulltext.analyzer\`: 'standard-no-stop-words'}}`,
  ];
  if (dimensions !== null) statements.push(vectorIndexStatement(dimensions));
  await migrateFulltextIndex(ctx);
  await ctx.withSession(async (session) => {
    // Schema commands must run in their own auto-commit transactions; IF NOT EXISTS makes them idempotent.
    for (const statement of statements) await session.run(statement);
    await session.run('CALL db.awaitIndexes($seconds)', { seconds: neo4j.int(INDEX_WAIT_SECONDS) });
  });
  ctx.vectorDimensions = undefined;
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

function vectorIndexStatement(dimensions: number): string {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 4096) throw new Error(`Invalid embedding dimensions ${dimensions}: expected an integer from 1 to 4096`);
  return `CREATE VECTOR INDEX ${VECTOR_INDEX} IF NOT EXISTS FOR (c:Chunk) ON (c.embedding)
          OPTIONS {indexConfig: {\`vector.dimensions\`: ${dimensions}, \`vector.similarity_function\`: 'cosine',
                                 \`vector.hnsw.ef_construction\`: ${HNSW_EF_CONSTRUCTION}}}`;
}

/**
 * The vector index for vectors of this size, created when the first embeddings are written (not before: a
 * keyword-only start, or a first run that has not embedded yet, must not pin a size). Another size in the index is a
 * DimensionMismatchError, which stops a run: it is no one file's fault.
 */
export async function ensureVectorIndex(ctx: StoreContext, dimensions: number): Promise<void> {
  const existing = await lookUpVectorDimensions(ctx);
  if (existing === dimensions) return;
  if (existing !== null) throw DimensionMismatchError.of(existing, dimensions);
  await ctx.withSession(async (session) => {
    await session.run(vectorIndexStatement(dimensions));
    await session.run('CALL db.awaitIndex($name, $seconds)', { name: VECTOR_INDEX, seconds: neo4j.int(INDEX_WAIT_SECONDS) });
  });
  ctx.vectorDimensions = undefined;
}

export async function lookUpVectorDimensions(ctx: StoreContext): Promise<number | null> {
  if (ctx.vectorDimensions !== undefined) return ctx.vectorDimensions;
  const rows = await ctx.read((tx) =>
    tx.run(`SHOW VECTOR INDEXES YIELD name, options WHERE name = $name RETURN options.indexConfig['vector.dimensions'] AS dims`, {
      name: VECTOR_INDEX,
    }),
  );
  const dims = rows.records[0]?.get('dims');
  ctx.vectorDimensions = typeof dims === 'number' ? dims : null;
  return ctx.vectorDimensions;
}
