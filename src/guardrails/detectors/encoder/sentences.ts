// Sentence splitting and short windows for meaning-based detectors: a static encoder averages
// its pieces, so one long text blurs every idea in it together; scoring each sentence (and each
// pair of neighbours, for an idea split across two) keeps a single off-limits sentence visible.

/** A sentence or window of the text, with its UTF-16 span. */
export interface TextSpan {
  text: string;
  start: number;
  end: number;
}

/** Longest sentence scored whole; longer ones are cut into overlapping word windows. */
const MAX_WORDS = 40;
const WINDOW_WORDS = 24;
const WINDOW_STRIDE = 12;

/** Splits at sentence ends (. ! ? followed by a space) and at line breaks; drops empty parts. */
export function splitSentences(text: string): TextSpan[] {
  const out: TextSpan[] = [];
  const boundary = /[.!?…]+["')\]]*\s+|\s*\n+\s*/g;
  let start = 0;
  for (const match of text.matchAll(boundary)) {
    const end = match.index + match[0].trimEnd().length;
    push(out, text, start, Math.max(end, match.index));
    start = match.index + match[0].length;
  }
  push(out, text, start, text.length);
  return out;
}

function push(out: TextSpan[], text: string, start: number, end: number): void {
  const raw = text.slice(start, end);
  const lead = raw.length - raw.trimStart().length;
  const body = raw.trim();
  if (body.length > 0) out.push({ text: body, start: start + lead, end: start + lead + body.length });
}

/** The units a detector embeds: every sentence, long ones as overlapping word windows. */
export function sentenceUnits(text: string): TextSpan[] {
  return splitSentences(text).flatMap(wordWindows);
}

/**
 * The windows a detector scores: every unit (sentenceUnits), every pair of neighbouring units,
 * and the whole text when it is short.
 */
export function textWindows(text: string): TextSpan[] {
  const units = sentenceUnits(text);
  const windows = [...units];
  for (let i = 1; i < units.length; i++) windows.push({ text: text.slice(units[i - 1]!.start, units[i]!.end), start: units[i - 1]!.start, end: units[i]!.end });
  if (units.length > 2 && countWords(text) <= MAX_WORDS) windows.push({ text: text.trim(), start: 0, end: text.length });
  return windows;
}

/**
 * Window vectors from unit vectors, in the order of textWindows: each unit, each neighbouring
 * pair (the normalised sum of the two: both sentences count equally), and the whole text when
 * it is short. One encoder pass over the units instead of one per window.
 */
export function windowVectors(text: string, units: readonly TextSpan[], vectors: readonly Float32Array[]): Float32Array[] {
  const out = [...vectors];
  for (let i = 1; i < vectors.length; i++) out.push(normalizedSum([vectors[i - 1]!, vectors[i]!]));
  if (units.length > 2 && countWords(text) <= MAX_WORDS) out.push(normalizedSum(vectors));
  return out;
}

/** The units each window is made of (indices into `units`), in the order of windowVectors. */
export function windowMembers(text: string, units: readonly TextSpan[]): number[][] {
  const out = units.map((_, i) => [i]);
  for (let i = 1; i < units.length; i++) out.push([i - 1, i]);
  if (units.length > 2 && countWords(text) <= MAX_WORDS) out.push(units.map((_, i) => i));
  return out;
}

/** The unit vector along the sum of `vectors` (each counts equally when they are unit vectors). */
export function normalizedSum(vectors: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(vectors[0]!.length);
  for (const v of vectors) for (let d = 0; d < out.length; d++) out[d]! += v[d]!;
  let norm = 0;
  for (let d = 0; d < out.length; d++) norm += out[d]! * out[d]!;
  if (norm > 0) for (let d = 0; d < out.length; d++) out[d]! /= Math.sqrt(norm);
  return out;
}

/** A sentence of at most MAX_WORDS words as is; a longer one as windows of WINDOW_WORDS words. */
function wordWindows(sentence: TextSpan): TextSpan[] {
  const words = [...sentence.text.matchAll(/\S+/g)];
  if (words.length <= MAX_WORDS) return [sentence];
  const out: TextSpan[] = [];
  for (let first = 0; first < words.length; first += WINDOW_STRIDE) {
    const last = Math.min(first + WINDOW_WORDS, words.length) - 1;
    const start = words[first]!.index;
    const end = words[last]!.index + words[last]![0].length;
    out.push({ text: sentence.text.slice(start, end), start: sentence.start + start, end: sentence.start + end });
    if (last === words.length - 1) break;
  }
  return out;
}

/** Number of whitespace-separated words. */
export function countWords(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}
