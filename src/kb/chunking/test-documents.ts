// Documents for the chunking tests: deterministic prose whose sentences are all distinct (each
// ends with its own case number), with abbreviations and decimals a naive splitter would cut.
import type { DocumentBlock, ParsedDocument } from "../document.ts";

const SUBJECTS = ["The committee", "Dr. Rivera", "Our regional office", "The audit team", "Each supplier", "The new policy", "Mrs. Okafor", "The pilot project"];
const VERBS = ["reviewed", "approved", "questioned", "summarised", "rejected", "postponed", "extended", "measured"];
const OBJECTS = [
  "the budget for the coming year",
  "a 3.5 percent increase in shipping costs",
  "the safety report, e.g. the section on ladders",
  "the contract with the U.S. distributor",
  "quarterly revenue of 12.75 million euros",
  "the plan to move the warehouse",
  "two proposals from the design group",
  "the schedule agreed in Jan. last year",
];
const TAILS = ["", " after a long debate", " with several conditions attached", " because the figures did not add up", " and asked for a follow-up in three weeks"];

/** Deterministic pseudo-random integers. */
function rng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 8;
  };
}

/** `count` distinct sentences, starting at case number `from`. */
export function proseSentences(count: number, from = 0, seed = 7): string[] {
  const next = rng(seed + from);
  return Array.from({ length: count }, (_, i) => {
    const pick = <T>(list: readonly T[]): T => list[next() % list.length]!;
    return `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)}${pick(TAILS)} (case ${from + i}).`;
  });
}

/** A paragraph block. */
export function paragraph(text: string, headings: string[] = [], page?: number): DocumentBlock {
  return { kind: "paragraph", text, headings, ...(page === undefined ? {} : { page }) };
}

/** A heading block. */
export function heading(text: string, level: number, headings: string[] = [], page?: number): DocumentBlock {
  return { kind: "heading", text, level, headings, ...(page === undefined ? {} : { page }) };
}

/** A document of these blocks. */
export function documentOf(blocks: DocumentBlock[], format: ParsedDocument["format"] = "md"): ParsedDocument {
  return { format, blocks };
}

/**
 * Checks that `text` is a run of whole sentences from `all`, in order, joined by a space or a
 * newline; returns the run as `[from, to)`. Throws when any sentence is cut.
 */
export function sentenceRun(text: string, all: readonly string[]): [number, number] {
  const first = all.findIndex((s) => text.startsWith(s));
  if (first < 0) throw new Error(`chunk does not start with a whole sentence: ${JSON.stringify(text.slice(0, 80))}`);
  let at = all[first]!.length;
  let k = first + 1;
  while (at < text.length) {
    const separator = text[at];
    if (separator !== " " && separator !== "\n") throw new Error(`chunk cuts a sentence at ${at}: ${JSON.stringify(text.slice(at - 40, at + 40))}`);
    const next = all[k];
    if (next === undefined || !text.startsWith(next, at + 1)) {
      throw new Error(`chunk does not continue with sentence ${k} at ${at}: ${JSON.stringify(text.slice(at, at + 80))}`);
    }
    at += 1 + next.length;
    k++;
  }
  return [first, k];
}
