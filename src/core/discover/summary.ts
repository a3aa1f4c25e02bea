// The skipped files of a run, counted by reason.
import type { SkippedFile, SkipReason } from '../types';

/** Reasons in a fixed order, so reports list them the same way every time. */
const REASON_ORDER: Record<SkipReason, number> = {
  secret: 0, gitignored: 1, 'default-excluded': 2, 'excluded-by-glob': 3, 'not-included': 4, 'too-large': 5, binary: 6,
  minified: 7, 'invalid-utf8': 8, 'symlink-outside-root': 9, 'symlink-loop': 10, unreadable: 11, vanished: 12, 'index-failed': 13,
};

/** Counts by reason, only the reasons that occur, in a fixed order. */
export function summarizeSkipped(skipped: readonly SkippedFile[]): Partial<Record<SkipReason, number>> {
  const counts = new Map<SkipReason, number>();
  for (const { reason } of skipped) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return Object.fromEntries([...counts].sort(([a], [b]) => REASON_ORDER[a] - REASON_ORDER[b]));
}
