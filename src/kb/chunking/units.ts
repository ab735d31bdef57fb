// A document cut into the smallest pieces a sentence-aware chunker may not split: sentences of
// prose, whole table rows, headings, lines of code. Each is tokenized once, here, so packing
// is arithmetic. A piece longer than the chunk limit is split at words (the only exception).
import type { DocumentBlock, ParsedDocument } from "../document.ts";
import { countTokens, seamTokens, splitAtWords } from "./tokens.ts";

/** One indivisible piece of a document. */
export interface Unit {
  text: string;
  tokens: number;
  /** Index of the block it came from. */
  block: number;
  /** True for the first unit of its block. */
  startsBlock: boolean;
  /** True when its block is a heading. */
  heading: boolean;
  /** What joins it to the unit before it in the same chunk. */
  separator: " " | "\n";
  /**
   * Tokens that joining it to the unit before adds to the sum of both counts, so a run of units
   * costs `units[from].tokens + Σ (tokens + seam)` of the rest, exactly, without recounting.
   */
  seam: number;
}

const segmenter = new Intl.Segmenter("en", { granularity: "sentence" });

// ICU's sentence rules (without locale suppressions, which V8 does not load) break after any
// ". " before a capital: "Dr. Smith", "U.S. Army", "Jan. 5". Decimals and "e.g. the" it keeps.
const ABBREVIATIONS = new Set(
  (
    "mr mrs ms dr prof sr jr st mt ft vs etc inc ltd co corp llc plc dept univ est approx al cf " +
    "gen gov col capt lt sgt cmdr adm ave rd blvd"
  ).split(" "),
);
/** Abbreviations that only go on before a number ("No. 5", "Fig. 3", "Jan. 5"). */
const NUMBERED = new Set("no nos fig figs eq eqs vol vols ch sec pp p ref jan feb mar apr jun jul aug sep sept oct nov dec".split(" "));
const TERMINAL = /[.!?…。！？]["'”’)\]]*$/u;

/** True when `segment` ends in an abbreviation or an initial, so the sentence goes on in `next`. */
function endsInAbbreviation(segment: string, next: string): boolean {
  const match = /(?:^|[\s(])([\p{L}.]+)\.$/u.exec(segment);
  if (!match) return false;
  const word = match[1]!;
  if (word.includes(".")) return true; // U.S., e.g., a.m.
  if (/^\p{Lu}$/u.test(word)) return true; // an initial: "J. Smith"
  const lower = word.toLowerCase();
  return ABBREVIATIONS.has(lower) || (NUMBERED.has(lower) && /^\d/.test(next));
}

/** Splits prose into sentences, each trimmed but otherwise as written. */
export function sentences(text: string): string[] {
  const out: string[] = [];
  let pending = ""; // the sentence so far, raw (with the whitespace the text had)
  for (const { segment } of segmenter.segment(text)) {
    const trimmed = segment.trim();
    if (!trimmed) {
      pending += segment;
      continue;
    }
    const current = pending.trim();
    if (current) {
      // "…" or "***" is not a sentence of its own. ICU breaks at every line end, and a line
      // with no terminal punctuation followed by one in lower case is a hard-wrapped sentence.
      // An abbreviation or an initial does not end a sentence.
      const continues =
        !/[\p{L}\p{N}]/u.test(trimmed) ||
        (!TERMINAL.test(current) && /^\p{Ll}/u.test(trimmed)) ||
        endsInAbbreviation(current, trimmed);
      if (!continues) {
        out.push(current);
        pending = "";
      }
    }
    pending += segment;
  }
  if (pending.trim()) out.push(pending.trim());
  return out;
}

/** The pieces of one block, before any over-long split. */
function blockPieces(block: DocumentBlock): string[] {
  switch (block.kind) {
    case "heading":
    case "table-row":
      return [block.text.trim()];
    case "code":
      // Indentation is kept; trailing blanks go (a unit never ends in whitespace).
      return block.text
        .split("\n")
        .map((line) => line.trimEnd())
        .filter(Boolean);
    default:
      return sentences(block.text);
  }
}

/** Cuts a document into units of at most `maxTokens` tokens each. */
export function documentUnits(doc: ParsedDocument, maxTokens: number): Unit[] {
  const units: Unit[] = [];
  doc.blocks.forEach((block, index) => {
    let first = true;
    for (const piece of blockPieces(block)) {
      if (!piece.trim()) continue;
      const tokens = countTokens(piece);
      const parts = tokens > maxTokens ? splitAtWords(piece, maxTokens) : [piece];
      for (const text of parts) {
        units.push({
          text,
          tokens: parts.length === 1 ? tokens : countTokens(text),
          block: index,
          startsBlock: first,
          heading: block.kind === "heading",
          separator: first || block.kind === "code" ? "\n" : " ",
          seam: 0,
        });
        first = false;
      }
    }
  });
  for (let i = 1; i < units.length; i++) {
    const [a, b] = [units[i - 1]!, units[i]!];
    b.seam = seamTokens({ a: a.text, aLeading: i > 1 ? a.separator : "", separator: b.separator, b: b.text, bTokens: b.tokens });
  }
  return units;
}
