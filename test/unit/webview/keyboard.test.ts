import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { createHarness, done, source, type Harness } from './harness';

describe('chat webview: keyboard and screen readers', function () {
  this.timeout(10_000);
  let h: Harness;
  afterEach(() => h?.dispose());

  async function answered() {
    h = await createHarness();
    h.ask('q');
    h.host({ type: 'sources', id: 'turn-1', sources: [source(1), source(2), source(3)] });
    h.host({ type: 'delta', id: 'turn-1', text: 'One [1], two [2] and three [3].' });
    h.host(done('turn-1', { cited: [1, 2, 3] }));
  }
  const tabStops = (selector: string) => h.$$(selector).map((c) => c.tabIndex);

  it("makes the chips of an answer one tab stop, moved along with the arrow keys, Home and End", async () => {
    await answered();
    assert.deepEqual(tabStops('.answer button.chip'), [0, -1, -1]);
    assert.deepEqual(tabStops('.turn-sources button.source'), [0, -1, -1], 'the Sources list is one tab stop too');
    const chips = h.$$('.answer button.chip');
    chips[0].focus();
    h.key(chips[0], 'ArrowRight');
    assert.equal(h.doc.activeElement, chips[1]);
    assert.deepEqual(tabStops('.answer button.chip'), [-1, 0, -1]);
    h.key(chips[1], 'End');
    assert.equal(h.doc.activeElement, chips[2]);
    h.key(chips[2], 'ArrowDown');
    assert.equal(h.doc.activeElement, chips[2], 'the end stays the end');
    h.key(chips[2], 'Home');
    assert.equal(h.doc.activeElement, chips[0]);
    h.key(chips[0], 'ArrowLeft');
    assert.equal(h.doc.activeElement, chips[0]);
    const entries = h.$$('.turn-sources button.source');
    entries[0].focus();
    h.key(entries[0], 'ArrowDown');
    assert.equal(h.doc.activeElement, entries[1]);
    // Only the chips' and entries' own stops, wherever the user moved within them, are in the tab order.
    const stops = h.$$('.transcript button').filter((b) => b.tabIndex === 0 && b.closest('.answer, .turn-sources'));
    assert.equal(stops.length, 2);
  });

  it('keeps the tab stop on the chip moved to while the answer re-renders', async () => {
    h = await createHarness();
    h.ask('q');
    h.host({ type: 'sources', id: 'turn-1', sources: [source(1), source(2)] });
    h.host({ type: 'delta', id: 'turn-1', text: 'One [1], two [2]' });
    const chips = h.$$('.answer button.chip');
    chips[0].focus();
    h.key(chips[0], 'ArrowRight');
    h.host({ type: 'delta', id: 'turn-1', text: ' and more.' });
    assert.deepEqual(tabStops('.answer button.chip'), [-1, 0]);
  });

  it('focuses the input when the chat view gets the focus, unless a control in the chat has it', async () => {
    await answered();
    h.input.blur();
    assert.notEqual(h.doc.activeElement, h.input);
    h.window.dispatchEvent(new h.window.FocusEvent('focus'));
    assert.equal(h.doc.activeElement, h.input);
    const chip = h.$('.answer button.chip');
    chip.focus();
    h.window.dispatchEvent(new h.window.FocusEvent('focus'));
    assert.equal(h.doc.activeElement, chip);
  });

  it('announces an answer once it is complete, as words, and a stop', async () => {
    h = await createHarness();
    const announcer = h.$('.sr-only');
    h.ask('q');
    h.host({ type: 'sources', id: 'turn-1', sources: [source(1)] });
    h.host({ type: 'delta', id: 'turn-1', text: 'The **store** is' });
    assert.equal(announcer.textContent, '', 'nothing while it streams');
    h.host({ type: 'delta', id: 'turn-1', text: ' built by `open` [1].' });
    h.host(done('turn-1', { cited: [1] }));
    assert.equal(announcer.textContent, 'Answer complete: The store is built by open 1.');
    h.ask('again');
    h.$('button.stop').click();
    assert.equal(announcer.textContent, 'The answer stopped.');
    h.ask('sources only');
    h.host({ type: 'sources', id: 'turn-3', sources: [source(1), source(2)] });
    h.host(done('turn-3', { mode: 'retrieval-only', cited: [1, 2] }));
    assert.equal(announcer.textContent, 'Sources found: 2, shown as code.');
  });
});
