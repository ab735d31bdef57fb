// Binary classification counts and F-scores, and Bedrock's strength → blocking cut on the
// shared confidence scale, shared by the training script and the benchmark.
import type { FilterStrength } from "../../../guardrail.ts";
import { CONFIDENCE_CUTS } from "../confidence.ts";

/** The lowest score a filter of each strength blocks (HIGH blocks LOW confidence and up). */
export const BLOCK_CUT: Record<Exclude<FilterStrength, "NONE">, number> = {
  LOW: CONFIDENCE_CUTS.high,
  MEDIUM: CONFIDENCE_CUTS.medium,
  HIGH: CONFIDENCE_CUTS.low,
};

/** Confusion counts. */
export interface Counts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Counts predictions against truths. */
export function countPairs(pairs: Iterable<{ predicted: boolean; actual: boolean }>): Counts {
  const c: Counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (const { predicted, actual } of pairs) {
    if (predicted && actual) c.tp++;
    else if (predicted) c.fp++;
    else if (actual) c.fn++;
    else c.tn++;
  }
  return c;
}

/** Precision, recall and F-beta (F1 by default); NaN where undefined. */
export function scoresOf(c: Counts, beta = 1): { precision: number; recall: number; f: number } {
  const precision = c.tp / (c.tp + c.fp);
  const recall = c.tp / (c.tp + c.fn);
  const b2 = beta * beta;
  const f = c.tp === 0 ? 0 : ((1 + b2) * precision * recall) / (b2 * precision + recall);
  return { precision, recall, f };
}
