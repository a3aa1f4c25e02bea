// The lines of a source worth their tokens when the budget cannot take it whole: the window of its lines that holds
// the most of the question's (rare) terms, grown to the room given, so several sources can each send the lines that
// answer instead of one source sending its beginning. The range stays exact: a passage is a slice of its source.
import { countTokens } from '../tokens';
import { lineTerms } from '../words';
import { sourceTokens, type PromptSource } from './prompt';

/**
 * The best window of `source` within `maxTokens` (the whole source when it fits), scored by the question terms it
 * covers (`weights`, from termWeights), with the source's best hit (focus) winning ties. Undefined when not even one
 * line fits, or for a part of a long line, which cannot be cut by lines.
 */
export function passageOf<S extends PromptSource>(source: S, maxTokens: number, weights: ReadonlyMap<string, number>): S | undefined {
  if (sourceTokens(source) <= maxTokens) return source;
  if (source.column !== undefined) return undefined;
  const lines = source.text.split('\n');
  const cut = (from: number, to: number): S => ({ ...source, startLine: source.startLine + from, endLine: source.startLine + to, text: lines.slice(from, to + 1).join('\n'), header: undefined });
  const frame = sourceTokens({ ...cut(0, 0), text: '' });
  const lineCost = lines.map((l) => countTokens(`${l}\n`));
  const terms = lines.map((l) => [...lineTerms(l)].filter((t) => weights.has(t)));
  const focusFrom = (source.focus?.startLine ?? source.startLine) - source.startLine;
  const focusTo = (source.focus?.endLine ?? source.startLine) - source.startLine;

  let best: { from: number; to: number; score: number } | undefined;
  for (let from = 0, to = -1, tokens = frame; from < lines.length; tokens -= lineCost[from], from++) {
    if (to < from - 1) (to = from - 1), (tokens = frame);
    while (to + 1 < lines.length && tokens + lineCost[to + 1] <= maxTokens) tokens += lineCost[++to];
    if (to < from) continue;
    const score = windowScore(terms, from, to, weights) + TIE_BREAK * overlap(from, to, focusFrom, focusTo) - TIE_BREAK * 1e-3 * from;
    if (!best || score > best.score) best = { from, to, score };
  }
  if (!best) return undefined;
  let { from, to } = best;
  // Blank edges carry nothing; the per-line estimate may be a token or two off the exact count.
  while (to > from && lines[to].trim() === '') to--;
  while (from < to && lines[from].trim() === '') from++;
  while (to > from && sourceTokens(cut(from, to)) > maxTokens) to--;
  return sourceTokens(cut(from, to)) <= maxTokens ? cut(from, to) : undefined;
}

/** Well below any term's weight: decides only between windows that cover the same terms. */
const TIE_BREAK = 1e-3;
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

const overlap = (from: number, to: number, focusFrom: number, focusTo: number) => Math.max(0, Math.min(to, focusTo) - Math.max(from, focusFrom) + 1);
