// Markdown chunker: sections by heading hierarchy, oversized sections split at paragraph/fence boundaries, small
// neighbouring sections merged. Also extracts relative links.
import type { Doc, Piece } from './doc';
import type { RawLink } from './links';
import { splitRange } from './windows';

interface Heading {
  /** First row of the heading (a setext heading starts at its paragraph's first row). */
  row: number;
  level: number;
  text: string;
}

interface Outline {
  /** Rows of the front matter block, delimiters included; -1 when there is none. */
  frontMatterEnd: number;
  title?: string;
  headings: Heading[];
  /** Rows inside a fenced code block, delimiters included. */
  inFence: boolean[];
  fenceOpen: boolean[];
  fenceClose: boolean[];
  /** Rows of headings (a setext heading's text and underline). */
  isHeadingRow: boolean[];
}

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const FENCE_OPEN = /^\s*(`{3,}|~{3,})(.*)$/;
// Lines that cannot be the text of a setext heading: list items, quotes, tables, indented code.
const NOT_PARAGRAPH = /^(\s*([-*+]|\d+[.)])(\s|$)|\s*>|\s*\||( {4}|\t))/;

function frontMatter(lines: string[]): { end: number; title?: string } {
  const first = lines[0]?.replace(/^\uFEFF/, '').trimEnd();
  if (first !== '---' && first !== '+++') return { end: -1 };
  const closers = first === '---' ? ['---', '...'] : ['+++'];
  for (let r = 1; r < lines.length; r++) {
    if (!closers.includes(lines[r].trimEnd())) continue;
    let title: string | undefined;
    for (let i = 1; i < r && title === undefined; i++) {
      const m = /^title\s*[:=]\s*(.+?)\s*$/.exec(lines[i]);
      if (m) title = m[1].replace(/^(["'])(.*)\1$/, '$2').trim() || undefined;
    }
    return { end: r, title };
  }
  return { end: -1 };
}

function outline(lines: string[]): Outline {
  const n = lines.length;
  const fm = frontMatter(lines);
  const inFence = new Array<boolean>(n).fill(false);
  const fenceOpen = new Array<boolean>(n).fill(false);
  const fenceClose = new Array<boolean>(n).fill(false);
  const headings: Heading[] = [];
  const isHeadingRow = new Array<boolean>(n).fill(false);
  let fence: { char: string; length: number } | undefined;
  const isParagraphText = (r: number) =>
    r > fm.end && !inFence[r] && !isHeadingRow[r] && /\S/.test(lines[r]) && !NOT_PARAGRAPH.test(lines[r]);

  for (let r = fm.end + 1; r < n; r++) {
    const line = lines[r].replace(/\r$/, '');
    if (fence) {
      inFence[r] = true;
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(line);
      if (close && close[1][0] === fence.char && close[1].length >= fence.length) {
        fenceClose[r] = true;
        fence = undefined;
      }
      continue;
    }
    const open = FENCE_OPEN.exec(line);
    if (open && !(open[1][0] === '`' && open[2].includes('`'))) {
      fence = { char: open[1][0], length: open[1].length };
      inFence[r] = fenceOpen[r] = true;
      continue;
    }
    const atx = ATX.exec(line);
    if (atx) {
      const text = (atx[2] ?? '').replace(/(^|[ \t]+)#+$/, '').trim();
      headings.push({ row: r, level: atx[1].length, text });
      isHeadingRow[r] = true;
      continue;
    }
    const setext = SETEXT.exec(line);
    if (setext && r > 0 && isParagraphText(r - 1)) {
      let first = r - 1;
      while (first - 1 >= 0 && isParagraphText(first - 1)) first--;
      const text = lines.slice(first, r).map((l) => l.trim()).join(' ');
      headings.push({ row: first, level: setext[1][0] === '=' ? 1 : 2, text });
      for (let i = first; i <= r; i++) isHeadingRow[i] = true;
    }
  }
  return { frontMatterEnd: fm.end, title: fm.title, headings, inFence, fenceOpen, fenceClose, isHeadingRow };
}

interface Section {
  start: number;
  end: number;
  level: number;
  path: string[];
}

function sections(doc: Doc, o: Outline): Section[] {
  // The front matter title roots the path unless the document has its own level-1 heading.
  const root = o.title && !o.headings.some((h) => h.level === 1) ? [o.title] : [];
  const out: Section[] = [];
  const firstHeading = o.headings[0]?.row ?? doc.lines.length;
  if (firstHeading > 0) out.push({ start: 0, end: firstHeading - 1, level: 0, path: o.title ? [o.title] : [] });
  const stack: Heading[] = [];
  o.headings.forEach((h, i) => {
    while (stack.length && stack[stack.length - 1].level >= h.level) stack.pop();
    stack.push(h);
    const end = (o.headings[i + 1]?.row ?? doc.lines.length) - 1;
    out.push({ start: h.row, end, level: h.level, path: [...root, ...stack.map((s) => s.text)] });
  });
  return out;
}

const joinPath = (path: string[]) => (path.length ? path.join(' > ') : undefined);

interface SectionPiece extends Piece {
  whole: boolean;
  level: number;
  path: string[];
}

/**
 * Sections become chunks of kind 'section' with their heading path, which is embedded above the text and so counts in
 * the budget. A section over budget is split at paragraph and fence boundaries (by lines only inside a block that alone
 * is over budget). Whole small sections are merged with following sections at the same or a deeper level while the
 * result stays within a third of the budget (so citations stay precise); a merged chunk's `headingPath` is the paths' common prefix, or the first section's path when they share none.
 */
export function markdownPieces(doc: Doc): Piece[] {
  const o = outline(doc.lines);
  // Cut after a paragraph or a fence, never inside a fence nor between a heading and what follows it.
  const breakAfter = (r: number) =>
    !o.isHeadingRow[r] && (!o.inFence[r] || o.fenceClose[r]) && (r >= doc.lastRow || doc.isBlank(r + 1) || o.fenceOpen[r + 1]);
  const pieces: SectionPiece[] = [];
  for (const section of sections(doc, o)) {
    const range = doc.trim(section.start, section.end);
    if (!range) continue;
    const [start, end] = range;
    const headingPath = joinPath(section.path);
    const defines = section.level > 0 ? documentedNames(section.path[section.path.length - 1] ?? '') : [];
    const base = { kind: 'section', defines, level: section.level, path: section.path, ...(headingPath ? { headingPath } : {}) };
    if (doc.fits(start, end, headingPath)) {
      pieces.push({ ...base, start, end, whole: true });
      continue;
    }
    for (const [s, e] of splitRange(doc, start, end, { breakAfter, header: () => headingPath })) {
      pieces.push({ ...base, start: s, end: e, whole: false });
    }
  }
  return mergeSiblings(doc, pieces);
}

function mergeSiblings(doc: Doc, pieces: SectionPiece[]): Piece[] {
  const out: Piece[] = [];
  for (let i = 0; i < pieces.length; ) {
    const first = pieces[i];
    let j = i;
    let path = first.path;
    while (first.whole && j + 1 < pieces.length) {
      const next = pieces[j + 1];
      const common = commonPrefix(path, next.path);
      const merged = common.length ? common : first.path;
      if (!next.whole || next.level < first.level || !doc.fits(first.start, next.end, joinPath(merged), doc.cohesiveTokens)) break;
      path = merged;
      j++;
    }
    const { whole: _w, level: _l, path: _p, headingPath: _h, ...piece } = first;
    const headingPath = joinPath(path);
    const defines = [...new Set(pieces.slice(i, j + 1).flatMap((p) => p.defines))];
    out.push({ ...piece, defines, end: pieces[j].end, ...(headingPath ? { headingPath } : {}) });
    i = j + 1;
  }
  return out;
}

/**
 * The API member a reference heading documents, as a question names it: `#### findRoute`, `### .hijack()`,
 * `#### Symbol.asyncDispose` (and `asyncDispose`), `` ## `fastify.listen(options)` ``. So the symbol leg finds the
 * docs of a function, not only its code. Prose headings name nothing: a lone capitalised word ("Introduction",
 * "Objects") is not an identifier, and neither is anything with spaces outside a call's parentheses.
 */
function documentedNames(heading: string): string[] {
  const m = /^`?(\.)?([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(\(.*\))?`?$/.exec(heading.trim());
  if (!m) return [];
  const [, member, name, call] = m;
  const codeLike = member || call || heading.includes('`') || name.includes('.') || /^[a-z_$]/.test(name);
  if (!codeLike) return [];
  return name.includes('.') ? [name, name.slice(name.lastIndexOf('.') + 1)] : [name];
}

function commonPrefix(a: string[], b: string[]): string[] {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return a.slice(0, k);
}

const INLINE_LINK = /(!?)\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>\n]*>|[^\s()]+)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*(<[^>\n]*>|\S+)/;

/** Relative link targets (inline links and reference definitions); images, pure anchors and URLs with a scheme excluded. */
export function markdownLinks(doc: Doc): RawLink[] {
  const o = outline(doc.lines);
  const out: RawLink[] = [];
  const add = (dest: string) => {
    const spec = dest.startsWith('<') ? dest.slice(1, -1).trim() : dest;
    if (!spec || spec.startsWith('#') || spec.startsWith('//') || /^[a-z][a-z0-9+.-]*:/i.test(spec)) return;
    out.push({ spec, kind: 'link' });
  };
  doc.lines.forEach((raw, r) => {
    if (r <= o.frontMatterEnd || o.inFence[r]) return;
    const line = raw.replace(/(`+)[^`]*?\1/g, (m) => ' '.repeat(m.length));
    const def = REFERENCE_DEFINITION.exec(line);
    if (def) add(def[1]);
    for (const m of line.matchAll(INLINE_LINK)) if (!m[1]) add(m[2]);
  });
  return out;
}
