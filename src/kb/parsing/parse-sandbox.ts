// Runs the format parsers in worker threads, so that a hostile or pathological file cannot take
// the server down with it: a parse that runs past its time limit or is cancelled has its
// worker terminated (synchronous library code cannot be interrupted any other way), a parse
// that exhausts the worker's heap limit kills only the worker, and a library crash fails only
// that document. Workers are started lazily, reused, unref'd while idle and stopped after a
// quiet period.
import type { Worker } from "node:worker_threads";
import { startTsWorker } from "../../util/ts-worker.ts";
import type { DocumentFormat } from "../document.ts";
import { describeFormat } from "./detect-format.ts";
import { DocumentParseError, durationText, shortCause, type DocumentParseReason } from "./document-parse-error.ts";
import type { FormatOptions, FormatResult } from "./parse-format.ts";

/** What the parse worker is asked to do with a document's bytes. */
export type ParseTask =
  | { kind: "parse"; format: DocumentFormat; options: FormatOptions }
  | { kind: "render-pdf-page"; page: number; dpi: number };

/** A message to the parse worker. */
export interface ParseRequest {
  id: number;
  bytes: Uint8Array;
  task: ParseTask;
}

/** The parse worker's answer: a parse result, or a rendered page's PNG bytes. */
export type ParseReply =
  | { id: number; ok: true; result: FormatResult | Uint8Array }
  | { id: number; ok: false; reason: DocumentParseReason; message: string };

/** Limits of a {@link ParseSandbox}. */
export interface ParseSandboxOptions {
  /** Time one document may take, in milliseconds. */
  timeoutMs: number;
  /** Heap limit of each worker (V8 old generation), in MiB. */
  maxMemoryMb: number;
  /** Workers, hence documents parsed at the same time. */
  concurrency: number;
  /** A worker idle this long is stopped (it is started again when needed), in milliseconds. */
  idleMs: number;
}

type Outcome = FormatResult | Uint8Array;

interface Job {
  id: number;
  bytes: Uint8Array;
  task: ParseTask;
  signal?: AbortSignal;
  resolve: (result: Outcome) => void;
  reject: (error: DocumentParseError) => void;
  onAbort?: () => void;
}

/** One worker thread running at most one job. */
class Slot {
  worker: Worker | undefined;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

/** A pool of parse workers with a FIFO queue. */
export class ParseSandbox {
  readonly #options: ParseSandboxOptions;
  readonly #slots: Slot[];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: ParseSandboxOptions) {
    this.#options = options;
    this.#slots = Array.from({ length: Math.max(1, options.concurrency) }, () => new Slot());
  }

  /** Parses a document in a worker; every failure is a DocumentParseError. */
  parse(format: DocumentFormat, bytes: Uint8Array, options: FormatOptions, signal?: AbortSignal): Promise<FormatResult> {
    return this.#submit({ kind: "parse", format, options }, bytes, signal) as Promise<FormatResult>;
  }

  /**
   * Renders one page of a PDF as a PNG, for OCR. Each page is its own job, with its own time
   * limit, so a long scanned PDF neither holds every page image at once nor races one deadline.
   */
  renderPdfPage(bytes: Uint8Array, page: number, dpi: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.#submit({ kind: "render-pdf-page", page, dpi }, bytes, signal) as Promise<Uint8Array>;
  }

