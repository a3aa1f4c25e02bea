// A retrieval-only answer as the user reads it: its weak match, then each source once, as a header that opens and
// previews it and a code block of its first lines in the source's language. All text goes in through textContent.
import type { SourceView } from '../protocol/messages';
import { button, h } from './dom';
import { lineRange, sourceLabel } from './format';

/** Lines of a source shown in its snippet; the rest is a click away. */
const SNIPPET_LINES = 8;
/** Characters of a snippet's line; a longer one is cut and ends with an ellipsis. */
const SNIPPET_LINE_CHARS = 160;

/** The snippet of `text`: its first lines, each cut to fit (ending with "…"), and how many lines were left out. */
export function snippetOf(text: string, maxLines = SNIPPET_LINES, maxChars = SNIPPET_LINE_CHARS): { lines: string[]; more: number } {
  const all = text.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  const lines = all.slice(0, maxLines).map((line) => (line.length > maxChars ? `${line.slice(0, maxChars - 1)}…` : line));
  return { lines, more: all.length - lines.length };
}

/** The button of a source (a Sources entry, a snippet's header): it opens the cited lines and previews them. */
export function sourceButton(doc: Document, source: SourceView): HTMLButtonElement {
  return h(
    doc,
    'button',
    { type: 'button', class: `source${source.stale ? ' stale' : ''}`, 'data-source': String(source.n), 'aria-label': sourceLabel(source, source.stale) },
    h(doc, 'span', { class: 'source-n' }, String(source.n)),
    sourcePath(doc, source),
    source.stale && h(doc, 'span', { class: 'badge stale-badge' }, 'changed since indexing'),
  );
}

/**
 * `folder/` then `file.ts:12–40`: the file name and its lines always shown in full, the folder part shortened (with
 * an ellipsis before the name) when the path is too long for the line. The preview shows the whole path.
 */
function sourcePath(doc: Document, source: SourceView): HTMLElement {
  const slash = source.path.lastIndexOf('/');
  return h(
    doc,
    'span',
    { class: 'source-path' },
    slash >= 0 && h(doc, 'span', { class: 'source-dir' }, source.path.slice(0, slash + 1)),
    h(doc, 'span', { class: 'source-file' }, `${source.path.slice(slash + 1)}:${lineRange(source)}`),
  );
}

/** A code block with the language and the Copy and Insert buttons, built as elements (the code is never parsed). */
export function codeBlock(doc: Document, language: string, code: string): HTMLElement {
  const copy = button(doc, 'Copy code', 'copy', 'Copy');
  const insert = button(doc, 'Insert code at the cursor', 'insert', 'Insert');
  insert.title = 'Insert at the cursor of the editor used last';
  return h(
    doc,
    'div',
    { class: 'code-block' },
    h(doc, 'div', { class: 'code-head' }, h(doc, 'span', { class: 'code-lang' }, language), h(doc, 'span', { class: 'code-actions' }, copy, insert)),
    h(doc, 'pre', {}, h(doc, 'code', {}, code)),
  );
}

/** The sources of a retrieval-only answer, each once, in the order retrieval ranked them. */
export function sourcesAnswer(doc: Document, sources: readonly SourceView[], weakMatch: readonly string[] | undefined): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (weakMatch?.length) {
    out.push(h(doc, 'p', { class: 'weak-match' }, `Weak match: no source mentions ${weakMatch.map((w) => `“${w}”`).join(', ')}.`));
  }
  for (const source of sources) {
    const { lines, more } = snippetOf(source.text);
    out.push(
      h(
        doc,
        'section',
        { class: 'snippet', 'data-snippet': String(source.n), 'aria-label': sourceLabel(source, source.stale) },
        sourceButton(doc, source),
        codeBlock(doc, source.language, lines.join('\n')),
        more > 0 && h(doc, 'p', { class: 'snippet-more' }, `${more} more line${more === 1 ? '' : 's'}: open the source to read ${more === 1 ? 'it' : 'them'}.`),
      ),
    );
  }
  return out;
}
