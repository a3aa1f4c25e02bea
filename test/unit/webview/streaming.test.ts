import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { createHarness, done, hover, source, type Harness } from './harness';

describe('chat webview: while an answer streams', function () {
  this.timeout(10_000);
  let h: Harness;
  afterEach(() => h?.dispose());

  const asks = () => h.posted.filter((m) => m.type === 'ask');
  const stops = () => h.posted.filter((m) => m.type === 'stop');
  const status = () => h.$('.composer-status').textContent;

  it('shows a labelled Stop button and a generating state until the answer ends', async () => {
    h = await createHarness();
    assert.equal(status(), '');
    h.ask('q');
    const stop = h.$('button.stop');
    assert.equal(stop.hidden, false);
    assert.equal(stop.textContent, 'Stop', 'Stop says what it does, not only an icon');
    assert.equal(stop.getAttribute('aria-label'), 'Stop');
    assert.equal(status(), 'Generating…');
    assert.equal(h.$('.composer-status').getAttribute('role'), 'status');
    h.host(done('turn-1'));
    assert.equal(stop.hidden, true);
    assert.equal(status(), '');
  });

  it('stops with Escape from the input, and keeps the partial answer with its sources', async () => {
    h = await createHarness();
    h.ask('q');
    h.host({ type: 'sources', id: 'turn-1', sources: [source(1), source(2)] });
    h.host({ type: 'delta', id: 'turn-1', text: 'The first words, no citation yet' });
    const esc = h.key(h.input, 'Escape');
    assert.equal(esc.defaultPrevented, true);
    assert.deepEqual(stops(), [{ type: 'stop', id: 'turn-1' }]);
    assert.equal(h.$('.turn-footer').textContent, 'Stopped');
    assert.match(h.$('.answer').textContent ?? '', /The first words/);
    assert.deepEqual(
      h.$$('.turn-sources .source-path').map((e) => e.textContent),
      ['src/file1.ts:10–12', 'src/file2.ts:20–22'],
      'a stopped answer keeps its sources',
    );
    assert.equal(status(), '');
    // Escape with nothing streaming does nothing (it stays the webview's to give to VS Code).
    assert.equal(h.key(h.input, 'Escape').defaultPrevented, false);
    assert.equal(stops().length, 1);
  });

  it('closes an open preview with the first Escape and stops with the second', async () => {
    h = await createHarness();
    h.ask('q');
    h.host({ type: 'sources', id: 'turn-1', sources: [source(1)] });
    h.host({ type: 'delta', id: 'turn-1', text: 'See [1] and' });
    hover(h, h.$('.answer button.chip'));
    assert.equal(h.$('.preview').hidden, false);
    h.key(h.$('.answer button.chip'), 'Escape');
    assert.equal(h.$('.preview').hidden, true);
    assert.equal(stops().length, 0);
    h.key(h.$('.answer button.chip'), 'Escape');
    assert.deepEqual(stops(), [{ type: 'stop', id: 'turn-1' }]);
  });

  it('queues a question sent with Enter while answering and asks it when the answer ends, with that answer as history', async () => {
    h = await createHarness();
    h.ask('What is a chunk?');
    h.host({ type: 'delta', id: 'turn-1', text: 'A slice' });
    h.input.value = 'How big is one?';
    const enter = h.key(h.input, 'Enter');
    assert.equal(enter.defaultPrevented, true);
    assert.equal(asks().length, 1, 'not sent yet');
    assert.equal(h.input.value, '', 'the question left the box');
    assert.equal(h.$('.queued').hidden, false);
    assert.equal(h.$('.queued-text').textContent, 'How big is one?');
    assert.equal(status(), 'Generating… the next question waits');

    // A second one is refused, visibly, and stays in the box.
    h.input.value = 'And a third?';
    h.key(h.input, 'Enter');
    assert.equal(h.input.value, 'And a third?');
    assert.equal(status(), 'One question is already waiting for this answer to end.');
    assert.ok(h.$('.composer-status').classList.contains('note'));

    h.host({ type: 'delta', id: 'turn-1', text: ' of a file.' });
    h.host(done('turn-1'));
    const next = asks().at(-1);
    assert.ok(next?.type === 'ask');
    assert.equal(next.question, 'How big is one?');
    assert.deepEqual(next.history, [
      { role: 'user', content: 'What is a chunk?' },
      { role: 'assistant', content: 'A slice of a file.' },
    ]);
    assert.equal(h.$('.queued').hidden, true);
    assert.deepEqual(h.$$('.question').map((q) => q.textContent), ['What is a chunk?', 'How big is one?']);
  });

  it('asks the queued question after Stop or an error too, and can drop it; New Chat puts it back in the box', async () => {
    h = await createHarness();
    h.ask('first');
    h.input.value = 'second';
    h.key(h.input, 'Enter');
    h.$('button.stop').click();
    assert.equal(asks().at(-1)?.type === 'ask' && asks().at(-1)?.question, 'second');

    h.input.value = 'third';
    h.key(h.input, 'Enter');
    h.host({ type: 'error', id: asks().at(-1)!.type === 'ask' ? (asks().at(-1) as { id: string }).id : '', kind: 'other', message: 'boom' });
    assert.equal(asks().at(-1)?.type === 'ask' && asks().at(-1)?.question, 'third');

    h.input.value = 'dropped';
    h.key(h.input, 'Enter');
    h.$('button.unqueue').click();
    assert.equal(h.$('.queued').hidden, true);
    h.host(done((asks().at(-1) as { id: string }).id));
    assert.equal(asks().length, 3, 'a dropped question is not asked');

    h.ask('fourth');
    h.input.value = 'kept';
    h.key(h.input, 'Enter');
    h.$('button.new-chat').click();
    assert.equal(asks().length, 4);
    assert.equal(h.input.value, 'kept');
    assert.equal(h.$('.queued').hidden, true);
  });
});
