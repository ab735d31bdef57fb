// Word documents (.docx) through mammoth: converted to HTML (headings from Word's heading
// styles, tables, lists), then read by the same HTML walker as .html pages. Images are not
// read at all, and external file access stays off so a document cannot make the parser read
// files on this machine.
import mammoth from "mammoth";
import type { ParsedDocument } from "../document.ts";
import { BlockBuilder, withTitle } from "./block-builder.ts";
import { compoundFileKind } from "./compound-file.ts";
import { DocumentParseError, shortCause } from "./document-parse-error.ts";
import { walkHtml } from "./html.ts";

// Word's Title style is the document's top heading; mammoth's default map leaves it a paragraph.
const STYLE_MAP = ["p[style-name='Title'] => h1:fresh", "p[style-name='Subtitle'] => p:fresh"];

/** Parses a .docx document. */
export async function parseDocx(bytes: Uint8Array): Promise<ParsedDocument> {
  const kind = compoundFileKind(bytes);
  if (kind === "encrypted") throw new DocumentParseError("ENCRYPTED", "the Word document is password-protected");
  if (kind === "other") {
    // A Word 97–2003 file saved with a .docx name.
    const { parseDoc } = await import("./doc.ts");
    return { ...(await parseDoc(bytes)), format: "docx" };
  }
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      {
        styleMap: STYLE_MAP,
        externalFileAccess: false,
        convertImage: mammoth.images.imgElement(async () => ({ src: "" })),
      },
    );
    html = result.value;
  } catch (error) {
    throw new DocumentParseError("MALFORMED", `the Word document could not be read: ${shortCause(error)}`, { cause: error });
  }
  const builder = new BlockBuilder();
  walkHtml(html, builder);
  return withTitle({ format: "docx", blocks: builder.blocks }, undefined);
}
