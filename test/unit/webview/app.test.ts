import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { MAX_HISTORY_CONTENT, MAX_QUESTION } from '../../../src/protocol/limits';
import { createHarness, done, hover, source, type Harness } from './harness';

describe('chat webview', function () {
  // The first harness of a run loads happy-dom, seconds on a busy machine.
  this.timeout(10_000);
  let h: Harness;
  afterEach(() => h?.dispose());

  const answerOf = (id: string) => h.$(`article[data-turn="${id}"] .answer`);
  const visible = (el: HTMLElement) => !el.hidden;

  it('says ready once it listens', async () => {
    h = await createHarness();
    assert.deepEqual(h.posted, [{ type: 'ready' }]);
  });

  describe('asking and streaming', () => {
    it('streams deltas into the answer and shows Stop until done, then a footer with timings and tokens', async () => {
      h = await createHarness();
      const ask = h.ask('How is the store built?');
      assert.deepEqual(ask, { type: 'ask', id: 'turn-1', question: 'How is the store built?', history: [] });
      assert.equal(h.input.value, '');
      assert.equal(h.$('.question').textContent, 'How is the store built?');
      assert.ok(visible(h.$('button.stop')) && !visible(h.$('button.send')));

      h.host({ type: 'sources', id: 'turn-1', sources: [source(1)] });
      h.host({ type: 'delta', id: 'turn-1', text: 'The store is ' });
      assert.equal(answerOf('turn-1').textContent?.trim(), 'The store is');
      h.host({ type: 'delta', id: 'turn-1', text: '**built** by `Store.open` [1].' });
      assert.equal(answerOf('turn-1').querySelector('strong')?.textContent, 'built');
      assert.equal(answerOf('turn-1').querySelector('code')?.textContent, 'Store.open');
      assert.equal(answerOf('turn-1').querySelectorAll('button.chip').length, 1);
      assert.equal(h.$('.turn-footer').hidden, true);

      h.host(done('turn-1', { cited: [1] }));
      const footer = h.$('.turn-footer');
      assert.ok(visible(footer));
      assert.equal(footer.textContent, 'Retrieval 120 ms · First token 850 ms · Total 2.5 s · 1,850 prompt + 212 answer tokens');
      assert.ok(visible(h.$('button.send')) && !visible(h.$('button.stop')));
    });

    it('labels retrieval-only answers and dropped citations in the footer', async () => {
      h = await createHarness();
      h.ask('q');
      h.host(done('turn-1', { mode: 'retrieval-only', droppedCitations: 2, usage: undefined, timings: { retrievalMs: 40.4, totalMs: 41 } }));
      assert.equal(h.$('.turn-footer').textContent, 'Retrieval only · Retrieval 40 ms · Total 41 ms · 2 citations to unknown sources removed');
    });

    it('sends Enter, keeps Shift+Enter for a new line, and ignores Enter on an empty box', async () => {
      h = await createHarness();
      h.input.value = 'first line';
      const shifted = h.key(h.input, 'Enter', { shiftKey: true });
      assert.equal(shifted.defaultPrevented, false);
      assert.equal(h.posted.filter((m) => m.type === 'ask').length, 0);

      h.input.value = '   ';
      h.key(h.input, 'Enter');
      assert.equal(h.posted.filter((m) => m.type === 'ask').length, 0);

      h.input.value = 'first line\nsecond line';
      const sent = h.key(h.input, 'Enter');
      assert.equal(sent.defaultPrevented, true);
      assert.deepEqual(
        h.posted.filter((m) => m.type === 'ask').map((m) => m.type === 'ask' && m.question),
        ['first line\nsecond line'],
      );

    });

    it('sends the earlier turns as history with a follow-up question', async () => {
      h = await createHarness();
      h.ask('What is a chunk?');
      h.host({ type: 'delta', id: 'turn-1', text: 'A slice of a file.' });
      h.host(done('turn-1'));
      const follow = h.ask('How big is one?');
      assert.deepEqual(follow.history, [
        { role: 'user', content: 'What is a chunk?' },
        { role: 'assistant', content: 'A slice of a file.' },
      ]);
    });

    it("cuts the question and the history to the protocol's limits instead of failing to send", async () => {
      h = await createHarness();
      assert.equal(h.input.getAttribute('maxlength'), String(MAX_QUESTION));
      const first = h.ask('q'.repeat(MAX_HISTORY_CONTENT + 10));
      assert.equal(first.question.length, MAX_QUESTION);
      h.host({ type: 'delta', id: 'turn-1', text: 'a'.repeat(MAX_HISTORY_CONTENT + 10) });
      h.host(done('turn-1'));
      const follow = h.ask('and?');
      assert.deepEqual(follow.history.map((m) => m.content.length), [MAX_HISTORY_CONTENT, MAX_HISTORY_CONTENT]);
    });

    it('Stop sends stop, keeps the partial answer and drops what arrives afterwards', async () => {
      h = await createHarness();
      h.ask('q');
      h.host({ type: 'delta', id: 'turn-1', text: 'partial' });
      h.$('button.stop').click();
      assert.deepEqual(h.posted.filter((m) => m.type === 'stop'), [{ type: 'stop', id: 'turn-1' }]);
      h.host({ type: 'delta', id: 'turn-1', text: ' late' });
      assert.equal(answerOf('turn-1').textContent?.trim(), 'partial');
      assert.equal(h.$('.turn-footer').textContent, 'Stopped');
      assert.ok(visible(h.$('button.send')));
    });

    it('New Chat stops the answer in flight and clears the conversation and the saved state', async () => {
      h = await createHarness();
      h.ask('q');
      h.host({ type: 'delta', id: 'turn-1', text: 'partial' });
      h.$('button.new-chat').click();
      assert.deepEqual(h.posted.filter((m) => m.type === 'stop'), [{ type: 'stop', id: 'turn-1' }]);
      assert.equal(h.$$('article.turn').length, 0);
      assert.deepEqual(h.saved()?.turns, []);
      h.host({ type: 'delta', id: 'turn-1', text: 'late' });
      assert.equal(h.$$('article.turn').length, 0);
      assert.equal(h.doc.activeElement, h.input);
    });

    it('fills the box on prefill without sending', async () => {
      h = await createHarness();
      h.host({ type: 'prefill', question: 'Explain `retrieve()`' });
      assert.equal(h.input.value, 'Explain `retrieve()`');
      assert.equal(h.posted.filter((m) => m.type === 'ask').length, 0);
    });

    it('copies a code block with its Copy button', async () => {
      h = await createHarness();
      h.ask('q');
      h.host({ type: 'delta', id: 'turn-1', text: 'Run:\n\n```sh\nnpm test\n```\n' });
      const copy = h.$('.code-block button.copy');
      copy.click();
      await Promise.resolve();
      assert.deepEqual(h.copied, ['npm test\n']);
      assert.equal(copy.getAttribute('aria-label'), 'Copied');
    });
  });

  describe('citations', () => {
    async function answered(text: string, sources = [source(1), source(2), source(3)], cited = [1, 3], stale: number[] = []) {
      h = await createHarness();
      h.ask('q');
      h.host({ type: 'sources', id: 'turn-1', sources });
      h.host({ type: 'delta', id: 'turn-1', text });
      h.host(done('turn-1', { cited, stale }));
    }

    it('turns [n] and [1, 3] into chips labelled with the source', async () => {
      await answered('First [1]. Both [1, 3]. Not a citation: a[0] and [7].');
      const chips = h.$$('.answer button.chip');
      assert.deepEqual(
        chips.map((c) => c.getAttribute('aria-label')),
        ['Source 1: src/file1.ts lines 10–12', 'Source 1: src/file1.ts lines 10–12', 'Source 3: src/file3.ts lines 30–32'],
      );
      assert.deepEqual(
        chips.map((c) => c.textContent),
        ['1', '1', '3'],
      );
      assert.match(h.$('.answer').textContent ?? '', /a\[0\] and \[7\]\./);
    });

    it('a chip click opens the source', async () => {
      await answered('See [3].');
      h.$('.answer button.chip').click();
      assert.deepEqual(h.posted.at(-1), { type: 'openSource', path: 'src/file3.ts', startLine: 30, endLine: 32 });
    });

    it('hovering or focusing a chip previews the path, the range and the numbered lines', async () => {
      await answered('See [2].', [source(1), source(2, { text: 'first <b>line</b>\n\tsecond' + ' x'.repeat(2000) + '\nthird' })], [2]);
      const chip = h.$('.answer button.chip');
      const preview = h.$('.preview');
      assert.equal(preview.hidden, true);

      hover(h, chip);
      assert.equal(preview.hidden, false);
      assert.equal(chip.getAttribute('aria-describedby'), preview.id);
      assert.equal(preview.querySelector('.preview-path')?.textContent, 'src/file2.ts');
      assert.equal(preview.querySelector('.preview-lines')?.textContent, 'lines 20–22');
      const lines = Array.from(preview.querySelectorAll('.preview-line'));
      assert.deepEqual(
        lines.map((l) => l.querySelector('.ln')?.textContent),
        ['20', '21', '22'],
      );
      assert.equal(lines[0].querySelector('.lt')?.textContent, 'first <b>line</b>');
      assert.equal(preview.querySelector('b'), null);

      h.key(chip, 'Escape');
      assert.equal(preview.hidden, true);

      chip.focus();
      assert.equal(preview.hidden, false);
      chip.blur();
      assert.equal(preview.hidden, true);
    });

    it('ends the answer with a Sources list in source order that opens and previews the same way', async () => {
      await answered('Cites [3] then [1].', undefined, [3, 1]);
      const entries = h.$$('.turn-sources button.source');
      assert.deepEqual(
        entries.map((e) => e.querySelector('.source-path')?.textContent),
        ['src/file1.ts:10–12', 'src/file3.ts:30–32'],
      );
      assert.equal(h.$('.source-title').textContent, 'Sources');
      entries[1].click();
      assert.deepEqual(h.posted.at(-1), { type: 'openSource', path: 'src/file3.ts', startLine: 30, endLine: 32 });
      hover(h, entries[0]);
      assert.equal(h.$('.preview .preview-path').textContent, 'src/file1.ts');
    });

    it('lists what it was given when an answer cites nothing', async () => {
      await answered('No markers here.', [source(1), source(2)], []);
      assert.equal(h.$('.source-title').textContent, 'Retrieved sources (none cited)');
      assert.equal(h.$$('.turn-sources button.source').length, 2);
    });

    it('marks stale citations, from the sources or from done, and they still open', async () => {
      await answered('A [1] and B [2].', [source(1, { stale: true }), source(2)], [1, 2], [2]);
      for (const chip of h.$$('.answer button.chip')) {
        assert.ok(chip.classList.contains('stale'));
        assert.match(chip.getAttribute('aria-label') ?? '', /, changed since indexing$/);
      }
      assert.deepEqual(
        h.$$('.turn-sources button.source').map((e) => e.querySelector('.stale-badge')?.textContent),
        ['changed since indexing', 'changed since indexing'],
      );
      hover(h, h.$('.answer button.chip'));
      assert.equal(h.$('.preview .stale-badge').textContent, 'changed since indexing');
      h.$$('.turn-sources button.source')[1].click();
      assert.deepEqual(h.posted.at(-1), { type: 'openSource', path: 'src/file2.ts', startLine: 20, endLine: 22 });
    });
  });

  describe('errors', () => {
    it('shows the error in line with Retry (same question, same history) and the action button', async () => {
      h = await createHarness();
      h.ask('one');
      h.host({ type: 'delta', id: 'turn-1', text: 'answer one' });
      h.host(done('turn-1'));
      const asked = h.ask('two');
      h.host({ type: 'error', id: 'turn-2', kind: 'missing-key', message: 'No Azure OpenAI key is set.', action: { label: 'Set Credentials', command: 'setCredentials' } });

      const box = h.$('article[data-turn="turn-2"] .error-box');
      assert.equal(box.getAttribute('role'), 'alert');
      assert.equal(box.querySelector('.error-message')?.textContent, 'No Azure OpenAI key is set.');
      const [retry, action] = Array.from(box.querySelectorAll('button'));
      assert.equal(retry.getAttribute('aria-label'), 'Retry');
      assert.equal(action.getAttribute('aria-label'), 'Set Credentials');
      assert.ok(visible(h.$('button.send')));

      action.click();
      assert.deepEqual(h.posted.at(-1), { type: 'command', command: 'setCredentials' });

      retry.click();
      const again = h.posted.at(-1);
      assert.ok(again?.type === 'ask');
      assert.notEqual(again.id, asked.id);
      assert.equal(again.question, 'two');
      assert.deepEqual(again.history, asked.history);
      assert.deepEqual(again.history, [
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'answer one' },
      ]);
      assert.equal(h.$$('.error-box').length, 0);
      h.host({ type: 'delta', id: again.id, text: 'answer two' });
      assert.equal(answerOf(again.id).textContent?.trim(), 'answer two');
    });

    it('shows an error without a question as a notice with its action and Dismiss', async () => {
      h = await createHarness();
      h.host({ type: 'error', kind: 'config', message: 'workspaceRag.neo4j.uri is not a URI', action: { label: 'Open Settings', command: 'openSettings' } });
      const notice = h.$('.notice');
      assert.equal(notice.querySelector('.error-message')?.textContent, 'workspaceRag.neo4j.uri is not a URI');
      const [open, dismiss] = Array.from(notice.querySelectorAll('button'));
      open.click();
      assert.deepEqual(h.posted.at(-1), { type: 'command', command: 'openSettings' });
      dismiss.click();
      assert.equal(h.$$('.notice').length, 0);
    });

    it('attributes an error without an id to the answer in flight', async () => {
      h = await createHarness();
      h.ask('q');
      h.host({ type: 'error', kind: 'neo4j', message: 'Neo4j is unreachable at bolt://localhost:7687' });
      assert.equal(h.$('article[data-turn="turn-1"] .error-message').textContent, 'Neo4j is unreachable at bolt://localhost:7687');
    });
  });

  it('gives every control an accessible name; the transcript is a log whose answers are announced when complete', async () => {
    h = await createHarness();
    h.host({ type: 'state', keywordOnly: false, retrievalOnly: false, indexed: false });
    h.ask('q');
    h.host({ type: 'sources', id: 'turn-1', sources: [source(1)] });
    h.host({ type: 'delta', id: 'turn-1', text: 'A [1].\n\n```js\nx()\n```' });
    h.host(done('turn-1', { cited: [1] }));
    h.ask('again');
    h.host({ type: 'error', id: 'turn-2', kind: 'auth', message: '401', action: { label: 'Set Credentials', command: 'setCredentials' } });
    h.host({ type: 'error', kind: 'other', message: 'stray' });
    const controls = h.$$('button, textarea');
    assert.ok(controls.length >= 10);
    for (const control of controls) assert.ok(control.getAttribute('aria-label')?.trim(), control.outerHTML);
    // A log that does not read every streamed word: answers are announced once, complete, by the status region.
    const transcript = h.$('.transcript');
    assert.equal(transcript.getAttribute('role'), 'log');
    assert.equal(transcript.getAttribute('aria-live'), 'off');
    assert.equal(h.$('.sr-only').getAttribute('aria-live'), 'polite');
  });

  it('states keyword-only and retrieval-only mode, and offers indexing when nothing is indexed', async () => {
    h = await createHarness();
    h.host({ type: 'state', keywordOnly: true, retrievalOnly: true, indexed: false });
    const text = h.$('.banners').textContent ?? '';
    assert.match(text, /Keyword-only mode/);
    assert.match(text, /Retrieval-only mode/);
    assert.match(text, /not indexed/);
    h.$('.banners button').click();
    assert.deepEqual(h.posted.at(-1), { type: 'command', command: 'indexWorkspace' });
    h.host({ type: 'state', keywordOnly: false, retrievalOnly: false, indexed: true });
    assert.equal(h.$('.banners').children.length, 0);
  });

  describe('saved state', () => {
    it('restores the conversation and the draft after a reload and keeps the history for follow-ups', async () => {
      h = await createHarness();
      h.ask('What calls open()?');
      h.host({ type: 'sources', id: 'turn-1', sources: [source(1), source(2)] });
      h.host({ type: 'delta', id: 'turn-1', text: 'Two callers [1, 2].' });
      h.host(done('turn-1', { cited: [1, 2], stale: [2] }));
      h.ask('And close()?');
      h.host({ type: 'error', id: 'turn-2', kind: 'timeout', message: 'BitNet did not answer in time.' });
      h.input.value = 'unsent draft';
      h.input.dispatchEvent(new h.window.Event('input') as unknown as Event);
      const saved = h.saved();
      const footer = h.$('.turn-footer').textContent;
      h.dispose();

      h = await createHarness(saved);
      assert.equal(h.$$('article.turn').length, 2);
      assert.equal(h.$('.question').textContent, 'What calls open()?');
      assert.deepEqual(
        h.$$('article[data-turn="turn-1"] .answer button.chip').map((c) => c.getAttribute('aria-label')),
        ['Source 1: src/file1.ts lines 10–12', 'Source 2: src/file2.ts lines 20–22, changed since indexing'],
      );
      assert.equal(h.$('.turn-footer').textContent, footer);
      assert.equal(h.$$('article[data-turn="turn-1"] .turn-sources button.source').length, 2);
      assert.equal(h.$('article[data-turn="turn-2"] .error-message').textContent, 'BitNet did not answer in time.');
      assert.equal(h.input.value, 'unsent draft');

      h.$('article[data-turn="turn-2"] .error-box button').click();
      const retried = h.posted.at(-1);
      assert.ok(retried?.type === 'ask');
      assert.equal(retried.question, 'And close()?');
      assert.deepEqual(retried.history, [
        { role: 'user', content: 'What calls open()?' },
        { role: 'assistant', content: 'Two callers [1, 2].' },
      ]);
    });

    it('restores an answer saved mid-stream as stopped, since its stream ended with the reload', async () => {
      h = await createHarness({ turns: [{ id: 'old', question: 'q', answer: 'half an [1]', sources: [source(1)], cited: [1] }] });
      assert.equal(h.$('.turn-footer').textContent, 'Stopped');
      assert.equal(h.$$('.answer button.chip').length, 1);
      assert.ok(!h.$('button.send').hidden);
      assert.equal(h.$$('.turn-sources button.source').length, 1);
    });

    it('rejects a malformed saved state, logs it and starts empty', async () => {
      h = await createHarness({ turns: [{ id: 'x', question: 7, answer: '<img src=x onerror=alert(1)>' }] });
      assert.equal(h.$$('article.turn').length, 0);
      assert.equal(h.logs.length, 1);
      assert.match(h.logs[0], /saved chat/);
      assert.deepEqual(h.posted, [{ type: 'ready' }]);
    });
  });

  it('ignores and logs malformed messages from the extension', async () => {
    h = await createHarness();
    h.ask('q');
    const before = h.root.innerHTML;
    const bad: unknown[] = [
      null,
      'delta',
      { type: 'delta', text: 'no id' },
      { type: 'delta', id: 'turn-1', text: 42 },
      { type: 'evaluate', code: 'alert(1)' },
      { type: 'sources', id: 'turn-1', sources: [{ ...source(1), path: '../../etc/passwd' }] },
      { type: 'done', id: 'turn-1' },
      { type: 'error', kind: 'other', message: 'x', action: { label: 'Run', command: 'workbench.action.terminal.new' } },
    ];
    for (const message of bad) h.host(message);
    assert.equal(h.logs.length, bad.length);
    assert.equal(h.root.innerHTML, before);
    h.host({ type: 'delta', id: 'turn-1', text: 'still streaming' });
    assert.equal(answerOf('turn-1').textContent?.trim(), 'still streaming');
  });
});
