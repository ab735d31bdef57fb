// Checks an image before it goes to OCR: the bytes must be the format the name says (PNG, JPEG
// or TIFF), and PNG/JPEG dimensions must stay under a pixel budget, so a tiny file declaring a
// 100 000 × 100 000 canvas is refused instead of exhausting the OCR engine's memory.
import type { DocumentFormat } from "../document.ts";
import { DocumentParseError } from "./document-parse-error.ts";

/** Largest image OCR is attempted on: 80 megapixels (an A3 page scanned at 600 dpi is ~70). */
export const MAX_IMAGE_PIXELS = 80_000_000;

/**
 * Verifies the image's signature and size.
 * @throws DocumentParseError (MALFORMED or RESOURCE_LIMIT)
 */
export function checkImage(bytes: Uint8Array, format: DocumentFormat): void {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let size: { width: number; height: number } | undefined;
  if (format === "png") {
    if (!buffer.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw notA("PNG");
    if (buffer.length >= 24) size = { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) };
  } else if (format === "jpg" || format === "jpeg") {
    if (buffer[0] !== 0xff || buffer[1] !== 0xd8) throw notA("JPEG");
    size = jpegSize(buffer);
  } else {
    const tag = buffer.subarray(0, 4).toString("latin1");
    if (tag !== "II*\0" && tag !== "MM\0*") throw notA("TIFF");
  }
  if (size && size.width * size.height > MAX_IMAGE_PIXELS) {
    throw new DocumentParseError("RESOURCE_LIMIT", `the image is too large to OCR (${size.width} × ${size.height} pixels)`);
  }
}

function notA(kind: string): DocumentParseError {
  return new DocumentParseError("MALFORMED", `the image could not be read: the file is not a ${kind} image`);
}

// The frame header (SOF0–SOF15, except DHT/JPG/DAC) holds height then width.
function jpegSize(buffer: Buffer): { width: number; height: number } | undefined {
  let offset = 2;
  while (offset + 9 < buffer.length) {
    if (buffer[offset] !== 0xff) return undefined;
    const marker = buffer[offset + 1]!;
    if (marker === 0xff) {
      offset++;
      continue;
    }
    const length = buffer.readUInt16BE(offset + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: buffer.readUInt16BE(offset + 5), width: buffer.readUInt16BE(offset + 7) };
    }
    offset += 2 + length;
  }
  return undefined;
}
