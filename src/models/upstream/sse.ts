// Server-sent events from an upstream response body, parsed with eventsource-parser. The body
// is read to its natural end (never abandoned after `[DONE]`), so undici can return the
// socket to the pool instead of destroying it.
import type { Readable } from "node:stream";
import { createParser, type EventSourceMessage, type ParseError } from "eventsource-parser";
import { malformedStream, transportError } from "./errors.ts";

/** Options of {@link sseMessages}. */
export interface SseOptions {
  body: Readable;
  upstream: string;
  signal?: AbortSignal;
}

// Bounds memory against an upstream that never ends a line or an event.
const MAX_BUFFER = 16 * 1024 * 1024;

/** Yields each SSE message; socket failures and malformed framing become BasaltErrors. */
export async function* sseMessages({ body, upstream, signal }: SseOptions): AsyncGenerator<EventSourceMessage> {
  const queue: EventSourceMessage[] = [];
  let parseError: ParseError | undefined;
  const parser = createParser({
    maxBufferSize: MAX_BUFFER,
    onEvent: (message) => queue.push(message),
    onError: (error) => {
      // An unknown field is a bare non-SSE line (some servers print raw JSON errors mid-stream).
      if (error.type !== "invalid-retry") parseError ??= error;
    },
  });
  // undici's body yields Buffers whatever setEncoding says; a streaming decoder keeps
  // multi-byte characters split across chunks intact.
  const decoder = new TextDecoder();
  const chunks = body[Symbol.asyncIterator]();
  let ended = false;
  try {
    while (true) {
      let step: IteratorResult<Buffer>;
      try {
        step = await chunks.next();
      } catch (error) {
        throw transportError({ upstream, error, signal, streaming: true });
      }
      if (step.done) break;
      parser.feed(decoder.decode(step.value, { stream: true }));
      if (parseError) throw malformedStream(upstream, parseError.type, parseError);
      for (let i = 0; i < queue.length; i++) yield queue[i]!;
      queue.length = 0;
    }
    ended = true;
  } finally {
    // Abandoned early (consumer gone, error): the socket cannot be reused mid-body.
    if (!ended) body.destroy();
  }
  // An event still missing its blank line at the end is discarded, as the SSE specification
  // requires; the mappers then see the stream as cut short.
}
