// The built-in content model: logistic heads (see heads.ts) over hashed n-gram features and,
// optionally, a dense sentence vector read both linearly and by a small perceptron (mlp.ts);
// scored on the whole text and on each window, keeping the highest. Weights ship as float16
// next to a small JSON header (features, windows, biases, calibrated thresholds).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { CONTENT_FILTER_TYPES, type ContentFilterType } from "../../guardrail.ts";
import type { SentenceEncoder } from "../../policy.ts";
import { rescore, type ConfidenceThresholds } from "./confidence.ts";
import { FeatureExtractor, type FeatureConfig, type SparseVector } from "./features.ts";
import { encodeParts } from "./dense.ts";
import { decodeFloat16 } from "./float16.ts";
import { categoryProbabilities, HEADS } from "./heads.ts";
import { addMlpLogits, mlpFromFlat, mlpSize, type MlpWeights } from "./mlp.ts";
import { normalizeText } from "./normalize.ts";
import { windowsOf, type WindowConfig } from "./windows.ts";

/** The dense part of a model: which encoder, and how its unit vector is scaled. */
export interface DenseConfig {
  /** Identifies the encoder the weights were trained with. */
  encoder: string;
  /** sha256 of the encoder's file: the weights are meaningless with any other encoder. */
  encoderSha256: string;
  dimensions: number;
  scale: number;
  /** Hidden units of the perceptron over the dense vector; absent = linear only. */
  mlpHidden?: number;
}

/** The JSON header of a weights file. */
export interface ContentModelHeader {
  format: "basalt-content-linear";
  version: 3;
  heads: string[];
  features: FeatureConfig;
  dense?: DenseConfig;
  windows: WindowConfig;
  /** One bias per head. */
  bias: number[];
  /** Raw-probability thresholds per category, calibrated on cross-validation folds. */
  thresholds: Record<ContentFilterType, ConfidenceThresholds>;
  /**
   * File name of the float16 weights: the linear table (layout: see LogisticModel in
   * training/trainer.ts), then the perceptron's parameters when there is one (mlp.ts).
   */
  weightsFile: string;
  sha256: string;
  /** Provenance: data, splits, options, for humans. */
  training: Record<string, unknown>;
}

/** Head weights in memory, and the arithmetic from features to category probabilities. */
export class HeadScorer {
  private readonly heads: number;
  private readonly denseBase: number;
  private readonly logits: Float64Array;
  private readonly probabilities: Float64Array;

  private readonly hidden: Float32Array;

  constructor(
    private readonly weights: Float32Array,
    private readonly bias: ArrayLike<number>,
    bits: number,
    private readonly mlp?: MlpWeights,
  ) {
    this.heads = bias.length;
    this.denseBase = 1 << bits;
    this.logits = new Float64Array(this.heads);
    this.probabilities = new Float64Array(this.heads);
    this.hidden = new Float32Array(mlp?.hidden ?? 0);
  }

  /** Category probabilities (CONTENT_FILTER_TYPES order) of one feature set, into `out`. */
  score(x: SparseVector, dense: Float32Array | undefined, out: Float64Array): Float64Array {
    const { heads, weights, logits } = this;
    for (let h = 0; h < heads; h++) logits[h] = this.bias[h]!;
    for (let k = 0; k < x.indices.length; k++) {
      const base = x.indices[k]! * heads;
      const v = x.values[k]!;
      for (let h = 0; h < heads; h++) logits[h]! += v * weights[base + h]!;
    }
    if (dense) {
      for (let d = 0; d < dense.length; d++) {
        const base = (this.denseBase + d) * heads;
        for (let h = 0; h < heads; h++) logits[h]! += dense[d]! * weights[base + h]!;
      }
      if (this.mlp) addMlpLogits(this.mlp, dense, this.hidden, logits);
    }
    for (let h = 0; h < heads; h++) this.probabilities[h] = 1 / (1 + Math.exp(-logits[h]!));
    return categoryProbabilities(this.probabilities, out);
  }
}

/** A loaded content model. */
export class LinearContentModel {
  private readonly extractor: FeatureExtractor;
  private readonly scorer: HeadScorer;

  constructor(
    readonly header: ContentModelHeader,
    weights: Float32Array,
    private readonly encoder?: SentenceEncoder,
  ) {
    if (header.heads.join() !== HEADS.join()) throw new Error("content model: unexpected heads");
    const dims = header.dense?.dimensions ?? 0;
    const linear = ((1 << header.features.bits) + dims) * HEADS.length;
    const hidden = header.dense?.mlpHidden ?? 0;
    const perceptron = hidden > 0 ? mlpSize(dims, hidden, HEADS.length) : 0;
    if (weights.length !== linear + perceptron) throw new Error("content model: weights do not match the header");
    if (header.dense && encoder?.dimensions !== dims) throw new Error(`content model: needs the ${header.dense.encoder} encoder (${dims} dimensions)`);
    this.extractor = new FeatureExtractor(header.features);
    const mlp = hidden > 0 ? mlpFromFlat(weights.subarray(linear), dims, hidden, HEADS.length) : undefined;
    this.scorer = new HeadScorer(weights.subarray(0, linear), header.bias, header.features.bits, mlp);
  }

  /** Raw probabilities by category (CONTENT_FILTER_TYPES order): the highest over the whole text and its pieces. */
  rawScores(text: string, signal?: AbortSignal): Float64Array {
    const normalized = normalizeText(text);
    const pieces = windowsOf(normalized, this.header.windows);
    const sparse = this.extractor.extractParts(normalized, pieces);
    signal?.throwIfAborted();
    const dense = this.header.dense && this.encoder ? encodeParts(this.encoder, normalized, pieces, this.header.dense.scale) : undefined;
    signal?.throwIfAborted();
    const best = new Float64Array(CONTENT_FILTER_TYPES.length);
    const p = new Float64Array(CONTENT_FILTER_TYPES.length);
    sparse.forEach((x, i) => {
      this.scorer.score(x, dense?.[i], p);
      for (let c = 0; c < best.length; c++) if (p[c]! > best[c]!) best[c] = p[c]!;
    });
    return best;
  }

  /** Scores on the shared confidence scale (see confidence.ts), by category. */
  scores(text: string, signal?: AbortSignal): Record<ContentFilterType, number> {
    const raw = this.rawScores(text, signal);
    const out = {} as Record<ContentFilterType, number>;
    CONTENT_FILTER_TYPES.forEach((type, c) => {
      out[type] = rescore(raw[c]!, this.header.thresholds[type]);
    });
    return out;
  }
}

/** Reads a model's header and weights; the weights file sits beside the header. */
export function readContentModel(headerUrl: URL): { header: ContentModelHeader; weights: Float32Array } {
  const header = JSON.parse(readFileSync(headerUrl, "utf8")) as ContentModelHeader;
  if (header.format !== "basalt-content-linear" || header.version !== 3) throw new Error(`content model: unknown format in ${headerUrl.pathname}`);
  const bytes = readFileSync(new URL(header.weightsFile, headerUrl));
  const digest = createHash("sha256").update(bytes).digest("hex");
  if (digest !== header.sha256) throw new Error(`content model: ${header.weightsFile} does not match its header's sha256`);
  // Little-endian float16, as written on x86 and ARM; copied when the buffer is not 2-aligned.
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : new Uint8Array(bytes);
  const bits = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
  return { header, weights: decodeFloat16(bits) };
}
