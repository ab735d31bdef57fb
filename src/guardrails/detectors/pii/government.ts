// Government and vehicle identifiers. Formats with structure rules or a check digit (SSN, ITIN,
// NINO, NHS, SIN, VIN) are validated; those that are just "some digits" (passport, driver's
// licence, health card, UTR, licence plate) are reported only right after their cue words.
import type { PiiMatch } from "../../policy.ts";
import { CUE_GAP, cueBefore, digitsOf, keyedRule, makeMatch, matchAll, type PiiRule } from "./scan.ts";
import { isCaSin, isItin, isNhsNumber, isNino, isSsn, isVinShape, vinCheckDigitOk } from "./validators.ts";

const NO = String.raw`(?:[ -]?(?:number|num|no\.?|#|id))?`;

// ---- SSN and ITIN share one shape: 3-2-4 digits ----

const US_TAX_ID = /(?<![\w-])\d{3}(?<sep>[- ]?)\d{2}\k<sep>\d{4}(?![\w]|-\d)/g;
const SSN_CUE = /\b(?:ssn|ss#|social security|social sec|ssa)\b[^\n]{0,24}$/i;
const ITIN_CUE = /\b(?:itin|individual taxpayer|taxpayer identification|tax id|tin)\b[^\n]{0,24}$/i;

function usTaxIdRule(type: "US_SOCIAL_SECURITY_NUMBER" | "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER"): PiiRule {
  const valid = type === "US_SOCIAL_SECURITY_NUMBER" ? isSsn : isItin;
  const cue = type === "US_SOCIAL_SECURITY_NUMBER" ? SSN_CUE : ITIN_CUE;
  return {
    type,
    find(text) {
      const out: PiiMatch[] = [];
      for (const m of matchAll(US_TAX_ID, text)) {
        if (!valid(digitsOf(m[0]))) continue;
        const cued = cueBefore(text, m.index, cue, 40);
        // Dashed 3-2-4 is the printed form; spaced or bare digits need the cue.
        const score = cued ? 1 : m.groups?.sep === "-" ? 0.85 : 0;
        if (score > 0) out.push(makeMatch(type, text, m.index, m.index + m[0].length, score));
      }
      return out;
    },
  };
}

// ---- Cue-only identifiers ----

const passportRule = keyedRule(
  "US_PASSPORT_NUMBER",
  new RegExp(String.raw`\bpassport${NO}${CUE_GAP}(?<v>[A-Z]?\d{8,9})(?![\w-])`, "gid"),
  { score: 0.9 },
);

const driverIdRule = keyedRule(
  "DRIVER_ID",
  new RegExp(
    String.raw`\b(?:(?:driver|driving|drivers)(?:'s|’s|s')?[ -]?licen[cs]e|driver[ -]?(?:id|number)|DL|licen[cs]e)${NO}${CUE_GAP}(?<v>(?=[A-Z0-9-]*\d[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,18}[A-Z0-9])(?![\w-])`,
    "gid",
  ),
  { score: 0.85 },
);

const caHealthRule = keyedRule(
  "CA_HEALTH_NUMBER",
  new RegExp(
    String.raw`\b(?:health[ -](?:card|insurance|care|number)(?: card)?|OHIP|PHN|RAMQ|MSP|HCN|carte santé|assurance maladie)${NO}${CUE_GAP}(?<v>\d{4}[ -]?\d{3}[ -]?\d{3}(?:[ -]?[A-Z]{2})?|[A-Z]{4}[ -]?\d{4}[ -]?\d{4})(?![\w-])`,
    "gid",
  ),
  { score: 0.85 },
);

const utrRule = keyedRule(
  "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER",
  new RegExp(
    String.raw`\b(?:UTR|unique tax ?payer reference|tax reference|self[ -]assessment reference)${NO}${CUE_GAP}(?<v>K?\d{5}[ ]?\d{5}K?)(?![\w-])`,
    "gid",
  ),
  { score: 0.9 },
);

// ---- Validated identifiers ----

const SIN_VALUE = /(?<![\w-])\d{3}([ -]?)\d{3}\1\d{3}(?![\w]|-\d)/g;
const SIN_CUE = /(?:\bSIN|\bNAS|[Ss]ocial [Ii]nsurance|assurance sociale)\b[^\n]{0,20}$/;

const caSinRule: PiiRule = {
  type: "CA_SOCIAL_INSURANCE_NUMBER",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(SIN_VALUE, text)) {
      if (isCaSin(digitsOf(m[0])) && cueBefore(text, m.index, SIN_CUE, 40)) {
        out.push(makeMatch("CA_SOCIAL_INSURANCE_NUMBER", text, m.index, m.index + m[0].length, 1));
      }
    }
    return out;
  },
};

