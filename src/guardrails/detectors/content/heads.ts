// The model's outputs ("heads") and how they become Bedrock's six category scores.
//
// HARMFUL says whether a text is harmful at all, trained on every labelled row; each harm
// category head says which kind it is *given* that it is harmful, trained on harmful rows
// only. A category's probability is HARMFUL × its conditional head. Sharing the "is it
// harmful" decision lets the scarce categories (insults has a few dozen examples) borrow
// strength from all the others; it measured clearly better than six independent heads.
// PROMPT_ATTACK is an ordinary independent head.
import { CONTENT_FILTER_TYPES, type ContentFilterType } from "../../guardrail.ts";

/** Head names, in weight order. */
export const HEADS = ["HARMFUL", "HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT", "PROMPT_ATTACK"] as const;
export type Head = (typeof HEADS)[number];

/** The harm categories (all but PROMPT_ATTACK), each with a conditional head. */
export const HARM_CATEGORIES = ["HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT"] as const satisfies readonly ContentFilterType[];

const CATEGORY_INDEX = Object.fromEntries(CONTENT_FILTER_TYPES.map((c, i) => [c, i])) as Record<ContentFilterType, number>;

/** Labels of a row: 1 harmful, 0 not, absent = unknown. */
export type Labels = Partial<Record<ContentFilterType, 0 | 1>>;

/** Known-benign categories a row needs, with none harmful, to be a HARMFUL = 0 example. */
const BENIGN_EVIDENCE = 3;

/**
 * Training targets of a row, one per head (-1 = unknown, not trained). A harmful row's
 * unknown categories count as 0 for the conditional heads: most sets have one label per row.
 */
export function headTargets(labels: Labels): Int8Array {
  const y = new Int8Array(HEADS.length).fill(-1);
  const harmful = HARM_CATEGORIES.some((c) => labels[c] === 1);
  const benign = HARM_CATEGORIES.filter((c) => labels[c] === 0).length;
  y[0] = harmful ? 1 : benign >= BENIGN_EVIDENCE ? 0 : -1;
  if (harmful) HARM_CATEGORIES.forEach((c, i) => (y[i + 1] = labels[c] ?? 0));
  y[HEADS.length - 1] = labels.PROMPT_ATTACK ?? -1;
  return y;
}

/** Category probabilities (CONTENT_FILTER_TYPES order) from head probabilities, into `out`. */
export function categoryProbabilities(heads: ArrayLike<number>, out: Float64Array): Float64Array {
  const harmful = heads[0]!;
  for (let i = 0; i < HARM_CATEGORIES.length; i++) out[CATEGORY_INDEX[HARM_CATEGORIES[i]!]] = harmful * heads[i + 1]!;
  out[CATEGORY_INDEX.PROMPT_ATTACK] = heads[HEADS.length - 1]!;
  return out;
}
