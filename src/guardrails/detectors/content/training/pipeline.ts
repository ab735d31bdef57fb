// The steps between the corpus and a trained model: featurize rows once (whole text and
// windows), turn rows into examples, train, and score rows the way the classifier does
// (highest category probability over the whole text and its windows).
import { CONTENT_FILTER_TYPES } from "../../../guardrail.ts";
import type { SentenceEncoder } from "../../../policy.ts";
import { FeatureExtractor, type FeatureConfig, type SparseVector } from "../features.ts";
import { headTargets, HEADS } from "../heads.ts";
import { encodeParts } from "../dense.ts";
import { HeadScorer } from "../model.ts";
import { normalizeText } from "../normalize.ts";
import { windowsOf, type WindowConfig } from "../windows.ts";
import type { MlpWeights } from "../mlp.ts";
import type { BlendedModel } from "./blend.ts";
import { trainMlp, type MlpOptions } from "./mlp-trainer.ts";
import type { CorpusRow } from "./rows.ts";
import { trainLogistic, type Example, type LogisticModel, type TrainOptions } from "./trainer.ts";

/** One scored part of a row: its whole text or one window. */
export interface Part {
  x: SparseVector;
  dense?: Float32Array;
}

/** A corpus row with its features. */
export interface FeaturizedRow {
  row: CorpusRow;
  whole: Part;
  windows: Part[];
}

/** How rows are featurized. */
export interface FeaturizeOptions {
  features: FeatureConfig;
  windows: WindowConfig;
  /** The dense encoder and the scale of its vectors, when the model has a dense part. */
  dense?: { encoder: SentenceEncoder; scale: number };
}

/** Extracts every row's features once. */
export function featurize(rows: readonly CorpusRow[], options: FeaturizeOptions): FeaturizedRow[] {
  const extractor = new FeatureExtractor(options.features);
  return rows.map((row) => {
    const normalized = normalizeText(row.text);
    const pieces = windowsOf(normalized, options.windows);
    const dense = options.dense ? encodeParts(options.dense.encoder, normalized, pieces, options.dense.scale) : undefined;
    const parts = extractor.extractParts(normalized, pieces).map((x, i): Part => ({ x, dense: dense?.[i] }));
    return { row, whole: parts[0]!, windows: parts.slice(1) };
  });
}

/** Options of {@link toExamples}. */
export interface ExampleOptions {
  /** Weight of a benign row's windows (all together, spread as 1/√n each). */
  windowWeight: number;
  /** Per-set row weights; absent sets weigh 1. */
  setWeights: Record<string, number>;
}

/**
 * Examples of rows: each whole text, plus the windows of benign rows (a window of a harmful
 * text may be harmless, so only a benign row's windows have known labels).
 */
export function toExamples(rows: readonly FeaturizedRow[], options: ExampleOptions): Example[] {
  const out: Example[] = [];
  for (const f of rows) {
    const y = headTargets(f.row.labels);
    const weight = options.setWeights[f.row.set] ?? 1;
    out.push({ ...f.whole, y, weight });
    if (f.windows.length > 0 && y[0] !== 1 && y[HEADS.length - 1] !== 1) {
      const each = (weight * options.windowWeight) / Math.sqrt(f.windows.length);
      for (const w of f.windows) out.push({ ...w, y, weight: each });
    }
  }
  return out;
}

/** Trains on rows. */
export function trainRows(rows: readonly FeaturizedRow[], examples: ExampleOptions, train: TrainOptions): LogisticModel {
  return trainLogistic(toExamples(rows, examples), train);
}

/** Trains the perceptron over the dense vectors of rows (rows must be featurized with a dense part). */
export function trainMlpRows(rows: readonly FeaturizedRow[], examples: ExampleOptions, heads: number, options: MlpOptions): MlpWeights {
  const inputs = toExamples(rows, examples).map((e) => {
    if (!e.dense) throw new Error("trainMlpRows: rows have no dense vectors");
    return { input: e.dense, y: e.y, weight: e.weight };
  });
  return trainMlp(inputs, heads, options);
}

/** Raw category probabilities of rows (CONTENT_FILTER_TYPES order): the highest over whole text and windows. */
export function scoreRows(model: BlendedModel, rows: readonly FeaturizedRow[], bits: number): Float64Array[] {
  const scorer = new HeadScorer(model.linear.weights, model.linear.bias, bits, model.mlp);
  const p = new Float64Array(CONTENT_FILTER_TYPES.length);
  return rows.map((f) => {
    const best = new Float64Array(CONTENT_FILTER_TYPES.length);
    for (const part of [f.whole, ...f.windows]) {
      scorer.score(part.x, part.dense, p);
      for (let c = 0; c < best.length; c++) if (p[c]! > best[c]!) best[c] = p[c]!;
    }
    return best;
  });
}
