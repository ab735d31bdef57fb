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
import { extendRight, functionWord, spellings, UNIT, UNIT_WORD, verbOnly } from "./address-locality.ts";
import { isVocabularyWord, lexicon } from "./lexicon.ts";
import { makeMatch, type PiiRule } from "./scan.ts";

// USPS Publication 28 street suffixes (appendix C1) and common abbreviations. The "strong"
// ones name a street whatever comes before them; the others are also everyday nouns
// ("Golf Club", "Pine Hill"), so they need a name that is not English ("Gairbekov Rapids")
// or other evidence: a unit, a locality, a cue.
const STRONG_SUFFIXES = [
  "street", "st.", "st", "str.", "str", "streets", "avenue", "ave.", "ave", "av.", "road", "rd.", "rd", "roads", "boulevard",
  "blvd.", "blvd", "lane", "ln.", "ln", "drive", "dr.", "dr", "drives", "court", "ct.", "ct", "courts", "way", "ways", "place",
  "pl.", "pl", "square", "sq.", "sq", "squares", "terrace", "ter.", "close", "crescent", "cres.", "parkway", "pkwy",
  "parkways", "highway", "hwy", "circle", "cir.", "circles", "alley", "row", "trail", "route", "rte", "plaza", "crossing",
  "crossroad", "gateway", "bypass", "turnpike", "expressway", "freeway", "causeway", "esplanade", "quay", "wharf",
  "embankment", "parade", "promenade", "broadway", "motorway", "mews", "stravenue", "throughway", "trafficway", "skyway",
  "overpass", "underpass", "viaduct", "extension", "extensions", "junction", "junctions", "radial", "loop", "mall", "pike",
];
const WEAK_SUFFIXES = [
  "bridge", "brook", "brooks", "burg", "burgs", "camp", "canyon", "cape", "center", "centers", "cliff", "cliffs", "club",
  "common", "commons", "corner", "corners", "course", "cove", "coves", "creek", "crest", "curve", "dale", "dam", "divide",
  "estate", "estates", "falls", "ferry", "field", "fields", "flats", "ford", "fords", "forest", "forge", "forges", "fork",
  "forks", "fort", "garden", "gardens", "glen", "glens", "green", "greens", "grove", "groves", "harbor", "harbors", "harbour",
  "haven", "heights", "hill", "hills", "hollow", "inlet", "island", "islands", "isle", "key", "keys", "knoll", "knolls", "lake",
  "lakes", "landing", "lights", "locks", "lodge", "manor", "manors", "meadow", "meadows", "mill", "mills", "mission", "mount",
  "mountain", "mountains", "neck", "orchard", "oval", "park", "parks", "pass", "passage", "path", "pines", "plains", "point",
  "points", "port", "ports", "prairie", "ranch", "rapids", "ridge", "ridges", "river", "run", "shoal", "shoals", "shore", "shores",
  "spring", "springs", "spur", "spurs", "station", "stream", "summit", "trace", "track", "tunnel", "union", "unions", "valley",
  "valleys", "view", "views", "village", "villages", "ville", "villas", "vista", "walk", "walks", "wells",
];
const STREET_SUFFIXES = spellings([...STRONG_SUFFIXES, ...WEAK_SUFFIXES]);
const WEAK_SUFFIX_SET = new Set(WEAK_SUFFIXES);

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
    "rua", "via", "viale", "vicolo", "calle", "carrer", "avenida", "avda.", "av.", "av", "rue", "avenue", "boulevard", "chemin",
    "allée", "impasse", "strada", "piazza", "piazzale", "corso", "largo", "travessa", "praça", "paseo", "camino", "ulica",
    "aleja", "plac", "osiedle", "bulevardul", "calea", "λεωφόρος", "οδός", "улица", "проспект", "jalan", "quadra",
    "rambla", "ronda", "travesía", "trg", "acceso", "bajada", "callejón", "glorieta", "pasaje", "pasadizo", "urbanización",
    "vía", "contrada", "rotonda", "beco", "caminho", "calçada", "viela", "ladeira", "rodovia", "aleea", "splaiul", "intrarea",
    "piața", "șoseaua",
  ]),
  String.raw`ul\.|al\.|os\.|Λ\.|пр\.|ул\.|Jl\.|jl\.|trg`,
].join("|");
const STREET_PREFIX_WORD = new RegExp(`^(?:${STREET_PREFIXES})$`, "u");
// French, Italian, Spanish and Portuguese street types are often written in lower case after
// the building number ("64, rue de Marchand").
const LOWER_PREFIXES = "rue|chemin|impasse|allée|quai|boulevard|avenue|via|viale|vicolo|calle|avenida|rua|travessa|strada|piazza|corso|largo|paseo|camino";
const LOWER_WORD = String.raw`\p{Ll}[\p{L}\p{M}'’-]{0,40}`;
const PARTICLE = String.raw`(?:de|do|da|dos|das|del|dei|della|delle|degli|di|du|des|la|le|los|las|el|al|van|von|der|den|ten|ter)(?![\p{L}\p{M}])`;
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
// Words that are also English ("Gate 23", "Street 5") only count in lower case, as they are written there.
const POSTFIX_WORDS = [
  "u.", "utca", "út", "útja", "tér", "krt.", "körút", "rkp.", "sor", "köz", "kapu", "sétány", "fasor", "terrasse", "baan",
  "mnt.", "maantee", "puiestee", "tänav", "põik", "cesta", "ulica",
];
const POSTFIX_LOWER_ONLY = ["gate", "gata", "gade", "vei", "vej", "allé", "street", "tee", "mnt"];
const POSTFIX_TYPES = [spellings(POSTFIX_WORDS), ...POSTFIX_LOWER_ONLY.map((w) => w.replace(/\./g, "\\."))].join("|");

