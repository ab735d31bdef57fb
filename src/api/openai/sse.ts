// Drives a server-sent-events response from a stream of parts, the OpenAI way. The first
// part is awaited before any byte is written, so a failure to start (throttling, upstream
// down) is an ordinary HTTP error in OpenAI's shape; after that, a failure becomes one
// `data: {"error": {...}}` event (which OpenAI's clients raise as an APIError) and the
// stream ends without `[DONE]`.
import { toBasaltError } from "../../spec/errors.ts";
import { writeChunk, type RequestContext } from "../protocol/http.ts";
import { openAiErrorBody } from "./errors.ts";

/** Options of {@link sendSse}. */
export interface SseOptions<T> {
  ctx: RequestContext;
  source: AsyncIterable<T>;
  /** SSE text written before the first mapped part. */
  start: string;
  /** SSE text for one part (empty for none). */
  map: (item: T) => string;
  /** SSE text written after the last part. */
  end: () => string;
  headers?: Record<string, string>;
}

/** Streams `source` as a text/event-stream response. */
export async function sendSse<T>(options: SseOptions<T>): Promise<void> {
  const { ctx, map } = options;
  const { res, cancellation: signal } = ctx;
  const iterator = options.source[Symbol.asyncIterator]();
  const first = await iterator.next(); // throws before the head: an ordinary HTTP error
  // No `connection` header: it is forbidden on HTTP/2 and keep-alive is HTTP/1.1's default.
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...options.headers });
  try {
    let text = options.start;
    let step = first;
    while (!step.done) {
      if (signal.aborted) break;
      text += map(step.value);
      if (text) {
        await writeChunk(res, text, signal);
        text = "";
      }
      step = await iterator.next();
    }
    if (!signal.aborted) await writeChunk(res, text + options.end(), signal);
  } catch (error) {
    const err = toBasaltError(error);
    ctx.logFields.streamError = err.code;
    if (err.code === "INTERNAL") ctx.log.error({ requestId: ctx.requestId, err: err.cause ?? err }, "internal error in stream");
    if (!signal.aborted) await writeChunk(res, `data: ${JSON.stringify(openAiErrorBody(err))}\n\n`, signal);
  } finally {
    if (signal.aborted) void iterator.return?.();
    res.end();
  }
}
