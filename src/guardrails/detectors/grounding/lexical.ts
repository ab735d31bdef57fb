// The lexical facts of a text that grounding checks compare: content-word stems, numbers and
// name-like words. Deliberately light (no dictionary, no tagger): it runs on every response.

/** Content-word stems, normalised numbers and lower-cased name-like words of one text. */
export interface LexicalFacts {
  terms: string[];
  numbers: string[];
  names: string[];
}

/** English function words: they say nothing about support. */
const STOPWORDS = new Set(
  (
    "a about above after again against all also am an and any are aren't as at be because been before being below between both but by " +
    "can cannot could couldn't did didn't do does doesn't doing don't down during each few for from further had hadn't has hasn't have " +
    "haven't having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it " +
    "it's its itself just let's me more most mustn't my myself no nor not of off on once only or other ought our ours ourselves out over " +
    "own same shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then there " +
    "there's these they they'd they'll they're they've this those through to too under until up very was wasn't we we'd we'll we're we've " +
    "were weren't what what's when when's where where's which while who who's whom why why's will with won't would wouldn't you you'd " +
    "you'll you're you've your yours yourself yourselves yes yeah ok okay may might must shall also however therefore thus although though " +
    "many much one ones s t us well like get got " +
    // Units that only restate a number ("$5" / "5 dollars").
    "dollar dollars euro euros pound pounds percent per cent usd eur gbp"
  ).split(" "),
);

/** Number words worth checking ("one", "first" and "half" are too often not numbers at all). */
const NUMBER_WORDS: Record<string, string> = {
  two: "2", three: "3", four: "4", five: "5", six: "6", seven: "7", eight: "8", nine: "9", ten: "10", eleven: "11", twelve: "12",
  thirteen: "13", fourteen: "14", fifteen: "15", sixteen: "16", seventeen: "17", eighteen: "18", nineteen: "19", twenty: "20",
  thirty: "30", forty: "40", fifty: "50", sixty: "60", seventy: "70", eighty: "80", ninety: "90", hundred: "100", thousand: "1000",
  dozen: "12",
};

/** A number (with its separators and unit) or a word (with its apostrophe part). */
const WORD = /[$€£]?\d[\d,]*(?:\.\d+)?(?:%|st|nd|rd|th|s|k|m|bn)?|\p{L}[\p{L}\p{N}]*(?:['’]\p{L}+)*/gu;

/** Extracts the lexical facts of `text`. */
export function lexicalFacts(text: string): LexicalFacts {
  const facts: LexicalFacts = { terms: [], numbers: [], names: [] };
  for (const sentence of text.split(/(?<=[.!?])\s+|\n+/)) {
    const words = [...sentence.matchAll(WORD)].map((m) => m[0]);
    words.forEach((word, i) => addWord(facts, { word, first: i === 0, next: words[i + 1], short: words.length <= 4 }));
  }
  return facts;
}

function addWord(facts: LexicalFacts, at: { word: string; first: boolean; next?: string; short: boolean }): void {
  const { word } = at;
  const lower = word.toLowerCase();
  const number = normalizeNumber(lower);
  if (number !== undefined) {
    facts.numbers.push(number);
    return;
  }
  if (STOPWORDS.has(lower) || lower.length < 2) return;
  facts.terms.push(stem(lower));
  // A capitalised word is name-like unless it only starts its sentence: then it counts when the
  // next word is capitalised too ("Richard Nixon ...") or the sentence is a short answer ("Delhi").
  if (/^\p{Lu}/u.test(word) && (!at.first || at.short || (at.next !== undefined && /^\p{Lu}/u.test(at.next)))) facts.names.push(lower.replace(/['’]s$/u, ""));
}

/** "1,000" → "1000", "3.50" → "3.5", "twelve" → "12", "21st" → "21"; undefined when not a number. */
export function normalizeNumber(word: string): string | undefined {
  if (NUMBER_WORDS[word] !== undefined) return NUMBER_WORDS[word];
  const match = /^[$€£]?(\d[\d,]*(?:\.\d+)?)(?:%|st|nd|rd|th|s|k|m|bn)?$/.exec(word.replace(/,$/, ""));
  if (!match) return undefined;
  const value = Number(match[1]!.replace(/,/g, ""));
  return Number.isFinite(value) ? String(value) : undefined;
}

/** A light English stemmer: plural, -ing, -ed and -ly endings (enough to match word forms). */
export function stem(word: string): string {
  let w = word.replace(/['’]s?$/u, "");
  if (w.length > 4 && w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
  else if (/(?:ss|x|ch|sh|z)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith("s") && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith("ing")) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith("ed")) w = w.slice(0, -2);
  else if (w.length > 4 && w.endsWith("ly")) w = w.slice(0, -2);
  return w.replace(/e$/, "");
}

/** The source side of a comparison: sets for constant-time look-ups. */
export interface SourceIndex {
  terms: Set<string>;
  /** First six letters of each term, for near forms ("America" / "American"). */
  prefixes: Set<string>;
  numbers: Set<string>;
  /** Every lower-cased word of the source, for names (which need no stemming). */
  words: Set<string>;
}

/** Indexes a source text once per check. */
export function indexSource(text: string): SourceIndex {
  const facts = lexicalFacts(text);
  const words = new Set([...text.toLowerCase().matchAll(WORD)].map((m) => m[0]));
  return {
    terms: new Set(facts.terms),
    prefixes: new Set(facts.terms.filter((t) => t.length >= 6).map((t) => t.slice(0, 6))),
    numbers: new Set(facts.numbers),
    words,
  };
}

/** Whether the source contains the term (its stem, or a near form sharing its first six letters). */
export function hasTerm(index: SourceIndex, term: string): boolean {
  return index.terms.has(term) || (term.length >= 6 && index.prefixes.has(term.slice(0, 6)));
}
