// AWS event-stream framing (application/vnd.amazon.eventstream) for Bedrock's streaming
// responses: prelude and message CRCs, `:event-type` headers and in-stream exceptions.
// Framing uses @smithy/eventstream-codec, the codec the AWS SDK itself decodes with.
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import type { BasaltError } from "../../spec/errors.ts";
import { streamExceptionName } from "./errors.ts";
import { writeChunk, type AnyResponse } from "./http.ts";
import type { Cancellation } from "../../spec/model.ts";

const codec = new EventStreamCodec(toUtf8, fromUtf8);

const EVENT = { type: "string", value: "event" } as const;
const EXCEPTION = { type: "string", value: "exception" } as const;
const JSON_TYPE = { type: "string", value: "application/json" } as const;

/** Encodes one event message whose payload is the member's JSON. */
export function encodeEvent(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ":message-type": EVENT,
      ":event-type": { type: "string", value: eventType },
      ":content-type": JSON_TYPE,
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

/** Encodes an exception message, e.g. `modelStreamErrorException`. */
export function encodeException(error: BasaltError): Uint8Array {
  const body: Record<string, unknown> = { message: error.message };
  if (error.code === "MODEL_STREAM_ERROR") {
    body.originalStatusCode = error.originalStatusCode ?? 500;
    body.originalMessage = error.message;
  }
  return codec.encode({
    headers: {
      ":message-type": EXCEPTION,
      ":exception-type": { type: "string", value: streamExceptionName(error) },
      ":content-type": JSON_TYPE,
    },
    body: fromUtf8(JSON.stringify(body)),
  });
}

/** Decodes a buffer holding whole messages (used by tests and the Bedrock upstream). */
export function decodeMessages(buffer: Uint8Array): Array<{ headers: Record<string, unknown>; payload: unknown }> {
  const out: Array<{ headers: Record<string, unknown>; payload: unknown }> = [];
  let offset = 0;
  while (offset + 4 <= buffer.length) {
    const total = new DataView(buffer.buffer, buffer.byteOffset + offset).getUint32(0);
    const message = codec.decode(buffer.subarray(offset, offset + total));
    const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, v.value]));
    const text = toUtf8(message.body);
    out.push({ headers, payload: text ? JSON.parse(text) : undefined });
    offset += total;
  }
  return out;
}

/** Writes event-stream messages to a response with backpressure. */
export class EventStreamWriter {
  constructor(
    private readonly res: AnyResponse,
    private readonly signal: Cancellation,
  ) {}

  /** Sends the response head; `contentTypeHeader` carries the payload type where Bedrock names one. */
  start(status = 200, headers: Record<string, string> = {}): void {
    this.res.writeHead(status, { "content-type": "application/vnd.amazon.eventstream", ...headers });
  }

  event(eventType: string, payload: unknown): Promise<void> {
    return writeChunk(this.res, encodeEvent(eventType, payload), this.signal);
  }

  exception(error: BasaltError): Promise<void> {
    return writeChunk(this.res, encodeException(error), this.signal);
  }

  end(): void {
    this.res.end();
  }
}
