// Undoes the cheap obfuscations people use to slip past word filters, so "H A T E",
// "k1ll", "ｈａｔｅ", "hàte" and "kiiiill" reach the features looking like the plain word.
// Runs in linear time with no regular-expression backtracking on user text.

/** Latin look-alikes from Cyrillic and Greek that NFKC leaves alone. */
const CONFUSABLES: Readonly<Record<string, string>> = {
  "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
  "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
  "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
};

/** Leetspeak digits and symbols, applied only inside tokens that also hold letters. */
const LEET: Readonly<Record<string, string>> = {
  "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s", "!": "i", "|": "l", "+": "t",
};

const LETTER = /\p{L}/u;
const COMBINING = /\p{M}+/gu;

/**
 * A masked-PII placeholder as Bedrock's anonymizer writes it ("{EMAIL}", "{US_SSN}"). Braces
 * are otherwise template-injection syntax, so a placeholder is read as its plain word.
 */
const PLACEHOLDER = /\{([A-Z][A-Z0-9_]{0,39})\}/g;

function unmask(text: string): string {
  if (!text.includes("{")) return text;
  return text.replace(PLACEHOLDER, (_, name: string) => name.replace(/_/g, " "));
}

/**
 * Reads masked-PII placeholders as words, folds case, width, accents and look-alike letters,
 * maps leetspeak inside words, joins letters spelled out one by one ("h a t e", "h.a.t.e")
 * and shortens runs of a repeated letter to two. Whitespace collapses to single spaces.
 */
export function normalizeText(text: string): string {
  const folded = foldCharacters(unmask(text));
  const tokens = folded.split(/\s+/).filter((t) => t.length > 0).map(unleet);
  return joinSpelledOut(tokens).map(squeezeRuns).join(" ");
}

/** Printable ASCII and whitespace: nothing for NFKC, accents or look-alikes to do. */
const PLAIN_ASCII = /^[\x09-\x0d\x20-\x7e]*$/;

const CONFUSABLE = new RegExp(`[${Object.keys(CONFUSABLES).join("")}]`, "gu");

function foldCharacters(text: string): string {
  if (PLAIN_ASCII.test(text)) return text.toLowerCase();
  const base = text.normalize("NFKC").toLowerCase().normalize("NFD").replace(COMBINING, "");
  return base.replace(CONFUSABLE, (ch) => CONFUSABLES[ch] ?? ch);
}

/** Cheap pre-checks that let most tokens skip the per-character passes. */
const HAS_LEET = /[0-9@$!|+]/;
const HAS_RUN = /(.)\1\1/u;
const HAS_SEPARATOR = /[.\-_*'`~,]/;

function unleet(token: string): string {
  if (!HAS_LEET.test(token) || !LETTER.test(token)) return token;
  let out = "";
  let run = "";
  let runHasLetter = false;
  const flush = () => {
    out += runHasLetter ? mapLeet(run) : run;
    run = "";
    runHasLetter = false;
  };
  for (const ch of token) {
    const isLetter = LETTER.test(ch);
    if (isLetter || LEET[ch] !== undefined) {
      run += ch;
      runHasLetter ||= isLetter;
    } else {
      flush();
      out += ch;
    }
  }
  flush();
  return out;
}

/** Maps the leet characters of a run that holds letters; a final "!" or "+" stays punctuation ("go!"). */
function mapLeet(run: string): string {
  let end = run.length;
  while (end > 0 && (run[end - 1] === "!" || run[end - 1] === "+")) end--;
  let out = "";
  for (let i = 0; i < end; i++) out += LEET[run[i]!] ?? run[i]!;
  return out + run.slice(end);
}

/** A token that is one letter, possibly with separator punctuation ("h", "h.", "-h-"). */
function singleLetter(token: string): string | undefined {
  if (token.length > 1 && !HAS_SEPARATOR.test(token)) return undefined;
  const core = token.replace(/^[.\-_*'`~]+|[.\-_*'`~,]+$/g, "");
  if ([...core].length === 1 && LETTER.test(core)) return core;
  // "h.a.t.e" / "h-a-t-e" / "h_a_t_e" inside one token.
  const parts = core.split(/[.\-_*]/);
  if (parts.length >= 3 && parts.every((p) => [...p].length === 1 && LETTER.test(p))) return parts.join("");
  return undefined;
}

function joinSpelledOut(tokens: string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    // Three or more single letters in a row are one spelled-out word; fewer are ordinary ("a", "i").
    if (run.length >= 3) out.push(run.join(""));
    else out.push(...run);
    run = [];
  };
  for (const token of tokens) {
    const letter = singleLetter(token);
    if (letter === undefined) {
      flush();
      out.push(token);
    } else if (letter.length > 1) {
      flush();
      out.push(letter);
    } else run.push(letter);
  }
  flush();
  return out;
}

function squeezeRuns(token: string): string {
  if (!HAS_RUN.test(token)) return token;
  let out = "";
  let last = "";
  let count = 0;
  for (const ch of token) {
    count = ch === last ? count + 1 : 1;
    last = ch;
    if (count <= 2) out += ch;
  }
  return out;
}
