// Trains the built-in content classifier and writes its weights.
//
//   nice -n 10 node --import tsx scripts/train-content-classifier.ts [--quick] [--sparse-only] [--data DIR] [--out DIR]
//
// Data: ../shared/data (see its INDEX.md), read through src/guardrails/detectors/content/training.
// Split: a row's split comes from sha256 of its split key (the text, or a template / behaviour /
// row id where variants must stay together): buckets 70–99 are the test split and never train
// or calibrate anything; buckets 0–69 are the fit split, spread over 5 folds by bucket mod 5.
// Only licence-cleared sets train (MIT, CC BY 4.0, CDLA; see corpus.ts).
// Thresholds come from out-of-fold scores: 5 models, each trained without one fold, score that
// fold. The shipped model is then trained on the whole fit split with the same options.
// --quick stops after the out-of-fold report (for comparing options) and writes nothing.
// Features: hashed n-grams plus the built-in static sentence encoder's vector (helper C's
// src/guardrails/detectors/encoder), read linearly and by a one-hidden-layer perceptron
// (--mlp-hidden units per seed, --mlp-seeds seeds side by side; 0 hidden units leaves it out);
// the parts are trained apart and blended per head (see blend.ts). --sparse-only leaves the
// encoder out.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CONTENT_FILTER_TYPES, type ContentFilterType } from "../src/guardrails/guardrail.ts";
import type { ConfidenceThresholds } from "../src/guardrails/detectors/content/confidence.ts";
import { DEFAULT_FEATURES, type FeatureConfig } from "../src/guardrails/detectors/content/features.ts";
import { staticEncoderFingerprint } from "../src/guardrails/detectors/content/dense.ts";
import { encodeFloat16 } from "../src/guardrails/detectors/content/float16.ts";
import { HARM_CATEGORIES, HEADS } from "../src/guardrails/detectors/content/heads.ts";
import type { ContentModelHeader, DenseConfig } from "../src/guardrails/detectors/content/model.ts";
import { DEFAULT_WINDOWS, type WindowConfig } from "../src/guardrails/detectors/content/windows.ts";
import { calibrateThresholds, tuneJointly, type ScoredLabel } from "../src/guardrails/detectors/content/training/calibrate.ts";
import { loadCorpus } from "../src/guardrails/detectors/content/training/corpus.ts";
import { fitStack, mergeModels, partLogits, type BlendedModel, type PartModels, type StackPoint, type StackWeights } from "../src/guardrails/detectors/content/training/blend.ts";
import { concatMlps, type MlpOptions } from "../src/guardrails/detectors/content/training/mlp-trainer.ts";
import { featurize, scoreRows, toExamples, trainMlpRows, trainRows, type ExampleOptions, type FeaturizedRow, type FeaturizeOptions } from "../src/guardrails/detectors/content/training/pipeline.ts";
import { mlpToFlat } from "../src/guardrails/detectors/content/mlp.ts";
import { FOLDS, TEST_PERCENT } from "../src/guardrails/detectors/content/training/rows.ts";
import type { LogisticModel, TrainOptions } from "../src/guardrails/detectors/content/training/trainer.ts";
import { staticEncoder } from "../src/guardrails/detectors/encoder/static-encoder.ts";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "sparse-only": { type: "boolean", default: false },
    data: { type: "string", default: new URL("../../shared/data/", import.meta.url).pathname },
    out: { type: "string", default: new URL("../src/guardrails/detectors/content/weights/", import.meta.url).pathname },
    epochs: { type: "string", default: "6" },
    lr: { type: "string", default: "0.2" },
    l2: { type: "string", default: "0.00002" },
    balance: { type: "string", default: "0.5" },
    bits: { type: "string", default: String(DEFAULT_FEATURES.bits) },
    "char-weight": { type: "string", default: String(DEFAULT_FEATURES.charWeight) },
    "word-weight": { type: "string", default: String(DEFAULT_FEATURES.wordWeight) },
    "dense-scale": { type: "string", default: "3" },
    "window-weight": { type: "string", default: "1" },
    window: { type: "string", default: String(DEFAULT_WINDOWS.max) },
    // OpenAI moderation is the closest to real traffic (and the brief's target): weigh it up.
    "set-weights": { type: "string", default: "openai-moderation=4" },
    seeds: { type: "string", default: "3" },
    "category-weight": { type: "string", default: "0.5" },
    "dense-epochs": { type: "string", default: "6" },
    "dense-lr": { type: "string", default: "0.2" },
    "mlp-hidden": { type: "string", default: "32" },
    "mlp-seeds": { type: "string", default: "3" },
    "mlp-epochs": { type: "string", default: "10" },
    "mlp-lr": { type: "string", default: "0.002" },
    "mlp-decay": { type: "string", default: "0.01" },
  },
});

