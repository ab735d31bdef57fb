// The part of a postal address after the street: unit designators ("Apt. 864", "Suite 501") and
// the locality words that follow on the same line, after commas or on the next lines (city,
// region, postal code, country: "Artilleros, CO 64677", "Toronto\n, ON\n 82269",
// "United Kingdom 75419"). Words are read one at a time and the address stops at the first one
// that reads like the sentence going on: an everyday verb or pronoun, a word after a full stop,
// lower-case English in cased text.
import { isVocabularyWord, lexicon } from "./lexicon.ts";

/** "suite" → "[Ss]uite|SUITE": capitalised or all-caps spellings (the `i` flag would make \p{Lu} match lower case). */
export function spellings(words: readonly string[]): string {
  return words
    .flatMap((w) => {
      const first = w[0] ?? "";
      const rest = w.slice(1).replace(/\./g, "\\.");
      return [`[${first.toUpperCase()}${first.toLowerCase()}]${rest}`, (first + rest).toUpperCase()];
    })
    .join("|");
}

/** A unit designator: "Apt.", "Suite", "Flat", "#". */
export const UNIT_WORD = String.raw`(?:${spellings(["apt.", "apt", "apartment", "suite", "ste.", "unit", "flat", "studio", "floor", "fl.", "level", "lot", "room", "rm.", "bldg.", "building"])}|#)`;
/** A unit designator and its number: "Apt. 864", "Suite 501", "# 12". */
export const UNIT = String.raw`${UNIT_WORD}[ ]?#?[ ]?\d{1,5}[A-Za-z]?`;

/** Postal codes: US ZIP (+4), 3+2, six digits, Polish, Portuguese, Canadian, British, Dutch. */
export const POSTAL = /^(?:\d{4,6}(?:-\d{4})?|\d{3} ?\d{2}|\d{2}-\d{3}|\d{4}-\d{3}|[A-Z]\d[A-Z] ?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|\d{4} ?[A-Z]{2})$/;
/** The halves of a British or Canadian postcode, read one word at a time ("SW1A 1AA", "K1A 0B1"). */
const POSTAL_HALF = /^(?:[A-Z]{1,2}\d[A-Z\d]?|\d[A-Z]{2}|[A-Z]\d[A-Z]|\d[A-Z]\d)$/;

// A unit after a comma, a line break (quoted lines too) or a space; a second number may come
// first ("Strada Provinciale 65 22 Suite 455"). A staircase letter and flat number count as a
// unit too ("Koskikatu 25 B 12").
const UNIT_NEXT = new RegExp(String.raw`^(?:,?[ ]*\n?[ >?]*|,?[ ]+)(?:(?:\d{1,5}[ ]+)?${UNIT}|[A-Z][ ]\d{1,4}(?![\p{L}\d]))`, "u");
// The next word and what separates it from the previous one: a line break (with quote marks
// and a leading comma: "MOSS\n, nan\n 51971"), a comma, or spaces.
const NEXT_WORD = /^(?<sep>[ ]*\n(?:[ ]*\n)?[ >?]*,?[ ]*|,[ ]*|[ ]+)(?<word>[^\s,]{1,40})/u;

const LOWER_LOCALITY_WORDS = /^(?:de|del|do|da|di|du|la|le|na|nad|pod|sur|am|im|an|bei|en|y|i|e|o)$/;
/** A particle inside a place name, before a capitalised word: "Turkovice u Prelouce", "Cite El Farik", "Chomutice u Horic v Podkrkonoší". */
const PLACE_PARTICLE = /^(?:u|v|z|ve|nad|pod|pri|při|el|al|la|le|les|los|las|de|del|di|da|do|du|des|van|von|der|den|sur|am|an|im|bei|en|y)$/i;
// Tags of words that can name a place ("Saint", "Wood", "Three Rivers"), and of words that
// never start one (the sentence going on: "I", "the", "for", "is").
const LOCALITY_TAGS = new Set(["Noun", "Singular", "Plural", "ProperNoun", "Place", "Demonym", "Adjective", "Comparative", "Superlative", "Actor", "Uncountable", "Organization", "Cardinal", "TextValue"]);
const FUNCTION_TAGS = new Set(["Pronoun", "Determiner", "Preposition", "Conjunction", "Copula", "Modal", "QuestionWord", "Negative", "Possessive", "Expression"]);
/** Contact labels that follow an address in signatures: "Phone 555-0100", "Fax: …". */
const LABEL = /^(?:phone|tel|telephone|fax|mobile|cell|email|e-mail|web|website|office|desk|contact)$/i;
/** An empty field in exported data ("Lyss, nan 50662"): part of the address when it sits inside one. */
const PLACEHOLDER = /^(?:nan|NaN|N\/A|null)$/;
/** An abbreviation that a locality name goes on after: "St Georges", "Mt. Eden". */
const NAME_ABBREVIATION = /^(?:St|Ste|Mt|Ft|Pt)\.?$/;

