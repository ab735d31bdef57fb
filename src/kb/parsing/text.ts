// Plain text (.txt): paragraphs are separated by blank lines; line breaks inside a paragraph
// are kept, since in plain text they are the author's.
import type { ParsedDocument } from "../document.ts";
import { BlockBuilder, collapseSpaceKeepLines } from "./block-builder.ts";
import { decodeText } from "./decode-text.ts";

/** Parses a plain-text document. */
export function parseText(bytes: Uint8Array): ParsedDocument {
  const text = decodeText(bytes, "the text file");
  const builder = new BlockBuilder();
  for (const paragraph of text.replace(/\r\n?/g, "\n").split(/\n[ \t\u00a0]*\n/)) {
    const clean = collapseSpaceKeepLines(paragraph);
    if (clean !== "") builder.blocks.push({ kind: "paragraph", text: clean, headings: [] });
  }
  return { format: "txt", blocks: builder.blocks };
}
