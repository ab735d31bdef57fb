// Word lists for the name, address and credential rules, taken from compromise's lexicon
// (about 24,600 English words with part-of-speech tags, 3,000 given names, 900 surnames,
// places and organisation words). Only the lexicon is used: compromise's full tagger costs
// about 15 ms per KB, far over the ~2 ms budget of the whole recognizer. compromise is loaded
// on first use (about 0.5 s), so guardrails without these types never pay for it.
//
// compromise's lexicon lacks many everyday nouns ("comedy", "wisdom"), so a second test asks
// the o200k_base tokenizer (already loaded by the model layer for token counts): a lower-case
// word that is one token of its own (" comedy") is frequent in lower case on the web, which
// rare surnames ("vasquez", "eklund") are not.
import { createRequire } from "node:module";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";

/** The parts of compromise's model this module reads. */
interface CompromiseModel {
  one: { lexicon: Record<string, string | string[]> };
  two: { orgWords: Record<string, boolean>; placeWords: Record<string, boolean> };
}

/** Lower-case word sets derived from the lexicon. */
export interface Lexicon {
  /** Given names (MaleName, FemaleName, FirstName). */
  firstNames: ReadonlySet<string>;
  /** Family names. */
  lastNames: ReadonlySet<string>;
  /** Well-known people ("austin", "bill gates"): compromise's Person tag. */
  persons: ReadonlySet<string>;
  /** Cities, countries and regions, single and multi-word. */
  places: ReadonlySet<string>;
  /** Words that end organisation names (bank, consulting, inc, …). */
  orgWords: ReadonlySet<string>;
  /** Words that end place names (river, county, hill, …). */
  placeWords: ReadonlySet<string>;
  /** Every other word with its tags: the "ordinary English" test. */
  common: ReadonlyMap<string, readonly string[]>;
}

const NAME_TAGS = new Set(["MaleName", "FemaleName", "FirstName"]);
const PLACE_TAGS = new Set(["City", "Country", "Region"]);
/** Tags of words that are never a secret on their own ("password is incorrect"). */
const FUNCTION_TAGS = new Set([
  "Adjective", "Comparative", "Superlative", "PastTense", "Participle", "Gerund", "PresentTense", "Infinitive",
  "Adverb", "Determiner", "Preposition", "Pronoun", "Conjunction", "Negative", "Modal", "Copula", "Condition",
  "QuestionWord", "Verb", "PhrasalVerb", "Possessive", "Reflexive", "Expression",
]);

let cached: Lexicon | undefined;

function loadModel(): CompromiseModel {
  const require = createRequire(import.meta.url);
  const nlp = require("compromise/two") as { model(): CompromiseModel };
  return nlp.model();
}

function build(model: CompromiseModel): Lexicon {
  const firstNames = new Set<string>();
  const lastNames = new Set<string>();
  const persons = new Set<string>();
  const places = new Set<string>();
  const common = new Map<string, string[]>();
  for (const [word, raw] of Object.entries(model.one.lexicon)) {
    const tags = Array.isArray(raw) ? raw : [raw];
    if (tags.some((t) => NAME_TAGS.has(t))) firstNames.add(word);
    else if (tags.includes("LastName")) lastNames.add(word);
    else if (tags.includes("Person")) persons.add(word);
    else if (tags.some((t) => PLACE_TAGS.has(t))) places.add(word);
    else common.set(word, tags);
  }
  return {
    firstNames,
    lastNames,
    persons,
    places,
    orgWords: new Set(Object.keys(model.two.orgWords)),
    placeWords: new Set(Object.keys(model.two.placeWords)),
    common,
  };
}

/** The shared lexicon (built on first call). */
export function lexicon(): Lexicon {
  cached ??= build(loadModel());
  return cached;
}

const vocabCache = new Map<string, boolean>();
const VOCAB_CACHE_LIMIT = 50_000;

/** True when " word" (lower case) is a single o200k_base token: a frequent lower-case word. */
export function isVocabularyWord(lower: string): boolean {
  let known = vocabCache.get(lower);
  if (known === undefined) {
    known = lower.length > 1 && countTokens(` ${lower}`) === 1;
    if (vocabCache.size >= VOCAB_CACHE_LIMIT) vocabCache.clear();
    vocabCache.set(lower, known);
  }
  return known;
}

/** True for a lower-case dictionary word that is not a noun: "incorrect", "required", "too". */
export function isPlainEnglishWord(value: string): boolean {
  if (!/^[a-z]+$/.test(value)) return false;
  const tags = lexicon().common.get(value);
  return tags !== undefined && tags.some((t) => FUNCTION_TAGS.has(t));
}
