import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { createHarness, done, layout, source, type Harness } from './harness';

describe('chat webview: scrolling', function () {
  this.timeout(10_000);
  let h: Harness;
  afterEach(() => h?.dispose());

  const sources = Array.from({ length: 8 }, (_, i) => source(i + 1));
  const longAnswer = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} of the answer cites [${(i % 8) + 1}].`).join('\n\n');

  async function answer(id: string, question: string, view: ReturnType<typeof layout>) {
    h.ask(question);
    assert.ok(view.atEnd(), `"${question}" is in view right after sending`);
    h.host({ type: 'sources', id, sources });
    for (const part of longAnswer.split('\n\n')) {
      h.host({ type: 'delta', id, text: `${part}\n\n` });
      assert.ok(view.atEnd(), `the answer to "${question}" is followed while it grows`);
      await view.settle();
    }
    h.host(done(id, { cited: [1, 2, 3, 4, 5, 6, 7, 8] }));
    assert.ok(view.atEnd(), `the Sources list of "${question}" is in view`);
    await view.settle();
  }

  it('keeps the second and third questions and their answers in view, below long answers and Sources lists', async () => {
    h = await createHarness();
    const view = layout(h);
    await answer('turn-1', 'First question?', view);
    await answer('turn-2', 'Second question?', view);
    await answer('turn-3', 'Third question?', view);
    assert.ok(view.top() > 0);
    assert.equal(h.$('.jump-latest').hidden, true);
  });

  it('stops following once the user scrolls up, offers Jump to latest, and follows again from it', async () => {
    h = await createHarness();
    const view = layout(h);
    await answer('turn-1', 'First question?', view);
    h.ask('Second question?');
    h.host({ type: 'sources', id: 'turn-2', sources });
    h.host({ type: 'delta', id: 'turn-2', text: 'The start. ' });
    await view.settle();

    // A wheel step up, then a delta before its scroll event: the delta must not pull the view back down.
    view.wheel(-120);
    const reading = view.top();
    h.host({ type: 'delta', id: 'turn-2', text: 'More text arrives while the user reads. '.repeat(5) });
    assert.equal(view.top(), reading, 'the view stays where the user scrolled to');
    await view.settle();
    const jump = h.$('.jump-latest');
    assert.equal(jump.hidden, false, 'Jump to latest shows');
    assert.equal(jump.getAttribute('aria-label'), 'Jump to latest');
    h.host({ type: 'delta', id: 'turn-2', text: 'Yet more. '.repeat(5) });
    assert.equal(view.top(), reading);

    jump.click();
    assert.ok(view.atEnd());
    assert.equal(jump.hidden, true);
    assert.equal(h.doc.activeElement, h.input);
    await view.settle();
    h.host({ type: 'delta', id: 'turn-2', text: 'And the end. '.repeat(5) });
    assert.ok(view.atEnd(), 'following again');

    // Scrolling back down to the end by hand follows again too.
    view.wheel(-400);
    await view.settle();
    assert.equal(jump.hidden, false);
    view.wheel(10_000);
    await view.settle();
    assert.equal(jump.hidden, true);
    h.host(done('turn-2', { cited: [1, 2] }));
    assert.ok(view.atEnd());
  });

  it('sending a question while reading further up brings the new question into view', async () => {
    h = await createHarness();
    const view = layout(h);
    await answer('turn-1', 'First question?', view);
    view.wheel(-100_000);
    await view.settle();
    assert.equal(view.top(), 0);
    h.ask('Second question?');
    assert.ok(view.atEnd());
    assert.equal(h.$('.jump-latest').hidden, true);
  });
});
