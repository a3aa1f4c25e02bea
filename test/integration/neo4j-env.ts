// Connection settings of the local test server (scripts/neo4j.sh) and unique workspace ids, for integration tests.
import { randomUUID } from 'node:crypto';
import { neo4jSchema, type Neo4jConfig } from '../../src/core/config';
import { DimensionMismatchError, Neo4jStore } from '../../src/core/store';

/** NEO4J_* variables when set, otherwise the defaults of `bash scripts/neo4j.sh start`. */
export function neo4jTestConfig(env: Record<string, string | undefined> = process.env): Neo4jConfig {
  const value = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);
  return neo4jSchema.parse({
    uri: value('NEO4J_URI') ?? `neo4j://127.0.0.1:${value('NEO4J_PORT') ?? '7687'}`,
    username: value('NEO4J_USERNAME') ?? 'neo4j',
    password: value('NEO4J_PASSWORD') ?? 'workspace-rag-test',
    database: value('NEO4J_DATABASE') ?? 'neo4j',
  });
}

/** A workspace id no other test (or earlier run against the same database) uses. */
export function uniqueWorkspaceId(label = 'ws'): string {
  return `test-${label}-${randomUUID()}`;
}

/** Embedding size of the engine-level tests: large enough for the hashed embeddings to keep texts apart. */
export const TEST_DIMENSIONS = 256;

/** Creates the schema for `dimensions`; a test database left at another embedding size by other suites starts over. */
export async function ensureTestSchema(store: Neo4jStore, dimensions: number): Promise<void> {
  try {
    await store.ensureSchema(dimensions);
  } catch (e) {
    if (!(e instanceof DimensionMismatchError)) throw e;
    await store.clearAll();
    await store.ensureSchema(dimensions);
  }
}

/**
 * Leaves the test database ready for TEST_DIMENSIONS-sized embeddings, whatever an earlier suite left behind (the
 * store suite, for one, works with tiny vectors). Suites that index through the extension call it first.
 */
export async function prepareTestDatabase(config: Neo4jConfig = neo4jTestConfig()): Promise<void> {
  const store = await Neo4jStore.connect(config);
  try {
    await ensureTestSchema(store, TEST_DIMENSIONS);
  } finally {
    await store.close();
  }
}