  #submit(task: ParseTask, bytes: Uint8Array, signal: AbortSignal | undefined): Promise<Outcome> {
    if (this.#closed) return Promise.reject(new DocumentParseError("ABORTED", "the parser is closed"));
    if (signal?.aborted) return Promise.reject(aborted());
    return new Promise<Outcome>((resolve, reject) => {
      const job: Job = { id: this.#nextId++, bytes, task, signal, resolve, reject };
      if (signal) {
        job.onAbort = () => this.#abort(job);
        signal.addEventListener("abort", job.onAbort, { once: true });
      }
      this.#queue.push(job);
      this.#pump();
    });
  }

  /** Stops every worker; queued and running parses fail as cancelled. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) this.#settle(job, aborted());
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.job) this.#finish(slot, aborted());
        await this.#stop(slot);
      }),
    );
  }

  #pump(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.job) continue;
      this.#start(slot, this.#queue.shift()!);
    }
  }

  #start(slot: Slot, job: Job): void {
    clearTimeout(slot.idleTimer);
    const worker = slot.worker ?? this.#spawn(slot);
    worker.ref();
    slot.job = job;
    slot.timer = setTimeout(() => {
      this.#finish(slot, new DocumentParseError("TIMEOUT", `parsing took longer than the ${durationText(this.#options.timeoutMs)} limit`));
      void this.#stop(slot).then(() => this.#pump());
    }, this.#options.timeoutMs);
    const bytes = new Uint8Array(job.bytes); // a copy (Buffer#slice would be a view): it is moved to the worker, the caller keeps its own
    const request: ParseRequest = { id: job.id, bytes, task: job.task };
    worker.postMessage(request, [bytes.buffer as ArrayBuffer]);
  }

  #spawn(slot: Slot): Worker {
    const worker = startTsWorker("./parse-worker.ts", import.meta.url, { resourceLimits: { maxOldGenerationSizeMb: this.#options.maxMemoryMb } });
    slot.worker = worker;
    worker.on("message", (reply: ParseReply) => {
      if (slot.worker !== worker || slot.job?.id !== reply.id) return;
      if (reply.ok) this.#finish(slot, reply.result);
      else this.#finish(slot, new DocumentParseError(reply.reason, reply.message));
      this.#idle(slot);
      this.#pump();
    });
    const died = (error?: Error) => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      if (slot.job) this.#finish(slot, crashed(slot.job.task.kind === "parse" ? slot.job.task.format : "pdf", error));
      this.#pump();
    };
    worker.on("error", died);
    worker.on("exit", () => died());
    return worker;
  }

  #idle(slot: Slot): void {
    const worker = slot.worker;
    if (!worker || slot.job) return;
    worker.unref();
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      if (!slot.job) void this.#stop(slot);
    }, this.#options.idleMs);
    slot.idleTimer.unref();
  }

  #abort(job: Job): void {
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      this.#settle(job, aborted());
      return;
    }
    const slot = this.#slots.find((s) => s.job === job);
    if (!slot) return;
    this.#finish(slot, aborted());
    void this.#stop(slot).then(() => this.#pump());
  }

  /** Ends the slot's current job with a result or an error. */
  #finish(slot: Slot, outcome: Outcome | DocumentParseError): void {
    const job = slot.job;
    if (!job) return;
    slot.job = undefined;
    clearTimeout(slot.timer);
    this.#settle(job, outcome);
  }

  #settle(job: Job, outcome: Outcome | DocumentParseError): void {
    if (job.onAbort) job.signal?.removeEventListener("abort", job.onAbort);
    if (outcome instanceof DocumentParseError) job.reject(outcome);
    else job.resolve(outcome);
  }

  async #stop(slot: Slot): Promise<void> {
    clearTimeout(slot.idleTimer);
    const worker = slot.worker;
    slot.worker = undefined;
    if (worker) await worker.terminate().catch(() => undefined);
  }
}

function aborted(): DocumentParseError {
  return new DocumentParseError("ABORTED", "parsing was cancelled");
}

function crashed(format: DocumentFormat, error: Error | undefined): DocumentParseError {
  if ((error as { code?: string } | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY") {
    return new DocumentParseError("RESOURCE_LIMIT", `${describeFormat(format)} needs more memory to parse than the limit allows`, { cause: error });
  }
  const cause = error ? `: ${shortCause(error)}` : "";
  return new DocumentParseError("MALFORMED", `${describeFormat(format)} could not be read: the parser stopped unexpectedly${cause}`, { cause: error });
}
