// From a score in [0, 1] to Bedrock's confidence levels. Every content classifier reports
// scores on one scale, where 0.25, 0.5 and 0.75 are where LOW, MEDIUM and HIGH confidence
// begin; a classifier whose raw scores sit elsewhere (the built-in linear model) remaps
// them through its calibrated thresholds, so policies never need per-classifier tables.
import type { Confidence } from "../../guardrail.ts";

/** Where each confidence level begins, on a classifier's own score scale. */
export interface ConfidenceThresholds {
  low: number;
  medium: number;
  high: number;
}

/** The shared scale every {@link ContentClassifier} score is expressed on. */
export const CONFIDENCE_CUTS: Readonly<ConfidenceThresholds> = { low: 0.25, medium: 0.5, high: 0.75 };

/** The confidence of a score: NONE below `low`, then LOW, MEDIUM, HIGH. */
export function scoreToConfidence(score: number, thresholds: ConfidenceThresholds = CONFIDENCE_CUTS): Confidence {
  if (!(score >= thresholds.low)) return "NONE"; // NaN counts as nothing found
  if (score < thresholds.medium) return "LOW";
  return score < thresholds.high ? "MEDIUM" : "HIGH";
}

/**
 * Maps a raw score onto the shared scale, piecewise linearly, so that `thresholds.low`,
 * `.medium` and `.high` land on 0.25, 0.5 and 0.75. Monotone; 0 and 1 stay put.
 */
export function rescore(raw: number, thresholds: ConfidenceThresholds): number {
  const knots: [number, number][] = [[0, 0], [thresholds.low, 0.25], [thresholds.medium, 0.5], [thresholds.high, 0.75], [1, 1]];
  const x = Math.min(1, Math.max(0, raw));
  for (let k = 1; k < knots.length; k++) {
    const [x1, y1] = knots[k]!;
    if (x <= x1) {
      const [x0, y0] = knots[k - 1]!;
      return x1 > x0 ? y0 + ((x - x0) / (x1 - x0)) * (y1 - y0) : y1;
    }
  }
  return 1;
}
