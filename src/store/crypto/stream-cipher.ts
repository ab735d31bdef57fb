// Streaming encryption and decryption over the segment format of ciphertext-format.ts, with
// memory bounded by one segment. Decryption releases a segment's plaintext only after its tag
// verified; a failure later in the stream ends it with an error, never with unverified bytes.
import { integrityFailure } from "./crypto-errors.ts";
import { parseHeader, TAG_BYTES, type CiphertextHeader, type SegmentCipher } from "./ciphertext-format.ts";

/** What a stream source may yield. */
export type StreamChunk = Uint8Array | string;

/** A FIFO of byte chunks that hands out exact-length slices without copying more than needed. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  take(n: number): Buffer {
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const head = this.chunks[0]!;
      if (head.length <= need) {
        parts.push(head);
        this.chunks.shift();
        need -= head.length;
      } else {
        parts.push(head.subarray(0, need));
        this.chunks[0] = head.subarray(need);
        need = 0;
      }
    }
    this.length -= n;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }
}

/** A stream chunk as a buffer (strings as UTF-8), without copying. */
export function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  throw new TypeError("Encryption streams carry bytes or strings.");
}

/** Yields header ‖ sealed segments for the bytes of `source`. */
export async function* sealStream(options: {
  cipher: SegmentCipher;
  headerBytes: Buffer;
  source: AsyncIterable<StreamChunk>;
  segmentBytes: number;
}): AsyncGenerator<Buffer> {
  const { cipher, segmentBytes } = options;
  yield options.headerBytes;
  const queue = new ByteQueue();
  let index = 0;
  for await (const chunk of options.source) {
    queue.push(toBuffer(chunk));
    // Strictly more than a segment: only then is it certain this segment is not the last.
    while (queue.length > segmentBytes) yield cipher.seal(index++, false, queue.take(segmentBytes));
  }
  yield cipher.seal(index, true, queue.take(queue.length));
}

/** Reads a ciphertext header off the start of a stream; returns it with the bytes read past it. */
export async function readStreamHeader(source: AsyncIterator<StreamChunk>): Promise<{ header: CiphertextHeader; headerBytes: Buffer; rest: Buffer }> {
  let buffered = Buffer.alloc(0);
  for (;;) {
    const next = await source.next();
    if (!next.done) buffered = Buffer.concat([buffered, toBuffer(next.value)]);
    const parsed = parseHeader(buffered, next.done === true);
    if (parsed) return { header: parsed.header, headerBytes: parsed.bytes, rest: buffered.subarray(parsed.bytes.length) };
    if (next.done) throw integrityFailure("it is shorter than an encryption header.");
  }
}

/** Yields verified plaintext for the segments in `rest` and the remainder of `source`. */
export async function* openStream(options: {
  cipher: SegmentCipher;
  rest: Buffer;
  source: AsyncIterator<StreamChunk>;
  segmentBytes: number;
}): AsyncGenerator<Buffer> {
  const { cipher, source } = options;
  const sealedBytes = options.segmentBytes + TAG_BYTES;
  const queue = new ByteQueue();
  queue.push(options.rest);
  let index = 0;
  let drained = false;
  try {
    for (;;) {
      while (queue.length > sealedBytes) yield cipher.open(index++, false, queue.take(sealedBytes));
      const next = await source.next();
      if (next.done) break;
      queue.push(toBuffer(next.value));
    }
    drained = true;
    yield cipher.open(index, true, queue.take(queue.length));
  } finally {
    // A consumer that stops early, or a failed segment, releases the source too.
    if (!drained) await source.return?.();
  }
}
