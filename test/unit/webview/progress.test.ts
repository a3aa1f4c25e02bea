import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { MAX_NOTICE, MAX_NOTICES } from '../../../src/protocol/limits';
import { createHarness, done, source, type Harness } from './harness';

describe('chat webview: progress, fallbacks and incomplete answers', () => {
  let h: Harness;
  afterEach(() => h?.dispose());

  const turn = (id = 'turn-1') => h.$(`article[data-turn="${id}"]`);
  const progressOf = (id = 'turn-1') => turn(id).querySelector<HTMLElement>('.turn-progress')!;
  const answerOf = (id = 'turn-1') => turn(id).querySelector<HTMLElement>('.answer')!;
  const markOf = (id = 'turn-1') => turn(id).querySelector<HTMLElement>('.turn-incomplete')!;
  const noticesOf = (id = 'turn-1') => Array.from(turn(id).querySelectorAll<HTMLElement>('.turn-notice')).map((n) => n.textContent);
  const reading = (promptTokens: number, newTokens: number, estimatedMs: number) => ({ type: 'progress', id: 'turn-1', progress: { kind: 'reading', promptTokens, newTokens, estimatedMs } });

  describe('before the first word', () => {
    it('says BitNet is reading N tokens and about how long, then the answer replaces it as it streams', async () => {
      h = await createHarness();
      h.ask('q');
      assert.equal(progressOf().hidden, true);
      assert.ok(answerOf().classList.contains('pending'), 'searching the index until there is progress');

      h.host({ type: 'sources', id: 'turn-1', sources: [source(1)] });
      h.host(reading(1840, 1840, 23_590));
      assert.equal(progressOf().hidden, false);
      assert.equal(progressOf().textContent, 'BitNet is reading 1,840 tokens, about 24 s…');
      assert.ok(!answerOf().classList.contains('pending'), 'one waiting text at a time');

      h.host({ type: 'delta', id: 'turn-1', text: 'The answer [1]' });
      assert.equal(progressOf().hidden, true);
      assert.equal(progressOf().textContent, '');
      assert.equal(answerOf().textContent?.trim(), 'The answer 1');
      h.host(done('turn-1', { cited: [1] }));
      assert.equal(progressOf().hidden, true);
    });

    it('says briefly how much of the prompt the server has cached, and rounds the estimate', async () => {
      h = await createHarness();
      h.ask('q');
      h.host(reading(1840, 640, 8205));
      assert.equal(progressOf().textContent, 'BitNet is reading 640 new tokens (1,200 cached), about 8 s…');
      h.host(reading(1840, 0, 0));
      assert.equal(progressOf().textContent, 'BitNet has all 1,840 prompt tokens cached: the answer should start at once…');
      h.host(reading(300, 300, 400));
      assert.equal(progressOf().textContent, 'BitNet is reading 300 tokens, under a second…');
      h.host(reading(12_000, 12_000, 153_000));
      assert.equal(progressOf().textContent, 'BitNet is reading 12,000 tokens, about 3 min…');
    });

    it('counts a 429 down each second, then shows BitNet reading again on the retry', async () => {
      h = await createHarness();
      h.ask('q');
      h.host(reading(1840, 1840, 23_590));
      h.host({ type: 'progress', id: 'turn-1', progress: { kind: 'waiting', ms: 3000 } });
      assert.equal(progressOf().textContent, 'BitNet is busy: trying again in 3 s…');
      const count = progressOf().querySelector('.countdown')!;
      assert.equal(count.getAttribute('aria-live'), 'off', 'the live transcript does not read out every second');
      h.advance(999);
      assert.equal(progressOf().textContent, 'BitNet is busy: trying again in 3 s…');
      h.advance(1);
      assert.equal(progressOf().textContent, 'BitNet is busy: trying again in 2 s…');
      assert.equal(progressOf().querySelector('.countdown'), count, 'a tick changes only the number');
      h.advance(1000);
      assert.equal(progressOf().textContent, 'BitNet is busy: trying again in 1 s…');
      h.advance(1000);
      assert.equal(progressOf().textContent, 'BitNet is busy: trying again now…');
      assert.equal(h.pendingTimers(), 0, 'nothing ticks after zero');

      h.host(reading(1840, 1840, 23_590));
      assert.equal(progressOf().textContent, 'BitNet is reading 1,840 tokens, about 24 s…');
    });

    it('counts from an odd wait in whole seconds, rounding up', async () => {
      h = await createHarness();
      h.ask('q');
      h.host({ type: 'progress', id: 'turn-1', progress: { kind: 'waiting', ms: 2500 } });
      assert.equal(progressOf().textContent, 'BitNet is busy: trying again in 3 s…');
      h.advance(500);
      assert.equal(progressOf().textContent, 'BitNet is busy: trying again in 2 s…');
      h.advance(2000);
      assert.equal(progressOf().textContent, 'BitNet is busy: trying again now…');
    });

    it('stops the countdown when the answer starts, is stopped or fails, and on New Chat', async () => {
      h = await createHarness();
      const wait = (id: string) => h.host({ type: 'progress', id, progress: { kind: 'waiting', ms: 5000 } });

      h.ask('one');
      wait('turn-1');
      assert.equal(h.pendingTimers(), 1);
      h.host({ type: 'delta', id: 'turn-1', text: 'Words.' });
      assert.equal(h.pendingTimers(), 0);
      assert.equal(progressOf('turn-1').hidden, true);
      h.host(done('turn-1'));

      h.ask('two');
      wait('turn-2');
      h.$('button.stop').click();
      assert.equal(h.pendingTimers(), 0);
      assert.equal(progressOf('turn-2').hidden, true);

      h.ask('three');
      wait('turn-3');
      h.host({ type: 'error', id: 'turn-3', kind: 'throttled', message: 'BitNet is busy.' });
      assert.equal(h.pendingTimers(), 0);
      assert.equal(progressOf('turn-3').hidden, true);

      h.ask('four');
      wait('turn-4');
      h.$('button.new-chat').click();
      assert.equal(h.pendingTimers(), 0);
    });

    it('is not saved: an answer restored mid-wait reads as stopped, with no progress', async () => {
      h = await createHarness();
      h.ask('q');
      h.host(reading(1840, 1840, 23_590));
      const saved = h.saved();
      assert.ok(saved && !('progress' in saved.turns[0]));
      h.dispose();
      h = await createHarness(saved);
      assert.equal(progressOf().hidden, true);
      assert.equal(h.$('.turn-footer').textContent, 'Stopped');
    });
  });

  describe('fallbacks', () => {
    const KEYWORD = 'Keyword-only for this question: the embeddings endpoint failed (HTTP 503), so sources were found by full-text and graph search.';
    const RETRIEVAL = 'Retrieval-only for this answer: BitNet could not answer (connection refused), so these are the most relevant sources.';

    it('shows a fallback once above its answer, like the mode banners, for that turn only', async () => {
      h = await createHarness();
      h.ask('one');
      h.host({ type: 'progress', id: 'turn-1', progress: { kind: 'fallback', message: KEYWORD } });
      assert.deepEqual(noticesOf(), [KEYWORD]);
      const banner = turn().querySelector('.turn-notice')!;
      assert.ok(banner.classList.contains('banner') && banner.classList.contains('mode'));
      assert.equal(banner.querySelector('strong')?.textContent, 'Keyword-only for this question');
      assert.ok(banner.compareDocumentPosition(answerOf()) & h.window.Node.DOCUMENT_POSITION_FOLLOWING, 'above the answer');

      h.host({ type: 'sources', id: 'turn-1', sources: [source(1)] });
      h.host({ type: 'delta', id: 'turn-1', text: 'From full-text [1].' });
      h.host(done('turn-1', { cited: [1], notices: [KEYWORD] }));
      assert.deepEqual(noticesOf(), [KEYWORD], 'the same notice from done is not shown again');
      assert.equal(h.$('.banners').children.length, 0, 'not a mode banner: the next question may not fall back');

      h.ask('two');
      h.host(done('turn-2'));
      assert.deepEqual(noticesOf('turn-2'), []);
      assert.deepEqual(noticesOf('turn-1'), [KEYWORD]);
    });

    it("shows a retrieval-only fallback's note once: above the sources it lists, not again at the top of the answer", async () => {
      h = await createHarness();
      h.ask('q');
      h.host({ type: 'sources', id: 'turn-1', sources: [source(1), source(2)] });
      h.host(reading(1840, 1840, 23_590));
      h.host({ type: 'progress', id: 'turn-1', progress: { kind: 'fallback', message: RETRIEVAL } });
      assert.equal(progressOf().textContent, 'BitNet is reading 1,840 tokens, about 24 s…');
      h.host({ type: 'delta', id: 'turn-1', text: `${RETRIEVAL}\n\n- [1] \`src/file1.ts:10-12\`\n- [2] \`src/file2.ts:20-22\`` });
      h.host(done('turn-1', { mode: 'retrieval-only', cited: [1, 2], notices: [RETRIEVAL], usage: undefined }));
      assert.deepEqual(noticesOf(), [RETRIEVAL]);
      assert.doesNotMatch(answerOf().textContent ?? '', /Retrieval-only for this answer/);
      // The sources are the answer, listed once: as snippets, not as the text's list plus a Sources list.
      assert.equal(answerOf().querySelectorAll('button.chip').length, 0);
      assert.deepEqual(h.$$('.answer .snippet .source-path').map((e) => e.textContent), ['src/file1.ts:10–12', 'src/file2.ts:20–22']);
      assert.equal(h.$$('.turn-sources button.source').length, 0);
      assert.equal(h.saved()?.turns[0].answer.startsWith(RETRIEVAL), true, 'the turn keeps the whole text');
    });

    it('shows notices that arrive only with done, and keeps them as text', async () => {
      h = await createHarness();
      h.ask('q');
      h.host(done('turn-1', { notices: ['<img src=x onerror=alert(1)> fell back', KEYWORD] }));
      assert.deepEqual(noticesOf(), ['<img src=x onerror=alert(1)> fell back', KEYWORD]);
      assert.equal(turn().querySelector('img'), null);
    });

    it('keeps the notices with an error, and Retry starts the turn without them', async () => {
      h = await createHarness();
      h.ask('q');
      h.host({ type: 'progress', id: 'turn-1', progress: { kind: 'fallback', message: KEYWORD } });
      h.host({ type: 'error', id: 'turn-1', kind: 'auth', message: 'BitNet refused the key.' });
      assert.deepEqual(noticesOf(), [KEYWORD], 'an error keeps what the turn fell back to');
      h.$('.turn-error button').click();
      assert.deepEqual(noticesOf('turn-2'), []);
    });
  });

  describe('incomplete answers', () => {
    const cases = [
      ['length', 'Incomplete: the answer was cut off at its token limit.'],
      ['empty', 'Incomplete: the model gave an empty answer.'],
      ['cut-off', 'Incomplete: the stream ended before the answer was complete.'],
    ] as const;

    for (const [reason, text] of cases) {
      it(`marks an answer incomplete (${reason}) and keeps its text and sources`, async () => {
        h = await createHarness();
        h.ask('q');
        h.host({ type: 'sources', id: 'turn-1', sources: [source(1), source(2)] });
        const partial = reason === 'empty' ? '' : 'Part of it [2], and then';
        if (partial) h.host({ type: 'delta', id: 'turn-1', text: partial });
        h.host(done('turn-1', { complete: false, incomplete: reason, cited: partial ? [2] : [] }));
        assert.equal(markOf().hidden, false);
        assert.equal(markOf().textContent, text);
        assert.equal(answerOf().textContent?.trim(), partial.replace('[2]', '2'));
        assert.equal(h.$$('.turn-sources button.source').length, partial ? 1 : 2);
        assert.ok(markOf().compareDocumentPosition(answerOf()) & h.window.Node.DOCUMENT_POSITION_PRECEDING, 'under the answer');
      });
    }

    it('shows no mark on a complete answer, and reads "not complete" without a reason as cut off', async () => {
      h = await createHarness();
      h.ask('one');
      h.host({ type: 'delta', id: 'turn-1', text: 'All of it.' });
      h.host(done('turn-1'));
      assert.equal(markOf('turn-1').hidden, true);
      h.ask('two');
      h.host({ type: 'delta', id: 'turn-2', text: 'Some of' });
      h.host(done('turn-2', { complete: false }));
      assert.equal(markOf('turn-2').textContent, 'Incomplete: the stream ended before the answer was complete.');
    });
  });

  it('keeps the notices and the incomplete mark across a reload', async () => {
    h = await createHarness();
    h.ask('q');
    h.host({ type: 'progress', id: 'turn-1', progress: { kind: 'fallback', message: 'Keyword-only for this question: embeddings down.' } });
    h.host({ type: 'sources', id: 'turn-1', sources: [source(1)] });
    h.host({ type: 'delta', id: 'turn-1', text: 'It was going to say [1]' });
    h.host(done('turn-1', { complete: false, incomplete: 'length', cited: [1], notices: ['Keyword-only for this question: embeddings down.'] }));
    const saved = h.saved();
    assert.equal(saved?.turns[0].incomplete, 'length');
    assert.deepEqual(saved?.turns[0].notices, ['Keyword-only for this question: embeddings down.']);
    h.dispose();

    h = await createHarness(saved);
    assert.deepEqual(noticesOf(), ['Keyword-only for this question: embeddings down.']);
    assert.equal(markOf().textContent, 'Incomplete: the answer was cut off at its token limit.');
    assert.equal(answerOf().textContent?.trim(), 'It was going to say 1');
    assert.equal(h.$$('.turn-sources button.source').length, 1);
  });

  it('rejects progress and done messages outside the protocol', async () => {
    h = await createHarness();
    h.ask('q');
    const before = h.root.innerHTML;
    const bad: unknown[] = [
      { type: 'progress', id: 'turn-1', progress: { kind: 'waiting', ms: -1 } },
      { type: 'progress', id: 'turn-1', progress: { kind: 'waiting', ms: Infinity } },
      { type: 'progress', id: 'turn-1', progress: { kind: 'reading', promptTokens: 10.5, newTokens: 1, estimatedMs: 1 } },
      { type: 'progress', id: 'turn-1', progress: { kind: 'fallback', message: 'x'.repeat(MAX_NOTICE + 1) } },
      { type: 'progress', id: 'turn-1', progress: { kind: 'html', html: '<b>x</b>' } },
      { type: 'progress', progress: { kind: 'waiting', ms: 1000 } },
      done('turn-1', { notices: Array.from({ length: MAX_NOTICES + 1 }, (_, i) => `n${i}`) }),
      done('turn-1', { incomplete: 'truncated' as 'length' }),
      { ...done('turn-1'), complete: undefined },
    ];
    for (const message of bad) h.host(message);
    assert.equal(h.logs.length, bad.length);
    assert.equal(h.root.innerHTML, before);
    assert.equal(h.pendingTimers(), 0);
  });
});
