// Runs work on a workspace under its lease (store/lease.ts), so an index run and a clear of the same workspace never
// interleave, in this process or across processes. The holder renews the lease while it works; when another process
// asks it to stop (a clear), the work's signal aborts and the work ends as a cancelled run would.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { EngineError } from '../errors';
import type { IndexAdmin } from '../ports';

/** Renewals come often within the 30 s lease (store/lease.ts): a clear waits for the holder to notice at most this long. */
const RENEW_EVERY_MS = 2_000;
/** How long to wait for a lease: longer than a crashed holder's lease lives (30 s), so that case always resolves. */
const MAX_WAIT_MS = 45_000;
const POLL_MS = 250;

class WorkspaceBusyError extends EngineError<'busy', { workspaceId: string }> {}

/** Why a held work was stopped: another process asked for the workspace (to clear it), or the lease was lost. */
class LeaseStop extends EngineError<'stop-requested' | 'lease-lost', { workspaceId: string }> {}

type LeaseStore = Pick<IndexAdmin, 'tryAcquireLease' | 'renewLease' | 'releaseLease' | 'requestStop' | 'activeLeases'>;

export class Leases {
  constructor(private readonly store: LeaseStore) {}

  /** Waits for the workspace's lease (up to MAX_WAIT_MS), runs `work` while renewing it, and releases it. */
  async hold<T>(workspaceId: string, signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const owner = randomUUID();
    await this.acquire(workspaceId, owner, signal);
    const stop = new AbortController();
    const renewing = this.renew(workspaceId, owner, stop);
    try {
      return await work(signal ? AbortSignal.any([signal, stop.signal]) : stop.signal);
    } finally {
      stop.abort(); // ends the renewal loop if the work ended by itself
      await renewing;
      await this.store.releaseLease(workspaceId, owner).catch(() => undefined); // it expires anyway
    }
  }

  /** Asks whoever holds the workspace's lease (every lease, with null) to stop, and waits until none is held. */
  async stopAndWait(workspaceId: string | null): Promise<void> {
    await this.store.requestStop(workspaceId);
    const deadline = Date.now() + MAX_WAIT_MS;
    while ((await this.store.activeLeases(workspaceId)) > 0) {
      if (Date.now() > deadline) throw busy(workspaceId ?? 'every workspace');
      await delay(POLL_MS);
    }
  }

  private async acquire(workspaceId: string, owner: string, signal: AbortSignal | undefined): Promise<void> {
    const deadline = Date.now() + MAX_WAIT_MS;
    while (!(await this.store.tryAcquireLease(workspaceId, owner))) {
      signal?.throwIfAborted();
      if (Date.now() > deadline) throw busy(workspaceId);
      await delay(POLL_MS, undefined, { signal });
    }
  }

  private async renew(workspaceId: string, owner: string, stop: AbortController): Promise<void> {
    while (!stop.signal.aborted) {
      try {
        await delay(RENEW_EVERY_MS, undefined, { signal: stop.signal });
      } catch {
        return; // the work ended
      }
      const state = await this.store.renewLease(workspaceId, owner).catch(() => 'held' as const); // Neo4j down: the run will notice
      if (state === 'stop') stop.abort(new LeaseStop('stop-requested', 'Stopped: another process is clearing the index of this workspace.', { workspaceId }));
      if (state === 'lost') stop.abort(new LeaseStop('lease-lost', 'Stopped: this run lost its hold on the workspace (it was paused for too long).', { workspaceId }));
    }
  }
}

const busy = (what: string) =>
  new WorkspaceBusyError('busy', `Another process is indexing or clearing ${what} in this Neo4j database; try again when it has finished.`, { workspaceId: what });
