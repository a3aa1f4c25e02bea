import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { mapInOrder, mapLimit } from '../../src/core/concurrency';

/** Calls that finish when the test says so, recording which are running. */
function gate<R>() {
  const running = new Set<number>();
  const started: number[] = [];
  let peak = 0;
  const waiting = new Map<number, { resolve: (v: R) => void; reject: (e: unknown) => void }>();
  const fn = (_item: unknown, index: number) =>
    new Promise<R>((resolve, reject) => {
      started.push(index);
      running.add(index);
      peak = Math.max(peak, running.size);
      const done = () => running.delete(index);
      waiting.set(index, { resolve: (v) => (done(), resolve(v)), reject: (e) => (done(), reject(e)) });
    });
  return {
    fn,
    running,
    started,
    peak: () => peak,
    resolve: async (index: number, value: R) => (waiting.get(index)!.resolve(value), settle()),
    reject: async (index: number, error: unknown) => (waiting.get(index)!.reject(error), settle()),
  };
}
/** Lets every ready continuation run. */
const settle = () => delay(0);

async function collect<R>(it: AsyncIterable<R>): Promise<R[]> {
  const out: R[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe('mapLimit', () => {
  it('returns the results in input order whatever order the calls finish in', async () => {
    const items = [30, 5, 20, 0, 10];
    assert.deepEqual(await mapLimit(items, 2, async (ms, i) => (await delay(ms), `${i}:${ms}`)), ['0:30', '1:5', '2:20', '3:0', '4:10']);
  });

  it('keeps `limit` calls running: one slow call does not hold the others up', async () => {
    const g = gate<number>();
    const all = mapLimit([0, 1, 2, 3, 4], 2, g.fn);
    await settle();
    assert.deepEqual([...g.running], [0, 1]);
    await g.resolve(1, 1);
    await g.resolve(2, 2);
    assert.deepEqual([...g.running].sort(), [0, 3], 'item 3 started while item 0 still runs');
    await g.resolve(3, 3);
    await g.resolve(4, 4);
    await g.resolve(0, 0);
    assert.deepEqual(await all, [0, 1, 2, 3, 4]);
    assert.equal(g.peak(), 2);
  });

  it('handles no items and a limit above their number', async () => {
    assert.deepEqual(await mapLimit([], 4, async () => assert.fail('not called')), []);
    assert.deepEqual(await mapLimit(['a'], 8, async (s) => s.toUpperCase()), ['A']);
  });

  it('refuses a limit that is not a positive integer', async () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) await assert.rejects(mapLimit([1], limit, async (x) => x), RangeError);
  });

  it('starts nothing after a failure, waits for the running calls, and rejects with the first failure in time', async () => {
    const g = gate<number>();
    let settled = false;
    const all = mapLimit([0, 1, 2, 3], 2, g.fn).finally(() => (settled = true));
    all.catch(() => undefined);
    await settle();
    await g.reject(1, new Error('first'));
    assert.deepEqual(g.started, [0, 1], 'nothing started after the failure');
    assert.equal(settled, false, 'still waiting for item 0');
    await g.reject(0, new Error('second, caused by the first'));
    await assert.rejects(all, /^Error: first$/);
  });

  it('a call that throws synchronously is a failure like any other', async () => {
    await assert.rejects(
      mapLimit([1, 2], 1, (x) => {
        if (x === 1) throw new Error('sync');
        return Promise.resolve(x);
      }),
      /sync/,
    );
  });

  it('stops starting calls when the signal is aborted and rejects with its reason', async () => {
    const g = gate<number>();
    const controller = new AbortController();
    const all = mapLimit([0, 1, 2, 3], 1, g.fn, controller.signal);
    all.catch(() => undefined);
    await settle();
    controller.abort(new Error('stop'));
    await g.resolve(0, 0);
    await assert.rejects(all, /stop/);
    assert.deepEqual(g.started, [0]);
  });

  it('returns the results when the signal is aborted after every call started and succeeded', async () => {
    const controller = new AbortController();
    const all = mapLimit([1, 2], 2, async (x) => (await settle(), controller.abort(), x * 2), controller.signal);
    assert.deepEqual(await all, [2, 4]);
  });

  it('starts nothing on an aborted signal', async () => {
    const signal = AbortSignal.abort(new Error('already'));
    await assert.rejects(mapLimit([1], 1, async () => assert.fail('not called'), signal), /already/);
  });
});

