// Turns the bytes of a text-based document (txt, md, html, csv) into a string: a byte-order
// mark decides UTF-8 / UTF-16; without one, strict UTF-8 is tried and Windows-1252 (Latin-1 plus
// curly quotes, dashes and the euro sign: what older Windows tools write) is the fallback.
// Binary data is refused.
import { DocumentParseError } from "./document-parse-error.ts";

/**
 * Decodes a text document.
 * @param what how a failure names the document, e.g. "the CSV file".
 * @throws DocumentParseError (MALFORMED) when the bytes look like binary data, not text.
 */
export function decodeText(bytes: Uint8Array, what: string): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return new TextDecoder("utf-8").decode(bytes.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
  if (looksBinary(bytes)) {
    throw new DocumentParseError("MALFORMED", `${what} could not be read: it holds binary data, not text`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return decodeWindows1252(bytes);
  }
}

// Windows-1252 differs from Latin-1 only in 0x80–0x9F. Node's TextDecoder("windows-1252")
// (Node 20) decodes those bytes as Latin-1 control characters, so they are mapped here.
const CP1252_HIGH =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f" +
  "\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

function decodeWindows1252(bytes: Uint8Array): string {
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  return latin1.replace(/[\x80-\x9f]/g, (ch) => CP1252_HIGH[ch.charCodeAt(0) - 0x80]!);
}

// Text never holds NUL; a few control characters in a large file are tolerated.
function looksBinary(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 8192);
  let control = 0;
  for (const byte of sample) {
    if (byte === 0) return true;
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20 && byte !== 0x1b)) control++;
  }
  return control > sample.length / 10;
}
