// ADDRESS: finds a street "core" and grows it into the whole postal address, which is what
// Bedrock's ADDRESS covers ("100 Main Street, Anytown, USA"), not the street line alone.
// Cores: house number + street name + a USPS street suffix ("1668 Glyn St"); a street-type
// word first ("Rua do Arenque 1634", "62 Rue Gafsa"); a compound street name with a number
// ("Koskikatu 25", "Villacher Strasse 89", "Király u. 15."); a street name that is not an
// English word, then a number ("Joaquin Suarez 2906", "20789 Allika 46"); PO boxes and US
// military addresses. A leading number before the house number stays with it ("9554 62 Rue
// Gafsa"). The core then takes in the "the corner of … and …" frame, unit designators and the
// locality words that follow (address-locality.ts).
import type { PiiMatch } from "../../policy.ts";
import { extendRight, spellings, UNIT } from "./address-locality.ts";
import { isVocabularyWord, lexicon } from "./lexicon.ts";
import { makeMatch, type PiiRule } from "./scan.ts";

// USPS Publication 28 street suffixes (common subset) and their abbreviations.
const STREET_SUFFIXES = spellings([
  "street", "st.", "st", "str.", "str", "avenue", "ave.", "ave", "av.", "road", "rd.", "rd", "boulevard", "blvd.", "blvd", "lane",
  "ln.", "ln", "drive", "dr.", "dr", "court", "ct.", "ct", "courts", "way", "place", "pl.", "pl", "square", "sq.", "sq",
  "squares", "terrace", "ter.", "close", "crescent", "cres.", "parkway", "pkwy", "highway", "hwy", "circle", "cir.",
  "alley", "row", "walk", "path", "trail", "route", "rte", "pass", "bridge", "green", "gardens", "park", "grove", "hill",
  "mall", "loop", "plaza", "crossing", "crossroad", "gateway", "bypass", "turnpike", "union", "point", "rapids",
  "isle", "harbor", "harbour", "radial", "cove", "coves", "extension", "extensions", "forge", "forges", "prairie",
  "streets", "mews", "vista", "view", "heights", "ridge", "meadow", "meadows", "manor", "junction", "expressway",
  "freeway", "causeway", "esplanade", "quay", "wharf", "embankment", "parade", "promenade", "broadway", "motorway",
  "spur", "station", "summit", "track", "tunnel", "underpass", "valley", "village", "wells", "fort", "falls", "ferry",
  "ford", "fork", "glen", "haven", "hollow", "inlet", "island", "key", "knoll", "landing", "lodge", "orchard", "oval",
  "pike", "pines", "plains", "port", "ranch", "shore", "shores", "springs", "stream", "trace", "villas", "ways",
]);
/** "rua" → "Rua|RUA": capitalised or all-caps only. */
function capitalised(words: readonly string[]): string {
  return words
    .flatMap((w) => {
      const escaped = w.replace(/\./g, "\\.");
      return [escaped[0]?.toUpperCase() + escaped.slice(1), escaped.toUpperCase()];
    })
    .join("|");
}

