// Administration: a workspace's status, the list of workspaces, and clearing one workspace or everything.
import neo4j from 'neo4j-driver';
import { type WorkspaceStatus, type WorkspaceSummary, workspaceSummarySchema } from '../types';
import { statusRow } from './rows';
import { VECTOR_INDEX_NAMES } from './schema';
import type { StoreContext } from './session';

/** Rows per transaction of the batched deletes of clear operations. */
const DELETE_BATCH = 5000;

export async function status(ctx: StoreContext, workspaceId: string): Promise<WorkspaceStatus> {
  const result = await ctx.read((tx) =>
    tx.run(
      `OPTIONAL MATCH (w:Workspace {id: $ws})
       RETURN COUNT { (:File {workspace: $ws}) } AS files,
              COUNT { (:Chunk {workspace: $ws}) } AS chunks,
              COUNT { (c:Chunk {workspace: $ws}) WHERE c.embedding IS NOT NULL } AS embedded,
              COUNT { (:Symbol {workspace: $ws}) } AS symbols,
              COUNT { (:File {workspace: $ws})-[:LINKS_TO]->() } AS links,
              toString(w.lastIndexedAt) AS lastIndexedAt, w.skippedByReason AS skippedByReason, w.skipped AS skipped`,
      { ws: workspaceId },
    ),
  );
  return statusRow.parse(result.records[0].toObject());
}

export async function listWorkspaces(ctx: StoreContext): Promise<WorkspaceSummary[]> {
  const result = await ctx.read((tx) =>
    tx.run(
      `MATCH (w:Workspace)
       RETURN w.id AS id, coalesce(w.name, w.id) AS name, coalesce(w.roots, []) AS roots,
              COUNT { (:File {workspace: w.id}) } AS files, COUNT { (:Chunk {workspace: w.id}) } AS chunks
       ORDER BY name, id`,
    ),
  );
  return result.records.map((r) => workspaceSummarySchema.parse(r.toObject()));
}

/** Deletes everything of one workspace, in batches so a large workspace does not need one huge transaction. */
export async function clearWorkspace(ctx: StoreContext, workspaceId: string): Promise<void> {
  ctx.counts.clear();
  await ctx.withSession(async (session) => {
    // The Workspace node goes first: a run still writing then fails at once ("unknown workspace") instead of adding
    // files after their chunks were deleted.
    await session.run('MATCH (w:Workspace {id: $ws}) DETACH DELETE w', { ws: workspaceId });
    for (const label of ['Chunk', 'File', 'Symbol']) {
      await session.run(
        `MATCH (n:${label} {workspace: $ws})
         CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF $batch ROWS`,
        { ws: workspaceId, batch: neo4j.int(DELETE_BATCH) },
      );
    }
  });
}

/** Deletes every workspace and drops the vector index (and a migration's twin), so the next ensureSchema may use other dimensions. */
export async function clearAll(ctx: StoreContext): Promise<void> {
  ctx.counts.clear();
  await ctx.withSession(async (session) => {
    for (const label of ['Workspace', 'Chunk', 'File', 'Symbol', 'Lease']) {
      await session.run(
        `MATCH (n:${label})
         CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF $batch ROWS`,
        { batch: neo4j.int(DELETE_BATCH) },
      );
    }
    for (const name of VECTOR_INDEX_NAMES) await session.run(`DROP INDEX ${name} IF EXISTS`);
  });
  ctx.vectorIndex = null;
}
