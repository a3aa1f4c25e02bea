// The hover/focus preview of a cited source: path, line range and the cited lines, all as text.
import type { SourceView } from '../protocol/messages';
import { h } from './dom';
import { lineRange } from './format';

/** Fills `panel` with the preview of `source`; cited text goes in through textContent only. */
export function fillPreview(panel: HTMLElement, source: SourceView, stale: boolean): void {
  const doc = panel.ownerDocument;
  const lines = source.text.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  const code = h(doc, 'div', { class: 'preview-code' });
  lines.forEach((text, i) => {
    code.append(h(doc, 'div', { class: 'preview-line' }, h(doc, 'span', { class: 'ln', 'aria-hidden': 'true' }, String(source.startLine + i)), h(doc, 'span', { class: 'lt' }, text)));
  });
  panel.replaceChildren(
    h(
      doc,
      'div',
      { class: 'preview-head' },
      h(doc, 'span', { class: 'preview-path' }, source.path),
      h(doc, 'span', { class: 'preview-lines' }, `${source.startLine === source.endLine ? 'line' : 'lines'} ${lineRange(source)}`),
      stale && h(doc, 'span', { class: 'badge stale-badge' }, 'changed since indexing'),
    ),
    code,
  );
}
