// Small helpers shared by the built-in PII rules: running a global regex over a text,
// reading a named group's offsets, and looking for context cues near a candidate.
// Every built-in pattern is written here (no user input), with bounded repetitions and
// separators between repeated groups, so that V8's backtracking engine stays linear on them;
// user-supplied patterns go through re2js instead (policies/sensitive-information.ts).
import type { PiiEntityType } from "../../guardrail.ts";
import type { PiiMatch } from "../../policy.ts";

/** One built-in rule: finds candidates of one entity type (they may overlap each other). */
export interface PiiRule {
  readonly type: PiiEntityType;
  find(text: string): PiiMatch[];
}

/** Filler allowed between a cue word and its value: "CVV: 123", "PIN is 1234", "passport no. - X123". */
export const CUE_GAP = String.raw`[^\w\n]{0,3}(?:(?:is|was|are|number|num|no|code|date|of|on|my|the)\b[^\w\n]{0,3}){0,3}`;

/** Yields every match of a global (`g`) regex, from the start of the text. */
export function* matchAll(re: RegExp, text: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) re.lastIndex++;
    yield m;
  }
}

/** Offsets of a named group of a match made with the `d` flag; undefined when it did not take part. */
export function groupSpan(m: RegExpExecArray, name: string): [number, number] | undefined {
  return m.indices?.groups?.[name];
}

/** Builds a match for text[start, end). */
export function makeMatch(type: PiiEntityType, text: string, start: number, end: number, score: number): PiiMatch {
  return { type, start, end, match: text.slice(start, end), score };
}

/** A match for a regex's named group `v` (or the whole match when the group is absent). */
export function valueMatch(type: PiiEntityType, text: string, m: RegExpExecArray, score: number): PiiMatch {
  const [start, end] = groupSpan(m, "v") ?? [m.index, m.index + m[0].length];
  return makeMatch(type, text, start, end, score);
}

/** True when `cue` matches the `window` characters before `index` (cue should end with `$`-like anchoring itself). */
export function cueBefore(text: string, index: number, cue: RegExp, window = 40): boolean {
  return cue.test(text.slice(Math.max(0, index - window), index));
}

/** True when `cue` matches the `window` characters after `index`. */
export function cueAfter(text: string, index: number, cue: RegExp, window = 20): boolean {
  return cue.test(text.slice(index, index + window));
}

/** The digits of a string. */
export function digitsOf(value: string): string {
  return value.replace(/\D+/g, "");
}

/** Runs a keyed pattern (cue words, then the value in group `v`) and keeps values that pass `accept`. */
export function keyedRule(
  type: PiiEntityType,
  re: RegExp,
  options: { score?: number; accept?: (value: string, text: string, m: RegExpExecArray) => boolean | number } = {},
): PiiRule {
  return {
    type,
    find(text) {
      const out: PiiMatch[] = [];
      for (const m of matchAll(re, text)) {
        const found = valueMatch(type, text, m, options.score ?? 0.9);
        const verdict = options.accept ? options.accept(found.match, text, m) : true;
        if (verdict === false) continue;
        if (typeof verdict === "number") found.score = verdict;
        out.push(found);
      }
      return out;
    },
  };
}
