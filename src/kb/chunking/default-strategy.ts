// Bedrock's default chunking: about 300 tokens, never splitting a sentence, with an overlap of
// whole sentences. Units (sentences, table rows, headings, code lines) are packed greedily; a
// heading starts a new chunk once the current one is substantial, and travels with what follows.
import type { ParsedDocument } from "../document.ts";
import { chunkOfUnits, joinUnits, type Chunk } from "./chunk.ts";
import { documentUnits, type Unit } from "./units.ts";

/** Bedrock: "text chunks of approximately 300 tokens". */
export const DEFAULT_MAX_TOKENS = 300;
/** Overlap budget of the default strategy: about 20%, in whole sentences. */
export const DEFAULT_OVERLAP_TOKENS = 60;
/** A heading closes the current chunk once it holds this many new tokens. */
const DEFAULT_HEADING_BREAK_TOKENS = 150;

/** How {@link packUnits} packs. */
export interface PackOptions {
  maxTokens: number;
  /** Budget for whole units repeated from the end of the previous chunk (0: none). */
  overlapTokens: number;
  /** When set, a heading starts a new chunk once the current one holds this many new tokens. */
  headingBreakTokens?: number;
}

/** Tokens a unit adds after the one before it, seam included. */
const cost = (unit: Unit): number => unit.tokens + unit.seam;

function span(units: readonly Unit[], from: number, to: number): number {
  let sum = units[from]!.tokens;
  for (let i = from + 1; i < to; i++) sum += cost(units[i]!);
  return sum;
}

const startsSection = (unit: Unit): boolean => unit.heading && unit.startsBlock;

/**
 * Packs units (each at most `maxTokens`) into chunks of at most `maxTokens` tokens (exact counts
 * of the joined text, from the units' counts and seams). Every chunk holds at least one unit the
 * previous one did not.
 */
export function packUnits(doc: ParsedDocument, units: readonly Unit[], options: PackOptions): Chunk[] {
  const { maxTokens, overlapTokens, headingBreakTokens } = options;
  const chunks: Chunk[] = [];
  let start = 0; // first unit of the chunk, overlap included
  let fresh = 0; // first unit the previous chunk did not hold
  while (fresh < units.length) {
    let end = fresh + 1;
    let sum = span(units, start, end);
    while (start < fresh && sum > maxTokens) sum = span(units, ++start, end);
    let freshSum = units[fresh]!.tokens;
    while (end < units.length) {
      const next = units[end]!;
      if (headingBreakTokens !== undefined && startsSection(next) && freshSum >= headingBreakTokens) break;
      if (sum + cost(next) > maxTokens) break;
      sum += cost(next);
      freshSum += cost(next);
      end++;
    }
    // A heading at the very end of a chunk belongs with the text under it, in the next one.
    if (end < units.length) while (end - 1 > fresh && units[end - 1]!.heading) end--;

    chunks.push(chunkOfUnits(doc, units, start, end, { text: joinUnits(units, start, end), tokens: span(units, start, end) }));
    if (end >= units.length) break;

    const previousStart = start;
    fresh = start = end;
    if (overlapTokens > 0 && !startsSection(units[end]!)) {
      let overlap = 0;
      while (start - 1 > previousStart && overlap + units[start - 1]!.tokens <= overlapTokens) overlap += units[--start]!.tokens;
    }
  }
  return chunks;
}

/** Chunks a document with Bedrock's default strategy. */
export function defaultChunks(doc: ParsedDocument): Chunk[] {
  const units = documentUnits(doc, DEFAULT_MAX_TOKENS);
  return packUnits(doc, units, {
    maxTokens: DEFAULT_MAX_TOKENS,
    overlapTokens: DEFAULT_OVERLAP_TOKENS,
    headingBreakTokens: DEFAULT_HEADING_BREAK_TOKENS,
  });
}
