import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PebbleStore } from './store';

/** Writes the store to `dir/snapshot.json` atomically: a temporary file renamed over the previous snapshot. */
export async function writeSnapshot(store: PebbleStore, dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const target = path.join(dir, 'snapshot.json');
  const temporary = `${target}.tmp`;
  await fs.writeFile(temporary, JSON.stringify(store));
  await fs.rename(temporary, target);
  return target;
}

/** Takes a snapshot every `intervalSeconds`; 0 disables periodic snapshots. Returns a function that stops them. */
export function scheduleSnapshots(store: PebbleStore, dir: string, intervalSeconds: number): () => void {
  if (intervalSeconds <= 0) return () => undefined;
  const timer = setInterval(() => void writeSnapshot(store, dir), intervalSeconds * 1000);
  return () => clearInterval(timer);
}
