// A fair FIFO queue in front of a model's parallel sequences (slots). A freed slot goes
// straight to the oldest waiter, so a burst of new requests can never overtake one that is
// already waiting; a waiter whose signal aborts leaves the queue at once.

interface Waiter {
  resolve(slot: number): void;
  reject(reason: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Hands out `capacity` numbered slots in strict arrival order. */
export class RequestQueue {
  private readonly free: number[];
  private readonly waiters: Waiter[] = [];

  constructor(readonly capacity: number) {
    // Lowest slot first: slot 0's sequence keeps the warmest prefix cache under light load.
    this.free = Array.from({ length: capacity }, (_, i) => capacity - 1 - i);
  }

  /** Requests holding a slot. */
  get active(): number {
    return this.capacity - this.free.length;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves with a slot number once one is free; rejects with the signal's reason if aborted first. */
  acquire(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.free.length && !this.waiters.length) return Promise.resolve(this.free.pop()!);
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const at = this.waiters.indexOf(waiter);
          if (at !== -1) this.waiters.splice(at, 1);
          reject(abortReason(signal));
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  /** Returns a slot: to the oldest waiter if there is one, else to the free list. */
  release(slot: number): void {
    const next = this.waiters.shift();
    if (!next) {
      this.free.push(slot);
      return;
    }
    if (next.onAbort) next.signal?.removeEventListener("abort", next.onAbort);
    next.resolve(slot);
  }
}

/** The error an aborted signal stands for (its reason, or a standard AbortError). */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}
