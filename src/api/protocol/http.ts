// The request context every HTTP handler receives, over HTTP/1.1 and HTTP/2 alike (Node's
// HTTP/2 compatibility API gives both the same req/res surface).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Logger } from "pino";
import { BasaltError, validation } from "../../spec/errors.ts";
import type { OperationName } from "../../iam/actions.ts";
import type { Principal } from "../../spec/principal.ts";
import type { Cancellation } from "../../spec/model.ts";

/** A request from either protocol. */
export type AnyRequest = IncomingMessage | Http2ServerRequest;
/** A response to either protocol. */
export type AnyResponse = ServerResponse | Http2ServerResponse;

/** What a handler gets. */
export interface RequestContext {
  req: AnyRequest;
  res: AnyResponse;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  requestId: string;
  /** Who is calling; the anonymous principal until authentication is configured. */
  principal: Principal;
  log: Logger;
  /** Aborted when the client goes away before the response is finished. */
  signal: AbortSignal;
  /** The same as {@link signal} in its cheap form: prefer it where a Cancellation will do. */
  cancellation: Cancellation;
  /** Reads the whole body, refusing more than the configured limit. */
  body(): Promise<Buffer>;
  /** Reads the body as a JSON object; malformed JSON is a ValidationException. */
  json(): Promise<Record<string, unknown>>;
  /** Fields for the access log line (model id, token counts; never content). */
  logFields: Record<string, unknown>;
  /**
   * Throws AccessDeniedException unless the caller may run `operation`. For model operations
   * `resource` is the model id (or alias or ARN) being served; `stream` picks the streaming action.
   * The router calls it when the path names the resource; handlers that learn it from the body
   * call it as soon as they have resolved the model.
   */
  authorize(operation: OperationName, resource?: string, stream?: boolean): void;
}

const READER = Symbol("basalt.bodyReader");

/**
 * One body being read; the request carries it, so its listeners are shared functions, not
 * closures per request. Read as JSON, it settles with the parsed object: one promise and one
 * turn fewer than parsing in a then() afterwards, on every model call.
 */
export class BodyReader<T = Buffer> {
  readonly chunks: Buffer[] = [];
  size = 0;
  /** The whole body, once it has been read. */
  bytes: Buffer | undefined = undefined;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  readonly promise = new Promise<T>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });

  constructor(
    readonly limit: number,
    readonly asJson: boolean,
  ) {}
}

type Reading = AnyRequest & { [READER]: BodyReader<unknown> };

function onBodyData(this: Reading, chunk: Buffer): void {
  const reader = this[READER];
  reader.size += chunk.length;
  if (reader.size > reader.limit) {
    this.removeListener("data", onBodyData);
    this.resume();
    reader.reject(tooLarge(reader.limit));
    return;
  }
  reader.chunks.push(chunk);
}

function onBodyEnd(this: Reading): void {
  const reader = this[READER];
  const { chunks } = reader;
  const bytes = (reader.bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  if (!reader.asJson) return reader.resolve(bytes);
  let value: Record<string, unknown>;
  try {
    value = parseJsonObject(bytes);
  } catch (error) {
    return reader.reject(error);
  }
  reader.resolve(value);
}

function onBodyError(this: Reading, error: unknown): void {
  this[READER].reject(error);
}

function onBodyAborted(this: Reading): void {
  this[READER].reject(new BasaltError("VALIDATION", "The request was aborted by the client."));
}

/** Reads a request body up to `limit` bytes. */
export function readBody(req: AnyRequest, limit: number): Promise<Buffer> {
  return startReading<Buffer>(req, limit, false).promise;
}

/** Reads a request body up to `limit` bytes as a JSON object (see {@link parseJsonObject}); the bytes stay on the reader. */
export function readJsonBody(req: AnyRequest, limit: number): BodyReader<Record<string, unknown>> {
  return startReading<Record<string, unknown>>(req, limit, true);
}

function startReading<T>(req: AnyRequest, limit: number, asJson: boolean): BodyReader<T> {
  const reader = new BodyReader<T>(limit, asJson);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    reader.reject(tooLarge(limit));
    return reader;
  }
  const reading = req as Reading;
  reading[READER] = reader as BodyReader<unknown>;
  reading.on("data", onBodyData);
  reading.on("end", onBodyEnd);
  reading.on("error", onBodyError);
  reading.on("aborted", onBodyAborted);
  return reader;
}

function tooLarge(limit: number): BasaltError {
  return new BasaltError("VALIDATION", `The request body exceeds the limit of ${limit} bytes.`, { httpStatus: 413 });
}

/** Parses a JSON object body. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new BasaltError("VALIDATION", "Malformed input request: the body is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw validation("body", "must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** Sends a JSON response. */
export function sendJson(res: AnyResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/** Writes a chunk and waits for the socket to drain when its buffer is full (backpressure). */
export function writeChunk(res: AnyResponse, chunk: Uint8Array | string, signal: Cancellation): Promise<void> {
  if ((res as ServerResponse).write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    res.on("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
