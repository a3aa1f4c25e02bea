// The queue of chunks written without a vector: newest-edited files first, an earlier run's leftovers held back for the
// files the run reads again, and no batch taken while a newer file is still to be settled.
import { strict as assert } from 'node:assert';
import { Backlog, byFile, type QueuedChunk } from '../../src/core/indexer/backlog';

const chunks = (path: string, n: number, tokens = 10): QueuedChunk[] => Array.from({ length: n }, (_, i) => ({ id: `${path}#${i}`, tokens }));
const ids = (taken: QueuedChunk[] | undefined) => (taken ?? []).map((c) => c.id);
/** Whether the promise is still pending after the queued callbacks have run. */
const pending = async (p: Promise<unknown>) => {
  let settled = false;
  void p.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return !settled;
};

describe('embedding backlog', () => {
  it('gives the newest-edited files first, a file split across takes in its order, and ends once closed and empty', async () => {
    const b = new Backlog();
    b.add('old.ts', 100, chunks('old.ts', 2));
    b.add('new.ts', 300, chunks('new.ts', 3));
    b.add('mid.ts', 200, chunks('mid.ts', 2));
    assert.equal(b.chunks, 7);
    assert.equal(b.tokens, 70);
    assert.deepEqual(ids(await b.next(4)), ['new.ts#0', 'new.ts#1', 'new.ts#2', 'mid.ts#0']);
    assert.deepEqual(ids(await b.next(4)), ['mid.ts#1', 'old.ts#0', 'old.ts#1']);
    assert.equal(b.chunks, 0);
    const waiting = b.next(4);
    assert.ok(await pending(waiting), 'open and empty: it waits');
    b.add('late.ts', 50, chunks('late.ts', 1));
    assert.deepEqual(ids(await waiting), ['late.ts#0']);
    b.close();
    assert.equal(await b.next(4), undefined);
  });

  it("holds an earlier run's leftovers until the file is settled: queued when it kept its chunks, replaced or dropped otherwise", async () => {
    const b = new Backlog();
    b.hold('same.ts', chunks('same.ts', 2));
    b.hold('edited.ts', chunks('edited.ts', 2));
    b.hold('deleted.ts', chunks('deleted.ts', 2));
    assert.equal(b.chunks, 6, 'held chunks count as waiting');
    b.release('same.ts', 500);
    b.replace('edited.ts', 400, [{ id: 'edited.ts#0', tokens: 7 }]);
    b.drop('deleted.ts');
    assert.equal(b.chunks, 3);
    assert.equal(b.tokens, 27);
    b.close();
    assert.deepEqual(ids(await b.next(10)), ['same.ts#0', 'same.ts#1', 'edited.ts#0']);
    assert.equal(await b.next(10), undefined);
  });

  it('takes nothing while a file still to be read was edited later than everything queued', async () => {
    const b = new Backlog();
    b.expect('fresh.ts', 900);
    b.expect('stale.ts', 10);
    b.add('leftover.ts', 100, chunks('leftover.ts', 1));
    const next = b.next(10);
    assert.ok(await pending(next), 'fresh.ts is newer than the leftover: wait for it');
    b.replace('fresh.ts', 900, chunks('fresh.ts', 1));
    assert.deepEqual(ids(await next), ['fresh.ts#0', 'leftover.ts#0'], 'stale.ts is older than what is queued: no wait for it');
  });

  it('a settled file that leaves nothing to embed lets the older leftovers go; closing stops every wait', async () => {
    const b = new Backlog();
    b.expect('touched.ts', 900);
    b.add('leftover.ts', 100, chunks('leftover.ts', 1));
    const next = b.next(10);
    assert.ok(await pending(next));
    b.release('touched.ts', 900); // same content, nothing held for it
    assert.deepEqual(ids(await next), ['leftover.ts#0']);

    const stuck = new Backlog();
    stuck.expect('never.ts', 900);
    stuck.add('leftover.ts', 100, chunks('leftover.ts', 1));
    const waiting = stuck.next(10);
    assert.ok(await pending(waiting));
    stuck.close(); // the run stopped before reading never.ts
    assert.deepEqual(ids(await waiting), ['leftover.ts#0']);
  });

  it('groups leftovers by file', () => {
    const grouped = byFile([
      { id: 'a#0', path: 'a', tokens: 1 },
      { id: 'b#0', path: 'b', tokens: 2 },
      { id: 'a#1', path: 'a', tokens: 3 },
    ]);
    assert.deepEqual([...grouped], [['a', [{ id: 'a#0', tokens: 1 }, { id: 'a#1', tokens: 3 }]], ['b', [{ id: 'b#0', tokens: 2 }]]]);
  });
});
