import { strict as assert } from 'node:assert';
import { Debouncer, RunQueue, type Timers } from '../../../src/extension/schedule';

/** Timers fired by hand: the tests decide when time passes. */
class ManualTimers implements Timers {
  private next = 0;
  readonly pending = new Map<number, () => void>();
  set(fire: () => void): unknown {
    const id = ++this.next;
    this.pending.set(id, fire);
    return id;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  fireAll(): void {
    const fires = [...this.pending.values()];
    this.pending.clear();
    for (const f of fires) f();
  }
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('extension scheduling', () => {
  it('debounces a burst of triggers into one call', () => {
    const timers = new ManualTimers();
    let calls = 0;
    const debouncer = new Debouncer(1000, () => calls++, timers);
    for (let i = 0; i < 50; i++) debouncer.trigger();
    assert.equal(timers.pending.size, 1, 'each trigger replaces the previous timer');
    timers.fireAll();
    assert.equal(calls, 1);
    debouncer.trigger();
    debouncer.dispose();
    timers.fireAll();
    assert.equal(calls, 1, 'a disposed debouncer never fires');
  });

  it('runs one job at a time with at most one merged job queued behind it', async () => {
    const started: Array<{ force: boolean }> = [];
    const gates: Array<ReturnType<typeof deferred>> = [];
    const queue = new RunQueue<{ force: boolean }>(
      (r) => {
        started.push(r);
        const gate = deferred();
        gates.push(gate);
        return gate.promise;
      },
      (a, b) => ({ force: a.force || b.force }),
    );
    const first = queue.request({ force: false });
    // A git checkout: many requests while the first run is busy.
    const burst = [queue.request({ force: false }), queue.request({ force: true }), queue.request({ force: false })];
    assert.equal(started.length, 1);
    assert.ok(queue.busy);
    gates[0].resolve();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.equal(started.length, 2, 'the burst became one more run');
    assert.deepEqual(started[1], { force: true }, 'merged requests keep the strongest option');
    gates[1].resolve();
    await Promise.all(burst);
    assert.equal(started.length, 2);
    await queue.idle();
    assert.ok(!queue.busy);
  });

  it('keeps going after a failed job, and can drop the queued one', async () => {
    let runs = 0;
    const gate = deferred();
    const queue = new RunQueue<number>(
      async (n) => {
        runs++;
        if (n === 1) {
          await gate.promise;
          throw new Error('run failed');
        }
      },
      (_a, b) => b,
    );
    const first = queue.request(1);
    const dropped = queue.request(2);
    queue.dropQueued();
    gate.resolve();
    await first;
    await dropped;
    assert.equal(runs, 1, 'the dropped request never ran');
    await queue.request(3);
    assert.equal(runs, 2);
  });
});