/** "set=weight,set=weight" → a record. */
function parseWeights(spec: string): Record<string, number> {
  return Object.fromEntries(
    spec
      .split(",")
      .filter(Boolean)
      .map((pair) => {
        const [set, weight] = pair.split("=");
        return [set!, Number(weight)];
      }),
  );
}

const features: FeatureConfig = { ...DEFAULT_FEATURES, bits: Number(args.bits), charWeight: Number(args["char-weight"]), wordWeight: Number(args["word-weight"]) };
const windows: WindowConfig = { ...DEFAULT_WINDOWS, max: Number(args.window) };
const encoder = args["sparse-only"] ? undefined : staticEncoder();
const dense: DenseConfig | undefined = encoder && {
  encoder: "basalt-static-encoder",
  encoderSha256: staticEncoderFingerprint(),
  dimensions: encoder.dimensions,
  scale: Number(args["dense-scale"]),
  ...(Number(args["mlp-hidden"]) > 0 ? { mlpHidden: Number(args["mlp-hidden"]) * Number(args["mlp-seeds"]) } : {}),
};
const mlpOptions: MlpOptions = {
  hidden: Number(args["mlp-hidden"]),
  epochs: Number(args["mlp-epochs"]),
  learningRate: Number(args["mlp-lr"]),
  weightDecay: Number(args["mlp-decay"]),
  batch: 32,
  seed: 20240502,
  balance: 0.5,
};
const featurizeOptions: FeaturizeOptions = { features, windows, dense: encoder && dense ? { encoder, scale: dense.scale } : undefined };
const train: TrainOptions = {
  bits: features.bits,
  heads: HEADS.length,
  denseDims: dense?.dimensions ?? 0,
  epochs: Number(args.epochs),
  learningRate: Number(args.lr),
  l2: Number(args.l2),
  seed: 20240501,
  balance: Number(args.balance),
};
const exampleOptions: ExampleOptions = { windowWeight: Number(args["window-weight"]), setWeights: parseWeights(args["set-weights"]) };
const HARM_INDEX = HARM_CATEGORIES.map((c) => CONTENT_FILTER_TYPES.indexOf(c));
/** Over-blocking limit on safe prompts at MEDIUM (the brief's target is < 10%; 8% leaves a margin). */
const MAX_OVER_BLOCK = 0.08;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

/** Average precision of scores against labels. */
function averagePrecision(points: readonly ScoredLabel[]): number {
  const sorted = [...points].sort((a, b) => b.score - a.score);
  const positives = sorted.filter((p) => p.label === 1).length;
  let tp = 0;
  let sum = 0;
  sorted.forEach((p, i) => {
    if (p.label === 1) sum += ++tp / (i + 1);
  });
  return positives ? sum / positives : Number.NaN;
}

/** F1 of predictions at a cut. */
function f1At(points: readonly ScoredLabel[], cut: number): number {
  let tp = 0;
  let wrong = 0;
  for (const p of points) {
    if (p.score >= cut && p.label === 1) tp++;
    else if (p.score >= cut || p.label === 1) wrong++;
  }
  return (2 * tp) / (2 * tp + wrong);
}

function labelled(rows: readonly FeaturizedRow[], scores: readonly Float64Array[], type: ContentFilterType): ScoredLabel[] {
  const c = CONTENT_FILTER_TYPES.indexOf(type);
  return rows.flatMap((f, i) => {
    const label = f.row.labels[type];
    return label === undefined ? [] : [{ score: scores[i]![c]!, label }];
  });
}

/** openai-moderation rows, flagged (any label) or not, scored by `score`. */
function flaggedPoints(rows: readonly FeaturizedRow[], score: (i: number) => number): ScoredLabel[] {
  return rows.flatMap((f, i) => (f.row.set === "openai-moderation" ? [{ score: score(i), label: f.row.tag === "unflagged" ? 0 : 1 }] : []));
}

/** Trains `--seeds` models with different row orders and averages their weights (less order noise). */
function trainAveraged(rows: readonly FeaturizedRow[], options: TrainOptions): LogisticModel {
  const seeds = Number(args.seeds);
  const models = Array.from({ length: seeds }, (_, k) => trainRows(rows, exampleOptions, { ...options, seed: options.seed + k }));
  const weights = new Float32Array(models[0]!.weights.length);
  const bias = new Float64Array(models[0]!.bias.length);
  for (const m of models) {
    for (let i = 0; i < weights.length; i++) weights[i]! += m.weights[i]! / seeds;
    for (let h = 0; h < bias.length; h++) bias[h]! += m.bias[h]! / seeds;
  }
  return { weights, bias };
}

