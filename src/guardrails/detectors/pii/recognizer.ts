// The built-in PiiRecognizer: runs the rules of the requested types, then keeps one match per
// stretch of text (longest first, then the more confident, then the earlier), so that a URL
// wins over the IP inside it and an address over the street name that looks like a person.
import type { PiiEntityType } from "../../guardrail.ts";
import type { PiiMatch, PiiRecognizer } from "../../policy.ts";
import { addressRule } from "./address.ts";
import { contactRules } from "./contact.ts";
import { credentialRules } from "./credentials.ts";
import { financialRules } from "./financial.ts";
import { governmentRules } from "./government.ts";
import { networkRules } from "./network.ts";
import { personRules } from "./person.ts";
import type { PiiRule } from "./scan.ts";

export type { PiiRule } from "./scan.ts";

/** Every built-in rule: together they cover all 31 Bedrock entity types. */
export const BUILTIN_PII_RULES: readonly PiiRule[] = [
  ...contactRules,
  ...networkRules,
  ...financialRules,
  ...governmentRules,
  ...credentialRules,
  ...personRules,
  addressRule,
];

/** Keeps non-overlapping matches: longest first, then higher score, then earlier; result sorted by start. */
export function resolveOverlaps(matches: readonly PiiMatch[]): PiiMatch[] {
  const ranked = [...matches].sort((a, b) => b.end - b.start - (a.end - a.start) || b.score - a.score || a.start - b.start);
  const kept: PiiMatch[] = []; // sorted by start, pairwise disjoint
  for (const m of ranked) {
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((kept[mid] as PiiMatch).start < m.start) lo = mid + 1;
      else hi = mid;
    }
    const before = kept[lo - 1];
    const after = kept[lo];
    if ((before && before.end > m.start) || (after && after.start < m.end)) continue;
    kept.splice(lo, 0, m);
  }
  return kept;
}

/** A recognizer over a set of rules (the built-in ones by default). */
export function createPiiRecognizer(rules: readonly PiiRule[] = BUILTIN_PII_RULES): PiiRecognizer {
  return {
    find(text: string, types: ReadonlySet<PiiEntityType>): PiiMatch[] {
      if (text.length === 0 || types.size === 0) return [];
      const found: PiiMatch[] = [];
      for (const rule of rules) {
        if (types.has(rule.type)) for (const m of rule.find(text)) if (m.end > m.start) found.push(m);
      }
      return resolveOverlaps(found);
    },
  };
}

/** The offline built-in recognizer for all 31 Bedrock sensitive-information types. */
export const builtinPiiRecognizer: PiiRecognizer = createPiiRecognizer();
