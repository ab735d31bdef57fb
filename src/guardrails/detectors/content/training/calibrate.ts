// Chooses, per category, the raw scores where LOW, MEDIUM and HIGH confidence begin, from
// out-of-fold scores (never from the test split). MEDIUM is the balanced point (best F1,
// possibly moved by tuneJointly). LOW, where strength HIGH starts blocking, closes half the
// recall gap left at MEDIUM; HIGH, where strength LOW starts blocking, closes half the
// precision gap. So the three strengths stay distinct whatever the score distribution.
import type { ConfidenceThresholds } from "../confidence.ts";

/** One scored row with a known label. */
export interface ScoredLabel {
  score: number;
  label: 0 | 1;
}

interface Cut {
  threshold: number;
  tp: number;
  fp: number;
}

/** Every distinct cut, highest first: rows scoring ≥ threshold are predicted positive; thresholds fall midway between scores. */
function cuts(points: readonly ScoredLabel[]): Cut[] {
  const sorted = [...points].sort((a, b) => b.score - a.score);
  const out: Cut[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i]!.label === 1) tp++;
    else fp++;
    const next = sorted[i + 1];
    if (next !== undefined && next.score === sorted[i]!.score) continue;
    out.push({ threshold: next === undefined ? sorted[i]!.score / 2 : (sorted[i]!.score + next.score) / 2, tp, fp });
  }
  return out;
}

/** The cut with the best F1. */
function bestF1(all: readonly Cut[], positives: number): Cut {
  let best = all[0]!;
  let bestF = -1;
  for (const c of all) {
    const f = (2 * c.tp) / (c.tp + c.fp + positives);
    if (f > bestF) {
      bestF = f;
      best = c;
    }
  }
  return best;
}

/** The cut at or just above `threshold` (the last one still ≥ it). */
function cutAt(all: readonly Cut[], threshold: number): Cut {
  let found = all[0]!;
  for (const c of all) if (c.threshold >= threshold) found = c;
  return found;
}

const GAP = 1e-4;

/**
 * Calibrated raw-score thresholds, strictly increasing low < medium < high. `medium`, when
 * given (from {@link tuneJointly}), is kept and LOW and HIGH are placed around it.
 */
export function calibrateThresholds(points: readonly ScoredLabel[], fixedMedium?: number): ConfidenceThresholds {
  const all = cuts(points);
  const positives = points.filter((p) => p.label === 1).length;
  if (positives === 0 || all.length === 0) return { low: 0.5, medium: 0.75, high: 0.9 };
  const mediumCut = fixedMedium === undefined ? bestF1(all, positives) : cutAt(all, fixedMedium);
  const medium = fixedMedium ?? mediumCut.threshold;
  const recall = mediumCut.tp / positives;
  const precision = mediumCut.tp / Math.max(1, mediumCut.tp + mediumCut.fp);
  // LOW: the highest cut whose recall reaches halfway from MEDIUM's recall to 1.
  const wantRecall = recall + (1 - recall) / 2;
  const low = all.find((c) => c.tp / positives >= wantRecall)?.threshold ?? all[all.length - 1]!.threshold;
  // HIGH: the lowest cut whose precision reaches halfway from MEDIUM's precision to 1.
  const wantPrecision = precision + (1 - precision) / 2;
  const above = all.filter((c) => c.threshold > medium && c.tp > 0 && c.tp / (c.tp + c.fp) >= wantPrecision);
  const high = above.length > 0 ? above[above.length - 1]!.threshold : (medium + 1) / 2;
  return {
    low: Math.max(1e-6, Math.min(low, medium - GAP)),
    medium,
    high: Math.min(1 - 1e-6, Math.max(high, medium + GAP)),
  };
}

/** Inputs of {@link tuneJointly}: out-of-fold scores of every fit row, by category index. */
export interface JointInput {
  scores: readonly Float64Array[];
  /** Category indexes whose union is "flagged" (the harm categories). */
  harm: readonly number[];
  /** Per row: flagged (1) or not (0) in the target set; undefined outside it. */
  flagged: readonly (0 | 1 | undefined)[];
  /** Per row and category index: the row's label, undefined when unknown. */
  labels: readonly (readonly (0 | 1 | undefined)[])[];
  /** Per row: a safe prompt, counted for over-blocking. */
  safe: readonly boolean[];
  /** Largest share of safe rows the thresholds may block. */
  maxOverBlock: number;
  /** Weight of the mean per-category F1 beside the target set's flagged F1. */
  categoryWeight: number;
}

function f1(tp: number, fp: number, fn: number): number {
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** The objective: flagged F1 on the target set plus weighted mean category F1; -1 past the over-blocking limit. */
function objective(input: JointInput, cuts: readonly number[]): number {
  const { scores, harm } = input;
  let tp = 0, fp = 0, fn = 0, safe = 0, blockedSafe = 0;
  const counts = harm.map(() => ({ tp: 0, fp: 0, fn: 0 }));
  for (let i = 0; i < scores.length; i++) {
    let blocked = false;
    harm.forEach((c, k) => {
      const hit = scores[i]![c]! >= cuts[k]!;
      blocked ||= hit;
      const label = input.labels[i]![c];
      if (label === undefined) return;
      if (hit && label === 1) counts[k]!.tp++;
      else if (hit) counts[k]!.fp++;
      else if (label === 1) counts[k]!.fn++;
    });
    const flagged = input.flagged[i];
    if (flagged !== undefined) {
      if (blocked && flagged === 1) tp++;
      else if (blocked) fp++;
      else if (flagged === 1) fn++;
    }
    if (input.safe[i]) {
      safe++;
      if (blocked) blockedSafe++;
    }
  }
  if (safe > 0 && blockedSafe / safe > input.maxOverBlock) return -1;
  const categoryF1 = counts.reduce((sum, c) => sum + f1(c.tp, c.fp, c.fn), 0) / counts.length;
  return f1(tp, fp, fn) + input.categoryWeight * categoryF1;
}

/**
 * Moves each harm category's MEDIUM threshold, one at a time over a few rounds, to the
 * candidate that most improves the objective; starts from `start`.
 */
export function tuneJointly(input: JointInput, start: readonly number[], rounds = 3): number[] {
  const cuts = [...start];
  // Candidates evenly spaced in logit from 0.005 to 0.995.
  const candidates = Array.from({ length: 200 }, (_, q) => 1 / (1 + Math.exp(-(-5.3 + (10.6 * q) / 199))));
  let best = objective(input, cuts);
  for (let round = 0; round < rounds; round++) {
    input.harm.forEach((_, k) => {
      for (const candidate of candidates) {
        const trial = cuts.map((v, j) => (j === k ? candidate : v));
        const value = objective(input, trial);
        if (value > best) {
          best = value;
          cuts[k] = candidate;
        }
      }
    });
  }
  return cuts;
}
