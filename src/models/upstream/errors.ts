// Maps upstream failures (HTTP statuses, socket errors, aborts) to Basalt's error codes, the
// same way for every upstream provider. Messages are ours and short: upstream bodies never
// reach a client (callers log them at debug) and no secret is ever part of a message.
import { BasaltError } from "../../spec/errors.ts";
import type { Cancellation } from "../../spec/model.ts";
import { ResponseHeaders } from "./http1/response-parser.ts";

/** Socket-level error codes meaning the upstream could not be reached at all. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "UPSTREAM_CONNECT_TIMEOUT",
]);

/** Error codes meaning the upstream accepted the request but did not answer in time. */
const TIMED_OUT = new Set(["UPSTREAM_TIMEOUT", "ETIMEDOUT"]);

/** Options of {@link statusError}. */
export interface StatusErrorOptions {
  /** Human name of the upstream kind, e.g. "OpenAI-compatible". */
  upstream: string;
  status: number;
  retryAfterSeconds?: number;
}

/** The error for a non-2xx upstream status. */
export function statusError({ upstream, status, retryAfterSeconds }: StatusErrorOptions): BasaltError {
  if (status === 429) {
    return new BasaltError("THROTTLED", `The ${upstream} upstream is throttling requests. Try again later.`, {
      retryAfterSeconds,
      originalStatusCode: status,
    });
  }
  if (status === 400 || status === 413 || status === 422) {
    return new BasaltError("VALIDATION", `The ${upstream} upstream rejected the request as invalid (status ${status}).`);
  }
  if (status === 401 || status === 403) {
    return new BasaltError(
      "MODEL_ERROR",
      `Basalt's credentials for the ${upstream} upstream were rejected (status ${status}); check the model's apiKey in Basalt's configuration.`,
      { originalStatusCode: status },
    );
  }
  if (status === 408) return new BasaltError("MODEL_TIMEOUT", `The ${upstream} upstream timed out processing the request.`);
  // Anthropic's 529 "overloaded" is transient capacity, not a model failure: retryable 503.
  if (status === 529) return new BasaltError("SERVICE_UNAVAILABLE", `The ${upstream} upstream is overloaded. Try again later.`, { retryAfterSeconds });
  if (status === 404) {
    return new BasaltError("MODEL_ERROR", `The ${upstream} upstream does not serve the configured model or path (status 404).`, {
      originalStatusCode: status,
    });
  }
  return new BasaltError("MODEL_ERROR", `The ${upstream} upstream failed with status ${status}.`, { originalStatusCode: status });
}

/** Response headers: a record with lowercase names, or the upstream client's header block. */
export type HeaderSource = Record<string, string | string[] | undefined> | ResponseHeaders;

function header(headers: HeaderSource, name: string): string | string[] | undefined {
  return headers instanceof ResponseHeaders ? headers.get(name) : headers[name];
}

/** Reads `retry-after-ms` (OpenAI), `retry-after` (seconds or an HTTP date) into seconds. */
export function retryAfterSeconds(headers: HeaderSource): number | undefined {
  const ms = header(headers, "retry-after-ms");
  if (typeof ms === "string" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms) / 1000);
  const value = header(headers, "retry-after");
  if (typeof value !== "string" || value === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/** Error codes along the cause chain (Node's HTTP/2 wraps ECONNREFUSED in ERR_HTTP2_STREAM_CANCEL). */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}

/** The error for an aborted call: the abort reason when it is ours (the deadline's), else a cancellation. */
export function abortError(signal: Pick<Cancellation, "reason">, cause?: unknown): BasaltError {
  if (signal.reason instanceof BasaltError) return signal.reason;
  return new BasaltError("MODEL_TIMEOUT", "The request was cancelled before the model answered.", { cause: cause ?? signal.reason });
}

/** Options of {@link transportError}. */
export interface TransportErrorOptions {
  upstream: string;
  error: unknown;
  signal?: Cancellation;
  /** True once the response head arrived: a lost connection is then a broken stream. */
  streaming?: boolean;
}

/** The error for a failure below HTTP: refused connection, DNS, timeouts, dropped sockets. */
export function transportError({ upstream, error, signal, streaming }: TransportErrorOptions): BasaltError {
  if (signal?.aborted) return abortError(signal, error);
  if (error instanceof BasaltError) return error;
  const codes = errorCodes(error);
  if (codes.includes("UPSTREAM_INVALID_REQUEST")) {
    // A configured value (an API key, a header) that cannot go on the wire; the message names the header, never its value.
    return new BasaltError("MODEL_ERROR", `Basalt could not send the request to the ${upstream} upstream: ${(error as Error).message} Check the model's configuration.`, { cause: error });
  }
  if (codes.some((code) => TIMED_OUT.has(code))) {
    return new BasaltError("MODEL_TIMEOUT", `The ${upstream} upstream did not respond in time.`, { cause: error });
  }
  if (streaming) {
    return new BasaltError("MODEL_STREAM_ERROR", `The connection to the ${upstream} upstream was lost mid-stream.`, { cause: error });
  }
  if (codes.some((code) => UNREACHABLE.has(code))) {
    return new BasaltError("SERVICE_UNAVAILABLE", `The ${upstream} upstream is unreachable. Try again later.`, { cause: error });
  }
  return new BasaltError("MODEL_ERROR", `The ${upstream} upstream closed the connection without answering.`, { cause: error });
}

/** The error for a malformed or truncated upstream stream. */
export function malformedStream(upstream: string, problem: string, cause?: unknown): BasaltError {
  return new BasaltError("MODEL_STREAM_ERROR", `The ${upstream} upstream sent a malformed stream (${problem}).`, { cause });
}
