// HTTP to upstream model servers: ONE keep-alive HTTP/1.1 pool per upstream origin
// (http1/pool.ts), shared by every model pointing at it. This is on the gateway's hot path, so a
// call does one Map lookup, one JSON.stringify and one dispatch with a handler object:
// `postJson` gathers the body's chunks, `postSse` parses events as they come (sse-stream.ts).
// No Readable, Web stream or Request/Response objects per call (decision 0030).
import type { Logger } from "pino";
import { Http1Pool, type ResponseHandler } from "./http1/pool.ts";
import type { ResponseHeaders } from "./http1/response-parser.ts";
import { BasaltError } from "../../spec/errors.ts";
import { timeoutError } from "../deadline.ts";
import { listenForAbort, type Cancellation, type StreamPart, type Warning } from "../../spec/model.ts";
import { retryAfterSeconds, statusError, transportError } from "./errors.ts";
import { SseStream, type SseMapper } from "./sse-stream.ts";

/** Where an upstream lives: the pool key plus the path prefix every call is appended to. */
export interface UpstreamEndpoint {
  origin: string;
  basePath: string;
  /** Query string of the base URL (e.g. Azure's api-version), appended to every path. */
  search: string;
}

/** Splits a base URL; a bare origin gets `defaultPrefix` (the `/v1` both APIs live under). */
export function upstreamEndpoint(baseUrl: string, defaultPrefix = "/v1"): UpstreamEndpoint {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, "");
  return { origin: url.origin, basePath: path === "" ? defaultPrefix : path, search: url.search };
}

/** One upstream call. */
export interface UpstreamPost {
  endpoint: UpstreamEndpoint;
  /** Appended to the endpoint's base path, e.g. `/chat/completions`. */
  path: string;
  headers: Record<string, string>;
  body: string;
  /** An abort cancels the call (a request's AbortSignal or its cheap form). */
  signal?: Cancellation;
  /**
   * Bounds waiting for the head and for each body chunk when the call has no tighter bound of its
   * own (`deadlineAt`, `idleTimeoutMs`); the registry's deadline is the real bound.
   */
  timeoutMs: number;
  /** `performance.now()` time by which a postJson() call must end (the model call's deadline). */
  deadlineAt?: number;
  /** A postSse() stream fails with ModelTimeoutException after this long without a body chunk. */
  idleTimeoutMs?: number;
  /** Upstream kind for messages, e.g. "OpenAI-compatible". */
  upstream: string;
  logger: Logger;
}

const ERROR_BODY_LOG_LIMIT = 2048;

/** Pools of keep-alive sockets to upstream origins. */
export class UpstreamHttp {
  private readonly pools = new Map<string, Http1Pool>();
  private readonly sizes = new Map<string, number>();

  /** Declares an origin's pool size; models sharing an origin get the largest they ask for. */
  reserve(origin: string, connections: number): void {
    this.sizes.set(origin, Math.max(this.sizes.get(origin) ?? 0, connections));
  }

  private pool(origin: string): Http1Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      // Idle sockets stay warm for bursts (30 s, or the server's Keep-Alive hint less 1 s).
      pool = new Http1Pool(origin, { connections: this.sizes.get(origin) ?? 128 });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /**
   * POSTs JSON and resolves with the parsed 2xx body, passed through `map` when given (mapping
   * in the transport's completion saves the caller a promise and a turn); rejects with a
   * BasaltError for any other status, a transport failure, an abort of `signal` or a body that
   * is not JSON, and with whatever `map` throws.
   */
  postJson<T = unknown>(call: UpstreamPost, map?: (json: unknown) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const handler = new JsonResponseHandler(call, resolve as (value: unknown) => void, reject, map);
      if (!handler.settled) this.dispatch(call, handler);
    });
  }

  /**
   * POSTs JSON and streams the SSE answer as typed parts, mapped by `mapper` (sse-stream.ts).
   * The call starts now; a failure before the response head is thrown from the first next().
   */
  postSse(call: UpstreamPost, mapper: SseMapper, warnings: readonly Warning[]): AsyncIterable<StreamPart> {
    const stream = new SseStream(call, mapper, warnings);
    if (!stream.settled) this.dispatch(call, stream);
    return stream;
  }

  private dispatch(call: UpstreamPost, handler: ResponseHandler): void {
    const { endpoint } = call;
    this.pool(endpoint.origin).dispatch(
      {
        method: "POST",
        path: endpoint.basePath + call.path + endpoint.search,
        headers: call.headers,
        body: call.body,
        idleTimeoutMs: call.deadlineAt === undefined && call.idleTimeoutMs === undefined ? call.timeoutMs : undefined,
      },
      handler,
    );
  }

  /** Destroys every pool and its sockets; a later call opens fresh ones. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }
}

/**
 * Gathers one response for {@link UpstreamHttp.postJson}: the pool's handler callbacks
 * (onConnect/onHeaders/onData/onComplete/onError).
 */
class JsonResponseHandler implements ResponseHandler {
  settled = false;
  private abort: ((reason?: Error) => void) | undefined;
  private status = 0;
  private headers: ResponseHeaders | undefined;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly onAbort: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly call: UpstreamPost,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
    private readonly map: ((json: unknown) => unknown) | undefined,
  ) {
    this.onAbort = listenForAbort(call.signal, (reason) => {
      this.abort?.(reason as Error);
      this.fail(reason);
    });
    if (call.deadlineAt !== undefined && !this.settled) {
      // Whole milliseconds: Node keeps one timer list per distinct duration, so a fractional
      // one (a new list and a heap insert per call) costs several times an integer's append.
      this.timer = setTimeout(() => {
        const error = timeoutError(call.timeoutMs);
        this.abort?.(error);
        this.fail(error);
      }, Math.max(0, Math.ceil(call.deadlineAt - performance.now())));
    }
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.settled) abort(new Error("aborted"));
    else this.abort = abort;
  }

  onHeaders(status: number, headers: ResponseHeaders): boolean {
    this.status = status;
    if (status >= 300) this.headers = headers;
    return true;
  }

  onData(chunk: Buffer): boolean {
    // An error body is kept only as far as the debug log shows it.
    if (this.status < 300 || this.size < ERROR_BODY_LOG_LIMIT) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    const { call } = this;
    const text = this.chunks.length === 1 ? this.chunks[0]!.toString("utf8") : Buffer.concat(this.chunks).toString("utf8");
    if (this.status >= 300) {
      call.logger.debug({ status: this.status, body: text.slice(0, ERROR_BODY_LOG_LIMIT) }, "upstream error response");
      return this.fail(statusError({ upstream: call.upstream, status: this.status, retryAfterSeconds: this.headers ? retryAfterSeconds(this.headers) : undefined }));
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      call.logger.debug({ body: text.slice(0, ERROR_BODY_LOG_LIMIT) }, "upstream returned invalid JSON");
      return this.fail(new BasaltError("MODEL_ERROR", `The ${call.upstream} upstream returned a body that is not JSON.`, { cause: error }));
    }
    this.finish();
    if (this.map) {
      try {
        value = this.map(value);
      } catch (error) {
        return this.reject(error); // the caller's own error, as it threw it
      }
    }
    this.resolve(value);
  }

  onError(error: Error): void {
    this.fail(error);
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.finish();
    this.reject(error instanceof BasaltError ? error : transportError({ upstream: this.call.upstream, error, signal: this.call.signal }));
  }

  private finish(): void {
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.onAbort) this.call.signal!.removeEventListener("abort", this.onAbort);
  }
}
