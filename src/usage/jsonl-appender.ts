// Appends JSON Lines (or other one-line records) to files, one write queue per file: concurrent
// requests never interleave partial lines, and lines queued while a write is running go out
// together in the next one.
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";

interface Queue {
  lines: string[];
  waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
  running: boolean;
}

/** Serialised, batched appends of JSON Lines; `flush` waits for everything queued. */
export class JsonlAppender {
  private readonly queues = new Map<string, Queue>();
  private readonly madeDirs = new Set<string>();

  /** Queues one value as a line of `path`; resolves once it is written. */
  append(path: string, value: unknown): Promise<void> {
    return this.appendLine(path, JSON.stringify(value));
  }

  /** Queues one line of text (without its newline, which must not occur in it); resolves once it is written. */
  appendLine(path: string, line: string): Promise<void> {
    let queue = this.queues.get(path);
    if (!queue) {
      queue = { lines: [], waiters: [], running: false };
      this.queues.set(path, queue);
    }
    queue.lines.push(`${line}\n`);
    const done = new Promise<void>((resolve, reject) => queue.waiters.push({ resolve, reject }));
    if (!queue.running) void this.drain(path, queue);
    return done;
  }

  /** Resolves when every line queued so far is written (or failed). */
  async flush(): Promise<void> {
    const pending = [...this.queues.values()].filter((q) => q.running || q.lines.length);
    await Promise.all(pending.map((q) => new Promise<void>((resolve) => q.waiters.push({ resolve, reject: () => resolve() }))));
  }

  private async drain(path: string, queue: Queue): Promise<void> {
    queue.running = true;
    while (queue.lines.length) {
      const lines = queue.lines.join("");
      const waiters = queue.waiters;
      queue.lines = [];
      queue.waiters = [];
      try {
        const dir = dirname(path);
        if (!this.madeDirs.has(dir)) {
          await mkdir(dir, { recursive: true });
          this.madeDirs.add(dir);
        }
        await appendFile(path, lines, { mode: 0o600 });
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
    // Waiters left without lines are flush() callers: everything before them is written.
    for (const w of queue.waiters) w.resolve();
    queue.running = false;
    this.queues.delete(path);
  }
}
