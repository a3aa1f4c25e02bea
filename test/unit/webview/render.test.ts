import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { AnswerRenderer } from '../../../src/webview/markdown';
import { createHarness, done, hover, source, type Harness } from './harness';

describe('answer markdown', () => {
  const renderer = new AnswerRenderer();

  it('makes chips only from bracketed numbers of real sources, outside code and links', () => {
    const { html, cited } = renderer.render('A [2], B [1,3], `x[1]`, [1](https://e.x), a[0], [4], [x]\n\n```\ny[2]\n```', [1, 2, 3]);
    assert.deepEqual(cited, [2, 1, 3]);
    assert.equal(html.match(/class="chip"/g)?.length, 3);
    assert.match(html, /<code>x\[1\]<\/code>/);
    assert.match(html, /a\[0\], \[4\], \[x\]/);
    assert.match(html, /y\[2\]/);
  });

  it('shows links as text with the web address, and images as their alt text', () => {
    const { html } = renderer.render('[docs](https://example.com/a?b=1&c=2) <https://example.com> [mail](mailto:a@b.c) ![diagram *one*](https://example.com/d.png)', []);
    assert.ok(!html.includes('<a'), html);
    assert.ok(!html.includes('<img'), html);
    assert.match(html, /<span class="md-link">docs<\/span> <span class="md-url">\(https:\/\/example\.com\/a\?b=1&amp;c=2\)<\/span>/);
    // An autolink shows its address once; a mailto link only its text.
    assert.match(html, /<span class="md-link">https:\/\/example\.com<\/span> /);
    assert.match(html, /<span class="md-link">mail<\/span> /);
    assert.ok(!html.includes('mailto:'));
    assert.match(html, /<span class="md-image">Image: diagram one<\/span>/);
  });

  it('keeps table alignment as classes, never style attributes', () => {
    const { html } = renderer.render('| a | b |\n|:--|--:|\n| 1 | 2 |', []);
    assert.ok(!html.includes('style='), html);
    assert.match(html, /<th class="align-left">a<\/th>/);
    assert.match(html, /<td class="align-right">2<\/td>/);
  });

  it('wraps code blocks with their language and a Copy button, escaped', () => {
    const { html } = renderer.render('```ts"><script>\nconst a = "<b>";\n```', []);
    assert.match(html, /<span class="code-lang">ts&quot;&gt;&lt;script&gt;<\/span>/);
    assert.match(html, /<button type="button" class="copy" aria-label="Copy code"/);
    assert.match(html, /const a = &quot;&lt;b&gt;&quot;;/);
  });
});

describe('hostile content', function () {
  // The first harness of a run loads happy-dom, seconds on a busy machine.
  this.timeout(10_000);
  let h: Harness;
  afterEach(() => h?.dispose());

  const hostile = [
    '<script>alert(1)</script>',
    '<img src=x onerror="alert(1)">',
    '<svg onload="alert(1)"><circle r="5"/></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '<a href="javascript:alert(1)">html link</a> [fine](https://example.com/ok)',
    '[md link](javascript:alert(1)) [mixed](JaVaScRiPt:alert(1)) [entity](&#106;avascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)',
    '<javascript:alert(1)> <vbscript:msgbox(1)>',
    '![x](javascript:alert(1)) ![y](https://evil.example/p.png "t")',
    '[ref][r]\n\n[r]: javascript:alert(1)',
    '<div style="position:fixed" onclick="alert(1)">styled</div>',
    '```html\n<script>alert(1)</script>\n```',
    '`<img src=x onerror=alert(1)>`',
    'x'.repeat(20_000),
  ].join('\n\n');

  it('renders answers, cited text, questions and errors without any active element or attribute', async () => {
    h = await createHarness();
    h.ask('<img src=x onerror=alert(1)> what?');
    h.host({ type: 'sources', id: 'turn-1', sources: [source(1, { path: 'src/<svg onload=alert(1)>.ts', text: `${hostile}\n${'y'.repeat(50_000)}` })] });
    h.host({ type: 'delta', id: 'turn-1', text: `${hostile}\n\nCited [1].` });
    h.host(done('turn-1', { cited: [1] }));
    h.ask('<script>alert(2)</script>');
    h.host({ type: 'error', id: 'turn-2', kind: 'other', message: '<img src=x onerror=alert(3)>', action: { label: '<b>Set</b>', command: 'setCredentials' } });
    h.host({ type: 'error', kind: 'other', message: '<iframe src=javascript:alert(4)>' });
    hover(h, h.$('.answer button.chip'));
    assert.equal(h.$('.preview').hidden, false);

    const all = [h.root, ...h.$$('*')];
    assert.deepEqual(h.$$('script, img, iframe, object, embed, a, link, style, form, input, video, audio, foreignObject'), []);
    // The only SVGs are the chat's own icons (the composer's buttons, Jump to latest, the history's buttons).
    for (const svg of h.$$('svg')) assert.ok(svg.closest('.composer, .jump-latest, .history') && svg.getAttribute('class') === 'icon');
    for (const el of all) {
      for (const attr of Array.from(el.attributes)) {
        assert.ok(!/^on/i.test(attr.name), `${el.tagName} has ${attr.name}`);
        assert.ok(!['href', 'src', 'style', 'srcdoc', 'action', 'formaction'].includes(attr.name.toLowerCase()), `${el.tagName} has ${attr.name}`);
        assert.ok(!/javascript:|vbscript:|data:/i.test(attr.value), `${el.tagName} ${attr.name}="${attr.value}"`);
      }
    }
    // The hostile text is still shown, as text.
    assert.match(h.$('.answer').textContent ?? '', /<script>alert\(1\)<\/script>/);
    assert.match(h.$('.preview').textContent ?? '', /<img src=x onerror="alert\(1\)">/);
    assert.equal(h.$('.preview .preview-path').textContent, 'src/<svg onload=alert(1)>.ts');
    assert.equal(h.$$('.question')[1].textContent, '<script>alert(2)</script>');
  });
});
