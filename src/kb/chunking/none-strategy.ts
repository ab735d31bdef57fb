// NONE chunking: the whole document is one chunk (Bedrock: "each file as one chunk").
import type { ParsedDocument } from "../document.ts";
import { headingsOf, pagesOf, type Chunk } from "./chunk.ts";
import { countTokens } from "./tokens.ts";

/** One chunk holding every block's text, or none for a document without text. */
export function noneChunks(doc: ParsedDocument): Chunk[] {
  const blocks: number[] = [];
  const texts: string[] = [];
  doc.blocks.forEach((block, index) => {
    const text = block.text.trim();
    if (!text) return;
    blocks.push(index);
    texts.push(block.kind === "code" ? block.text.replace(/^\n+|\s+$/g, "") : text);
  });
  if (!texts.length) return [];
  const text = texts.join("\n");
  return [{ text, tokenCount: countTokens(text), pages: pagesOf(doc, blocks), headings: headingsOf(doc, blocks[0]!) }];
}