// Street-type words that come before the name ("Rua do Arenque 1634"); Polish and Greek
// abbreviations are written in lower case.
const STREET_PREFIXES = [
  capitalised([
    "rua", "via", "viale", "vicolo", "calle", "carrer", "avenida", "avda.", "av.", "rue", "avenue", "boulevard", "chemin",
    "allée", "impasse", "strada", "piazza", "piazzale", "corso", "largo", "travessa", "praça", "paseo", "camino", "ulica",
    "aleja", "plac", "osiedle", "bulevardul", "calea", "λεωφόρος", "οδός", "улица", "проспект", "jalan", "quadra",
    "rambla", "ronda", "travesía", "trg",
  ]),
  String.raw`ul\.|al\.|os\.|Λ\.|пр\.|ул\.|Jl\.|jl\.|trg`,
].join("|");
const LOWER_WORD = String.raw`\p{Ll}[\p{L}\p{M}'’-]{0,40}`;
const PARTICLE = "(?:de|do|da|dos|das|del|dei|della|delle|degli|di|du|des|la|le|los|las|el|al|van|von|der|den|ten|ter)";
// Endings of one-word street names in Germanic, Nordic, Baltic, Finnish and Slavic languages.
const COMPOUND_ENDINGS = [
  "straße", "strasse", "str.", "weg", "gasse", "platz", "allee", "damm", "ufer", "laan", "straat", "gracht",
  "plein", "kade", "singel", "vej", "vænget", "gade", "torv", "stræde", "gata", "gatan", "vägen", "väg", "veien", "vegen",
  "veg", "tie", "katu", "kuja", "polku", "tanhua", "raitti", "braut", "stræti", "straeti", "vegur", "götu",
  "stígur", "utca", "ulica", "aleja", "iela", "tänav", "gatve", "cesta", "ulice", "graben", "steig", "pfad", "hoeve",
  "dreef", "stien", "svingen", "bakken",
];
// Endings that are also street-type words of their own ("Villacher Strasse 89"); the rest
// ("tie", "veg") are English words when they stand alone.
const STANDALONE_TYPES = [
  "straße", "strasse", "str.", "weg", "gasse", "platz", "allee", "damm", "laan", "straat", "gade", "gata", "gatan",
  "vägen", "veien", "vej", "utca", "ulica", "aleja", "iela", "cesta", "ulice",
];
// Hungarian, Nordic and other street-type words written after the name.
const POSTFIX_WORDS = ["u.", "utca", "út", "útja", "tér", "krt.", "körút", "rkp.", "sor", "köz", "kapu", "sétány", "fasor", "vei", "vej", "terrasse", "gata", "gate", "gade", "street", "baan"];
const POSTFIX_TYPES = spellings(POSTFIX_WORDS);

/** Endings as lower-case (inside a word) and capitalised (a word of its own: "Villacher Strasse"). */
const ENDINGS_LOWER = COMPOUND_ENDINGS.map((e) => e.replace(/\./g, "\\.")).join("|");
const ENDINGS_CAPITAL = capitalised(STANDALONE_TYPES);

/** A street-core regex and its base score. */
interface Core {
  re: RegExp;
  score: number;
}

