// The "what changed" decision of an indexing run, as one pure function: the indexer follows it, and the hosts count
// pending changes with it, so the status bar can never disagree with what the next run will do.
import type { DiscoveredFile, SkippedFile, SkipReason } from '../types';
import type { FileState } from '../ports';

export interface PlannedRead {
  file: DiscoveredFile;
  /**
   * The stored content hash when the stored chunks were made with the current chunking settings: content that still
   * hashes to it only needs its size and mtime refreshed. Undefined means re-chunk whatever the content.
   */
  reusableHash?: string;
}

export interface IndexPlan {
  /** New files, files whose size or mtime changed, and files chunked under other settings (or all, with force). */
  read: PlannedRead[];
  /** Files whose stored size, mtime and chunking settings match: not read at all. */
  unchanged: number;
  /** Stored files that leave the index: no longer discovered, or now skipped for good. */
  remove: string[];
}

/** Skip reasons that mean "could not look this time": the stored version stays rather than vanish. */
const KEEP_OLD_VERSION: ReadonlySet<SkipReason> = new Set(['unreadable', 'index-failed']);
export const keepsOldVersion = (reason: SkipReason): boolean => KEEP_OLD_VERSION.has(reason);

/** Decides what a run reads, may reuse and removes, from the discovery result and the stored file states. */
export function plan(
  discovered: { files: DiscoveredFile[]; skipped: SkippedFile[] },
  stored: ReadonlyMap<string, FileState>,
  chunkerKey: string,
  force: boolean,
): IndexPlan {
  const read: PlannedRead[] = [];
  for (const file of discovered.files) {
    const s = stored.get(file.path);
    const sameSettings = !force && s?.chunkerKey === chunkerKey;
    if (sameSettings && s.size === file.size && s.mtimeMs === file.mtimeMs) continue;
    read.push({ file, reusableHash: sameSettings ? s.fileHash : undefined });
  }
  const paths = new Set(discovered.files.map((f) => f.path));
  return {
    read,
    unchanged: discovered.files.length - read.length,
    remove: removedPaths([...stored.keys()], paths, discovered.skipped),
  };
}

/**
 * Stored files that leave the index: no longer discovered, or now skipped. A file that could not be read this time
 * (itself, or a folder above it, reported with a trailing '/') keeps its old version: that is better than none.
 */
function removedPaths(stored: string[], discovered: ReadonlySet<string>, skipped: SkippedFile[]): string[] {
  const skippedPaths = new Set(skipped.map((s) => s.path));
  const transient = skipped.filter((s) => KEEP_OLD_VERSION.has(s.reason)).map((s) => s.path);
  const isTransient = (path: string) => transient.some((t) => t === path || t === './' || (t.endsWith('/') && path.startsWith(t)));
  return stored.filter((path) => (!discovered.has(path) || skippedPaths.has(path)) && !isTransient(path));
}