/** The perceptron: `--mlp-seeds` of them, side by side as one (their logits averaged). */
function trainPerceptron(rows: readonly FeaturizedRow[]): PartModels["mlp"] {
  const seeds = Number(args["mlp-seeds"]);
  return concatMlps(Array.from({ length: seeds }, (_, k) => trainMlpRows(rows, exampleOptions, HEADS.length, { ...mlpOptions, seed: mlpOptions.seed + k })));
}

function trainParts(rows: readonly FeaturizedRow[]): PartModels {
  if (!dense) return { sparse: trainAveraged(rows, train) };
  return {
    sparse: trainAveraged(rows, { ...train, parts: { sparse: true, dense: false } }),
    dense: trainAveraged(rows, { ...train, epochs: Number(args["dense-epochs"]), learningRate: Number(args["dense-lr"]), parts: { sparse: false, dense: true } }),
    ...(mlpOptions.hidden > 0 ? { mlp: trainPerceptron(rows) } : {}),
  };
}

function blended(parts: PartModels, stack: readonly StackWeights[] | undefined): BlendedModel {
  return stack ? mergeModels(parts, stack, features.bits) : { linear: parts.sparse };
}

/**
 * Out-of-fold raw scores: each fold scored by models trained on the other folds. With dense
 * parts, the per-head blend is fitted on the out-of-fold examples first.
 */
function outOfFold(fit: readonly FeaturizedRow[]): { oof: Float64Array[]; stack?: StackWeights[] } {
  const models: PartModels[] = [];
  const points: StackPoint[][] = HEADS.map(() => []);
  for (let fold = 0; fold < FOLDS; fold++) {
    const parts = trainParts(fit.filter((f) => f.row.fold !== fold));
    models.push(parts);
    if (dense) {
      for (const e of toExamples(fit.filter((f) => f.row.fold === fold), exampleOptions)) {
        const z = partLogits(parts, HEADS.length, features.bits, e);
        e.y.forEach((y, h) => {
          if (y >= 0) points[h]!.push({ z: z[h]!, y: y as 0 | 1, weight: e.weight });
        });
      }
    }
    log(`fold ${fold} trained`);
  }
  const stack = dense ? points.map((p) => fitStack(p)) : undefined;
  if (stack) log(`blend (${["sparse", "dense", ...(mlpOptions.hidden > 0 ? ["mlp"] : [])].join(", ")}, bias) per head: ${stack.map((s, h) => `${HEADS[h]} ${[...s.weights, s.bias].map((v) => v.toFixed(2)).join("/")}`).join("; ")}`);
  const oof = new Array<Float64Array>(fit.length);
  models.forEach((parts, fold) => {
    const held = fit.flatMap((f, i) => (f.row.fold === fold ? [i] : []));
    scoreRows(blended(parts, stack), held.map((i) => fit[i]!), features.bits).forEach((s, k) => (oof[held[k]!] = s));
  });
  return { oof, stack };
}

/** Safe prompts for the over-blocking limit: xstest safe, HaluEval queries, unflagged OpenAI moderation rows. */
function isSafePrompt(f: FeaturizedRow): boolean {
  const { set, tag } = f.row;
  return (set === "xstest" && tag === "safe") || set === "halueval-query" || (set === "openai-moderation" && tag === "unflagged");
}

/**
 * Per-category thresholds from out-of-fold scores. MEDIUM starts at each category's best F1,
 * then the harm categories' MEDIUM thresholds are tuned together for flagged F1 on OpenAI
 * moderation (the brief's target) plus mean category F1, blocking at most 8% of safe prompts.
 */
function calibrate(fit: readonly FeaturizedRow[], oof: readonly Float64Array[]): Record<ContentFilterType, ConfidenceThresholds> {
  const start = CONTENT_FILTER_TYPES.map((type) => calibrateThresholds(labelled(fit, oof, type)).medium);
  const tuned = tuneJointly(
    {
      scores: oof,
      harm: HARM_INDEX,
      flagged: fit.map((f) => (f.row.set === "openai-moderation" ? (f.row.tag === "unflagged" ? 0 : 1) : undefined)),
      labels: fit.map((f) => CONTENT_FILTER_TYPES.map((c) => f.row.labels[c])),
      safe: fit.map(isSafePrompt),
      maxOverBlock: MAX_OVER_BLOCK,
      categoryWeight: Number(args["category-weight"]),
    },
    HARM_INDEX.map((c) => start[c]!),
  );
  const thresholds = {} as Record<ContentFilterType, ConfidenceThresholds>;
  CONTENT_FILTER_TYPES.forEach((type, c) => {
    const points = labelled(fit, oof, type);
    const k = HARM_INDEX.indexOf(c);
    thresholds[type] = calibrateThresholds(points, k >= 0 ? tuned[k] : start[c]);
    const t = thresholds[type];
    log(`${type.padEnd(13)} OOF AP ${averagePrecision(points).toFixed(3)}  F1@MEDIUM ${f1At(points, t.medium).toFixed(3)}  thresholds ${t.low.toFixed(3)} / ${t.medium.toFixed(3)} / ${t.high.toFixed(3)}`);
  });
  const blocks = (i: number, level: keyof ConfidenceThresholds) => (HARM_INDEX.some((c) => oof[i]![c]! >= thresholds[CONTENT_FILTER_TYPES[c]!][level]) ? 1 : 0);
  const anyHarm = flaggedPoints(fit, (i) => Math.max(...HARM_INDEX.map((c) => oof[i]![c]!)));
  log(`openai-moderation flagged: OOF AP ${averagePrecision(anyHarm).toFixed(3)}`);
  const safe = fit.flatMap((f, i) => (isSafePrompt(f) ? [i] : []));
  for (const level of ["low", "medium", "high"] as const) {
    const over = safe.filter((i) => blocks(i, level) === 1).length;
    log(`  confidence ≥ ${level}: openai flagged F1 ${f1At(flaggedPoints(fit, (i) => blocks(i, level)), 1).toFixed(3)}; safe prompts blocked ${over}/${safe.length}`);
  }
  return thresholds;
}

