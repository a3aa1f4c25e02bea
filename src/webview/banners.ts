// The banners above the conversation: the workspace is not indexed yet, and the configured modes (keyword-only,
// retrieval-only), each explained once here rather than in every answer. A mode banner collapses to its title line
// (the host keeps that for every chat view and window; this view's saved state has it before the host says) and has
// the action that opens the setting turning the mode off.
import type { FromWebview, ModeBanner, ToWebview } from '../protocol/messages';
import { button, h } from './dom';

type State = Extract<ToWebview, { type: 'state' }>;
type Command = Extract<FromWebview, { type: 'command' }>;
type Outgoing = Command | Extract<FromWebview, { type: 'collapseBanners' }>;

const MODES: Record<ModeBanner, { title: string; detail: string; action: string; setting: NonNullable<Command['setting']> }> = {
  'keyword-only': {
    title: 'Keyword-only mode',
    detail: 'No embeddings endpoint is configured, so sources are found by full-text and graph search only.',
    action: 'Set Embeddings Endpoint',
    setting: 'workspaceRag.azure.endpoint',
  },
  'retrieval-only': {
    title: 'Retrieval-only mode',
    detail: 'No BitNet endpoint is configured, so answers list the most relevant sources instead of generated text.',
    action: 'Set BitNet Endpoint',
    setting: 'workspaceRag.bitnet.endpoint',
  },
};

export class Banners {
  readonly element: HTMLElement;
  private collapsed: Set<ModeBanner>;
  private state: State | undefined;

  constructor(
    private readonly doc: Document,
    private readonly send: (message: Outgoing) => void,
    collapsed: readonly ModeBanner[],
    /** The collapsed banners changed: save them. */
    private readonly changed: () => void,
  ) {
    this.element = h(doc, 'div', { class: 'banners', role: 'status' });
    this.collapsed = new Set(collapsed);
  }

  get collapsedModes(): ModeBanner[] {
    return [...this.collapsed];
  }

  /** The host's state: the modes, and the banners collapsed as the host keeps them. */
  render(state: State): void {
    this.state = state;
    if (state.collapsedBanners) this.collapsed = new Set(state.collapsedBanners);
    this.draw(state);
  }

  private draw(state: State): void {
    const doc = this.doc;
    const banners: HTMLElement[] = [];
    if (!state.indexed) {
      const index = button(doc, 'Index Workspace', 'text-button', 'Index Workspace');
      index.addEventListener('click', () => this.send({ type: 'command', command: 'indexWorkspace' }));
      banners.push(h(doc, 'div', { class: 'banner' }, h(doc, 'span', {}, 'This workspace is not indexed yet.'), index));
    }
    if (state.keywordOnly) banners.push(this.modeBanner('keyword-only'));
    if (state.retrievalOnly) banners.push(this.modeBanner('retrieval-only'));
    this.element.replaceChildren(...banners);
  }

  private modeBanner(mode: ModeBanner): HTMLElement {
    const doc = this.doc;
    const { title, detail, action, setting } = MODES[mode];
    const collapsed = this.collapsed.has(mode);
    const toggle = button(doc, `${collapsed ? 'Show' : 'Hide'} the details of ${title}`, 'icon-button banner-toggle', collapsed ? '▸' : '▾');
    toggle.setAttribute('aria-expanded', String(!collapsed));
    toggle.addEventListener('click', () => {
      if (this.collapsed.has(mode)) this.collapsed.delete(mode);
      else this.collapsed.add(mode);
      this.send({ type: 'collapseBanners', modes: this.collapsedModes });
      this.changed();
      if (this.state) this.draw(this.state);
      this.element.querySelector<HTMLElement>(`.banner[data-mode="${mode}"] .banner-toggle`)?.focus();
    });
    const configure = button(doc, action, 'text-button secondary', action);
    configure.addEventListener('click', () => this.send({ type: 'command', command: 'openSettings', setting }));
    const body = h(doc, 'div', { class: 'banner-body' }, h(doc, 'p', { class: 'banner-detail' }, detail), configure);
    body.hidden = collapsed;
    return h(doc, 'div', { class: `banner mode${collapsed ? ' collapsed' : ''}`, 'data-mode': mode }, h(doc, 'div', { class: 'banner-head' }, toggle, h(doc, 'strong', {}, title)), body);
  }
}
