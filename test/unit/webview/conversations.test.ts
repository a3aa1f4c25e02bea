import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import type { FromWebview, SavedConversation } from '../../../src/protocol/messages';
import { createHarness, done, source, type Harness } from './harness';

describe('chat webview: one conversation across chat views', function () {
  this.timeout(10_000);
  let h: Harness;
  afterEach(() => h?.dispose());

  const saves = () => h.posted.filter((m): m is Extract<FromWebview, { type: 'saveConversation' }> => m.type === 'saveConversation').map((m) => m.conversation);
  const questions = () => h.$$('.question').map((q) => q.textContent);
  const other: SavedConversation = {
    id: 'conv-other',
    updatedAt: 5_000_000,
    turns: [{ id: 'x1', question: 'Asked in the other view?', answer: 'Yes [1].', sources: [source(1)], cited: [1], footer: 'Total 1 s' }],
  };

  it('saves the conversation to the host when a turn ends, never while it streams', async () => {
    h = await createHarness();
    h.ask('What is a chunk?');
    h.host({ type: 'delta', id: 'turn-1', text: 'A slice.' });
    assert.deepEqual(saves(), []);
    h.host(done('turn-1'));
    const [saved] = saves();
    assert.equal(saved.id, 'conv-1');
    assert.deepEqual(saved.turns.map((t) => [t.question, t.answer]), [['What is a chunk?', 'A slice.']]);
    assert.equal(h.saved()?.conversationId, 'conv-1');
    assert.equal(h.saved()?.updatedAt, saved.updatedAt);
  });

  it('shows the conversation another view changed or opened, with its citations', async () => {
    h = await createHarness();
    h.host({ type: 'conversation', conversation: other });
    assert.deepEqual(questions(), ['Asked in the other view?']);
    assert.equal(h.$$('.answer button.chip').length, 1);
    assert.equal(h.saved()?.conversationId, 'conv-other');
    // A follow-up here continues that conversation, with its history.
    const ask = h.ask('And then?');
    assert.deepEqual(ask.history, [
      { role: 'user', content: 'Asked in the other view?' },
      { role: 'assistant', content: 'Yes [1].' },
    ]);
    h.host(done(ask.id));
    assert.equal(saves().at(-1)?.id, 'conv-other');
    // A stale copy of the same conversation (sent when this view was ready) does not undo what happened here.
    h.host({ type: 'conversation', conversation: other });
    assert.deepEqual(questions(), ['Asked in the other view?', 'And then?']);
  });

  it('keeps an answer streaming here when another view moves on, and keeps its own, newer copy', async () => {
    h = await createHarness();
    h.ask('Still answering?');
    h.host({ type: 'conversation', conversation: other });
    assert.deepEqual(questions(), ['Still answering?']);
    h.host({ type: 'delta', id: 'turn-1', text: 'Yes.' });
    h.host(done('turn-1'));
    assert.equal(saves().length, 1);
  });

  it('New Chat moves every view on: it opens a new conversation id with the host, keeping the partial answer in the old one', async () => {
    h = await createHarness();
    h.ask('q');
    h.host({ type: 'delta', id: 'turn-1', text: 'partial' });
    h.$('button.new-chat').click();
    assert.deepEqual(saves().map((c) => [c.id, c.turns.map((t) => [t.answer, t.footer])]), [['conv-1', [['partial', 'Stopped']]]]);
    assert.deepEqual(h.posted.at(-1), { type: 'openConversation', id: 'conv-2' });
    // The host echoes the new, empty conversation to every view: nothing changes here.
    h.host({ type: 'conversation', conversation: { id: 'conv-2', updatedAt: 0, turns: [] } });
    assert.deepEqual(questions(), []);
    assert.equal(h.saved()?.conversationId, 'conv-2');
  });

  it('restores its conversation id after a reload, so the host copy of the same conversation is not shown twice', async () => {
    h = await createHarness();
    h.ask('q');
    h.host(done('turn-1'));
    const state = h.saved();
    const copy = saves()[0];
    h.dispose();
    h = await createHarness(state);
    h.host({ type: 'conversation', conversation: copy });
    assert.deepEqual(questions(), ['q']);
  });
});
