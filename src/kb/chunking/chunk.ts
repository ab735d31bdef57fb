// What every chunking strategy returns, and the helpers that turn a run of units or blocks into
// one: joined text, exact token count, the pages it spans and the headings it sits under.
import type { ParsedDocument } from "../document.ts";
import { countTokens } from "./tokens.ts";
import type { Unit } from "./units.ts";

/** One chunk of a document, ready to embed. */
export interface Chunk {
  text: string;
  /** Tokens of `text` (o200k_base, the tokenizer every strategy counts with). */
  tokenCount: number;
  /** Pages (PDF) or sheets the chunk spans, ascending; empty where the format has none. */
  pages: number[];
  /** The heading chain of the chunk's first block, outermost first (the block itself if a heading). */
  headings: string[];
  /**
   * HIERARCHICAL only: the parent chunk this child was cut from. `index` is the parent's ordinal
   * within the document (0-based), so parents get stable ids.
   */
  parent?: { index: number; text: string };
}

/** What strategies may need besides the document. */
export interface ChunkingDeps {
  /** Embeds texts in order (SEMANTIC). Plain arrays and Float32Arrays both do. */
  embed?: (texts: string[]) => Promise<ReadonlyArray<ArrayLike<number>>>;
  signal?: AbortSignal;
}

/** Joins consecutive units `[from, to)` as they read in the document. */
export function joinUnits(units: readonly Unit[], from: number, to: number): string {
  let text = units[from]!.text;
  for (let i = from + 1; i < to; i++) text += units[i]!.separator + units[i]!.text;
  return text;
}

/** Sorted distinct pages of a set of block indexes. */
export function pagesOf(doc: ParsedDocument, blocks: Iterable<number>): number[] {
  const pages = new Set<number>();
  for (const b of blocks) {
    const page = doc.blocks[b]?.page;
    if (page !== undefined) pages.add(page);
  }
  return [...pages].sort((a, b) => a - b);
}

/** The heading chain of a block; a heading block sits under itself too. */
export function headingsOf(doc: ParsedDocument, block: number): string[] {
  const b = doc.blocks[block];
  if (!b) return [];
  return b.kind === "heading" ? [...b.headings, b.text.trim()] : [...b.headings];
}

/** Builds the chunk for units `[from, to)`; `measured` passes text and tokens already computed. */
export function chunkOfUnits(
  doc: ParsedDocument,
  units: readonly Unit[],
  from: number,
  to: number,
  measured?: { text: string; tokens: number },
): Chunk {
  const text = measured?.text ?? joinUnits(units, from, to);
  const blocks: number[] = [];
  for (let i = from; i < to; i++) if (blocks.at(-1) !== units[i]!.block) blocks.push(units[i]!.block);
  return {
    text,
    tokenCount: measured?.tokens ?? countTokens(text),
    pages: pagesOf(doc, blocks),
    headings: headingsOf(doc, units[from]!.block),
  };
}
