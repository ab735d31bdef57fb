// Arithmetic of the segment format (ciphertext-format.ts) for content whose layout (header and
// segment sizes) is recorded beside it: the sealed size of a plaintext size and back, and which
// sealed bytes hold a plaintext range. A store can then report plaintext sizes without reading
// content, and serve a range by fetching and opening only the segments that cover it.
import { TAG_BYTES } from "./ciphertext-format.ts";
import { integrityFailure } from "./crypto-errors.ts";
import type { SealedLayout, SegmentReader } from "./envelope-encryption.ts";
import { ByteQueue, toBuffer, type StreamChunk } from "./stream-cipher.ts";

/** Segments of content with `plaintextBytes` bytes: at least one, since empty content has one empty segment. */
export function segmentCount(layout: SealedLayout, plaintextBytes: number): number {
  return Math.max(1, Math.ceil(plaintextBytes / layout.segmentBytes));
}

/** The sealed size of `plaintextBytes` bytes of content: header, plaintext, one tag per segment. */
export function sealedSize(layout: SealedLayout, plaintextBytes: number): number {
  return layout.headerBytes + plaintextBytes + segmentCount(layout, plaintextBytes) * TAG_BYTES;
}

/**
 * The plaintext size of sealed content of `sealedBytes` bytes. Every full segment carries
 * `segmentBytes + 16` bytes and the last one 16 to `segmentBytes + 16`, so the inverse is
 * unique; a size no content can have (a recorded layout that does not fit) is an integrity failure.
 */
export function plaintextSize(layout: SealedLayout, sealedBytes: number): number {
  const body = sealedBytes - layout.headerBytes;
  const sealedSegment = layout.segmentBytes + TAG_BYTES;
  const full = Math.floor(body / sealedSegment);
  const rest = body % sealedSegment;
  const size = rest === 0 ? full * layout.segmentBytes : full * layout.segmentBytes + rest - TAG_BYTES;
  // The round trip rejects every size no content has, such as an empty segment after full ones.
  if (body < TAG_BYTES || size < 0 || sealedSize(layout, size) !== sealedBytes) {
    throw integrityFailure("its size does not match its recorded encryption layout.");
  }
  return size;
}

/** The segments, and the sealed bytes, that hold plaintext bytes `start`..`end` (inclusive, within the content). */
export interface SegmentSpan {
  first: number;
  last: number;
  /** Segments of the whole content; the one at `count - 1` is sealed as the last. */
  count: number;
  /** The sealed bytes to fetch, both ends inclusive. */
  sealedStart: number;
  sealedEnd: number;
  /** Plaintext bytes of segment `first` before `start`. */
  skip: number;
  /** Plaintext bytes wanted. */
  length: number;
}

/** Where plaintext bytes `start`..`end` of content with `plaintextBytes` bytes lie (callers clamp the range first). */
export function segmentSpan(layout: SealedLayout, plaintextBytes: number, range: { start: number; end: number }): SegmentSpan {
  const { headerBytes, segmentBytes } = layout;
  if (!(range.start >= 0 && range.start <= range.end && range.end < plaintextBytes)) throw new RangeError("The range must lie within the content.");
  const count = segmentCount(layout, plaintextBytes);
  const first = Math.floor(range.start / segmentBytes);
  const last = Math.floor(range.end / segmentBytes);
  const sealedSegment = segmentBytes + TAG_BYTES;
  const lastPlain = last === count - 1 ? plaintextBytes - last * segmentBytes : segmentBytes;
  return {
    first,
    last,
    count,
    sealedStart: headerBytes + first * sealedSegment,
    sealedEnd: headerBytes + last * sealedSegment + lastPlain + TAG_BYTES - 1,
    skip: range.start - first * segmentBytes,
    length: range.end - range.start + 1,
  };
}

/**
 * Yields the plaintext of a span from `source`, the sealed bytes `sealedStart`..`sealedEnd`.
 * Each segment is verified before any of its bytes are released; a short source is an integrity failure.
 */
export async function* openSpan(options: { reader: SegmentReader; span: SegmentSpan; plaintextBytes: number; source: AsyncIterable<StreamChunk> }): AsyncGenerator<Buffer> {
  const { reader, span, plaintextBytes } = options;
  const queue = new ByteQueue();
  const iterator = options.source[Symbol.asyncIterator]();
  let skip = span.skip;
  let remaining = span.length;
  let drained = false;
  try {
    for (let index = span.first; index <= span.last; index++) {
      const plain = index === span.count - 1 ? plaintextBytes - index * reader.segmentBytes : reader.segmentBytes;
      const need = plain + TAG_BYTES;
      while (queue.length < need) {
        const next = await iterator.next();
        if (next.done) {
          drained = true;
          throw integrityFailure("it is truncated.");
        }
        queue.push(toBuffer(next.value));
      }
      const opened = reader.open(index, index === span.count - 1, queue.take(need));
      const part = opened.subarray(skip, Math.min(opened.length, skip + remaining));
      skip = 0;
      remaining -= part.length;
      if (part.length) yield part;
    }
  } finally {
    if (!drained) await iterator.return?.();
  }
}
