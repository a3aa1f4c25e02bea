// Line windows sized by the token budget: the fallback chunker, and the splitter every other chunker uses for oversized ranges.
import type { Doc, Piece } from './doc';

export interface SplitOptions {
  /** Rows repeated at the start of the next window. */
  overlap?: number;
  /** Rows after which a cut is preferred (statement, paragraph or fence ends); the last one in the window wins. */
  breakAfter?: (row: number) => boolean;
  /** Header of the window starting at a row; it takes part of the budget. */
  header?: (start: number) => string | undefined;
}

/**
 * Splits rows start..end into windows that fit the budget, each trimmed of blank edge rows. A cut goes after the last
 * preferred row in the window, else before a blank row in the window's second half, else where the budget runs out.
 * A single row longer than the budget becomes a window of its own (lines are never cut, so citations stay exact).
 */
export function splitRange(doc: Doc, start: number, end: number, opts: SplitOptions = {}): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const overlap = opts.overlap ?? 0;
  let covered = start - 1; // last row already in a window
  let s = start;
  while (covered < end) {
    while (s <= end && doc.isBlank(s)) s++;
    if (s > end) break;
    covered = Math.max(covered, s - 1);
    // Each window must reach a non-blank row past the previous one; when the overlap leaves no room for it, drop the overlap.
    let minEnd = covered + 1;
    while (minEnd <= end && doc.isBlank(minEnd)) minEnd++;
    if (minEnd > end) break;
    const header = opts.header?.(s);
    const budget = doc.budget(header);
    let e = s;
    let used = doc.cost(s);
    while (e < end && used + doc.cost(e + 1) <= budget) used += doc.cost(++e);
    if (e < minEnd) {
      s = minEnd;
      continue;
    }
    if (e < end) e = chooseCut(doc, s, minEnd, e, opts.breakAfter);
    // The per-row estimate can be low where tokens merge across lines: shrink until the exact count fits.
    for (let over = doc.tokens(s, e, header) - doc.maxTokens; over > 0 && e > minEnd; over = doc.tokens(s, e, header) - doc.maxTokens) {
      for (let dropped = 0; dropped < over && e > minEnd; ) dropped += doc.cost(e--);
    }
    if (s < minEnd && e === minEnd && !doc.fits(s, e, header)) {
      s = minEnd;
      continue;
    }
    covered = e;
    while (e > s && doc.isBlank(e)) e--;
    out.push([s, e]);
    s = Math.max(covered + 1 - overlap, s + 1);
  }
  return out;
}

/** Where to end a window that could grow to `e`: after a preferred row, else before a blank row in the second half. */
function chooseCut(doc: Doc, s: number, minEnd: number, e: number, breakAfter?: (row: number) => boolean): number {
  if (breakAfter) {
    for (let r = e; r >= minEnd; r--) if (breakAfter(r)) return r;
  }
  const half = Math.max(minEnd, s + Math.floor((e - s) / 2));
  for (let r = e; r >= half; r--) if (doc.isBlank(r + 1)) return r;
  return e;
}

/** The fallback chunker: overlapping windows of kind 'window' that prefer to end before blank lines. */
export function windowPieces(doc: Doc, overlapLines: number): Piece[] {
  return splitRange(doc, 0, doc.lastRow, { overlap: overlapLines }).map(([start, end]) => ({ start, end, kind: 'window', defines: [] }));
}
