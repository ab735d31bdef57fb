// Typed stream parts straight from an SSE upstream response (OpenAI-compatible, Anthropic). The
// upstream pool's response handler (http1/pool.ts) feeds each body chunk to eventsource-parser
// and the provider's mapper, and the parts wait in a queue for the consumer's next(): no
// Readable, no async generator per layer, so a chunk costs one parse, one map and at most one
// promise. This is the gateway's streaming hot path (several hundred concurrent streams on two cores).
//
// The stream's idle deadline lives here too: one timer, refreshed by every body chunk and
// stopped while the consumer holds the stream back (that time is the client's, not the model's).
// The body is read to its natural end (never abandoned after `[DONE]`), so the socket returns to
// the pool; a consumer that leaves early aborts the request, which releases the socket at once.
import { createParser, type EventSourceParser, type ParseError } from "eventsource-parser";
import { TextDecoder } from "node:util";
import { BasaltError } from "../../spec/errors.ts";
import { listenForAbort, type StreamPart, type Warning } from "../../spec/model.ts";
import { timeoutError } from "../deadline.ts";
import { malformedStream, retryAfterSeconds, statusError, transportError } from "./errors.ts";
import type { UpstreamPost } from "./http-client.ts";
import type { ResponseHandler } from "./http1/pool.ts";
import type { ResponseHeaders } from "./http1/response-parser.ts";

/** A provider's stateful SSE mapper: feed it each message's data, then call `end`. */
export interface SseMapper {
  data(data: string, out: StreamPart[]): void;
  end(out: StreamPart[]): void;
}

/** Bounds memory against an upstream that never ends a line or an event. */
const MAX_BUFFER = 16 * 1024 * 1024;
/** Parts waiting for a slow consumer before the upstream socket is paused, and when it resumes. */
const HIGH_WATER = 512;
const LOW_WATER = 64;
const ERROR_BODY_LOG_LIMIT = 2048;

type Waiter = { resolve: (step: IteratorResult<StreamPart>) => void; reject: (error: unknown) => void };

const DONE: IteratorResult<StreamPart> = { done: true, value: undefined };

/**
 * One streaming upstream call: the response handler the upstream pool drives (onConnect …
 * onComplete) and the async iterator the caller reads. Created by {@link UpstreamHttp.postSse}.
 */
export class SseStream implements AsyncIterableIterator<StreamPart>, ResponseHandler {
  private readonly queue: StreamPart[] = [];
  private head = 0;
  private waiter: Waiter | undefined;
  private failure: unknown;
  /** The body ended and the mapper closed the stream. */
  private complete = false;
  /** No more callbacks matter: completed, failed or left by the consumer. */
  settled = false;
  private status = 0;
  private headers: ResponseHeaders | undefined;
  private readonly errorBody: Buffer[] = [];
  private errorBodySize = 0;
  private abortDispatch: ((reason?: Error) => void) | undefined;
  private resumeDispatch: (() => void) | undefined;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort: (() => void) | undefined;
  private parser: EventSourceParser | undefined;
  private decoder: TextDecoder | undefined;

  constructor(
    private readonly call: UpstreamPost,
    private readonly mapper: SseMapper,
    warnings: readonly Warning[],
  ) {
    for (const warning of warnings) this.queue.push({ type: "warning", warning });
    this.onAbort = listenForAbort(call.signal, (reason) => {
      this.abortDispatch?.(reason as Error);
      this.fail(reason);
    });
    if (!this.settled) this.arm();
  }

  // ---- the consumer's side ----

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StreamPart>> {
    if (this.head < this.queue.length) return Promise.resolve({ done: false, value: this.take() });
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      this.complete = true; // the error is delivered once; the iterator is then done
      return Promise.reject(failure);
    }
    if (this.complete) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The consumer leaves early: the request is aborted and its socket released. */
  return(): Promise<IteratorResult<StreamPart>> {
    if (!this.settled) {
      this.finish();
      this.abortDispatch?.(new Error("The stream's consumer went away."));
    }
    this.complete = true;
    this.queue.length = 0;
    this.head = 0;
    this.wake(); // a next() still waiting ends too
    return Promise.resolve(DONE);
  }

