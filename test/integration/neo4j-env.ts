// Connection settings of the local test server (scripts/neo4j.sh) and unique workspace ids, for integration tests.
import { randomUUID } from 'node:crypto';
import { neo4jSchema, type Neo4jConfig } from '../../src/core/config';

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
