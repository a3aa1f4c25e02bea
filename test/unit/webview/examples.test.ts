import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { createHarness, done, type Harness } from './harness';

describe('chat webview: example questions in the empty state', function () {
  this.timeout(10_000);
  let h: Harness;
  afterEach(() => h?.dispose());

  const state = (examples?: string[], indexed = true) => ({ type: 'state', keywordOnly: false, retrievalOnly: false, indexed, examples }) as const;
  const shown = () => (h.$('.examples').hidden ? [] : h.$$('.examples button.example').map((b) => b.textContent));

  it('offers the questions made from the indexed workspace; a click asks one', async () => {
    h = await createHarness();
    assert.deepEqual(shown(), []);
    h.host(state(['What is Pebble?', 'What is in the src folder?']));
    assert.deepEqual(shown(), ['What is Pebble?', 'What is in the src folder?']);
    assert.equal(h.$('.examples button.example').getAttribute('aria-label'), 'Ask: What is Pebble?');
    h.$('.examples button.example').click();
    const ask = h.posted.at(-1);
    assert.ok(ask?.type === 'ask');
    assert.equal(ask.question, 'What is Pebble?');
    assert.equal(h.$('.empty').hidden, true, 'the conversation is no longer empty');
    // A state sent with an answer (no examples) keeps them for the next empty conversation.
    h.host(state(undefined));
    h.host(done(ask.id));
    h.$('button.new-chat').click();
    assert.equal(h.$('.empty').hidden, false);
    assert.deepEqual(shown(), ['What is Pebble?', 'What is in the src folder?']);
  });

  it('shows no examples once the workspace is not indexed, and keeps hostile text as text', async () => {
    h = await createHarness();
    h.host(state(['What is <img src=x onerror=alert(1)>?']));
    assert.equal(h.$('.examples button.example').textContent, 'What is <img src=x onerror=alert(1)>?');
    assert.equal(h.$$('.examples img').length, 0);
    h.host(state(undefined, false));
    assert.deepEqual(shown(), []);
  });
});
