// The streamed citation parser: which numbered sources an answer cites, read from its deltas as they arrive.

const CITATION = /^\[\s*\d{1,4}(?:\s*,\s*\d{1,4})*\s*\]/;
/** What a citation can look like before its closing bracket has arrived. */
const CITATION_PREFIX = /^\[[\s\d,]{0,40}$/;
const isBlank = (ch: string) => ch === ' ' || ch === '\t';

/**
 * Where an inline code span opened by `run` backticks ending at `from` closes: the index after its closing run; -1
 * when the line (or the text) ends first, so the backtick is literal; undefined when the text so far cannot tell.
 */
function inlineSpanEnd(text: string, from: number, run: number): number | undefined {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\n') return -1;
    if (text[i] !== '`') continue;
    let j = i;
    while (j < text.length && text[j] === '`') j++;
    if (j === text.length) return undefined; // the run may grow
    if (j - i === run) return j;
    i = j - 1;
  }
  return undefined;
}

/**
 * Turns streamed answer text into clean text plus the sources it cites. Fed deltas in order; markers may be split
 * across deltas, so text that could still become one is held back until it is decided.
 *
 * - `[1]`, `[1, 3]`, `[1][2]` cite; numbers of sources that do not exist are removed (with the blank before a
 *   marker that is removed entirely) and counted in `droppedCitations`.
 * - Not citations: anything inside backtick code spans (closed on their line) or fenced blocks, markdown links `[1](url)`, non-numeric
 *   brackets `[x]`, and a bracket glued to an identifier, `)` or a non-citation `]` (`a[0]`, `f(x)[2]`) unless every
 *   number in it is a real source: then it is read as a citation (`config[2]`), otherwise left verbatim as indexing.
 */
export class CitationParser {
  /** Cited source numbers in order of first use. */
  readonly cited: number[] = [];
  droppedCitations = 0;
  private readonly valid: Set<number>;
  private pending = '';
  /** Length of the backtick run that opened the current code span; 0 in prose. */
  private codeRun = 0;
  private prev = '';
  private prevClosedCitation = false;

  /** The sources are numbered 1..count, or given as the sources themselves. */
  constructor(sources: number | ReadonlyArray<{ n: number }>) {
    this.valid = new Set(typeof sources === 'number' ? Array.from({ length: sources }, (_, i) => i + 1) : sources.map((s) => s.n));
  }

  /** Alias of droppedCitations. */
  get dropped(): number {
    return this.droppedCitations;
  }

  /** Feeds a delta; returns the text that is now decided. */
  push(delta: string): string {
    this.pending += delta;
    return this.drain(false);
  }

  /** The rest of the text at the end of the stream. */
  end(): string {
    return this.drain(true);
  }

  private drain(final: boolean): string {
    const b = this.pending;
    let out = '';
    const emit = (s: string, closesCitation = false) => {
      if (!s) return;
      out += s;
      this.prev = s[s.length - 1];
      this.prevClosedCitation = closesCitation;
    };
    let i = 0;
    while (i < b.length) {
      const ch = b[i];
      if (ch === '`') {
        let j = i;
        while (j < b.length && b[j] === '`') j++;
        if (j === b.length && !final) break; // the run may continue in the next delta
        const run = j - i;
        if (this.codeRun === 0 && run < 3) {
          // An inline code span closes on the same line; an unmatched backtick is just a character, so one stray
          // backtick cannot hide every citation after it.
          const close = inlineSpanEnd(b, j, run);
          if (close === undefined && !final) break; // undecided until the closing run or the end of the line arrives
          if (close !== undefined && close > 0) {
            emit(b.slice(i, close));
            i = close;
            continue;
          }
          emit(b.slice(i, j));
          i = j;
          continue;
        }
        if (this.codeRun === 0) this.codeRun = run;
        else if (run === this.codeRun) this.codeRun = 0;
        emit(b.slice(i, j));
        i = j;
        continue;
      }
      if (this.codeRun > 0 || (ch !== '[' && !isBlank(ch))) {
        emit(ch);
        i++;
        continue;
      }
      // Blanks, then possibly a citation: decided together, as a dropped marker takes the blank before it along.
      let k = i;
      while (k < b.length && isBlank(b[k])) k++;
      if (k === b.length) {
        if (final) emit(b.slice(i));
        i = final ? k : i;
        break;
      }
      if (b[k] !== '[') {
        emit(b.slice(i, k));
        i = k;
        continue;
      }
      const rest = b.slice(k);
      const m = CITATION.exec(rest);
      if (!m) {
        if (!final && CITATION_PREFIX.test(rest)) break;
        emit(b.slice(i, k + 1));
        i = k + 1;
        continue;
      }
      const after = k + m[0].length;
      if (after === b.length && !final) break; // a "(" next would make it a link
      if (b[after] === '(') {
        emit(b.slice(i, after));
        i = after;
        continue;
      }
      const nums = (m[0].match(/\d+/g) ?? []).map(Number);
      const keep = nums.filter((n) => this.valid.has(n));
      const glued = k === i && (/[\p{L}\p{N}_)]/u.test(this.prev) || (this.prev === ']' && !this.prevClosedCitation));
      if (glued && keep.length < nums.length) {
        emit(b.slice(i, after));
        i = after;
        continue;
      }
      for (const n of keep) if (!this.cited.includes(n)) this.cited.push(n);
      this.droppedCitations += nums.length - keep.length;
      if (keep.length === nums.length) emit(b.slice(i, after), true);
      else if (keep.length > 0) emit(`${b.slice(i, k)}[${keep.join(', ')}]`, true);
      i = after;
    }
    this.pending = b.slice(i);
    return out;
  }
}
