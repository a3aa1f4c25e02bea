// Where the Neo4j time goes: time and count per Cypher statement run inside managed transactions (all of the store's
// reads and writes), keyed by the statement's first words. A Result settles when its last record has arrived, so a
// statement's time is the server's work plus the transfer; transaction begin and commit fall outside.
import { performance } from 'node:perf_hooks';
import { ManagedTransaction } from 'neo4j-driver';

export type StatementTimes = Record<string, { ms: number; count: number }>;

let times: StatementTimes = {};
let installed = false;

/** Starts recording (once per process); `take` returns what was recorded since the last take. */
export function profileStatements(): { take: () => StatementTimes } {
  if (!installed) {
    installed = true;
    const run = ManagedTransaction.prototype.run;
    ManagedTransaction.prototype.run = function (this: ManagedTransaction, ...args: Parameters<typeof run>) {
      const key = String(args[0]).replace(/\s+/g, ' ').trim().slice(0, 60);
      const t0 = performance.now();
      const result = run.apply(this, args);
      const done = () => {
        const entry = (times[key] ??= { ms: 0, count: 0 });
        entry.ms += performance.now() - t0;
        entry.count++;
      };
      result.then(done, done);
      return result;
    } as typeof run;
  }
  return {
    take: () => {
      const taken = times;
      times = {};
      return taken;
    },
  };
}

/** "statement: total ms (count×)" for the biggest entries. */
export function describeStatements(t: StatementTimes, top = 8): string {
  return Object.entries(t)
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top)
    .map(([q, e]) => `\`${q}…\` ${e.ms < 10_000 ? `${e.ms.toFixed(0)} ms` : `${(e.ms / 1000).toFixed(1)} s`} (${e.count}×)`)
    .join('; ');
}
