// The stream loop shared by SSE upstreams (OpenAI-compatible, Anthropic): warnings first,
// then each SSE message through the provider's mapper, then the mapper's closing parts.
import type { StreamPart, Warning } from "../../spec/model.ts";
import type { UpstreamResponse } from "./http-client.ts";
import { sseMessages } from "./sse.ts";

/** A provider's stateful SSE mapper: feed it each message's data, then call `end`. */
export interface SseMapper {
  data(data: string, out: StreamPart[]): void;
  end(out: StreamPart[]): void;
}

/** Options of {@link sseStreamParts}. */
export interface SseStreamOptions {
  /** The upstream call, still pending: awaited when the stream is first read. */
  response: Promise<UpstreamResponse>;
  mapper: SseMapper;
  warnings: Warning[];
  upstream: string;
  signal?: AbortSignal;
}

/**
 * Streams typed parts from an SSE upstream response. Providers return this iterable directly
 * (no generator of their own around it): one async layer less for every chunk.
 */
export function sseStreamParts(options: SseStreamOptions): AsyncIterable<StreamPart> {
  options.response.catch(() => undefined); // observed here; the rejection surfaces on first read
  return readParts(options);
}

async function* readParts(options: SseStreamOptions): AsyncIterable<StreamPart> {
  const { mapper } = options;
  const response = await options.response;
  let ended = false;
  try {
    for (const warning of options.warnings) yield { type: "warning", warning };
    const out: StreamPart[] = [];
    for await (const message of sseMessages({ body: response.body, upstream: options.upstream, signal: options.signal })) {
      mapper.data(message.data, out);
      if (out.length) {
        for (let i = 0; i < out.length; i++) yield out[i]!;
        out.length = 0;
      }
    }
    ended = true;
    mapper.end(out);
    yield* out;
  } finally {
    // Abandoned before the body ended: the socket cannot be reused, so release it now.
    if (!ended) response.body.destroy();
  }
}
