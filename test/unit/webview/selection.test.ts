import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { createHarness, done, type Harness } from './harness';

describe('chat webview: a question about selected code', function () {
  this.timeout(10_000);
  let h: Harness;
  afterEach(() => h?.dispose());

  const selection = { path: 'src/ring.ts', startLine: 3, endLine: 5, language: 'typescript', text: 'function second(ring) {\n  return ring[1]; // ```\n}' };

  it('puts the question in the box with the selection attached, and shows both as text and code, never as fences', async () => {
    h = await createHarness();
    h.host({ type: 'prefill', question: 'What does this code do?', selection });
    assert.equal(h.input.value, 'What does this code do?');
    assert.equal(h.input.selectionStart, 0, 'the question is selected, ready to be typed over');
    assert.equal(h.$('.attachment').hidden, false);
    assert.equal(h.$('.attachment-where').textContent, 'src/ring.ts:3–5');

    const ask = h.ask('Why ring[1]?');
    // The model gets the code in a fence longer than the backticks inside it, with where it is.
    assert.equal(ask.question, 'Why ring[1]?\n\nThe code, from src/ring.ts:3-5:\n\n````typescript\nfunction second(ring) {\n  return ring[1]; // ```\n}\n````');
    assert.equal(h.$('.attachment').hidden, true, 'the attachment went with the question');
    const bubble = h.$('.question');
    assert.equal(bubble.querySelector('.question-text')?.textContent, 'Why ring[1]?');
    assert.equal(bubble.querySelector('.question-where')?.textContent, 'src/ring.ts:3–5');
    assert.equal(bubble.querySelector('.code-block code')?.textContent, selection.text);
    assert.doesNotMatch(bubble.textContent ?? '', /````/);
    assert.equal(bubble.querySelector('button.chip'), null);

    // A follow-up carries the whole question in its history; a reload keeps the code block.
    h.host({ type: 'delta', id: ask.id, text: 'It returns the second.' });
    h.host(done(ask.id));
    const follow = h.ask('And then?');
    assert.equal(follow.history[0].content, ask.question);
    const state = h.saved();
    h.dispose();
    h = await createHarness(state);
    assert.equal(h.$('.question .code-block code').textContent, selection.text);
  });

  it('sends the default question when the box was emptied, and only the text once the selection is removed', async () => {
    h = await createHarness();
    h.host({ type: 'prefill', question: 'What does this code do?', selection });
    h.input.value = '';
    h.key(h.input, 'Enter');
    const sent = h.posted.filter((m) => m.type === 'ask').at(-1);
    assert.ok(sent?.type === 'ask' && sent.question.startsWith('What does this code do?\n\nThe code, from src/ring.ts:3-5:'));
    h.host(done('turn-1'));

    h.host({ type: 'prefill', question: 'What does this code do?', selection });
    h.$('button.detach').click();
    assert.equal(h.$('.attachment').hidden, true);
    assert.equal(h.ask('Just text?').question, 'Just text?');
  });
});
