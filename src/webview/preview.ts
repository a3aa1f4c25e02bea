// The hover/focus preview of a cited source: path, line range and the cited lines, all as text.
import type { SourceView } from '../protocol/messages';
import { h } from './dom';
import { lineRange } from './format';

/** Grace period for moving the pointer from a chip onto its preview. */
const HIDE_DELAY_MS = 200;

/** Fills `panel` with the preview of `source`; cited text goes in through textContent only. */
function fillPreview(panel: HTMLElement, source: SourceView, stale: boolean): void {
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

/**
 * The preview panel of the chips and Sources entries in `transcript`: shown while the pointer or the focus is on one
 * (or on the panel itself), hidden a moment after the pointer leaves both.
 */
export class SourcePreview {
  readonly panel: HTMLElement;
  private anchor: HTMLElement | undefined;
  private hideTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly transcript: HTMLElement,
    /** The source an element with `data-source` stands for, if it still exists. */
    private readonly sourceOf: (el: HTMLElement) => SourceView | undefined,
  ) {
    this.panel = h(transcript.ownerDocument, 'div', { class: 'preview', id: 'source-preview', role: 'tooltip' });
    this.panel.hidden = true;
    transcript.addEventListener('mouseover', (e) => this.onPointerOver(e));
    transcript.addEventListener('mouseout', (e) => this.onPointerOut(e));
    transcript.addEventListener('focusin', (e) => this.onPointerOver(e));
    transcript.addEventListener('focusout', () => this.hide());
    this.panel.addEventListener('mouseenter', () => this.cancelHide());
    this.panel.addEventListener('mouseleave', () => this.scheduleHide());
  }

  get shown(): boolean {
    return !this.panel.hidden;
  }

  /** Hides the preview when the element it belongs to has left the page (its answer re-rendered). */
  hideIfDetached(): void {
    if (this.anchor && !this.anchor.isConnected) this.hide();
  }

  hide(): void {
    this.cancelHide();
    this.clearAnchor();
    this.panel.hidden = true;
    this.panel.replaceChildren();
  }

  dispose(): void {
    this.cancelHide();
  }

  private onPointerOver(e: Event): void {
    const el = (e.target as Element | null)?.closest<HTMLElement>('[data-source]');
    if (!el || !this.transcript.contains(el)) return;
    const source = this.sourceOf(el);
    if (!source) return;
    this.cancelHide();
    if (this.anchor === el && !this.panel.hidden) return;
    this.clearAnchor();
    this.anchor = el;
    el.classList.add('preview-anchor');
    el.setAttribute('aria-describedby', this.panel.id);
    fillPreview(this.panel, source, source.stale);
    this.panel.hidden = false;
  }

  private onPointerOut(e: MouseEvent): void {
    const to = e.relatedTarget as Node | null;
    if (!this.anchor || (to && (this.anchor.contains(to) || this.panel.contains(to)))) return;
    this.scheduleHide();
  }

  private scheduleHide(): void {
    this.cancelHide();
    this.hideTimer = setTimeout(() => this.hide(), HIDE_DELAY_MS);
  }

  private cancelHide(): void {
    if (this.hideTimer !== undefined) clearTimeout(this.hideTimer);
    this.hideTimer = undefined;
  }

  private clearAnchor(): void {
    this.anchor?.classList.remove('preview-anchor');
    this.anchor?.removeAttribute('aria-describedby');
    this.anchor = undefined;
  }
}