const NHS_VALUE = /(?<![\w-])\d{3}([ -]?)\d{3}\1\d{4}(?![\w]|-\d)/g;
const NHS_CUE = /\b(?:NHS|national health service|CHI|health and care number)\b[^\n]{0,24}$/i;

const nhsRule: PiiRule = {
  type: "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(NHS_VALUE, text)) {
      if (isNhsNumber(digitsOf(m[0])) && cueBefore(text, m.index, NHS_CUE, 40)) {
        out.push(makeMatch("UK_NATIONAL_HEALTH_SERVICE_NUMBER", text, m.index, m.index + m[0].length, 1));
      }
    }
    return out;
  },
};

const NINO = /(?<![A-Za-z0-9])[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d](?![A-Za-z0-9])/g;
const NINO_CUE = /\b(?:NINO|NI number|NI no|national insurance)\b[^\n]{0,24}$/i;

const ninoRule: PiiRule = {
  type: "UK_NATIONAL_INSURANCE_NUMBER",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(NINO, text)) {
      const compact = m[0].replace(/ /g, "");
      if (!isNino(compact.toUpperCase())) continue;
      const cued = cueBefore(text, m.index, NINO_CUE, 40);
      // Lower-case look-alikes ("ab123456c") count only with the cue.
      const score = cued ? 1 : compact === compact.toUpperCase() ? 0.9 : 0;
      if (score > 0) out.push(makeMatch("UK_NATIONAL_INSURANCE_NUMBER", text, m.index, m.index + m[0].length, score));
    }
    return out;
  },
};

const VIN = /(?<![A-Za-z0-9])[A-HJ-NPR-Z0-9]{17}(?![A-Za-z0-9])/g;
const VIN_CUE = /\b(?:VIN|vehicle identification|chassis)\b[^\n]{0,24}$/i;

const vinRule: PiiRule = {
  type: "VEHICLE_IDENTIFICATION_NUMBER",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(VIN, text)) {
      if (!isVinShape(m[0])) continue;
      // Only North American VINs carry the check digit; others need the cue.
      const score = vinCheckDigitOk(m[0]) ? 1 : cueBefore(text, m.index, VIN_CUE, 40) ? 0.8 : 0;
      if (score > 0) out.push(makeMatch("VEHICLE_IDENTIFICATION_NUMBER", text, m.index, m.index + m[0].length, score));
    }
    return out;
  },
};

// ---- LICENSE_PLATE: cue, then 1-3 upper-case groups with a digit, 4-9 characters in all ----

const PLATE_CUE = /\b(?:licen[cs]e[ -]plate|number[ -]plate|registration[ -]plate|plate|reg(?:istration)?\.?[ -](?:number|no\.?|mark)|tag number|vehicle registration)(?:[ -]?(?:number|no\.?|#))?[^\w\n]{0,3}(?:(?:is|was|reads|of|:)\b[^\w\n]{0,3}){0,2}/gi;
const PLATE_VALUE = /^[A-Z0-9]{1,8}(?:[ -][A-Z0-9]{1,4}){0,2}/;

const plateRule: PiiRule = {
  type: "LICENSE_PLATE",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(PLATE_CUE, text)) {
      const start = m.index + m[0].length;
      const value = PLATE_VALUE.exec(text.slice(start, start + 16))?.[0];
      if (!value || /[\w]/.test(text[start + value.length] ?? "")) continue;
      const compact = value.replace(/[ -]/g, "");
      if (compact.length < 4 || compact.length > 9 || !/\d/.test(compact)) continue;
      out.push(makeMatch("LICENSE_PLATE", text, start, start + value.length, 0.85));
    }
    return out;
  },
};

/** SSN, ITIN, passport, driver ID, Canadian, UK and vehicle identifier rules. */
export const governmentRules: readonly PiiRule[] = [
  usTaxIdRule("US_SOCIAL_SECURITY_NUMBER"),
  usTaxIdRule("US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER"),
  passportRule,
  driverIdRule,
  caHealthRule,
  utrRule,
  caSinRule,
  nhsRule,
  ninoRule,
  vinRule,
  plateRule,
];