/** Endings as lower-case (inside a word) and capitalised (a word of its own: "Villacher Strasse"). */
const ENDINGS_LOWER = COMPOUND_ENDINGS.map((e) => e.replace(/\./g, "\\.")).join("|");
const ENDINGS_CAPITAL = capitalised(STANDALONE_TYPES);

/** What a core's check says about one match: how many leading characters to leave out, and the base score. */
interface Verdict {
  skip: number;
  score: number;
}

/** A street-core regex, its base score and an optional check of the matched text (undefined drops it). */
interface Core {
  re: RegExp;
  score: number;
  check?: (core: string, text: string, index: number) => Verdict | undefined;
}

/** True for a word that can name a street without a street-type word: not English, or a name or place ("Allika", "Suarez"). */
function streetNameWord(word: string): boolean {
  const lower = word.replace(/\.$/, "").toLowerCase();
  if (!/^\p{L}[\p{L}\p{M}'’-]+$/u.test(lower)) return false;
  const lex = lexicon();
  if (lex.firstNames.has(lower) || lex.lastNames.has(lower) || lex.places.has(lower)) return true;
  return !lex.common.has(lower) && !isVocabularyWord(lower);
}

const PARTICLE_RE = new RegExp(`^${PARTICLE}$`);

/**
 * "1668 Glyn St", "4219 Gairbekov Rapids", "3968 Bay Street". A street of English words is
 * weaker with a short number ("1 Tennis Court booking"), and with a weak suffix ("2 Golf Club").
 */
function suffixedName(core: string): number | undefined {
  const words = core.split(/[ ]+/);
  const suffix = (words.pop() ?? "").toLowerCase();
  if (words.some((w) => functionWord(w) || verbOnly(w))) return undefined; // "15000 in its mission", "2020 general election took place"
  if (words.some((w) => /^\p{L}/u.test(w) && streetNameWord(w))) return 0.7;
  const digits = /^\d+/.exec(words[0] ?? "")?.[0].length ?? 0;
  if (!WEAK_SUFFIX_SET.has(suffix)) return digits >= 2 ? 0.7 : 0.55;
  return digits >= 3 ? 0.6 : 0.5;
}

/** "20789 Allika 46", "9816 214 Pavlou Drandaki": strong when a word of the name is not English, weak otherwise. */
function numberedName(core: string): Verdict {
  const words = core.split(/[ ]+/).filter((w) => /^\p{L}/u.test(w));
  return { skip: 0, score: words.some(foreignWord) ? 0.6 : 0.45 };
}

/** A word that is neither English nor a common name ("Allika", "Drandaki"; not "Jones"). */
function foreignWord(word: string): boolean {
  const lower = word.toLowerCase(); // an abbreviation ("Supp.") is not a name
  const lex = lexicon();
  if (!/^\p{L}[\p{L}\p{M}'’-]+$/u.test(lower) || lex.firstNames.has(lower) || lex.lastNames.has(lower)) return false;
  return !lex.common.has(lower) && !isVocabularyWord(lower);
}

/**
 * "Joaquin Suarez 2906", "Pod Floriánem 1677": a name then a number, with no street-type word.
 * The word just before the number must not be English ("Gate 12", "Windows 11" are not streets);
 * a capitalised English word that only starts the sentence ("Visit Jahu 80") is left out.
 */
function nameThenNumber(core: string, text: string, index: number): Verdict | undefined {
  const words = [...core.matchAll(/\S+/g)];
  const number = words.pop();
  const last = words.at(-1);
  if (!number || !last || !streetNameWord(last[0]) || /^\p{Lu}{2,}$/u.test(last[0])) return undefined;
  // Leave out leading particles and English words, unless capitalised mid-sentence ("Pod Floriánem").
  let first = 0;
  for (; first < words.length - 1; first++) {
    const w = words[first] as RegExpExecArray;
    if (!PARTICLE_RE.test(w[0].toLowerCase())) {
      const atSentenceStart = /(?:^|[.!?:]\s+|\n\s*)$/.test(text.slice(Math.max(0, index + w.index - 4), index + w.index));
      if (streetNameWord(w[0]) || (!atSentenceStart && /^\p{Lu}/u.test(w[0]))) break;
    }
  }
  const skip = words[first]?.index ?? 0;
  // One word and one digit is too little to go on ("Send it to Dmitri 2"), unless the word is not English or a name ("Aia 7").
  if (skip === last.index && number[0].length < 2 && !foreignWord(last[0])) return undefined;
  return { skip, score: 0.45 };
}

/** Words after a number that make it a count or a measure, not a house number: "Joaquin 2 days". */
const MEASURE = String.raw`[ ]+(?:days?|weeks?|months?|years?|hours?|minutes?|mins?|seconds?|times|copies|items|pieces|pcs|points|goals|people|persons|guests|kg|g|mg|ml|l|km|m|cm|mm|mi|miles|lbs?|pounds|dollars|euros|percent|am|pm|a\.m\.|p\.m\.)(?![\p{L}\d])`;

/** Core regexes of one casing mode: capitalised words, or any case for all-lower-case text. */
function cores(caseless: boolean): Core[] {
  // Word lengths are bounded so that a long run of letters cannot make a pattern quadratic.
  const W = caseless ? String.raw`[\p{L}\d][\p{L}\p{M}'’-]{0,40}\.?` : String.raw`(?:\p{Lu}[\p{L}\p{M}'’-]{0,40}\.?|\d{1,4}(?:st|nd|rd|th))`;
  const flags = caseless ? "giu" : "gu";
  const house = String.raw`\d{1,6}[A-Za-z]?`;
  const num = String.raw`(?!(?:19|20)\d\d\b)\d{1,5}[A-Za-z]?(?![\p{L}\d]|\.\d)`;
  // Hungarian street numbers end with a full stop ("Király u. 15.").
  const numDot = String.raw`(?!(?:19|20)\d\d\b)\d{1,5}[A-Za-z]?\.?(?![\p{L}\d])`;
  const suffixes = caseless ? STREET_SUFFIXES.toLowerCase() : STREET_SUFFIXES;
  const prefixes = caseless ? STREET_PREFIXES.toLowerCase() : STREET_PREFIXES;
  const compound = caseless ? String.raw`[\p{L}\p{M}-]{0,40}(?:${ENDINGS_LOWER})` : String.raw`(?:\p{Lu}[\p{L}\p{M}-]{0,40}(?:${ENDINGS_LOWER})|(?:${ENDINGS_CAPITAL}))`;
  const lead = caseless ? "" : String.raw`(?:${W}[ ]+){0,2}`;
  // "Rue de la Hulotais Apt. 087": a unit word ends the street name.
  const notUnit = String.raw`(?!${UNIT_WORD}[ ]?#?[ ]?\d)`;
  // "137 Avenue Teboulbi St.": the street type came first, so a trailing "St." is not the street's.
  const typedFirst = new RegExp(String.raw`^(?:\d{1,6}[A-Za-z]?[ ]+){1,2}(?:${prefixes})[ ]+\S+[ ]+\S`, flags.replace("g", ""));
  return [
    // 1668 Glyn St · 14 Crown Street · 1987 74 Diakou Street
    {
      re: new RegExp(String.raw`(?<![\w.])(?:\d{1,6}[ ])?${house}(?:[ ]+${W}){1,4}?[ ]+(?:${suffixes})(?![\p{L}\d])`, flags),
      score: 0.7,
      check: (core) => {
        const score = typedFirst.test(core) ? undefined : suffixedName(core);
        return score === undefined ? undefined : { skip: 0, score };
      },
    },
    // Rua do Arenque 1634 · ul. Słowicza 10 · Via dei Fiorentini 17
    // Rua das Flores, 123 (a comma before the number)
    { re: new RegExp(String.raw`(?<![\p{L}\d.])(?:\d{1,6}[ ]+)?(?:${house}[ ]+)?(?:${prefixes})(?:[ ]+(?:${notUnit}${W}|${PARTICLE})){0,4}?,?[ ]+${num}`, flags), score: 0.65 },
    // 62 Rue Gafsa · 9554 62 Rue Gafsa · 63 Avenue du Golf Arabe (building number first, name last)
    // 64, rue de Marchand · 12 avenue Victor Hugo (lower-case type after the number)
    // 770 26 rue des lieutemants Thomazo (after a particle, a lower-case word still names the street)
    { re: new RegExp(String.raw`(?<![\p{L}\d.])(?:\d{1,6}[ ]+)?${house},?[ ]+(?:${prefixes}|${LOWER_PREFIXES})[ ]+(?:(?:${PARTICLE}[ ]+){1,2}(?:${W}|${LOWER_WORD})|${W})(?:[ ]+(?:${notUnit}${W}|${PARTICLE})){0,4}`, flags), score: 0.6 },
    // Koskikatu 25 · Villacher Strasse 89 · Brucker Bundesstrasse 31 · 255 hersnapvej 18 (lower case after a number)
    { re: new RegExp(String.raw`(?<![\p{L}\p{M}\d-])(?:${house}[ ]+)?${lead}${compound}[ ]+${num}`, flags), score: 0.65 },
    { re: new RegExp(String.raw`(?<![\p{L}\p{M}\d.,-])${house}[ ]+\p{Ll}[\p{L}\p{M}-]{0,40}(?:${ENDINGS_LOWER})[ ]+${num}`, flags), score: 0.65 },
    // Kálmán Imre u. 12. · Erzsébet tér 19. · Trenerys gate 232
    {
      re: new RegExp(String.raw`(?<![\p{L}\d])(?:${house}[ ]+)?${W}(?:[ ]+(?:${W}|${LOWER_WORD})){0,2}[ ]+(?:${POSTFIX_TYPES})[ ]+${numDot}`, flags),
      score: 0.65,
      check: (core) => {
        const words = [...core.matchAll(/\S+/g)].slice(0, -2);
        // In lower-case text, the sentence's own words before the name are left out ("enter on hegyalja út 98.").
        if (caseless) {
          const first = words.findIndex((w) => streetNameWord(w[0]) || /^\d/.test(w[0]));
          return first >= 0 ? { skip: words[first]?.index ?? 0, score: 0.65 } : undefined;
        }
        return words.every((w) => !/^\p{Ll}/u.test(w[0]) || streetNameWord(w[0])) ? { skip: 0, score: 0.65 } : undefined;
      },
    },
    // 20789 Allika 46 · 5638 Aasa 43: building number, street name, number
    { re: new RegExp(String.raw`(?<![\w.,])(?!(?:19|20)\d\d\b)\d{2,6}[ ]+${W}(?:[ ]+(?:${W}|${POSTFIX_TYPES})){0,2}[ ]+${num}`, flags), score: 0.45, check: numberedName },
    // 9816 214 Pavlou Drandaki: two numbers, then the street name, then the end of the line or a comma
    { re: new RegExp(String.raw`(?<![\w.,])(?!(?:19|20)\d\d\b)\d{2,6}[ ]+\d{1,5}[ ]+${W}(?:[ ]+${W}){0,2}(?=[ ]*(?:[,\n]|$))`, flags), score: 0.45, check: numberedName },
    // Joaquin Suarez 2906 · Pod Floriánem 1677 · Reyes Católicos 17 (needs a cue, unit or locality)
    // (not "Jennifer Alcaraz 28245 Puruntie 82", where the number starts the street)
    { re: new RegExp(String.raw`(?<![\p{L}\p{M}\d.,'’-])${W}(?:[ ]+(?:${W}|${PARTICLE})){0,3}[ ]+${num}(?![ ]+(?:${W}[ ]+){0,3}\d|${MEASURE}|%)`, flags), score: 0.45, check: nameThenNumber },
    // Flat 12\nJones Fields · Studio 3, Smith Causeway: a unit, then a street with no number (British)
    { re: new RegExp(String.raw`(?<![\p{L}\d])${UNIT}(?:,[ ]*|[ ]*\n[ ]*)${W}(?:[ ]+${W}){0,3}[ ]+(?:${suffixes})(?![\p{L}\d])`, flags), score: 0.85 },
    // P.O. Box 149 · 0912 P.O. Box 287 · PSC 0413, Box 8144 APO AA 42323 · USNS Bergman FPO AP 93757
    { re: /(?<![\w.])(?:\d{1,6}[ ]+)?(?:(?:P\.? ?O\.?|Post Office)[ ]?Box|Postbox|Post Box)[ ]+\d{1,6}(?!\w)/giu, score: 0.9 },
    { re: /(?<![\w.])(?:PSC|Unit|CMR)[ ]+\d{3,5},?[ ]+Box[ ]+\d{3,5}\s*(?:APO|DPO|FPO)[ ]+A[AEP][ ]+\d{5}(?!\w)/giu, score: 0.95 },
    { re: /(?<![\w.])(?:USNS|USNV|USS|USCGC)[ ]+[\p{L}'-]+\s*FPO[ ]+A[AEP][ ]+\d{5}(?!\w)/giu, score: 0.95 },
  ];
}

const CASED = cores(false);
const CASELESS = cores(true);

/** "3784 Archwood Avenue St.", "137 Avenue Teboulbi St.": a street that already has its type does not take a second one. */
function repeatedType(caseless: boolean): RegExp {
  const prefixes = caseless ? STREET_PREFIXES.toLowerCase() : `${STREET_PREFIXES}|${LOWER_PREFIXES}`;
  const suffixes = caseless ? STREET_SUFFIXES.toLowerCase() : STREET_SUFFIXES;
  return new RegExp(String.raw`(?:(?:^|[ ])(?:${prefixes})[ ].{1,80}|[ ](?:${suffixes}))(?<type>[ ]+(?:St\.?|Str\.|[Ss]treet))$`, caseless ? "iu" : "u");
}
const REPEATED_TYPE = { cased: repeatedType(false), caseless: repeatedType(true) };

const LEFT_FRAME = /(?:the )?corner of[ ]+$/i;
// "… and Rennie Union": the second street, up to four words; a full stop ends it.
const RIGHT_FRAME = /^(?:[ ]+(?:St|Str)\.)?[ ]+and[ ]+(?:the )?(?:\d{1,5}[ ]+)?[\p{Lu}\d][\p{L}\p{M}'’-]*(?:[ ]+[\p{Lu}\d][\p{L}\p{M}'’-]*){0,3}\.?/u;
const RIGHT_FRAME_CASELESS = /^[ ]+and[ ]+(?:the )?(?:\d{1,5}[ ]+)?[\p{L}\d][\p{L}\p{M}'’-]*(?:[ ]+[\p{L}\d][\p{L}\p{M}'’-]*){0,3}\.?/u;
// A unit before the street: "Suite 541 6343 Skogstien 106", "Level 5, 100 Collins Street", and
// "Unit 4 22 George Street" where the core already took the unit's number.
const LEFT_UNIT = new RegExp(String.raw`${UNIT},?[ ]+$`, "u");
const LEFT_UNIT_WORD = new RegExp(String.raw`(?<![\p{L}\d])${UNIT_WORD}[ ]?#?[ ]?$`, "u");
// Words before an address that say one follows: "my address is", "billing address with",
// "lives on", "arrived at", "the north side of", "sent to".
const CUES = [
  String.raw`address(?:es)?(?:[^.!?\n]{0,40}?\b(?:is|are|with|to|at|of|as)\b)?`,
  String.raw`\b(?:lives?|lived|living|located|situated|based|arrived|moved|staying|stays?|is|are|was|were|it's|meet (?:me|you|us)|stop|enter|drops? (?:you|me|us) off|sent|send (?:it|this|them|a new one|the \w+|\w+)|ship(?:ped)?|deliver(?:ed)?|return(?:ed)?|mail(?:ed)?|forward(?:ed)?|taxi|cab|ride) (?:at|on|in|to)`,
  String.raw`\b(?:side|corner|end) of`,
  String.raw`address\b[^\n]{0,60}\bit is`,
  String.raw`validate the following\?`,
];
const ADDRESS_CUE = new RegExp(String.raw`(?:${CUES.join("|")})[\s:,]*$`, "i");
const CUE_WINDOW = 100;

/** Finds addresses. */
export function findAddresses(text: string): PiiMatch[] {
  const caseless = !/\p{Lu}/u.test(text);
  const out: PiiMatch[] = [];
  for (const { re, score, check } of caseless ? CASELESS : CASED) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      let core = m[0].replace(/[ ]+$/, "");
      const repeated = (caseless ? REPEATED_TYPE.caseless : REPEATED_TYPE.cased).exec(core)?.groups?.type;
      if (repeated) core = core.slice(0, core.length - repeated.length);
      // "Suite 694 Valderice Trapani St.": a unit's number does not start a street.
      const unitNumber = /^\d+(?![ ]\d)/.test(core) && LEFT_UNIT_WORD.test(text.slice(Math.max(0, m.index - 12), m.index));
      const verdict = unitNumber ? undefined : check ? check(core, text, m.index) : { skip: 0, score };
      if (!verdict) {
        re.lastIndex = m.index + 1; // a shorter core may start inside: "Růžena and Király u. 15."
        continue;
      }
      const found = grow(text, { start: m.index + verdict.skip, end: m.index + core.length, base: verdict.score, caseless });
      if (!found) continue;
      out.push(found);
      // Go on after the address: a core inside it would only grow into the same address.
      re.lastIndex = Math.max(re.lastIndex, found.end);
    }
  }
  return mergeOverlapping(text, out);
}

/** Two cores that grew into overlapping spans are parts of one address ("Mlýnská 1540\n110 00 Praha" and "110 00 Praha\nCzech Republic"). */
function mergeOverlapping(text: string, found: PiiMatch[]): PiiMatch[] {
  const merged: PiiMatch[] = [];
  for (const m of found.sort((a, b) => a.start - b.start || b.end - a.end)) {
    const last = merged.at(-1);
    if (last && m.start < last.end) {
      if (m.end > last.end) merged[merged.length - 1] = makeMatch("ADDRESS", text, last.start, m.end, Math.max(last.score, m.score));
      else last.score = Math.max(last.score, m.score);
    } else merged.push(m);
  }
  return merged;
}

// A building number, and up to three words of the street name, left before a core that took only
// part of the street: "2035 Gewerbepark 45 Apt. 815" (the core was "45 Apt. 815"), "6570 Jiřího z
// Poděbrad 1874", "94941 2505 Heatherleigh", "Fuglie 41 Popović Dam". It must start a line or
// follow a preposition or colon.
const LEADING_BUILDING = /(?:^|(?<=\n[ >?]*)|(?<=(?:^|[ ])(?:at|to|in|on|with|is|of|from|address|:)[ ]+))(?<run>\p{Lu}[\p{L}\p{M}'’-]{1,40}|(?:\p{Lu}[\p{L}\p{M}'’-]{1,40}[ ]+)?\d{1,6}(?:[ ]+[\p{L}\p{M}'’.-]{1,40}){0,3})[ ]+$/u;
const NAME_PARTICLE = /^(?:\p{Ll}|[dl]['’]\p{L}.*|de|do|da|dos|das|del|di|du|des|la|le|van|von|der|den|ten|ter)$/u;

/** The start of the address once a leading building number and street words are taken in. */
function leadingBuilding(text: string, start: number): number {
  const from = Math.max(text.lastIndexOf("\n", start - 1) + 1, start - 80);
  const m = LEADING_BUILDING.exec(text.slice(from, start));
  const run = m?.groups?.run;
  if (!m || !run) return start;
  const streetWord = (w: string): boolean => NAME_PARTICLE.test(w) || STREET_PREFIX_WORD.test(w) || (/^\p{Lu}/u.test(w) && streetNameWord(w));
  const [first = "", ...rest] = run.split(/[ ]+/);
  // A word before the building number is a street name only when it is not English or a name ("Fuglie 41 Popović Dam").
  const numbered = /^\d/.test(first);
  if (!numbered && (!foreignWord(first) || (rest.length === 0 && !/^\d/.test(text[start] ?? "")))) return start;
  return (numbered ? rest : rest.slice(1)).every(streetWord) ? from + m.index : start;
}

/** Grows a core into the full address and scores it; undefined when too weak. */
function grow(text: string, core: { start: number; end: number; base: number; caseless: boolean }): PiiMatch | undefined {
  let { start, end } = core;
  const frame = LEFT_FRAME.exec(text.slice(Math.max(0, start - 20), start));
  if (frame) {
    start -= frame[0].length;
    const right = (core.caseless ? RIGHT_FRAME_CASELESS : RIGHT_FRAME).exec(text.slice(end, end + 60));
    if (right) end += right[0].length;
  }
  start = leadingBuilding(text, start);
  const before = text.slice(Math.max(0, start - 20), start);
  const unitBefore = LEFT_UNIT.exec(before) ?? (/^\d+[ ]\d/.test(text.slice(start, end)) ? LEFT_UNIT_WORD.exec(before) : null);
  if (unitBefore) start -= unitBefore[0].length;
  const ext = extendRight(text, end, core.caseless);
  const cued = frame !== null || ADDRESS_CUE.test(text.slice(Math.max(0, start - CUE_WINDOW), start));
  // Two locality segments, or a postal code with its town ("1000 Ljubljana"), say more than one word.
  const locality = ext.localities >= 2 || (ext.postal && ext.words >= 2) ? 0.15 : ext.localities === 1 ? 0.1 : 0;
  // An address often stands on lines of its own (letters, signatures, forms).
  const ownLines = /(?:^|\n)[ \t>?]*$/.test(text.slice(Math.max(0, start - 8), start)) && /^[ \t]*(?:\n|$)/.test(text.slice(ext.end, ext.end + 8));
  const score = core.base + (cued ? 0.15 : 0) + (ext.unit || unitBefore ? 0.15 : 0) + locality + (ownLines && core.base >= 0.55 ? 0.1 : 0);
  if (score < 0.6) return undefined;
  return makeMatch("ADDRESS", text, start, trimEnd(text, start, ext.end), Math.min(score, 0.95));
}

/** Drops trailing spaces and sentence punctuation; keeps the full stop of a street number ("15.") or an abbreviation ("Str."). */
function trimEnd(text: string, start: number, end: number): number {
  while (end > start && /[\s,;]/.test(text[end - 1] ?? "")) end--;
  if (/\p{L}{4}\.$/u.test(text.slice(Math.max(start, end - 5), end))) end--;
  return end;
}

/** The ADDRESS rule. */
export const addressRule: PiiRule = { type: "ADDRESS", find: findAddresses };
