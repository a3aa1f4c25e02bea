// Capped concurrency over a list, the engine's one helper for it: embedding batches, stats during discovery, file reads
// while indexing. Both functions start the calls in input order, never more than `limit` at a time, start none after a
// call failed or the signal was aborted, and settle only once every call they started has settled, so no work is left
// running behind a rejection. A failure is reported as the first one in time: later ones are often its consequence
// (another call cancelled because of it).

/**
 * `fn` over every item with at most `limit` calls running; a call starts as soon as another ends, so one slow item does
 * not hold the others up. Resolves to the results in input order. Rejects with the first failure of `fn`, or, when the
 * signal stopped calls from starting, with the signal's reason.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  checkLimit(limit);
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && !signal?.aborted && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  if (next < items.length) signal?.throwIfAborted();
  return results;
}

/**
 * `fn` over every item, yielding the results in input order as the consumer asks for them. At most `limit` items are
 * started and not yet handed over, which bounds both the calls running and the results held in memory: while the
 * consumer works on one result (writing a batch, say) the next `limit` are under way, and a finished one waits for the
 * items before it. Breaking out of the loop stops it once the running calls settle.
 * Throws as mapLimit rejects, as soon as the consumer asks for a result after the failure or the abort; results not
 * yet yielded then are dropped.
 */
export async function* mapInOrder<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): AsyncGenerator<R, void, undefined> {
  checkLimit(limit);
  const window: Array<Promise<{ value: R } | undefined>> = [];
  let next = 0;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  const start = async (index: number) => {
    try {
      return { value: await fn(items[index], index) };
    } catch (error) {
      failure ??= { error };
      return undefined;
    }
  };
  const fill = () => {
    while (!failure && !signal?.aborted && next < items.length && window.length < limit) window.push(start(next++));
  };
  try {
    for (;;) {
      fill();
      const head = window.shift();
      if (!head) break;
      const settled = await head;
      if (!settled || failure || signal?.aborted) {
        stopped = true;
        break;
      }
      fill();
      yield settled.value;
    }
  } finally {
    await Promise.all(window);
  }
  if (failure) throw failure.error;
  if (stopped || next < items.length) signal?.throwIfAborted();
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
}