  private take(): StreamPart {
    const part = this.queue[this.head++]!;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    if (this.paused && this.queue.length - this.head <= LOW_WATER) {
      this.paused = false;
      this.arm();
      this.resumeDispatch?.();
    }
    return part;
  }

  /** Hands the next step to a consumer waiting in next(). */
  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    if (this.head < this.queue.length) {
      this.waiter = undefined;
      waiter.resolve({ done: false, value: this.take() });
    } else if (this.failure !== undefined) {
      this.waiter = undefined;
      const failure = this.failure;
      this.failure = undefined;
      this.complete = true;
      waiter.reject(failure);
    } else if (this.complete) {
      this.waiter = undefined;
      waiter.resolve(DONE);
    }
  }

  // ---- the upstream pool's side (its response-handler callbacks) ----

  onConnect(abort: (reason?: Error) => void): void {
    if (this.settled) abort(new Error("aborted"));
    else this.abortDispatch = abort;
  }

  onHeaders(status: number, headers: ResponseHeaders, resume: () => void): boolean {
    this.status = status;
    this.resumeDispatch = resume;
    if (status >= 300) {
      this.headers = headers;
      return true;
    }
    this.timer?.refresh();
    this.decoder = new TextDecoder(); // keeps multi-byte characters split across chunks intact
    this.parser = createParser({
      maxBufferSize: MAX_BUFFER,
      onEvent: (message) => {
        if (!this.settled) this.mapper.data(message.data, this.queue);
      },
      onError: (error: ParseError) => {
        // An unknown field is a bare non-SSE line (some servers print raw JSON errors mid-stream).
        if (error.type !== "invalid-retry") throw malformedStream(this.call.upstream, error.type, error);
      },
    });
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    if (this.status >= 300) {
      // An error body is kept only as far as the debug log shows it.
      if (this.errorBodySize < ERROR_BODY_LOG_LIMIT) {
        this.errorBody.push(chunk);
        this.errorBodySize += chunk.length;
      }
      return true;
    }
    this.timer?.refresh();
    try {
      this.parser!.feed(this.decoder!.decode(chunk, { stream: true }));
    } catch (error) {
      this.abortDispatch?.(error as Error);
      this.fail(error);
      return true;
    }
    this.wake();
    if (this.queue.length - this.head < HIGH_WATER) return true;
    this.paused = true;
    this.disarm();
    return false;
  }

  onComplete(): void {
    if (this.settled) return;
    const { call } = this;
    if (this.status >= 300) {
      const text = Buffer.concat(this.errorBody).toString("utf8");
      call.logger.debug({ status: this.status, body: text.slice(0, ERROR_BODY_LOG_LIMIT) }, "upstream error response");
      return this.fail(statusError({ upstream: call.upstream, status: this.status, retryAfterSeconds: this.headers ? retryAfterSeconds(this.headers) : undefined }));
    }
    try {
      // An event still missing its blank line at the end is discarded, as the SSE specification
      // requires; the mapper then sees the stream as cut short.
      this.mapper.end(this.queue);
    } catch (error) {
      return this.fail(error);
    }
    this.finish();
    this.complete = true;
    this.wake();
  }

  onError(error: Error): void {
    this.fail(error);
  }

  // ---- shared ----

  private fail(error: unknown): void {
    if (this.settled) return;
    this.finish();
    const streaming = this.status >= 200 && this.status < 300;
    this.failure = error instanceof BasaltError ? error : transportError({ upstream: this.call.upstream, error, signal: this.call.signal, streaming });
    this.wake();
  }

  private finish(): void {
    this.settled = true;
    this.disarm();
    if (this.onAbort) this.call.signal!.removeEventListener("abort", this.onAbort);
  }

  /** Starts (or restarts) the idle timer. */
  private arm(): void {
    const idleMs = this.call.idleTimeoutMs;
    if (idleMs === undefined) return;
    this.timer = setTimeout(() => {
      const error = timeoutError(idleMs);
      this.abortDispatch?.(error);
      this.fail(error);
    }, idleMs);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