/** Core regexes of one casing mode: capitalised words, or any case for all-lower-case text. */
function cores(caseless: boolean): Core[] {
  // Word lengths are bounded so that a long run of letters cannot make a pattern quadratic.
  const W = caseless ? String.raw`[\p{L}\d][\p{L}\p{M}'’-]{0,40}\.?` : String.raw`(?:\p{Lu}[\p{L}\p{M}'’-]{0,40}\.?|\d{1,4}(?:st|nd|rd|th))`;
  const flags = caseless ? "giu" : "gu";
  const house = String.raw`\d{1,6}[A-Za-z]?`;
  const num = String.raw`(?!(?:19|20)\d\d\b)\d{1,5}[A-Za-z]?\.?(?![\p{L}\d])`;
  const suffixes = caseless ? STREET_SUFFIXES.toLowerCase() : STREET_SUFFIXES;
  const prefixes = caseless ? STREET_PREFIXES.toLowerCase() : STREET_PREFIXES;
  const compound = caseless ? String.raw`[\p{L}\p{M}-]{0,40}(?:${ENDINGS_LOWER})` : String.raw`(?:\p{Lu}[\p{L}\p{M}-]{0,40}(?:${ENDINGS_LOWER})|(?:${ENDINGS_CAPITAL}))`;
  const lead = caseless ? "" : String.raw`(?:${W}[ ]+){0,2}`;
  return [
    // 1668 Glyn St · 14 Crown Street · 1987 74 Diakou Street
    { re: new RegExp(String.raw`(?<![\w.])(?:\d{1,6}[ ])?${house}(?:[ ]+${W}){1,4}?[ ]+(?:${suffixes})(?![\p{L}\d])`, flags), score: 0.7 },
    // Rua do Arenque 1634 · ul. Słowicza 10 · Via dei Fiorentini 17
    { re: new RegExp(String.raw`(?<![\p{L}\d.])(?:${house}[ ]+)?(?:${prefixes})[ ]+(?:(?:${W}|${PARTICLE})[ ]+){0,4}?${num}`, flags), score: 0.65 },
    // 62 Rue Gafsa · 63 Avenue du Golf Arabe (building number first, name last)
    { re: new RegExp(String.raw`(?<![\p{L}\d.])${house}[ ]+(?:${prefixes})[ ]+${W}(?:[ ]+(?:${W}|${PARTICLE})){0,4}`, flags), score: 0.6 },
    // Koskikatu 25 · Villacher Strasse 89 · Brucker Bundesstrasse 31
    { re: new RegExp(String.raw`(?<![\p{L}\p{M}\d-])(?:${house}[ ]+)?${lead}${compound}[ ]+${num}`, flags), score: 0.65 },
    // Kálmán Imre u. 12. · Erzsébet tér 19. · Trenerys gate 232
    { re: new RegExp(String.raw`(?<![\p{L}\d])(?:${house}[ ]+)?${W}(?:[ ]+(?:${W}|${LOWER_WORD})){0,2}[ ]+(?:${POSTFIX_TYPES})[ ]+${num}`, flags), score: 0.65 },
    // 20789 Allika 46 · 5638 Aasa 43: building number, street name, number (needs a unit, locality or cue)
    { re: new RegExp(String.raw`(?<![\w.,])(?!(?:19|20)\d\d\b)\d{2,6}[ ]+${W}(?:[ ]+(?:${W}|${POSTFIX_TYPES})){0,2}[ ]+${num}`, flags), score: 0.45 },
    // 9816 214 Pavlou Drandaki: two numbers, then the street name (needs a cue, unit or locality)
    { re: new RegExp(String.raw`(?<![\w.,])(?!(?:19|20)\d\d\b)\d{2,6}[ ]+\d{1,5}[ ]+${W}(?:[ ]+${W}){0,2}(?=[ ]*(?:[,\n]|$))`, flags), score: 0.45 },
    // P.O. Box 149 · PSC 0413, Box 8144 APO AA 42323 · USNS Bergman FPO AP 93757
    { re: /(?<![\w.])(?:(?:P\.? ?O\.?|Post Office)[ ]?Box|Postbox|Post Box)[ ]+\d{1,6}(?!\w)/giu, score: 0.9 },
    { re: /(?<![\w.])(?:PSC|Unit|CMR)[ ]+\d{3,5},?[ ]+Box[ ]+\d{3,5}\s*(?:APO|DPO|FPO)[ ]+A[AEP][ ]+\d{5}(?!\w)/giu, score: 0.95 },
    { re: /(?<![\w.])(?:USNS|USNV|USS|USCGC)[ ]+[\p{L}'-]+\s*FPO[ ]+A[AEP][ ]+\d{5}(?!\w)/giu, score: 0.95 },
  ];
}

const CASED = cores(false);
const CASELESS = cores(true);

const LEFT_FRAME = /(?:the )?corner of[ ]+$/i;
const RIGHT_FRAME = /^(?:[ ]+(?:St|Str)\.)?[ ]+and[ ]+(?:the )?(?:\d{1,5}[ ]+)?[\p{Lu}\d][\p{L}\p{M}'’-]*(?:[ ]+[\p{Lu}\d][\p{L}\p{M}'’-]*\.?){0,3}/u;
const LEFT_UNIT = new RegExp(String.raw`${UNIT}[ ]+$`, "u");
const UNIT_RE = new RegExp(String.raw`^(?:,?[ ]*\n?[ >]*|,?[ ]+)${UNIT}`, "u");
const POSTAL = /^(?:\d{4,5}(?:-\d{4})?|\d{3} ?\d{2}|\d{2}-\d{3}|\d{4}-\d{3}|[A-Z]\d[A-Z] ?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|\d{4} ?[A-Z]{2})$/;
const ADDRESS_CUE = /(?:address(?:es)?(?: is| to| of| at)?|lives? (?:at|on|in)|lived in|located at|offices? (?:is|are) (?:at|in)|send (?:it|this|them|a new one|the \w+)? ?to|sent to|ship(?:ped)? to|deliver(?:ed)? to|return to|meet (?:me|you) at|moved to|drops you off at|is at|are at|it is|it's in|stop at|taxi to|enter on|validate the following\?)[\s:,]*$/i;

const LOWER_LOCALITY_WORDS = /^(?:de|del|do|da|di|du|la|le|na|nad|pod|sur|am|im|an|bei|en|y|i|e|o)$/;
const LOCALITY_TAGS = new Set(["Noun", "Singular", "Plural", "ProperNoun", "Place", "Demonym", "Adjective"]);

/** True when one word can belong to a locality: a postcode, a state code, a place or a capitalised non-verb. */
function localityWord(word: string): boolean {
  if (/[:@/?!]/.test(word)) return false;
  if (POSTAL.test(word) || /^\(\p{L}+\)$/u.test(word)) return true;
  if (/^\p{Lu}+$/u.test(word)) return true;
  if (!/^\p{Lu}/u.test(word)) return LOWER_LOCALITY_WORDS.test(word);
  const lower = word.toLowerCase();
  const lex = lexicon();
  const tags = lex.common.get(lower);
  return !tags || lex.places.has(lower) || tags.every((t) => LOCALITY_TAGS.has(t));
}

/** Length of the longest run of locality words that starts a segment (city, region, postcode, country). */
function localityPrefix(segment: string): number {
  let end = 0;
  for (const m of segment.matchAll(/\S+/g)) {
    const word = m[0].replace(/[.,]$/, "");
    if (!localityWord(word)) break;
    end = m.index + word.length;
  }
  return end;
}

/** Where an address ends after its units and locality segments, and what it took in. */
interface Extension {
  end: number;
  unit: boolean;
  localities: number;
}

/** Extends an address to the right over units ("Apt. 864") and locality segments ("Artilleros, CO 64677"). */
function extendRight(text: string, from: number): Extension {
  const ext: Extension = { end: from, unit: false, localities: 0 };
  for (let guard = 0; guard < 8; guard++) {
    const rest = text.slice(ext.end, ext.end + 80);
    const unit = UNIT_RE.exec(rest);
    if (unit) {
      ext.end += unit[0].length;
      ext.unit = true;
      continue;
    }
    // Next segment: after ", " or a line break, or more words on the same line.
    const seg = /^(?:[ ]*\n(?:[ ]*\n)?[ >?]*,?[ ]*|,[ ]*|[ ]+)([^,\n]{1,48})/.exec(rest);
    if (!seg?.[1]) break;
    const taken = localityPrefix(seg[1]);
    if (taken === 0) break;
    ext.end += seg[0].length - seg[1].length + taken;
    ext.localities++;
  }
  return ext;
}

/** Finds addresses. */
export function findAddresses(text: string): PiiMatch[] {
  const caseless = !/\p{Lu}/u.test(text);
  const out: PiiMatch[] = [];
  for (const { re, score } of caseless ? CASELESS : CASED) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const found = grow(text, m.index, m.index + m[0].replace(/[ ]+$/, "").length, score);
      if (!found) continue;
      out.push(found);
      // Go on after the address: a core inside it would only grow into the same address.
      re.lastIndex = Math.max(re.lastIndex, found.end);
    }
  }
  return out;
}

