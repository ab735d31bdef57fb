// Data for the vector-search benchmark: synthetic vectors generated in shared memory by worker
// threads (one copy, however many threads), and exact top-k ground truth by brute force over
// every core, cached on disk by its parameters because at 1M vectors it is the slow part.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { BLOCK, buildModel, modelSize, type MixtureShape } from "./vector-mixture.ts";
import type { VectorTask, VectorWorkerData } from "./vector-worker.ts";

// Workers do not inherit tsx's loader hooks: each registers them before importing the worker.
const WORKER_BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL("./vector-worker.ts", import.meta.url).href)}); })`;

type TaskBody = VectorTask extends infer T ? (T extends VectorTask ? Omit<T, "id"> : never) : never;

/** A pool of worker threads sharing the mixture model. */
export class VectorWorkers {
  readonly #workers: Worker[];
  readonly #idle: Worker[];
  readonly #waiting: Array<() => void> = [];
  readonly #pending = new Map<number, () => void>();
  #next = 0;

  constructor(readonly shape: MixtureShape, threads = availableParallelism()) {
    const model = new SharedArrayBuffer(modelSize(shape) * 4);
    buildModel(shape, new Float32Array(model));
    const data: VectorWorkerData = { shape, model };
    this.#workers = Array.from({ length: Math.max(1, threads) }, () => {
      const worker = new Worker(WORKER_BOOTSTRAP, { eval: true, workerData: data });
      worker.on("message", (id: number) => {
        this.#pending.get(id)?.();
        this.#pending.delete(id);
        this.#release(worker);
      });
      worker.on("error", (error) => {
        console.error(error);
        process.exit(1);
      });
      return worker;
    });
    this.#idle = [...this.#workers];
  }

  get threads(): number {
    return this.#workers.length;
  }

  #release(worker: Worker): void {
    this.#idle.push(worker);
    this.#waiting.shift()?.();
  }

  async #run(task: TaskBody): Promise<void> {
    while (this.#idle.length === 0) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    const worker = this.#idle.pop()!;
    const id = this.#next++;
    await new Promise<void>((resolve) => {
      this.#pending.set(id, resolve);
      worker.postMessage({ ...task, id });
    });
  }

  /** `count` unit vectors of the mixture (stream 0: corpus, 1: queries), in shared memory. */
  async generate(count: number, stream: number, progress?: (done: number) => void): Promise<Float32Array> {
    const target = new SharedArrayBuffer(count * this.shape.dimensions * 4);
    let done = 0;
    const blocks = Math.ceil(count / BLOCK);
    await Promise.all(
      Array.from({ length: blocks }, async (_, block) => {
        const n = Math.min(BLOCK, count - block * BLOCK);
        await this.#run({ type: "generate", target, block, count: n, stream });
        done += n;
        progress?.(done);
      }),
    );
    return new Float32Array(target);
  }

  /** Exact top-k rows (by inner product) of every query, k per query, best first. */
  async exactTopK(data: Float32Array, queries: Float32Array, k: number, progress?: (done: number) => void): Promise<Int32Array> {
    const d = this.shape.dimensions;
    const rows = data.length / d;
    const count = queries.length / d;
    const out = new SharedArrayBuffer(count * k * 4);
    const step = 16;
    let done = 0;
    await Promise.all(
      Array.from({ length: Math.ceil(count / step) }, async (_, i) => {
        const from = i * step;
        const to = Math.min(count, from + step);
        await this.#run({ type: "exact", data: data.buffer as SharedArrayBuffer, rows, queries: queries.buffer as SharedArrayBuffer, from, to, k, out });
        done += to - from;
        progress?.(done);
      }),
    );
    return new Int32Array(out);
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

/**
 * Ground truth for a data set, read from the cache when the same shape, size, queries and k
 * were computed before (in the system temp folder), else computed and cached.
 */
export async function groundTruth(options: { workers: VectorWorkers; data: Float32Array; queries: Float32Array; k: number; log: (line: string) => void }): Promise<Int32Array> {
  const { workers, data, queries, k } = options;
  const d = workers.shape.dimensions;
  const key = createHash("sha256").update(JSON.stringify({ shape: workers.shape, rows: data.length / d, queries: queries.length / d, k, version: 1 })).digest("hex").slice(0, 16);
  const dir = join(tmpdir(), "basalt-vector-bench");
  const file = join(dir, `truth-${key}.bin`);
  if (existsSync(file)) {
    const bytes = readFileSync(file);
    options.log(`ground truth: cached (${file})`);
    return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }
  const started = performance.now();
  const count = queries.length / d;
  let last = 0;
  const truth = await workers.exactTopK(data, queries, k, (done) => {
    const now = performance.now();
    if (now - last > 5000 || done === count) {
      last = now;
      options.log(`ground truth: ${done}/${count} queries exact (${((now - started) / 1000).toFixed(0)} s, ${workers.threads} threads)`);
    }
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, new Uint8Array(truth.buffer as SharedArrayBuffer));
  return truth;
}