/** Where an address ends after its units and locality words, and what it took in. */
export interface Extension {
  end: number;
  unit: boolean;
  /** Locality segments taken in (a segment starts after a comma or a line break). */
  localities: number;
  /** A postal code was taken in. */
  postal: boolean;
  /** Locality words taken in. */
  words: number;
}

/** True when a lower-case word is ordinary English (compromise's lexicon or a single o200k token). */
function everyday(lower: string): boolean {
  return lexicon().common.has(lower) || isVocabularyWord(lower);
}

/**
 * True when a capitalised, all-caps or postal word can be part of a locality by itself. In
 * all-lower-case text, a word must be a place or not English, except on a line (or after a
 * comma) of its own, where nouns and adjectives count too ("cockle bay", "low street").
 */
function localityWord(word: string, caseless: boolean, ownLine = false): boolean {
  if (/[:@/?!=]/.test(word) && !PLACEHOLDER.test(word)) return false;
  if (POSTAL.test(word) || POSTAL_HALF.test(word) || /^\(\p{L}+\)$/u.test(word)) return true;
  if (word === "I") return false;
  if (/^\p{Lu}+$/u.test(word)) return true;
  const lower = word.toLowerCase();
  const lex = lexicon();
  if (!/^\p{Lu}/u.test(word)) {
    if (LOWER_LOCALITY_WORDS.test(word)) return true;
    if (!caseless || !/^\p{L}[\p{L}\p{M}'’-]*$/u.test(word)) return false;
    if (lex.places.has(lower)) return true;
    const tags = lex.common.get(lower);
    if (ownLine) return !tags || tags.every((t) => LOCALITY_TAGS.has(t));
    return !tags && (lower.length <= 2 || !isVocabularyWord(lower));
  }
  const tags = lex.common.get(lower);
  return !tags || lex.places.has(lower) || tags.every((t) => LOCALITY_TAGS.has(t));
}

/** A capitalised word that is not English: the second word of a place name ("Cite Essanaouber"). */
function foreignName(word: string | undefined): boolean {
  return word !== undefined && /^\p{Lu}\p{Ll}/u.test(word) && !everyday(word.toLowerCase());
}

/** True for a function word ("in", "its", "the", "and"): never part of a street or place name. */
export function functionWord(word: string): boolean {
  const tags = lexicon().common.get(word.toLowerCase());
  return tags !== undefined && tags.some((t) => FUNCTION_TAGS.has(t));
}

const VERB_TAGS = new Set(["PastTense", "PresentTense", "Participle", "Gerund", "Verb", "PhrasalVerb", "Auxiliary"]);

/** True for a word that is only ever a verb form ("took", "says"): a sentence, not a street name. */
export function verbOnly(word: string): boolean {
  const tags = lexicon().common.get(word.toLowerCase());
  return tags !== undefined && tags.every((t) => VERB_TAGS.has(t));
}

/** True for a capitalised English word that is not a function word: it may start a place name ("Mount", "Park", "Cite"). */
function placeStarter(word: string): boolean {
  return /^\p{Lu}\p{Ll}/u.test(word) && !functionWord(word);
}

interface Token {
  /** The word without trailing punctuation. */
  word: string;
  /** Punctuation that ended the word ("?", "." …). */
  tail: string;
  /** Offset just after `word`. */
  end: number;
  /** Starts a new segment (after a comma or a line break). */
  segment: boolean;
  /** The separator before the word contains a comma. */
  comma: boolean;
  /** Consumed length from the previous token's end (separator + word + tail). */
  length: number;
}

function nextToken(text: string, from: number): Token | undefined {
  const m = NEXT_WORD.exec(text.slice(from, from + 64));
  const raw = m?.groups?.word;
  const sep = m?.groups?.sep;
  if (raw === undefined || sep === undefined) return undefined;
  const word = /^\(\p{L}+\)$/u.test(raw) || PLACEHOLDER.test(raw) ? raw : raw.replace(/[.;:?!)]+$/u, "");
  if (word.length === 0) return undefined;
  return { word, tail: raw.slice(word.length), end: from + sep.length + word.length, segment: /[\n,]/.test(sep), comma: sep.includes(","), length: sep.length + raw.length };
}

/** What the reader knows when it weighs one word. */
interface Reading {
  token: Token;
  after: Token | undefined;
  afterNext: Token | undefined;
  caseless: boolean;
  /** Locality words taken so far. */
  taken: number;
  /** The word's segment started on a new line or after a comma. */
  ownLine: boolean;
  /** A postal code was taken already. */
  afterPostal: boolean;
}

/** How many words starting at this token belong to the locality (0: the address ends before it), and whether they are a postal code. */
function localityWords({ token, after, afterNext, caseless, taken, ownLine, afterPostal }: Reading): { words: number; postal: boolean } {
  const { word } = token;
  const stop = { words: 0, postal: false };
  const one = { words: 1, postal: false };
  const places = lexicon().places;
  const sameLine = (t: Token | undefined): t is Token => t !== undefined && !t.segment;
  // A label: "Mobile:", "Phone 555-0100" (but "Tel Aviv").
  if (token.tail.includes(":") || (LABEL.test(word) && (!after || /^[\d+(]/.test(after.word)))) return stop;
  // After the postal code, only the same line or a country on the next one: "M5J 2N8\nCanada",
  // "110 00 Praha\nCzech Republic".
  const place = (n: number): boolean => places.has([token, after, afterNext].slice(0, n).map((t) => t?.word).join(" ").toLowerCase());
  if (afterPostal && token.segment && !place(1) && !place(2) && !place(3)) return stop;
  if (POSTAL.test(word)) return { words: 1, postal: true };
  const town = (t: Token | undefined): boolean => sameLine(t) && /^\p{Lu}/u.test(t.word) && localityWord(t.word, caseless);
  // A Czech, Slovak, Swedish or Greek postal code before the town: "110 00 Praha".
  if (/^\d{3}$/.test(word) && sameLine(after) && /^\d{2}$/.test(after.word) && town(afterNext)) return { words: 2, postal: true };
  // A 3+2 postal code closing the address: "ANNERSTAD nan 340 12".
  if (/^\d{3}$/.test(word) && taken > 0 && sameLine(after) && /^\d{2}$/.test(after.word) && (!afterNext || afterNext.segment)) return { words: 2, postal: true };
  if (/^\d{1,3}$/.test(word)) {
    // After a comma: a numeric region code before a postal code ("Hania Bazid, 43 73313",
    // "Cite Essanaouber\n, 32\n 60810"), or a short postal code before the town
    // ("Hafnarstræti 5, 101 Reykjavík").
    if (!token.comma || !after) return stop;
    if (POSTAL.test(after.word)) return one;
    return town(after) ? { words: 1, postal: true } : stop;
  }
  if (PLACEHOLDER.test(word)) return taken > 0 ? one : stop;
  if (NAME_ABBREVIATION.test(word)) {
    // "St Georges" is a place; "Archwood Avenue St." and "St. the first months" are not.
    const named = sameLine(after) && (caseless ? /^\p{L}/u : /^\p{Lu}/u).test(after.word) && token.tail.length <= 1;
    return named ? one : stop;
  }
  if (sameLine(after) && sameLine(afterNext) && places.has(`${word} ${after.word} ${afterNext.word}`.toLowerCase())) return { words: 3, postal: false };
  if (sameLine(after) && places.has(`${word} ${after.word}`.toLowerCase())) return { words: 2, postal: false }; // "United States"
  // A region code before a postal code in lower-case text: "toronto, on 82269".
  if (caseless && /^\p{L}{2}$/u.test(word) && after && POSTAL.test(after.word)) return one;
  if (localityWord(word, caseless, ownLine)) return one;
  if (!caseless && taken > 0 && !token.segment && PLACE_PARTICLE.test(word) && town(after)) return one;
  // A capitalised verb starts a place name only when a place word follows it on the same line
  // ("Cite Essanaouber", "Mount Pleasant", "Cite El Farik"; not "Visit our website").
  const named =
    sameLine(after) &&
    /^\p{Lu}/u.test(after.word) &&
    (foreignName(after.word) || localityWord(after.word, caseless) || (PLACE_PARTICLE.test(after.word) && town(afterNext)));
  return !caseless && placeStarter(word) && named ? one : stop;
}

/** Extends an address to the right over units ("Apt. 864") and locality words ("Artilleros, CO 64677"). */
export function extendRight(text: string, from: number, caseless: boolean): Extension {
  const ext: Extension = { end: from, unit: false, localities: 0, postal: false, words: 0 };
  let at = from; // where reading goes on (after a token's trailing punctuation)
  let segmentOpen = false;
  let ownLine = false;
  for (let guard = 0; guard < 24; guard++) {
    const unit = UNIT_NEXT.exec(text.slice(at, at + 40));
    if (unit) {
      at += unit[0].length;
      ext.end = at;
      ext.unit = true;
      segmentOpen = false;
      ownLine = false;
      continue;
    }
    const token = nextToken(text, at);
    if (!token) break;
    const after = nextToken(text, at + token.length);
    const afterNext = after ? nextToken(text, at + token.length + after.length) : undefined;
    if (token.segment) ownLine = true;
    const { words, postal } = localityWords({ token, after, afterNext, caseless, taken: ext.words, ownLine, afterPostal: ext.postal });
    if (words === 0) break;
    const last = words === 1 ? token : words === 2 ? after : afterNext;
    if (!last) break;
    at += token.length + (words > 1 ? (after?.length ?? 0) : 0) + (words > 2 ? (afterNext?.length ?? 0) : 0);
    if (token.segment || !segmentOpen) ext.localities++;
    segmentOpen = true;
    ext.words += words;
    ext.postal ||= postal;
    ext.end = last.end;
    // Sentence punctuation ends the address; so does a full stop after anything but "St.".
    if (/[?!;:]/.test(last.tail) || (last.tail.startsWith(".") && !NAME_ABBREVIATION.test(last.word))) break;
  }
  return ext;
}
