// A first-come first-served async lock. SQLite has one connection per Database, so a transaction
// that awaits between statements must keep every other caller out until it ends.

/** Runs functions one at a time, in the order they asked. */
export class Mutex {
  #held = false;
  readonly #waiters: Array<() => void> = [];

  /** Whether some function holds the lock now. */
  get held(): boolean {
    return this.#held;
  }

  /** Runs `fn` once the lock is free and releases it when `fn` settles. */
  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.#held) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    else this.#held = true;
    try {
      return await fn();
    } finally {
      // Hand the lock straight to the next waiter so nobody can cut in between.
      const next = this.#waiters.shift();
      if (next) next();
      else this.#held = false;
    }
  }
}
