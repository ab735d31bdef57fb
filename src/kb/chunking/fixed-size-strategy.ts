// FIXED_SIZE chunking: windows of at most maxTokens tokens over the whole document, each
// starting overlapPercentage of a window before the previous one ended. Cuts move back to the
// nearest word boundary (Bedrock's fixed size is "approximately" maxTokens), so no word is cut
// unless a single run of text is longer than the slack.
import type { ParsedDocument } from "../document.ts";
import type { FixedSizeChunkingConfiguration } from "./chunking-config.ts";
import { headingsOf, pagesOf, type Chunk } from "./chunk.ts";
import { countTokens, cutSlack, decodeTokens, encodeTokens, TokenCutter } from "./tokens.ts";

/** A document as one token sequence, each token knowing its block. */
export interface TokenStream {
  tokens: number[];
  /** Block index of each token. */
  blockOf: Int32Array;
  cutter: TokenCutter;
}

/** A window `[start, end)` of a token stream and its text. */
export interface TokenWindow {
  start: number;
  end: number;
  text: string;
  tokenCount: number;
}

const SEPARATOR = encodeTokens("\n");

/** Tokenizes a document once: blocks joined by newlines (which belong to no block), each encoded on its own. */
export function tokenStream(doc: ParsedDocument): TokenStream {
  const tokens: number[] = [];
  const owners: number[] = [];
  doc.blocks.forEach((block, index) => {
    if (!block.text.trim()) return;
    if (tokens.length) {
      tokens.push(...SEPARATOR);
      owners.push(...SEPARATOR.map(() => -1));
    }
    for (const token of encodeTokens(block.text)) {
      tokens.push(token);
      owners.push(index);
    }
  });
  return { tokens, blockOf: Int32Array.from(owners), cutter: new TokenCutter(tokens) };
}

/**
 * Windows of at most `maxTokens` tokens over `[from, to)` of a stream, overlapping by
 * `overlapTokens`. Each window's text is trimmed and its token count measured on that text
 * (`measure: false` skips that and reports the slice's length).
 */
export function tokenWindows(
  stream: TokenStream,
  options: { from?: number; to?: number; maxTokens: number; overlapTokens: number; measure?: boolean },
): TokenWindow[] {
  const { maxTokens } = options;
  const from = options.from ?? 0;
  const to = options.to ?? stream.tokens.length;
  const overlap = Math.min(options.overlapTokens, maxTokens - 1);
  const slack = cutSlack(maxTokens);
  const windows: TokenWindow[] = [];
  let start = from;
  while (start < to) {
    let end = Math.min(start + maxTokens, to);
    if (end < to) end = stream.cutter.cutBefore(end, start, slack);
    let text = decodeTokens(stream.tokens.slice(start, end)).trim();
    // Text decoded from a slice can re-encode to a token more than the slice held, so measure
    // it, unless the caller only needs the text (hierarchical parents).
    let tokenCount = options.measure === false ? end - start : countTokens(text);
    while (options.measure !== false && tokenCount > maxTokens && end - start > 1) {
      end = stream.cutter.cutBefore(end - 1, start, slack);
      text = decodeTokens(stream.tokens.slice(start, end)).trim();
      tokenCount = countTokens(text);
    }
    if (text) windows.push({ start, end, text, tokenCount });
    if (end >= to) break;
    // The next window starts `overlap` tokens back, moved back again to a word boundary, but
    // always after this one's start so every window brings new text.
    const next = overlap > 0 ? stream.cutter.cutBefore(end - overlap, start, slack) : end;
    start = Math.max(next, start + 1);
  }
  return windows;
}

/** The chunk of a window. */
export function windowChunk(doc: ParsedDocument, stream: TokenStream, window: TokenWindow): Chunk {
  const blocks = new Set<number>();
  let first = -1;
  for (let i = window.start; i < window.end; i++) {
    const block = stream.blockOf[i]!;
    if (block < 0) continue;
    if (first < 0) first = block;
    blocks.add(block);
  }
  return { text: window.text, tokenCount: window.tokenCount, pages: pagesOf(doc, blocks), headings: headingsOf(doc, first) };
}

/** Chunks a document into fixed-size token windows. */
export function fixedSizeChunks(doc: ParsedDocument, config: FixedSizeChunkingConfiguration): Chunk[] {
  const stream = tokenStream(doc);
  const overlapTokens = Math.floor((config.maxTokens * config.overlapPercentage) / 100);
  return tokenWindows(stream, { maxTokens: config.maxTokens, overlapTokens }).map((w) => windowChunk(doc, stream, w));
}
