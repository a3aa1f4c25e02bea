// The lines of a source worth their tokens when the budget cannot take it whole. The source's best hit (its focus:
// the chunk the legs ranked, before merging with its neighbours) is the evidence: it is kept and grown around while
// it fits, and only a best hit itself too long is cut to the window of its lines holding the most of the question's
// rare terms. So several sources can each send the lines that answer. The range stays exact: a passage is a slice.
// Measured on bench:quality (fastify, MiniLM, 8 s at 78 tok/s): answer-line recall in the prompt 0.38 with windows
// inside the best hit, 0.30 with windows anywhere in the merged source, 0.35 with one source trimmed around its hit.
import { countTokens } from '../tokens';
import { lineTerms } from '../words';
import { sourceTokens, type PromptSource } from './prompt';

/**
 * `source` within `maxTokens`: whole when it fits, else its best hit grown around, else the best window of its best
 * hit (scored by the question terms it covers, `weights` from termWeights). Undefined when not even one line fits, or
 * for a part of a long line, which cannot be cut by lines.
 */
export function passageOf<S extends PromptSource>(source: S, maxTokens: number, weights: ReadonlyMap<string, number>): S | undefined {
  if (sourceTokens(source) <= maxTokens) return source;
  if (source.column !== undefined) return undefined;
  const lines = source.text.split('\n');
  const cut = (from: number, to: number): S => ({ ...source, startLine: source.startLine + from, endLine: source.startLine + to, text: lines.slice(from, to + 1).join('\n'), header: undefined });
  const frame = sourceTokens({ ...cut(0, 0), text: '' });
  const lineCost = lines.map((l) => countTokens(`${l}\n`));
  const cost = (from: number, to: number) => frame + lineCost.slice(from, to + 1).reduce((a, b) => a + b, 0);
  const last = lines.length - 1;
  const focusFrom = clamp((source.focus?.startLine ?? source.startLine) - source.startLine, 0, last);
  const focusTo = clamp((source.focus?.endLine ?? source.endLine) - source.startLine, focusFrom, last);

  let [from, to] = cost(focusFrom, focusTo) <= maxTokens ? grow(focusFrom, focusTo) : bestWindow(focusFrom, focusTo);
  if (to < from) return undefined;
  // Blank edges carry nothing; the per-line estimate may be a token or two off the exact count.
  while (to > from && lines[to].trim() === '') to--;
  while (from < to && lines[from].trim() === '') from++;
  while (to > from && sourceTokens(cut(from, to)) > maxTokens) to--;
  return sourceTokens(cut(from, to)) <= maxTokens ? cut(from, to) : undefined;

  /** The lines around a hit that fits, a line after then a line before, while they fit. */
  function grow(f: number, t: number): [number, number] {
    let tokens = cost(f, t);
    for (let grew = true; grew; ) {
      grew = false;
      if (t < last && tokens + lineCost[t + 1] <= maxTokens) (tokens += lineCost[++t]), (grew = true);
      if (f > 0 && tokens + lineCost[f - 1] <= maxTokens) (tokens += lineCost[--f]), (grew = true);
    }
    return [f, t];
  }

  /** The window of lines first..end that fits and covers the most question terms; the earliest wins a tie. */
  function bestWindow(first: number, end: number): [number, number] {
    const terms = lines.map((l) => [...lineTerms(l)].filter((t) => weights.has(t)));
    let best: [number, number, number] = [first, first - 1, -1];
    for (let f = first, t = f - 1, tokens = frame; f <= end; f++) {
      if (t < f - 1) (t = f - 1), (tokens = frame);
      while (t < end && tokens + lineCost[t + 1] <= maxTokens) tokens += lineCost[++t];
      if (t >= f) {
        const score = windowScore(terms, f, t, weights);
        if (score > best[2]) best = [f, t, score];
        tokens -= lineCost[f];
      }
    }
    return [best[0], best[1]];
  }
}

/** Each further line with a term it already covers adds this share of the term's weight: coverage first, density second. */
const REPEAT_SHARE = 0.25;

function windowScore(terms: string[][], from: number, to: number, weights: ReadonlyMap<string, number>): number {
  const seen = new Set<string>();
  let score = 0;
  for (let i = from; i <= to; i++)
    for (const t of terms[i]) {
      score += weights.get(t)! * (seen.has(t) ? REPEAT_SHARE : 1);
      seen.add(t);
    }
  return score;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