describe('mapInOrder', () => {
  it('yields the results in input order', async () => {
    assert.deepEqual(await collect(mapInOrder([30, 5, 20, 0], 3, async (ms, i) => (await delay(ms), i))), [0, 1, 2, 3]);
  });

  it('has at most `limit` items started and not handed over, and starts more only as the consumer asks', async () => {
    const g = gate<string>();
    const it = mapInOrder([0, 1, 2, 3, 4], 2, g.fn)[Symbol.asyncIterator]();
    const first = it.next();
    await settle();
    assert.deepEqual(g.started, [0, 1]);
    await g.resolve(1, 'b');
    assert.deepEqual(g.started, [0, 1], 'item 1 finished but is not consumed yet');
    await g.resolve(0, 'a');
    assert.deepEqual(await first, { value: 'a', done: false });
    // While the consumer holds item 0, item 2 starts in its place, and nothing else.
    await settle();
    assert.deepEqual(g.started, [0, 1, 2]);
    assert.deepEqual(await it.next(), { value: 'b', done: false });
    await settle();
    assert.deepEqual(g.started, [0, 1, 2, 3]);
    await g.resolve(2, 'c');
    await g.resolve(3, 'd');
    assert.deepEqual(await it.next(), { value: 'c', done: false });
    assert.deepEqual(await it.next(), { value: 'd', done: false });
    const last = it.next();
    await settle();
    await g.resolve(4, 'e');
    assert.deepEqual(await last, { value: 'e', done: false });
    assert.deepEqual(await it.next(), { value: undefined, done: true });
    assert.equal(g.peak(), 2);
  });

  it('a consumer that breaks out stops it once the running calls settle', async () => {
    const g = gate<number>();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const r of mapInOrder([0, 1, 2, 3], 2, g.fn)) {
        seen.push(r);
        break;
      }
    })();
    await settle();
    await g.resolve(0, 0);
    let done = false;
    void loop.then(() => (done = true));
    await settle();
    assert.equal(done, false);
    assert.deepEqual(g.started, [0, 1, 2], 'items 1 and 2 were under way while the consumer held item 0');
    await g.resolve(1, 1);
    assert.equal(done, false, 'waits for item 2, which was running');
    await g.resolve(2, 2);
    await loop;
    assert.deepEqual(seen, [0]);
    assert.deepEqual(g.started, [0, 1, 2]);
  });

  it('throws the first failure in time after the results yielded before it, and starts nothing after it', async () => {
    const g = gate<number>();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const r of mapInOrder([0, 1, 2, 3], 2, g.fn)) seen.push(r);
    })();
    loop.catch(() => undefined);
    await settle();
    await g.resolve(0, 0);
    await g.reject(2, new Error('first'));
    await g.reject(1, new Error('second'));
    await assert.rejects(loop, /^Error: first$/);
    assert.deepEqual(seen, [0]);
    assert.deepEqual(g.started, [0, 1, 2]);
  });

  it('stops on an aborted signal with its reason, dropping what was not yielded yet', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const r of mapInOrder([0, 1, 2, 3], 2, async (x) => x, controller.signal)) {
        seen.push(r);
        if (r === 1) controller.abort(new Error('stop'));
      }
    })();
    await assert.rejects(loop, /stop/);
    assert.deepEqual(seen, [0, 1]);
  });

  it('yields the last result even when the signal is aborted while the consumer holds it', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    for await (const r of mapInOrder([0, 1], 2, async (x) => x, controller.signal)) {
      seen.push(r);
      if (r === 1) controller.abort();
    }
    assert.deepEqual(seen, [0, 1]);
  });

  it('refuses a limit that is not a positive integer', async () => {
    await assert.rejects(collect(mapInOrder([1], 0, async (x) => x)), RangeError);
  });
});