/** Grows a core into the full address and scores it; undefined when too weak. */
function grow(text: string, coreStart: number, coreEnd: number, base: number): PiiMatch | undefined {
  let start = coreStart;
  let end = coreEnd;
  const frame = LEFT_FRAME.exec(text.slice(Math.max(0, start - 20), start));
  if (frame) {
    start -= frame[0].length;
    const right = RIGHT_FRAME.exec(text.slice(end, end + 60));
    if (right) end += right[0].length;
  }
  const unitBefore = LEFT_UNIT.exec(text.slice(Math.max(0, start - 16), start));
  if (unitBefore) start -= unitBefore[0].length;
  const ext = extendRight(text, end);
  const cued = frame !== null || ADDRESS_CUE.test(text.slice(Math.max(0, start - 40), start));
  const locality = ext.localities >= 2 ? 0.15 : ext.localities === 1 ? 0.1 : 0;
  const score = base + (cued ? 0.15 : 0) + (ext.unit || unitBefore ? 0.15 : 0) + locality;
  if (score < 0.6) return undefined;
  return makeMatch("ADDRESS", text, start, trimEnd(text, start, ext.end), Math.min(score, 0.95));
}

/** Drops trailing spaces and sentence punctuation (keeps a street number's "15."). */
function trimEnd(text: string, start: number, end: number): number {
  while (end > start && /[\s,;]/.test(text[end - 1] ?? "")) end--;
  return end;
}

/** The ADDRESS rule. */
export const addressRule: PiiRule = { type: "ADDRESS", find: findAddresses };
