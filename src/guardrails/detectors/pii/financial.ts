// Payment and banking identifiers. Numbers with a check digit (cards, IBAN, ABA routing) are
// validated; the short or checksum-free ones (CVV, expiry, PIN, account numbers) are reported
// only after a cue word, since on their own they are indistinguishable from any other number.
import { countrySpecs } from "ibantools";
import type { PiiMatch } from "../../policy.ts";
import { CUE_GAP, cueBefore, digitsOf, keyedRule, makeMatch, matchAll, type PiiRule } from "./scan.ts";
import { isAbaRouting, isBic, isCardNumber, isIban, luhn } from "./validators.ts";

const GAP = CUE_GAP;

// ---- CREDIT_DEBIT_CARD_NUMBER ----

const CARD = /(?<![\w.-])\d(?:[ -]?\d){11,18}(?!\w|[.-]\d)/g;
const CARD_CUE = /\b(?:card|credit|debit|visa|master ?card|amex|american express|discover|maestro|cc|pan)\b[^\n]{0,24}$/i;

const cardRule: PiiRule = {
  type: "CREDIT_DEBIT_CARD_NUMBER",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(CARD, text)) {
      const digits = digitsOf(m[0]);
      if (/^(\d)\1+$/.test(digits) || !luhn(digits)) continue;
      const score = isCardNumber(digits) ? 1 : cueBefore(text, m.index, CARD_CUE, 40) ? 0.85 : 0;
      if (score > 0) out.push(makeMatch("CREDIT_DEBIT_CARD_NUMBER", text, m.index, m.index + m[0].length, score));
    }
    return out;
  },
};

// ---- CVV, expiry, PIN ----

const cvvRule = keyedRule(
  "CREDIT_DEBIT_CARD_CVV",
  new RegExp(String.raw`\b(?:cvv2?|cvc2?|cvn|cid|csc|card (?:verification|security) (?:value|code|number)|security code)${GAP}(?<v>\d{3,4})(?![\w/-])`, "gid"),
  { score: 0.9 },
);

const MONTH_NAMES = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec";
const EXPIRY_VALUE = String.raw`(?:0?[1-9]|1[0-2])\s?[/.-]\s?(?:20\d{2}|\d{2})|(?:${MONTH_NAMES})[a-z]*\.?,?\s+(?:20\d{2}|'?\d{2})`;
const expiryRule = keyedRule(
  "CREDIT_DEBIT_CARD_EXPIRY",
  new RegExp(
    String.raw`\b(?:exp(?:iry|iration|ires|iring|\.)?|valid (?:thru|through|until|to)|good (?:thru|through)|expiration)${GAP}(?<v>${EXPIRY_VALUE})(?![\w/-]|\.\d)`,
    "gid",
  ),
  { score: 0.9 },
);

const pinRule = keyedRule(
  "PIN",
  new RegExp(String.raw`\bpin(?:[ -]?(?:code|number|no\.?|#))?${GAP}(?<v>\d{4,8})(?![\w/-]|\.\d)`, "gid"),
  { score: 0.85 },
);

// ---- IBAN ----

const IBAN = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}/g;

/** Cuts an IBAN candidate to its country's length (counting only letters and digits). */
function ibanEnd(candidate: string): number | undefined {
  const spec = countrySpecs[candidate.slice(0, 2).toUpperCase()];
  const length = spec?.chars;
  if (!length) return undefined;
  let seen = 0;
  for (let i = 0; i < candidate.length; i++) {
    if (candidate[i] !== " ") seen++;
    if (seen === length) return i + 1;
  }
  return undefined;
}

const ibanRule: PiiRule = {
  type: "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(IBAN, text)) {
      const cut = ibanEnd(m[0]);
      if (cut === undefined) continue;
      const end = m.index + cut;
      if (/[A-Za-z0-9]/.test(text[end] ?? "")) continue;
      if (isIban(m[0].slice(0, cut).replace(/ /g, ""))) out.push(makeMatch("INTERNATIONAL_BANK_ACCOUNT_NUMBER", text, m.index, end, 1));
    }
    return out;
  },
};

// ---- SWIFT_CODE ----

const BIC = /(?<![A-Za-z0-9])[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?![A-Za-z0-9])/g;
const BIC_CUE = /\b(?:swift|bic|bank identifier|bank code|sort code)\b[^\n]{0,20}$/i;

const swiftRule: PiiRule = {
  type: "SWIFT_CODE",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(BIC, text)) {
      if (!isBic(m[0])) continue;
      // An all-letter 8 or 11 letter capitalised word (PASSWORDS, ABSOLUTE) needs the cue.
      const score = cueBefore(text, m.index, BIC_CUE, 40) ? 0.95 : /\d/.test(m[0].slice(6)) ? 0.6 : 0;
      if (score > 0) out.push(makeMatch("SWIFT_CODE", text, m.index, m.index + m[0].length, score));
    }
    return out;
  },
};

// ---- US bank routing and account numbers ----

const routingRule = keyedRule(
  "US_BANK_ROUTING_NUMBER",
  new RegExp(String.raw`\b(?:routing|aba|rtn|transit|routing transit)(?:[ -]?(?:number|no\.?|#|code))?${GAP}(?<v>\d{9})(?![\w-])`, "gid"),
  { accept: (value) => isAbaRouting(value) && 1 },
);

const accountRule = keyedRule(
  "US_BANK_ACCOUNT_NUMBER",
  new RegExp(
    String.raw`\b(?:(?:bank|checking|chequing|savings|deposit|current)[ -])?(?:account|acct|a\/c)(?:[ -]?(?:number|no\.?|num|#))?${GAP}(?<v>\d(?:[ -]?\d){5,16})(?![\w]|[.-]\d)`,
    "gid",
  ),
  { score: 0.8 },
);

/** Card, CVV, expiry, PIN, IBAN, SWIFT/BIC, routing and account number rules. */
export const financialRules: readonly PiiRule[] = [cardRule, cvvRule, expiryRule, pinRule, ibanRule, swiftRule, routingRule, accountRule];