function write(model: BlendedModel, thresholds: Record<ContentFilterType, ConfidenceThresholds>, counts: Record<string, number>): void {
  mkdirSync(args.out, { recursive: true });
  const outDir = new URL(`file://${args.out.endsWith("/") ? args.out : `${args.out}/`}`);
  // The linear table, then the perceptron's parameters (model.ts reads them in this order).
  const perceptron = model.mlp ? mlpToFlat(model.mlp) : new Float32Array(0);
  const values = new Float32Array(model.linear.weights.length + perceptron.length);
  values.set(model.linear.weights);
  values.set(perceptron, model.linear.weights.length);
  const half = encodeFloat16(values);
  const bytes = Buffer.from(half.buffer, half.byteOffset, half.byteLength);
  const weightsFile = "content-linear.f16";
  writeFileSync(new URL(weightsFile, outDir), bytes);
  const header: ContentModelHeader = {
    format: "basalt-content-linear",
    version: 3,
    heads: [...HEADS],
    features,
    dense,
    windows,
    bias: [...model.linear.bias].map((b) => Math.round(b * 1e6) / 1e6),
    thresholds,
    weightsFile,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    training: {
      script: "scripts/train-content-classifier.ts",
      split: `sha256(split key) % 100: >= ${100 - TEST_PERCENT} test (never used in training), else fit; fold = bucket % ${FOLDS}`,
      calibration: `out-of-fold scores over ${FOLDS} folds; MEDIUM = max F1, harm categories then tuned together for OpenAI-moderation flagged F1 + ${args["category-weight"]} × mean category F1 with <= ${MAX_OVER_BLOCK * 100}% of safe prompts blocked; LOW closes half the recall gap left at MEDIUM, HIGH half the precision gap`,
      options: { ...train, seeds: Number(args.seeds), denseEpochs: Number(args["dense-epochs"]), denseLearningRate: Number(args["dense-lr"]), mlp: { ...mlpOptions, seeds: Number(args["mlp-seeds"]) }, windowWeight: exampleOptions.windowWeight, setWeights: exampleOptions.setWeights },
      fitRowsPerSet: counts,
      data: "openai-moderation (MIT), hatecheck (CC BY 4.0), toxigen-prompts (MIT/CDLA), advbench (MIT), jailbreak-llms (MIT), xstest (CC BY 4.0), halueval-general (MIT), bipia email contexts + attack strings (MIT), jbb-pair/jbb-gcg (MIT), Basalt's own prompt-injection templates and everyday requests (training/synthetic-injections.ts), threats and insults with benign look-alikes (training/synthetic-harm.ts)",
    },
  };
  writeFileSync(new URL("content-linear.json", outDir), `${JSON.stringify(header, null, 2)}\n`);
  log(`wrote ${outDir.pathname} (${(bytes.length / 1e6).toFixed(2)} MB of weights)`);
}

function main(): void {
  const dataDir = new URL(`file://${args.data.endsWith("/") ? args.data : `${args.data}/`}`);
  const rows = loadCorpus(dataDir).filter((r) => r.trainable && r.split === "fit");
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.set] = (counts[r.set] ?? 0) + 1;
  log(`fit rows: ${rows.length} ${JSON.stringify(counts)}`);
  const fit = featurize(rows, featurizeOptions);
  log("featurized");
  const { oof, stack } = outOfFold(fit);
  const thresholds = calibrate(fit, oof);
  if (args.quick) return;
  write(blended(trainParts(fit), stack), thresholds, counts);
}

main();
