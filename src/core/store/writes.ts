// Writes: the Workspace node, each file replaced whole in one transaction (chunks, NEXT chain, symbols, links) in
// batches that split when they exceed the transaction memory, and file touches and deletes.
import neo4j, { type ManagedTransaction } from 'neo4j-driver';
import { z } from 'zod';
import type { FileWrite } from '../ports';
import type { SkippedFile } from '../types';
import { fileKey, SEP, symbolKey } from './keys';
import { pathWordsOf, workspaceToken } from './lucene';
import { ensureVectorIndex, UNEMBEDDED } from './schema';
import { errorCode, READ_BATCH, StoreUnavailableError, type StoreContext } from './session';

/** Transaction-memory errors are "transient", so the driver would retry the same oversized batch; we split instead. */
const isMemoryError = (e: unknown): boolean => /MemoryLimit|MemoryPoolOutOfMemory|OutOfMemory/i.test(errorCode(e));

class BatchTooLarge extends Error {
  constructor(readonly original: unknown) {
    super('transaction memory exceeded', { cause: original });
  }
}

/**
 * Failures of the whole service stop a run: Neo4j unreachable or refusing us, or transient errors the driver already
 * retried. Anything else (a value Neo4j refuses, a constraint violation, a transaction too large) is tied to some item
 * of the batch and is isolated.
 */
const isServiceFailure = (e: unknown): boolean =>
  e instanceof StoreUnavailableError || e instanceof UnknownWorkspaceError || (errorCode(e).startsWith('Neo.TransientError.') && !isMemoryError(e));

/** The workspace node is gone (cleared while a run was writing): no file of the run can be written. */
class UnknownWorkspaceError extends Error {}

/** An item that could not be written, with the reason; its previous version stays. */
export interface WriteFailure<T> {
  item: T;
  message: string;
  cause: unknown;
}

/**
 * Runs `write` over `items`, isolating failures: a batch that fails for a reason tied to its contents is halved until
 * each failing item stands alone, so one bad file costs its own write and never the others (a 50-file batch needs about
 * a dozen extra transactions to find it). Returns the items that failed alone. Service failures are thrown at once,
 * and so is a batch of several items that all fail: that is not one file's fault.
 */
export async function writeIsolated<T>(items: T[], write: (part: T[]) => Promise<void>, describe: (item: T) => string): Promise<Array<WriteFailure<T>>> {
  const failures = await isolate(items, write, describe);
  if (items.length > 1 && failures.length === items.length) throw failures[0].cause;
  return failures;
}

async function isolate<T>(items: T[], write: (part: T[]) => Promise<void>, describe: (item: T) => string): Promise<Array<WriteFailure<T>>> {
  try {
    await write(items);
    return [];
  } catch (e) {
    const original = e instanceof BatchTooLarge ? e.original : e;
    if (isServiceFailure(original)) throw original;
    if (items.length <= 1) {
      const message = isMemoryError(original)
        ? `Neo4j ran out of transaction memory writing ${items.map(describe).join(', ')}; raise db.memory.transaction.max or the server heap`
        : `Neo4j refused ${items.map(describe).join(', ')}: ${original instanceof Error ? original.message : String(original)}`;
      return items.map((item) => ({ item, message, cause: original }));
    }
    const half = Math.ceil(items.length / 2);
    return [...(await isolate(items.slice(0, half), write, describe)), ...(await isolate(items.slice(half), write, describe))];
  }
}

/**
 * Creates the workspace's node, or updates its name and roots. Every run asks first and writes only what changed: a
 * write transaction waits for the server's log to reach the disk, which a save's run should not pay for nothing.
 */
export async function upsertWorkspace(ctx: StoreContext, ws: { id: string; name: string; roots: string[] }): Promise<void> {
  const stored = await ctx.read((tx) => tx.run('MATCH (w:Workspace {id: $id}) RETURN w.name AS name, w.roots AS roots', { id: ws.id }));
  const row = stored.records[0];
  if (row && row.get('name') === ws.name && JSON.stringify(row.get('roots')) === JSON.stringify(ws.roots)) return;
  await ctx.write((tx) =>
    tx.run(
      `MERGE (w:Workspace {id: $id})
       ON CREATE SET w.createdAt = datetime()
       SET w.name = $name, w.roots = $roots`,
      ws,
    ),
  );
}

/** A workspace's list of skipped files is for people to read; past this many, the counts by reason tell the rest. */
const MAX_LISTED_SKIPS = 2000;

/**
 * Records what the last run skipped, by reason and (the first MAX_LISTED_SKIPS) by path, for `status`; a record that
 * did not change is not written again (most runs skip what the last one did).
 */
export async function recordSkipped(
  ctx: StoreContext,
  workspaceId: string,
  skipped: { byReason: Record<string, number>; files: SkippedFile[] },
): Promise<void> {
  const byReason = JSON.stringify(skipped.byReason);
  const files = JSON.stringify(skipped.files.slice(0, MAX_LISTED_SKIPS));
  const stored = await ctx.read((tx) => tx.run('MATCH (w:Workspace {id: $ws}) RETURN w.skippedByReason AS byReason, w.skipped AS files', { ws: workspaceId }));
  const row = stored.records[0];
  if (row && row.get('byReason') === byReason && row.get('files') === files) return;
  await ctx.write((tx) => tx.run('MATCH (w:Workspace {id: $ws}) SET w.skippedByReason = $byReason, w.skipped = $files', { ws: workspaceId, byReason, files }));
}

