// Bookkeeping every request needs but its answer does not wait on (the access-log line, the
// usage record, metrics, the invocation log), queued and run in batches on a short timer.
// Done right after a response is written, that work competes with the client for a CPU while
// the client reads the answer (Linux tends to wake a socket's reader on its writer's core), so
// on a small machine it adds to every request's latency; batched, most requests pay nothing and
// the batch runs with warm caches. What reads its results (`/metrics`, usage queries, shutdown)
// drains the queue first (docs/decisions/0029-deferred-bookkeeping.md).

/** One piece of deferred work: an object with a method, so queuing allocates no closure. */
export interface DeferredTask {
  run(): void;
}

/** Options of {@link DeferredWork}. */
export interface DeferredWorkOptions {
  /** Longest a task waits before its batch runs (default 20 ms). */
  delayMs?: number;
  /** A batch runs at once when this many tasks wait (default 256). */
  maxQueued?: number;
  /** Called with what a task threw; the other tasks of the batch still run. */
  onError(error: unknown): void;
}

/** A queue of bookkeeping tasks run in batches. */
export class DeferredWork {
  #tasks: DeferredTask[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #delayMs: number;
  readonly #maxQueued: number;
  readonly #onError: (error: unknown) => void;

  constructor(options: DeferredWorkOptions) {
    this.#delayMs = options.delayMs ?? 20;
    this.#maxQueued = options.maxQueued ?? 256;
    this.#onError = options.onError;
  }

  /** Queues `task` for the next batch. */
  defer(task: DeferredTask): void {
    this.#tasks.push(task);
    if (this.#tasks.length >= this.#maxQueued) this.drain();
    else this.#timer ??= setTimeout(this.drain, this.#delayMs);
  }

  /** Runs every queued task now (tasks queued while it runs wait for the next batch). */
  readonly drain = (): void => {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const tasks = this.#tasks;
    if (tasks.length === 0) return;
    this.#tasks = [];
    for (const task of tasks) {
      try {
        task.run();
      } catch (error) {
        this.#onError(error);
      }
    }
  };

  /** Tasks waiting for the next batch. */
  get pending(): number {
    return this.#tasks.length;
  }
}
