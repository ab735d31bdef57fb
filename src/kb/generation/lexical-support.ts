// Attribution when the model cites nothing: a sentence of the answer is supported by a passage
// when most of the sentence's content words occur in it. Measured as the share of the
// sentence's distinct content words (lower-cased, stop words dropped, plural `s` folded) found
// in the passage. Extractive and lightly paraphrased answers score high; a sentence the
// passages do not contain scores low and gets no citation rather than a wrong one.

/** The share of a sentence's content words a passage must hold to support it. */
export const SUPPORT_THRESHOLD = 0.6;
/** At least this many content words must match (a one-word sentence supports nothing). */
export const MIN_MATCHED_WORDS = 2;
/** At most this many passages are cited for one sentence, best first. */
export const MAX_SUPPORTING_PASSAGES = 3;

// Short English function words; content words are what remains.
const STOP_WORDS = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours yourself yourselves also may might must shall yes"
  ).split(" "),
);

function stem(word: string): string {
  if (word.endsWith("'s") || word.endsWith("’s")) return word.slice(0, -2);
  if (word.length > 4 && word.endsWith("s") && !word.endsWith("ss")) return word.slice(0, -1);
  return word;
}

/** The distinct content words of a text. */
export function contentWords(text: string): Set<string> {
  const words = new Set<string>();
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu)) {
    const word = stem(match[0]);
    if (STOP_WORDS.has(word)) continue;
    if (word.length < 2 && !/\p{N}/u.test(word)) continue;
    words.add(word);
  }
  return words;
}

/** The share of `sentence`'s content words found in `passage`, and how many matched. */
export function supportScore(sentence: Set<string>, passage: Set<string>): { ratio: number; matched: number } {
  if (sentence.size === 0) return { ratio: 0, matched: 0 };
  let matched = 0;
  for (const word of sentence) if (passage.has(word)) matched++;
  return { ratio: matched / sentence.size, matched };
}

/** Indexes of the passages that support a sentence, best first (empty when none does). */
export function supportingPassages(sentence: string, passages: ReadonlyArray<Set<string>>): number[] {
  const words = contentWords(sentence);
  if (words.size < MIN_MATCHED_WORDS) return [];
  return passages
    .map((p, index) => ({ index, ...supportScore(words, p) }))
    .filter((s) => s.matched >= MIN_MATCHED_WORDS && s.ratio >= SUPPORT_THRESHOLD)
    .sort((a, b) => b.ratio - a.ratio || a.index - b.index)
    .slice(0, MAX_SUPPORTING_PASSAGES)
    .map((s) => s.index);
}
