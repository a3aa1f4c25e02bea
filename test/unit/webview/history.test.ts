import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import type { ConversationSummary } from '../../../src/protocol/messages';
import { ago } from '../../../src/webview/format';
import { createHarness, done, type Harness } from './harness';

describe('chat webview: the history of conversations', function () {
  this.timeout(10_000);
  let h: Harness;
  afterEach(() => h?.dispose());

  const NOW = 1_000_000; // the harness clock
  const list: ConversationSummary[] = [
    { id: 'conv-1', title: 'How is the store built?', updatedAt: NOW - 5 * 60_000, turns: 2 },
    { id: 'old', title: 'What is a chunk?', updatedAt: 0, turns: 1 },
  ];
  const rows = () => h.$$('.history-open').map((b) => [b.querySelector('.history-title')?.textContent, b.querySelector('.history-meta')?.textContent]);

  it('lists the kept conversations, newest first, with the first question, the number of questions and the time', async () => {
    h = await createHarness();
    h.host({ type: 'conversations', list });
    const toggle = h.$('button.history-toggle');
    assert.equal(toggle.getAttribute('aria-label'), 'Conversation history');
    assert.equal(h.$('.history').hidden, true);
    toggle.click();
    assert.equal(toggle.getAttribute('aria-expanded'), 'true');
    assert.equal(h.$('.history').hidden, false);
    assert.deepEqual(rows(), [
      ['How is the store built?', '2 questions · 5 min ago'],
      ['What is a chunk?', '1 question · 16 min ago'],
    ]);
    assert.equal(h.$('.history-open').getAttribute('aria-current'), 'true', 'the conversation shown now is marked');
    assert.equal(h.doc.activeElement, h.$('.history-open'), 'the focus goes into the list');
    assert.equal(h.$$('.history-delete')[1].getAttribute('aria-label'), 'Delete the conversation “What is a chunk?”');
    // Escape closes it and gives the focus back to the input.
    h.key(h.$('.history-open'), 'Escape');
    assert.equal(h.$('.history').hidden, true);
    assert.equal(h.doc.activeElement, h.input);
  });

  it('reopens a kept conversation: the host sends it to every view, this one shows it', async () => {
    h = await createHarness();
    h.host({ type: 'conversations', list });
    h.ask('Current question?');
    h.host({ type: 'delta', id: 'turn-1', text: 'partial' });
    h.$('button.history-toggle').click();
    h.$$('.history-open')[1].click();
    assert.equal(h.$('.history').hidden, true);
    assert.deepEqual(h.posted.filter((m) => m.type === 'stop'), [{ type: 'stop', id: 'turn-1' }], 'the answer in flight stops first');
    assert.deepEqual(h.posted.at(-1), { type: 'openConversation', id: 'old' });
    h.host({ type: 'conversation', conversation: { id: 'old', updatedAt: 0, turns: [{ id: 'o1', question: 'What is a chunk?', answer: 'A slice.', sources: [], cited: [], footer: 'Total 1 s' }] } });
    assert.deepEqual(h.$$('.question').map((q) => q.textContent), ['What is a chunk?']);
    assert.equal(h.saved()?.conversationId, 'old');
    // A follow-up continues it.
    const ask = h.ask('And how big?');
    assert.deepEqual(ask.history.map((m) => m.content), ['What is a chunk?', 'A slice.']);
  });

  it('deletes a conversation from the list; deleting the one on screen starts a new one', async () => {
    h = await createHarness();
    h.ask('How is the store built?');
    h.host(done('turn-1'));
    h.host({ type: 'conversations', list });
    h.$('button.history-toggle').click();
    h.$$('.history-delete')[1].click();
    assert.deepEqual(h.posted.at(-1), { type: 'deleteConversation', id: 'old' });
    assert.deepEqual(rows().map((r) => r[0]), ['How is the store built?']);
    assert.equal(h.doc.activeElement, h.$('.history-open'), 'the focus stays in the list');
    assert.equal(h.$$('article.turn').length, 1, 'deleting another conversation leaves this one');

    h.$('.history-delete').click();
    assert.deepEqual(h.posted.slice(-2), [
      { type: 'deleteConversation', id: 'conv-1' },
      { type: 'openConversation', id: 'conv-2' },
    ]);
    assert.equal(h.$$('article.turn').length, 0);
    assert.match(h.$('.history-list').textContent ?? '', /No conversations yet/);
  });

  it('says when in words a person uses', () => {
    const now = Date.UTC(2026, 0, 10, 12);
    assert.equal(ago(now - 20_000, now), 'just now');
    assert.equal(ago(now - 59 * 60_000, now), '59 min ago');
    assert.equal(ago(now - 5 * 3_600_000, now), '5 h ago');
    assert.equal(ago(now - 30 * 3_600_000, now), 'yesterday');
    assert.match(ago(now - 10 * 86_400_000, now), /2025|2026/);
  });
});
