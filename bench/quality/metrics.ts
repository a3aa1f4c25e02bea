// The quality benchmark's measures, as pure functions over line ranges (no Neo4j, no model), so run.ts only collects
// what each approach retrieved and sent.
import type { GoldRange } from './questions';

/** A retrieved or sent piece of a file: 1-based, inclusive lines. */
export interface Ranged {
  path: string;
  startLine: number;
  endLine: number;
}

/** Hit rule of the benchmark: same path as a gold range and at least one line in common with it. */
export function overlapsGold(r: Ranged, gold: readonly GoldRange[]): boolean {
  return gold.some((g) => g.path === r.path && r.startLine <= g.endLine && g.startLine <= r.endLine);
}

/** 1-based rank of the first result that hits the gold, or undefined when none of them does. */
export function firstHitRank(ranked: readonly Ranged[], gold: readonly GoldRange[]): number | undefined {
  const i = ranked.findIndex((r) => overlapsGold(r, gold));
  return i < 0 ? undefined : i + 1;
}

/**
 * Answer-line recall: the share of the gold's lines (every range, each line counted once) that lie inside the sources
 * sent. A source covers its whole range: the prompt shows every line from startLine to endLine.
 */
export function answerLineRecall(sent: readonly Ranged[], gold: readonly GoldRange[]): number {
  const lines = new Set<string>();
  for (const g of gold) for (let l = g.startLine; l <= g.endLine; l++) lines.add(`${g.path}\0${l}`);
  if (lines.size === 0) return 0;
  let covered = 0;
  for (const key of lines) {
    const [path, line] = key.split('\0');
    const n = Number(line);
    if (sent.some((s) => s.path === path && s.startLine <= n && n <= s.endLine)) covered++;
  }
  return covered / lines.size;
}

/** hit@1, hit@5 and MRR@5 over the first-hit ranks of a set of questions (undefined: no hit at any depth). */
export function rankSummary(ranks: ReadonlyArray<number | undefined>): { n: number; hit1: number; hit5: number; mrr5: number } {
  const n = ranks.length;
  const hit1 = ranks.filter((r) => r === 1).length;
  const hit5 = ranks.filter((r) => r !== undefined && r <= 5).length;
  const mrr5 = n === 0 ? 0 : ranks.reduce<number>((sum, r) => sum + (r !== undefined && r <= 5 ? 1 / r : 0), 0) / n;
  return { n, hit1, hit5, mrr5 };
}

/** Nearest-rank percentile (as bench/run.ts computes its latencies); undefined for no samples. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export function mean(samples: readonly number[]): number | undefined {
  return samples.length === 0 ? undefined : samples.reduce((a, b) => a + b, 0) / samples.length;
}
