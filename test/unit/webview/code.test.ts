import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { snippetOf } from '../../../src/webview/snippets';
import { createHarness, done, source, type Harness } from './harness';

describe('chat webview: code in answers and snippets', function () {
  this.timeout(10_000);
  let h: Harness;
  afterEach(() => h?.dispose());

  const markdownSource = source(1, { path: 'README.md', language: 'markdown', text: '# Install\n\n**Run** `make` then see [2] and [1].\n<img src=x onerror=alert(1)>' });
  const codeSource = source(2, { path: 'src/ring.ts', language: 'typescript', text: 'export function second(ring: string[]) {\n  return ring[1];\n}' });

  async function retrievalOnly(weakMatch?: string[]) {
    h = await createHarness();
    h.ask('How does the ring work?');
    h.host({ type: 'sources', id: 'turn-1', sources: [codeSource, markdownSource] });
    h.host({ type: 'delta', id: 'turn-1', text: 'Retrieval-only mode: …\n\n- [2] `src/ring.ts:20-22`\n  > line 21: return ring[1];\n- [1] `README.md:10-12` — Install' });
    h.host(done('turn-1', { mode: 'retrieval-only', cited: [2, 1], usage: undefined, weakMatch }));
  }

  it('shows a retrieval-only answer as its sources, each a code block in its language, never as markdown', async () => {
    await retrievalOnly(['quartz']);
    const answer = h.$('.answer');
    const snippets = h.$$('.answer .snippet');
    assert.deepEqual(snippets.map((s) => s.querySelector('.source-path')?.textContent), ['src/ring.ts:20–22', 'README.md:10–12'], 'in the order retrieval ranked them');
    assert.deepEqual(snippets.map((s) => s.querySelector('.code-lang')?.textContent), ['typescript', 'markdown']);
    assert.equal(snippets[1].querySelector('code')?.textContent, markdownSource.text, 'the markdown file is shown as its text');
    assert.equal(answer.querySelector('h1, strong, img'), null);
    assert.equal(answer.querySelectorAll('button.chip').length, 0, '[1] and [2] inside the snippets stay text');
    assert.match(snippets[0].querySelector('code')?.textContent ?? '', /return ring\[1\];/);
    assert.equal(h.$('.weak-match').textContent, 'Weak match: no source mentions “quartz”.');
    // Each source once: the snippets are the list.
    assert.equal(h.$$('.turn-sources .source').length, 0);
    // The header opens the source like a Sources entry.
    snippets[0].querySelector<HTMLElement>('button.source')!.click();
    assert.deepEqual(h.posted.at(-1), { type: 'openSource', path: 'src/ring.ts', startLine: 20, endLine: 22 });
  });

  it('keeps a retrieval-only answer as snippets across a reload', async () => {
    await retrievalOnly();
    const state = h.saved();
    h.dispose();
    h = await createHarness(state);
    assert.equal(h.$$('.answer .snippet').length, 2);
    assert.equal(h.$$('.answer button.chip').length, 0);
  });

  it('never makes a chip of [n] inside inline or fenced code of a generated answer', async () => {
    h = await createHarness();
    h.ask('q');
    h.host({ type: 'sources', id: 'turn-1', sources: [source(1), source(2)] });
    h.host({ type: 'delta', id: 'turn-1', text: 'Use `ring[1]` as in [2]:\n\n```ts\nconst x = ring[1]; // [2]\n```\n\n    indented[1]\n' });
    h.host(done('turn-1', { cited: [2] }));
    const chips = h.$$('.answer button.chip');
    assert.deepEqual(chips.map((c) => c.textContent), ['2']);
    for (const code of h.$$('.answer code')) assert.equal(code.querySelector('button'), null, code.textContent ?? '');
    assert.equal(h.$$('.answer pre code')[0].textContent, 'const x = ring[1]; // [2]\n');
  });

  it('gives every code block Copy and Insert at Cursor; a snippet copies and inserts its whole source text', async () => {
    h = await createHarness();
    h.ask('q');
    h.host({ type: 'delta', id: 'turn-1', text: '```sh\nnpm test\n```\n' });
    h.host(done('turn-1'));
    const block = h.$('.answer .code-block');
    assert.equal(block.querySelector('.copy')?.getAttribute('aria-label'), 'Copy code');
    assert.equal(block.querySelector('.insert')?.getAttribute('aria-label'), 'Insert code at the cursor');
    block.querySelector<HTMLElement>('.insert')!.click();
    assert.deepEqual(h.posted.at(-1), { type: 'insertCode', code: 'npm test\n' });

    h.dispose();
    const long = source(1, { language: 'typescript', text: Array.from({ length: 30 }, (_, i) => `line ${i} ${'x'.repeat(i === 0 ? 300 : 1)}`).join('\n') });
    h = await createHarness();
    h.ask('q');
    h.host({ type: 'sources', id: 'turn-1', sources: [long] });
    h.host(done('turn-1', { mode: 'retrieval-only', cited: [1] }));
    h.$('.snippet .insert').click();
    assert.deepEqual(h.posted.at(-1), { type: 'insertCode', code: long.text });
    h.$('.snippet .copy').click();
    await Promise.resolve();
    assert.deepEqual(h.copied, [long.text]);
  });

  it('shows a snippet\'s first lines; a line cut mid-way ends with an ellipsis and the lines left out are counted', async () => {
    const text = ['short', 'y'.repeat(500), ...Array.from({ length: 20 }, (_, i) => `l${i}`)].join('\n');
    const { lines, more } = snippetOf(text);
    assert.equal(lines.length, 8);
    assert.equal(more, 14);
    assert.equal(lines[0], 'short');
    assert.equal(lines[1].length, 160);
    assert.ok(lines[1].endsWith('…'));
    assert.deepEqual(snippetOf('a\r\nb\n'), { lines: ['a', 'b'], more: 0 });

    h = await createHarness();
    h.ask('q');
    h.host({ type: 'sources', id: 'turn-1', sources: [source(1, { text })] });
    h.host(done('turn-1', { mode: 'retrieval-only', cited: [1] }));
    assert.equal(h.$('.snippet-more').textContent, '14 more lines: open the source to read them.');
    assert.ok(h.$('.snippet code').textContent?.split('\n')[1].endsWith('…'));
  });
});
