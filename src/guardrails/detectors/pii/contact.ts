// EMAIL, URL and PHONE. Phone candidates come from one digit-group pattern; libphonenumber-js
// then judges international (+ or 00) numbers, while national formats need either a North
// American shape or a context cue ("Phone:", "call me on", "… fax"), because bare digit
// groups are just as often order numbers, dates or product codes.
import { parsePhoneNumberFromString } from "libphonenumber-js";
import type { PiiMatch } from "../../policy.ts";
import { cueAfter, cueBefore, digitsOf, makeMatch, matchAll, type PiiRule } from "./scan.ts";

// ---- EMAIL ----

// ASCII local part and domain: an address glued to CJK text ("联系zhang@example.com谢谢") must
// stop where the ASCII run stops.
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;

const emailRule: PiiRule = {
  type: "EMAIL",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(EMAIL, text)) out.push(makeMatch("EMAIL", text, m.index, m.index + m[0].length, 1));
    return out;
  },
};

// ---- URL ----

/** Characters a URL never contains in running text: space, quotes, brackets, CJK punctuation and scripts. */
const URL_BODY = String.raw`[^\s<>"'{}|\\^\x60\u2E80-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFF00-\uFFEF]`;
const SCHEME_URL = new RegExp(String.raw`\b(?:https?|ftps?|sftp)://${URL_BODY}+`, "gi");
const WWW_URL = new RegExp(String.raw`(?<![\w@./-])www\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+${URL_BODY}*`, "gi");
// Bare domains only with common top-level domains, so that file names (config.json, README.md)
// and versions stay out.
const TLDS = "com|org|net|edu|gov|mil|int|io|ai|co|app|dev|info|biz|me|tv|us|uk|ca|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|pl|cz|pt|br|au|nz|jp|cn|in|ru|eu|ie|mx|ar|za|kr|sg|hk|tw|gr|hu|ro|tr|il|ua|cy|is|ee|lv|lt|si|sk|hr|uy|cl|pe";
const BARE_URL = new RegExp(
  String.raw`(?<![\w@./:-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:${TLDS})(?![\w-])(?:[/?#]${URL_BODY}*)?`,
  "gi",
);

/** Trims punctuation that ends a sentence rather than the URL, and a closing bracket with no opener. */
function trimUrlEnd(url: string): string {
  let end = url.length;
  for (;;) {
    const c = url[end - 1];
    if (c === undefined) break;
    if (".,;:!?*".includes(c)) end--;
    else if (c === ")" && (url.slice(0, end).match(/\(/g)?.length ?? 0) < (url.slice(0, end).match(/\)/g)?.length ?? 0)) end--;
    else if (c === "]" && !url.slice(0, end).includes("[")) end--;
    else break;
  }
  return url.slice(0, end);
}

function urlMatches(text: string, re: RegExp, score: number): PiiMatch[] {
  const out: PiiMatch[] = [];
  for (const m of matchAll(re, text)) {
    const url = trimUrlEnd(m[0]);
    if (url.length >= 4) out.push(makeMatch("URL", text, m.index, m.index + url.length, score));
  }
  return out;
}

const urlRule: PiiRule = {
  type: "URL",
  find(text) {
    return [...urlMatches(text, SCHEME_URL, 0.95), ...urlMatches(text, WWW_URL, 0.9), ...urlMatches(text, BARE_URL, 0.7)];
  },
};

// ---- PHONE ----

// Optional international prefix, optional bracketed area code, then 1-5 digit groups joined by
// one separator each, and an optional extension. Groups need a separator, so there is nothing
// for the engine to backtrack over.
const PHONE = /(?<![\w+.\/-])(?:(?:\+|00)\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,12}(?:[ .\/-]\(?\d{1,12}\)?){0,6}(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?(?![\w\/]|[.-]\d)/gi;
const PHONE_CUE_BEFORE = /(?:\b(?:phone|ph|tel|telephone|mobile|mob|cell|cellphone|fax|desk|office|home|work|landline|hotline|helpline|whatsapp|sms|text(?: me)?|call(?:ing)?(?: me)?|ring|dial|reach(?: me)?|contact|messages? to|registered|answering|number)\b|☎|📞)[^\d]{0,16}$/i;
const PHONE_CUE_AFTER = /^[ \t]*[-–(]?[ \t]*(?:office|fax|mobile|cell|home|work|desk|tel|phone)\b/i;
const NOT_PHONE_BEFORE = /\b(?:order|invoice|inv|ref|reference|sku|part|model|serial|product|item|catalog|lot|batch|code|style|po|tracking|isbn|issn|id|ticket|case|account|acct|card|ssn|sin|routing|iban|passport|licen[cs]e|nhs|utr|vin|zip|postcode|version|v)\b[^\d\n]{0,16}$|#\s*$/i;
const NANP = /^(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)|[2-9]\d{2})[ .-]?[2-9]\d{2}[ .-]\d{4}$/;
const TRUNK_FORMATTED = /^(?:\(0\d{1,4}\)|0\d{1,4})[ .-]\d/;
const DATE_OR_TIME = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$/;
const DOTTED_QUAD = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const EXTENSION = /[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6}$/i;

/** Scores a phone candidate, or returns 0 to reject it. */
function phoneScore(text: string, start: number, end: number): number {
  const raw = text.slice(start, end);
  const body = raw.replace(EXTENSION, "");
  const digits = digitsOf(body);
  if (digits.length < 7 || digits.length > 15) return 0;
  if (DATE_OR_TIME.test(body) || DOTTED_QUAD.test(body)) return 0;
  if (cueBefore(text, start, NOT_PHONE_BEFORE, 24)) return 0;
  const cued = cueBefore(text, start, PHONE_CUE_BEFORE, 40) || cueAfter(text, end, PHONE_CUE_AFTER, 16);
  if (/^(?:\+|00)/.test(body)) {
    const parsed = parsePhoneNumberFromString(body.replace(/^00/, "+"));
    if (parsed?.isPossible()) return parsed.isValid() ? 0.95 : 0.8;
    return cued ? 0.6 : 0;
  }
  if (NANP.test(body)) return cued ? 0.95 : 0.8;
  if (cued) return 0.75;
  // A national number with its trunk prefix and separators ("020 7946 0958"): plausible alone.
  return TRUNK_FORMATTED.test(body) && digits.length >= 9 ? 0.55 : 0;
}

const phoneRule: PiiRule = {
  type: "PHONE",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(PHONE, text)) {
      const end = m.index + m[0].length;
      const score = phoneScore(text, m.index, end);
      if (score > 0) out.push(makeMatch("PHONE", text, m.index, end, score));
    }
    return out;
  },
};

/** EMAIL, URL and PHONE rules. */
export const contactRules: readonly PiiRule[] = [emailRule, urlRule, phoneRule];
