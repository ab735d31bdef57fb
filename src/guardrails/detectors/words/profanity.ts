// The managed PROFANITY list: obscenity's English dataset with its recommended transformers
// (confusable and leetspeak characters, case, repeated letters), run on the text with words
// spelled out letter by letter joined ("f u c k") and zero-width characters removed first,
// two evasions obscenity alone does not read.
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from "obscenity";
import { classify, despace, isInvisible, segment, spelledOut, UnitClass, type Despaced } from "./text-units.ts";

/** One profane word found in a text. */
export interface ProfanityMatch {
  /** UTF-16 span in the original text, widened to the whole word it sits in ("motherfucker"). */
  start: number;
  end: number;
  /** The text as it appeared. */
  match: string;
  /** The dataset word it matched (`fuck`). */
  word: string;
}

/** A match is widened to its enclosing word, but never by more than this many characters. */
const MAX_WIDEN = 32;

let matcher: RegExpMatcher | undefined;

/** The process-wide matcher, built on first use (about 2 ms). */
function profanityMatcher(): RegExpMatcher {
  matcher ??= new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
  return matcher;
}

/**
 * The texts to run obscenity on: spelled-out words joined, format characters removed, and,
 * when a spelled-out run begins with "a" or "I", also the reading that keeps that word apart.
 */
function readings(text: string): Despaced[] {
  const units = segment(text);
  const spelled = spelledOut(text, units);
  const joined = despace(text, units, spelled.separators);
  if (spelled.leadingGaps.size === 0) return [joined];
  const apart = new Set([...spelled.separators].filter((unit) => !spelled.leadingGaps.has(unit)));
  return [joined, despace(text, units, apart)];
}

/** Finds profanity in `text`, sorted by position; one entry per distinct span. */
export function findProfanity(text: string): ProfanityMatch[] {
  if (!text) return [];
  const found = new Map<string, ProfanityMatch>();
  for (const reading of readings(text)) {
    for (const hit of profanityMatcher().getAllMatches(reading.text, true)) {
      // obscenity's endIndex is inclusive and points at the last UTF-16 unit of the match.
      const [start, end] = widenToWord(text, reading.toOriginal[hit.startIndex]!, reading.toOriginal[hit.endIndex]! + 1);
      const key = `${start}:${end}`;
      if (found.has(key)) continue;
      const { phraseMetadata } = englishDataset.getPayloadWithPhraseMetadata(hit);
      found.set(key, { start, end, match: text.slice(start, end), word: phraseMetadata?.originalWord ?? text.slice(start, end) });
    }
  }
  return [...found.values()].sort((a, b) => a.start - b.start || a.end - b.end);
}

function isWordAt(text: string, index: number): boolean {
  const cls = classify(text.codePointAt(index)!);
  return cls === UnitClass.Word || isInvisible(cls);
}

/** Extends [start, end) over the letters around it, so the report names the word as written. */
function widenToWord(text: string, start: number, end: number): [number, number] {
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end++;
  const floor = Math.max(0, start - MAX_WIDEN);
  while (start > floor) {
    const previous = start >= 2 && isLowSurrogate(text.charCodeAt(start - 1)) ? start - 2 : start - 1;
    if (!isWordAt(text, previous)) break;
    start = previous;
  }
  const ceiling = Math.min(text.length, end + MAX_WIDEN);
  while (end < ceiling && isWordAt(text, end)) end += text.codePointAt(end)! > 0xffff ? 2 : 1;
  return [start, end];
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
