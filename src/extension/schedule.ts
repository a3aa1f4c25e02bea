// Scheduling of indexing runs, free of VS Code so it is unit-tested directly: a debouncer that folds a burst of file
// events into one trigger, and a queue that runs one job at a time with at most one more waiting behind it.

export interface Timers {
  set(fire: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}
const realTimers: Timers = {
  set: (fire, ms) => setTimeout(fire, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Calls `fire` once `delayMs` after the last trigger. */
export class Debouncer {
  private handle: unknown;

  constructor(
    private readonly delayMs: number,
    private readonly fire: () => void,
    private readonly timers: Timers = realTimers,
  ) {}

  trigger(): void {
    if (this.handle !== undefined) this.timers.clear(this.handle);
    this.handle = this.timers.set(() => {
      this.handle = undefined;
      this.fire();
    }, this.delayMs);
  }

  get pending(): boolean {
    return this.handle !== undefined;
  }

  dispose(): void {
    if (this.handle !== undefined) this.timers.clear(this.handle);
    this.handle = undefined;
  }
}

/**
 * Runs jobs one at a time. A request while a job runs waits as the single queued job; further requests merge into
 * it (a git checkout during an indexing run costs one more run, not one per file). Each request's promise settles
 * when the job that covers it has finished.
 */
export class RunQueue<R> {
  private active: Promise<void> | undefined;
  private queued: { request: R; done: Promise<void> } | undefined;

  constructor(
    private readonly run: (request: R) => Promise<void>,
    private readonly merge: (queued: R, incoming: R) => R,
  ) {}

  request(request: R): Promise<void> {
    if (this.queued) {
      this.queued.request = this.merge(this.queued.request, request);
      return this.queued.done;
    }
    if (!this.active) return this.launch(request);
    const previous = this.active;
    const queued: { request: R; done: Promise<void> } = { request, done: Promise.resolve() };
    queued.done = previous.then(() => {
      // dropQueued() may have cancelled it meanwhile.
      if (this.queued !== queued) return;
      this.queued = undefined;
      return this.launch(queued.request);
    });
    this.queued = queued;
    return queued.done;
  }

  get busy(): boolean {
    return this.active !== undefined;
  }

  /** A job waits behind the running one. */
  get waiting(): boolean {
    return this.queued !== undefined;
  }

  /** Forgets the waiting job (its callers' promises still settle). */
  dropQueued(): void {
    this.queued = undefined;
  }

  /** Settles when nothing runs and nothing waits. */
  async idle(): Promise<void> {
    while (this.active || this.queued) await (this.queued?.done ?? this.active);
  }

  private launch(request: R): Promise<void> {
    // The job reports its own failures; the queue only has to keep going.
    const job: Promise<void> = this.run(request)
      .catch(() => undefined)
      .finally(() => {
        if (this.active === job) this.active = undefined;
      });
    this.active = job;
    return job;
  }
}