/**
 * Replaces the chunks, symbol links, NEXT chain and file links of each file. Files are grouped into transactions of
 * about `maxChunksPerTransaction` chunks; each file is written whole in one transaction together with its fileHash,
 * so an interrupted run leaves every file either old or new. A file Neo4j refuses is isolated and returned with the
 * reason; the others are written.
 */
export async function replaceFiles(ctx: StoreContext, workspaceId: string, files: FileWrite[]): Promise<Array<WriteFailure<FileWrite>>> {
  if (files.length === 0) return [];
  ctx.counts.clear();
  const vector = files.flatMap((f) => f.chunks).find((c) => c.embedding !== null)?.embedding;
  if (vector) await ensureVectorIndex(ctx, vector.length);
  const failures: Array<WriteFailure<FileWrite>> = [];
  for (const batch of batches(files, ctx.maxChunksPerTx)) failures.push(...(await writeBatch(ctx, workspaceId, batch)));
  return failures;
}

function* batches(files: FileWrite[], maxChunksPerTx: number): Generator<FileWrite[]> {
  let batch: FileWrite[] = [];
  let chunks = 0;
  for (const f of files) {
    if (batch.length > 0 && chunks + f.chunks.length > maxChunksPerTx) {
      yield batch;
      batch = [];
      chunks = 0;
    }
    batch.push(f);
    chunks += f.chunks.length;
  }
  if (batch.length > 0) yield batch;
}

function writeBatch(ctx: StoreContext, workspaceId: string, batch: FileWrite[]): Promise<Array<WriteFailure<FileWrite>>> {
  return writeIsolated(
    batch,
    (part) =>
      ctx.write(async (tx) => {
        try {
          await replaceInTransaction(tx, workspaceId, part);
        } catch (e) {
          if (isMemoryError(e)) throw new BatchTooLarge(e); // not retriable: the driver gives it back to us at once
          throw e;
        }
      }),
    (w) => `${w.file.path} (${w.chunks.length} chunks)`,
  );
}

async function replaceInTransaction(tx: ManagedTransaction, workspaceId: string, batch: FileWrite[]): Promise<void> {
  const keys = batch.map((b) => fileKey(workspaceId, b.file.path));
  const { existing, symbols: oldSymbols } = await removeFileContents(tx, keys);

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
          pathWords: pathWordsOf(file.path),
          language: c.language,
          kind: c.kind,
          symbol: c.symbol ?? null,
          headingPath: c.headingPath ?? null,
          header: c.header ?? null,
          startLine: neo4j.int(c.startLine),
          endLine: neo4j.int(c.endLine),
          text: c.text,
          column: c.column === undefined ? null : neo4j.int(c.column),
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
  // setNodeVectorProperty stores float32 (a plain SET would keep 64-bit floats, twice the size). A chunk written
  // without its vector (it is embedded later: pending.ts) is labelled Unembedded.
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
       FOREACH (_ IN CASE WHEN row.embedding IS NULL THEN [1] ELSE [] END | SET c:${UNEMBEDDED})
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
  if (result.records[0]?.get('files') !== batch.length) throw new UnknownWorkspaceError(`Unknown workspace ${workspaceId}: it was cleared, or never created (call upsertWorkspace first)`);
  await deleteOrphanSymbols(tx, oldSymbols);

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
async function removeFileContents(tx: ManagedTransaction, keys: string[]): Promise<{ existing: Set<string>; symbols: string[] }> {
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

async function deleteOrphanSymbols(tx: ManagedTransaction, keys: string[]): Promise<void> {
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
export async function touchFiles(ctx: StoreContext, workspaceId: string, files: Array<{ path: string; size: number; mtimeMs: number }>): Promise<void> {
  for (let i = 0; i < files.length; i += READ_BATCH) {
    const rows = files.slice(i, i + READ_BATCH).map((f) => ({ key: fileKey(workspaceId, f.path), size: neo4j.int(f.size), mtimeMs: f.mtimeMs }));
    await ctx.write((tx) =>
      tx.run('UNWIND $rows AS row MATCH (f:File {key: row.key}) SET f.size = row.size, f.mtimeMs = row.mtimeMs', { rows }),
    );
  }
}

/** Removes files with their chunks; symbols no longer defined anywhere go too. Links to them vanish with them. */
export async function deleteFiles(ctx: StoreContext, workspaceId: string, paths: string[]): Promise<void> {
  ctx.counts.clear();
  for (let i = 0; i < paths.length; i += READ_BATCH) {
    const keys = paths.slice(i, i + READ_BATCH).map((p) => fileKey(workspaceId, p));
    await ctx.write(async (tx) => {
      const { symbols } = await removeFileContents(tx, keys);
      await tx.run('UNWIND $keys AS key MATCH (f:File {key: key}) DETACH DELETE f', { keys });
      await deleteOrphanSymbols(tx, symbols);
      await tx.run('MATCH (w:Workspace {id: $ws}) SET w.lastIndexedAt = datetime()', { ws: workspaceId });
    });
  }
}
