// Drives a Bedrock event-stream response from a stream of parts. The first part is awaited
// before any byte is written, so a failure to start (unknown model, throttling, upstream
// down) is an ordinary HTTP error the SDK can retry; after that, failures travel as
// in-stream exception messages and the stream ends cleanly.
import { BasaltError, toBasaltError } from "../../spec/errors.ts";
import { EventStreamWriter } from "../protocol/event-stream.ts";
import type { RequestContext } from "../protocol/http.ts";

/** Options of {@link sendEventStream}. */
export interface EventStreamOptions<T> {
  ctx: RequestContext;
  source: AsyncIterable<T>;
  /** Maps one source item to zero or more `[eventType, payload]` events. */
  map: (item: T) => Array<[string, unknown]>;
  /** Events sent right after the head, before the first mapped event. */
  prelude?: Array<[string, unknown]>;
  headers?: Record<string, string>;
  /** Exception members this operation's stream union declares (others become modelStreamErrorException). */
  exceptions: ReadonlySet<string>;
}

/** Exception members of ConverseStream's output union. */
export const CONVERSE_STREAM_EXCEPTIONS: ReadonlySet<string> = new Set([
  "InternalServerException",
  "ModelStreamErrorException",
  "ValidationException",
  "ThrottlingException",
  "ServiceUnavailableException",
]);

/** Exception members of InvokeModelWithResponseStream's output union. */
export const INVOKE_STREAM_EXCEPTIONS: ReadonlySet<string> = new Set([...CONVERSE_STREAM_EXCEPTIONS, "ModelTimeoutException"]);

/** Turns an error into one the stream's union can carry. */
export function inStreamError(error: unknown, allowed: ReadonlySet<string>): BasaltError {
  const err = toBasaltError(error);
  if (allowed.has(err.kind.bedrockName)) return err;
  return new BasaltError("MODEL_STREAM_ERROR", err.message, { originalStatusCode: err.originalStatusCode ?? err.kind.status });
}

/** Streams `source` as an event-stream response. */
export async function sendEventStream<T>(options: EventStreamOptions<T>): Promise<void> {
  const { ctx, map } = options;
  const iterator = options.source[Symbol.asyncIterator]();
  const first = await iterator.next(); // throws before the head: an ordinary HTTP error
  const writer = new EventStreamWriter(ctx.res, ctx.cancellation);
  writer.start(200, { "x-amzn-requestid": ctx.requestId, ...options.headers });
  try {
    for (const [type, payload] of options.prelude ?? []) await writer.event(type, payload);
    let step = first;
    while (!step.done) {
      if (ctx.cancellation.aborted) break;
      for (const [type, payload] of map(step.value)) await writer.event(type, payload);
      step = await iterator.next();
    }
  } catch (error) {
    const err = inStreamError(error, options.exceptions);
    ctx.logFields.streamError = err.kind.bedrockName;
    if (!ctx.cancellation.aborted) await writer.exception(err);
  } finally {
    if (ctx.cancellation.aborted) void iterator.return?.();
    writer.end();
  }
}
