// NAME (see name.ts) and AGE. An age is a number with an age cue: "34 years old", "a
// 38-year-old", "31 y/o", "aged 34", "turned 60", "at the age of 61", "I'm 47". Following
// Bedrock's documentation ("I am 40 years old" → "40 years"), the span keeps the unit of time.
import type { PiiMatch } from "../../policy.ts";
import { nameRule } from "./name.ts";
import { groupSpan, makeMatch, matchAll, type PiiRule } from "./scan.ts";

const NOT_AN_AGE_AFTER = String.raw`(?![.,]\d|\s*(?:%|percent|kg|kgs|lbs?|pounds|stone|cm|mm|m\b|km|miles|mi\b|ft|feet|inches|minutes?|mins?|hours?|hrs?|seconds?|secs?|days?|weeks?|am\b|pm\b|a\.m|p\.m|times|people|persons|of (?:us|them)|members|players|items|pieces|steps|points|votes|copies|units|in line|dollars|euros|usd|eur|gbp|\$|€|£|:\d|[./]\d|th\b|st\b|nd\b|rd\b|x\b|hp\b|mph|degrees|°))`;
const AGE_PATTERNS: readonly RegExp[] = [
  // "34 years old", "34-year-old", "6 months old", "79 years of age"
  /\b(?<v>\d{1,3}[ -](?:years?|yrs?|months?))[ -](?:old|of age)\b/gid,
  // "31 y/o", "31yo", "31 yrs old"
  /\b(?<v>\d{1,3} ?(?:y\/o|y\.o\.|yo))(?![\w/])/gid,
  // cue words before the number
  new RegExp(
    String.raw`\b(?:aged?|age(?: is| was|:| of| -)|turn(?:ed|s|ing)?|(?:i|he|she|they|you|we)(?:'m|’m| am| is| are| was| were|'s|’s|'re) (?:now |just |only |almost |nearly |about )?|when (?:i|he|she|they|we) (?:was|were|turned) |at the age of|age group)\s*(?<v>\d{1,3})\b${NOT_AN_AGE_AFTER}`,
    "gid",
  ),
];

const ageRule: PiiRule = {
  type: "AGE",
  find(text) {
    const out: PiiMatch[] = [];
    for (const re of AGE_PATTERNS) {
      for (const m of matchAll(re, text)) {
        const span = groupSpan(m, "v");
        if (!span) continue;
        const years = Number(/\d+/.exec(text.slice(span[0], span[1]))?.[0]);
        if (years > 130) continue;
        out.push(makeMatch("AGE", text, span[0], span[1], 0.85));
      }
    }
    return out;
  },
};

/** NAME and AGE rules. */
export const personRules: readonly PiiRule[] = [nameRule, ageRule];
