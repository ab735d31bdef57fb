// Word 97–2003 documents (.doc) through word-extractor, which reads the text pieces of the
// binary format: the body becomes paragraphs (headers, footers, footnotes and comments are
// left out, as they repeat or sit outside the reading order). The format keeps no heading
// structure that word-extractor exposes. Encryption is read from the file's own header flag,
// since word-extractor would otherwise return the scrambled bytes as text.
import WordExtractor from "word-extractor";
import type { ParsedDocument } from "../document.ts";
import { BlockBuilder } from "./block-builder.ts";
import { compoundFileKind, compoundStream, readCompoundFile } from "./compound-file.ts";
import { DocumentParseError, shortCause } from "./document-parse-error.ts";

const WORD_MAGIC = 0xa5ec;
// FibBase flags (MS-DOC 2.5.2): fEncrypted is bit 8 (XOR obfuscation sets it too).
const F_ENCRYPTED = 0x0100;

/** Parses a .doc document. */
export async function parseDoc(bytes: Uint8Array): Promise<ParsedDocument> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.subarray(0, 4).equals(Buffer.from("PK\x03\x04", "latin1"))) {
    // A .docx saved with a .doc name.
    const { parseDocx } = await import("./docx.ts");
    return { ...(await parseDocx(bytes)), format: "doc" };
  }
  const kind = compoundFileKind(bytes);
  if (kind === "none") throw malformed("the file is not a Word 97–2003 document");
  if (kind === "encrypted") throw new DocumentParseError("ENCRYPTED", "the Word document is password-protected");
  const container = readCompoundFile(bytes);
  const fib = container && compoundStream(container, "WordDocument");
  if (!fib || fib.length < 32) throw malformed("it has no WordDocument stream");
  const view = new DataView(fib.buffer, fib.byteOffset, fib.byteLength);
  if (view.getUint16(0, true) !== WORD_MAGIC) throw malformed("the WordDocument stream has no Word signature");
  if (view.getUint16(0x0a, true) & F_ENCRYPTED) throw new DocumentParseError("ENCRYPTED", "the Word document is password-protected");

  let body: string;
  try {
    // filterUnicode off: by default word-extractor turns curly quotes and dashes into ASCII.
    const extracted = (await new WordExtractor().extract(buffer)) as unknown as { getBody(options: { filterUnicode: boolean }): string };
    body = extracted.getBody({ filterUnicode: false });
  } catch (error) {
    throw malformed(shortCause(error), error);
  }
  const builder = new BlockBuilder();
  for (const line of body.split(/\n+/)) builder.add("paragraph", line);
  return { format: "doc", blocks: builder.blocks };
}

function malformed(cause: string, error?: unknown): DocumentParseError {
  return new DocumentParseError("MALFORMED", `the Word document could not be read: ${cause}`, { cause: error });
}
