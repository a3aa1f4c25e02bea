// Markdown for answers, rendered inert. markdown-it runs with html:false, so every tag in model output is escaped;
// the rules below only ever emit fixed markup around text that markdown-it (or escapeHtml) has already escaped.
// - Citations `[1]`, `[1, 3]` become chip buttons by rewriting the token stream, never by editing HTML.
// - Links never navigate the webview: the link text is shown, followed by the URL as selectable text when its scheme
//   is http or https (nothing is sent to the host). Other schemes show the link text alone.
// - Images are never loaded (no remote content): their alt text is shown instead.
// - Tables keep their column alignment as classes, since the CSP blocks style attributes.
import MarkdownIt from 'markdown-it';

type Md = MarkdownIt.MarkdownIt;
type Token = MarkdownIt.Token;

/** What one render needs to know and what it found. */
interface RenderEnv extends MarkdownIt.Env {
  /** Source numbers that exist for this answer; other bracketed numbers stay text (`a[0]`). */
  sources: ReadonlySet<number>;
  /** Source numbers turned into chips, in order of first appearance. */
  cited: number[];
}

export interface RenderedAnswer {
  html: string;
  cited: number[];
}

const CITATION = /\[\s*(\d{1,4}(?:\s*,\s*\d{1,4})*)\s*\]/g;
const WEB_URL = /^https?:\/\//i;

function isWebUrl(href: string): boolean {
  return WEB_URL.test(href);
}

/** Splits citation markers out of text tokens (outside links; code spans and fences are separate token types). */
function citations(md: Md) {
  md.core.ruler.push('citations', (state) => {
    const env = state.env as RenderEnv;
    for (const block of state.tokens) {
      if (block.type !== 'inline' || !block.children) continue;
      const out: Token[] = [];
      let linkDepth = 0;
      for (const token of block.children) {
        if (token.type === 'link_open') linkDepth++;
        if (token.type === 'link_close') linkDepth--;
        if (token.type !== 'text' || linkDepth > 0) {
          out.push(token);
          continue;
        }
        let last = 0;
        for (const match of token.content.matchAll(CITATION)) {
          const numbers = match[1].split(',').map((s) => Number(s.trim()));
          if (!numbers.every((n) => env.sources.has(n))) continue;
          if (match.index > last) out.push(textToken(state, token.content.slice(last, match.index)));
          const chip = new state.Token('citation', '', 0);
          chip.meta = { numbers };
          out.push(chip);
          for (const n of numbers) if (!env.cited.includes(n)) env.cited.push(n);
          last = match.index + match[0].length;
        }
        if (last === 0) out.push(token);
        else if (last < token.content.length) out.push(textToken(state, token.content.slice(last)));
      }
      block.children = out;
    }
  });
  md.renderer.rules.citation = (tokens, idx) =>
    ((tokens[idx].meta?.numbers ?? []) as number[])
      .map((n) => `<button type="button" class="chip" data-source="${n}">${n}</button>`)
      .join('');
}

function textToken(state: { Token: new (type: string, tag: string, nesting: -1 | 0 | 1) => Token }, content: string): Token {
  const token = new state.Token('text', '', 0);
  token.content = content;
  return token;
}

/** Links as plain text: the label, then the URL when it is a web address the label does not already show. */
function linksAsText(md: Md) {
  const escape = md.utils.escapeHtml;
  md.renderer.rules.link_open = () => '<span class="md-link">';
  md.renderer.rules.link_close = (tokens, idx) => {
    let open = idx;
    while (open > 0 && tokens[open].type !== 'link_open') open--;
    const href = String(tokens[open].attrGet('href') ?? '');
    const label = tokens
      .slice(open + 1, idx)
      .map((t) => t.content)
      .join('');
    const showUrl = isWebUrl(href) && label.trim() !== href;
    return showUrl ? `</span> <span class="md-url">(${escape(href)})</span>` : '</span>';
  };
  md.renderer.rules.image = (tokens, idx, options, env, self) => {
    const alt = self.renderInlineAsText(tokens[idx].children ?? [], options, env);
    return `<span class="md-image">${escape(alt ? `Image: ${alt}` : 'Image')}</span>`;
  };
}

/** Column alignment as a class; markdown-it would write `style="text-align:…"`, which the CSP refuses. */
function alignmentClasses(md: Md) {
  md.core.ruler.push('align_classes', (state) => {
    for (const token of state.tokens) {
      const style = token.attrGet('style');
      if (style === null) continue;
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== 'style');
      const align = /text-align:\s*(left|center|right)/.exec(String(style))?.[1];
      if (align) token.attrJoin('class', `align-${align}`);
    }
  });
}

/** The buttons of a code block's header, handled by the view: Copy, and Insert at Cursor into the editor used last. */
const CODE_ACTIONS =
  '<span class="code-actions">' +
  '<button type="button" class="copy" aria-label="Copy code" title="Copy code">Copy</button>' +
  '<button type="button" class="insert" aria-label="Insert code at the cursor" title="Insert at the cursor of the editor used last">Insert</button>' +
  '</span>';

/** Fenced and indented code with a header: the language, Copy and Insert. Its text is never searched for citations. */
function codeBlocks(md: Md) {
  const escape = md.utils.escapeHtml;
  const block = (code: string, info: string) => {
    const lang = info.trim().split(/\s+/)[0] ?? '';
    return (
      '<div class="code-block"><div class="code-head">' +
      `<span class="code-lang">${escape(lang)}</span>${CODE_ACTIONS}</div>` +
      `<pre><code>${escape(code)}</code></pre></div>\n`
    );
  };
  md.renderer.rules.fence = (tokens, idx) => block(tokens[idx].content, tokens[idx].info);
  md.renderer.rules.code_block = (tokens, idx) => block(tokens[idx].content, '');
}

export class AnswerRenderer {
  private readonly md: Md;

  constructor() {
    // html:false escapes raw HTML; linkify off so bare URLs stay text; typographer off so code-like text is untouched.
    this.md = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: false });
    citations(this.md);
    linksAsText(this.md);
    alignmentClasses(this.md);
    codeBlocks(this.md);
  }

  render(markdown: string, sources: Iterable<number>): RenderedAnswer {
    const env: RenderEnv = { sources: new Set(sources), cited: [] };
    const html = this.md.render(markdown, env);
    return { html, cited: env.cited };
  }
}
