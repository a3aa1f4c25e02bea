// Small DOM builders. Text is only ever set through textContent; attributes through setAttribute.

type Child = Node | string | false | null | undefined;

export interface Props {
  class?: string;
  [attribute: string]: string | undefined;
}

/** Builds an element owned by `doc`, so the same code runs in the webview and under a test DOM. */
export function h<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = doc.createElement(tag);
  for (const [name, value] of Object.entries(props)) if (value !== undefined) el.setAttribute(name, value);
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    el.append(typeof child === 'string' ? doc.createTextNode(child) : child);
  }
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';

/** Icon outlines on a 16×16 grid, drawn in the current text colour. */
const ICONS = {
  send: 'M1.5 2.2 14.6 8 1.5 13.8 2.9 8.6H8.5V7.4H2.9Z',
  stop: 'M4 4H12V12H4Z',
  add: 'M7.4 2H8.6V7.4H14V8.6H8.6V14H7.4V8.6H2V7.4H7.4Z',
  close: 'M4.2 3.4 8 7.2 11.8 3.4 12.6 4.2 8.8 8 12.6 11.8 11.8 12.6 8 8.8 4.2 12.6 3.4 11.8 7.2 8 3.4 4.2Z',
  history: 'M8 1.5A6.5 6.5 0 1 1 1.6 9.1H2.8A5.3 5.3 0 1 0 4 4.6L5.6 6.2H1.5V2.1L3.1 3.7A6.5 6.5 0 0 1 8 1.5ZM7.4 4.5H8.6V7.7L11 9.1 10.4 10.2 7.4 8.4Z',
  trash: 'M6 1.5H10V2.8H13.5V4H12.6L11.9 14.5H4.1L3.4 4H2.5V2.8H6ZM4.6 4 5.2 13.3H10.8L11.4 4ZM6.4 5.5H7.6V11.8H6.4ZM8.4 5.5H9.6V11.8H8.4Z',
  down: 'M7.4 2H8.6V11.1L12.1 7.6 12.9 8.4 8 13.3 3.1 8.4 3.9 7.6 7.4 11.1Z',
} as const;

export type IconName = keyof typeof ICONS;

export function icon(doc: Document, name: IconName): SVGSVGElement {
  const svg = doc.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'icon');
  const path = doc.createElementNS(SVG, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}

/** A button with an accessible name; `label` is also its tooltip. */
export function button(doc: Document, label: string, className: string, content: Child): HTMLButtonElement {
  return h(doc, 'button', { type: 'button', class: className, 'aria-label': label, title: label }, content);
}
