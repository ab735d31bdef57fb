// A one-consumer async queue: node-llama-cpp pushes parts from its callbacks while the
// provider's async generator pulls them, so tokens reach the client as they are produced.

/** Buffers pushed values until the consumer pulls them; ends on close or fail. */
export class PartChannel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  push(value: T): void {
    if (this.ended) return;
    this.buffer.push(value);
    this.notify();
  }

  /** Ends the channel after the buffered values. */
  close(): void {
    this.ended = true;
    this.notify();
  }

  /** Ends the channel with an error, thrown after the buffered values. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.ended = true;
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (true) {
      if (this.buffer.length) {
        yield this.buffer.shift()!;
        continue;
      }
      if (this.failure) throw this.failure.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
