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

/** A unit designator and its number: "Apt. 864", "Suite 501", "# 12". */
export const UNIT = String.raw`(?:${spellings(["apt.", "apt", "apartment", "suite", "ste.", "unit", "flat", "floor", "fl.", "room", "rm.", "bldg.", "building"])}|#)[ ]?#?[ ]?\d{1,5}[A-Za-z]?`;

/** Postal codes: US ZIP (+4), 3+2, Polish, Portuguese, Canadian, British, Dutch. */
export const POSTAL = /^(?:\d{4,5}(?:-\d{4})?|\d{3} ?\d{2}|\d{2}-\d{3}|\d{4}-\d{3}|[A-Z]\d[A-Z] ?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|\d{4} ?[A-Z]{2})$/;

// A unit after a comma, a line break (quoted lines too) or a space; a second number may come
// first ("Strada Provinciale 65 22 Suite 455").
const UNIT_NEXT = new RegExp(String.raw`^(?:,?[ ]*\n?[ >?]*|,?[ ]+)(?:\d{1,5}[ ]+)?${UNIT}`, "u");
// The next word and what separates it from the previous one: a line break (with quote marks
// and a leading comma: "MOSS\n, nan\n 51971"), a comma, or spaces.
const NEXT_WORD = /^(?<sep>[ ]*\n(?:[ ]*\n)?[ >?]*,?[ ]*|,[ ]*|[ ]+)(?<word>[^\s,]{1,40})/u;

const LOWER_LOCALITY_WORDS = /^(?:de|del|do|da|di|du|la|le|na|nad|pod|sur|am|im|an|bei|en|y|i|e|o)$/;
const LOCALITY_TAGS = new Set(["Noun", "Singular", "Plural", "ProperNoun", "Place", "Demonym", "Adjective"]);
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
}

/** True when a lower-case word is ordinary English (compromise's lexicon or a single o200k token). */
function everyday(lower: string): boolean {
  return lexicon().common.has(lower) || isVocabularyWord(lower);
}

/** True when a capitalised, all-caps or postal word can be part of a locality by itself. */
function localityWord(word: string, caseless: boolean): boolean {
  if (/[:@/?!=]/.test(word) && !PLACEHOLDER.test(word)) return false;
  if (POSTAL.test(word) || /^\(\p{L}+\)$/u.test(word)) return true;
  if (word === "I") return false;
  if (/^\p{Lu}+$/u.test(word)) return true;
  const lower = word.toLowerCase();
  const lex = lexicon();
  if (!/^\p{Lu}/u.test(word)) {
    if (LOWER_LOCALITY_WORDS.test(word)) return true;
    // All-lower-case text: a place, or a word that is not English ("delmas", "begunje", "sé").
    return caseless && /^\p{L}[\p{L}\p{M}'’-]*$/u.test(word) && (lex.places.has(lower) || (!lex.common.has(lower) && (lower.length <= 2 || !isVocabularyWord(lower))));
  }
  const tags = lex.common.get(lower);
  return !tags || lex.places.has(lower) || tags.every((t) => LOCALITY_TAGS.has(t));
}

/** A capitalised word that is not English: the second word of a place name ("Cite Essanaouber"). */
function foreignName(word: string | undefined): boolean {
  return word !== undefined && /^\p{Lu}\p{Ll}/u.test(word) && !everyday(word.toLowerCase());
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
  return { word, tail: raw.slice(word.length), end: from + sep.length + word.length, segment: /[\n,]/.test(sep), length: sep.length + raw.length };
}

/** Extends an address to the right over units ("Apt. 864") and locality words ("Artilleros, CO 64677"). */
export function extendRight(text: string, from: number, caseless: boolean): Extension {
  const ext: Extension = { end: from, unit: false, localities: 0 };
  const places = lexicon().places;
  let at = from; // where reading goes on (after a token's trailing punctuation)
  let taken = 0; // locality words taken
  let segmentOpen = false;
  for (let guard = 0; guard < 24; guard++) {
    const unit = UNIT_NEXT.exec(text.slice(at, at + 40));
    if (unit) {
      at += unit[0].length;
      ext.end = at;
      ext.unit = true;
      segmentOpen = false;
      continue;
    }
    const token = nextToken(text, at);
    if (!token) break;
    const after = nextToken(text, at + token.length);
    const afterNext = after ? nextToken(text, at + token.length + after.length) : undefined;
    let words = 1;
    const { word } = token;
    if (/^\d{1,3}$/.test(word)) {
      // A numeric region code ("Cite Essanaouber\n, 32\n 60810") only before a postal code.
      if (!after || !POSTAL.test(after.word)) break;
    } else if (PLACEHOLDER.test(word)) {
      if (taken === 0) break;
    } else if (NAME_ABBREVIATION.test(word)) {
      // "St Georges" is a place; "Archwood Avenue St." and "St. the first months" are not.
      if (!after || after.segment || !/^\p{Lu}/u.test(after.word) || token.tail.length > 1) break;
    } else if (after && !after.segment && afterNext && !afterNext.segment && places.has(`${word} ${after.word} ${afterNext.word}`.toLowerCase())) {
      words = 3;
    } else if (after && !after.segment && places.has(`${word} ${after.word}`.toLowerCase())) {
      words = 2; // "United States", "New Zealand"
    } else if (!localityWord(word, caseless)) {
      // A capitalised English word starts a place name only when a foreign name follows it.
      if (caseless || !/^\p{Lu}\p{Ll}/u.test(word) || !after || after.segment || !foreignName(after.word)) break;
    }
    let last = token;
    let consumed = token.length;
    for (let i = 1; i < words; i++) {
      const more = nextToken(text, at + consumed);
      if (!more) break;
      consumed += more.length;
      last = more;
    }
    if (token.segment || !segmentOpen) ext.localities++;
    segmentOpen = true;
    taken += words;
    ext.end = last.end;
    at += consumed;
    // Sentence punctuation ends the address; so does a full stop after anything but "St.".
    if (/[?!;:]/.test(last.tail) || (last.tail.startsWith(".") && !NAME_ABBREVIATION.test(last.word))) break;
  }
  return ext;
}
