// Per-workspace leases, so an index run and a clear of the same workspace never interleave, across processes (the
// CLI beside the extension, two terminals). A lease expires unless its holder renews it, so a crashed process holds
// a workspace for at most LEASE_TTL_MS. A clear asks the holder to stop (the holder sees it at its next renewal) and
// waits for the lease. Times are the server's (timestamp()), so clocks of different machines do not matter.
import neo4j from 'neo4j-driver';
import { z } from 'zod';
import type { StoreContext } from './session';

/** Long enough to survive a slow write transaction between renewals, short enough that a crash blocks only briefly. */
const LEASE_TTL_MS = 30_000;

/** Takes the workspace's lease for `owner` if it is free, expired or already `owner`'s; returns whether it did. */
export async function tryAcquireLease(ctx: StoreContext, workspaceId: string, owner: string): Promise<boolean> {
  const result = await ctx.write((tx) =>
    tx.run(
      `MERGE (l:Lease {workspace: $ws})
       ON CREATE SET l.owner = $owner, l.expiresAt = timestamp() + $ttl, l.stop = false
       WITH l
       CALL (l) {
         WITH l WHERE l.owner = $owner OR l.expiresAt < timestamp()
         SET l.owner = $owner, l.expiresAt = timestamp() + $ttl, l.stop = false
       }
       RETURN l.owner = $owner AS mine`,
      { ws: workspaceId, owner, ttl: neo4j.int(LEASE_TTL_MS) },
    ),
  );
  // Null when the holder's release deleted the node this MERGE had matched (seen under CI as a cancelled run let go):
  // not taken this time; the caller asks again, and that MERGE creates it.
  return z.boolean().nullable().parse(result.records[0]?.get('mine') ?? null) === true;
}

/** Extends `owner`'s lease. 'stop' when someone asked the holder to stop, 'lost' when the lease is no longer its. */
export async function renewLease(ctx: StoreContext, workspaceId: string, owner: string): Promise<'held' | 'stop' | 'lost'> {
  const result = await ctx.write((tx) =>
    tx.run(
      `MATCH (l:Lease {workspace: $ws, owner: $owner})
       SET l.expiresAt = timestamp() + $ttl
       RETURN l.stop AS stop`,
      { ws: workspaceId, owner, ttl: neo4j.int(LEASE_TTL_MS) },
    ),
  );
  const row = result.records[0];
  if (!row) return 'lost';
  return row.get('stop') === true ? 'stop' : 'held';
}

export async function releaseLease(ctx: StoreContext, workspaceId: string, owner: string): Promise<void> {
  await ctx.write((tx) => tx.run('MATCH (l:Lease {workspace: $ws, owner: $owner}) DELETE l', { ws: workspaceId, owner }));
}

/** Asks the holder of the workspace's lease (or of every lease, with null) to stop at its next renewal. */
export async function requestStop(ctx: StoreContext, workspaceId: string | null): Promise<void> {
  await ctx.write((tx) =>
    tx.run('MATCH (l:Lease) WHERE $ws IS NULL OR l.workspace = $ws SET l.stop = true', { ws: workspaceId }),
  );
}

/** Leases that are held and not expired, of one workspace or of all. */
export async function activeLeases(ctx: StoreContext, workspaceId: string | null): Promise<number> {
  const result = await ctx.read((tx) =>
    tx.run('RETURN COUNT { (l:Lease) WHERE ($ws IS NULL OR l.workspace = $ws) AND l.expiresAt >= timestamp() } AS n', { ws: workspaceId }),
  );
  return z.number().parse(result.records[0]?.get('n'));
}
