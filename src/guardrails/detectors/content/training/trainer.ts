// Multi-head logistic regression over hashed sparse features (and, optionally, a dense
// sentence vector), trained with AdaGrad. A row whose target for a head is unknown (-1)
// does not train that head. Deterministic: a seeded generator orders the rows and the
// arithmetic is sequential.
import type { SparseVector } from "../features.ts";
import { seededRandom } from "../../../../util/seeded-random.ts";

/** A training example: features, one target per head (-1 = unknown) and a row weight. */
export interface Example {
  x: SparseVector;
  /** Dense features (already scaled), when the model has a dense part. */
  dense?: Float32Array;
  y: Int8Array;
  weight: number;
}

/** Options of {@link trainLogistic}. */
export interface TrainOptions {
  bits: number;
  heads: number;
  /** Length of every example's dense vector; 0 for none. */
  denseDims: number;
  epochs: number;
  learningRate: number;
  /** L2 penalty, applied to the weights an example touches. */
  l2: number;
  seed: number;
  /** 0 = no class balancing, 1 = positives and negatives weigh the same in total. */
  balance: number;
  /** Which feature groups to train (the other's weights stay 0); both by default. */
  parts?: { sparse: boolean; dense: boolean };
}

/**
 * Trained parameters, feature-major: sparse feature f, head h at f·heads + h; dense
 * dimension d at (2^bits + d)·heads + h.
 */
export interface LogisticModel {
  weights: Float32Array;
  bias: Float64Array;
}

function shuffled(length: number, random: () => number): Uint32Array {
  const order = new Uint32Array(length);
  for (let i = 0; i < length; i++) order[i] = i;
  for (let i = length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** Per head, the multipliers of positive and negative rows that balance the classes. */
export function classWeights(examples: readonly Pick<Example, "y" | "weight">[], heads: number, balance: number): { pos: Float64Array; neg: Float64Array } {
  const pos = new Float64Array(heads);
  const neg = new Float64Array(heads);
  for (const e of examples) {
    for (let h = 0; h < heads; h++) {
      if (e.y[h] === 1) pos[h]! += e.weight;
      else if (e.y[h] === 0) neg[h]! += e.weight;
    }
  }
  const wp = new Float64Array(heads);
  const wn = new Float64Array(heads);
  for (let h = 0; h < heads; h++) {
    const total = pos[h]! + neg[h]!;
    wp[h] = pos[h]! > 0 ? (total / (2 * pos[h]!)) ** balance : 1;
    wn[h] = neg[h]! > 0 ? (total / (2 * neg[h]!)) ** balance : 1;
  }
  return { pos: wp, neg: wn };
}

/** Logit of head h for an example (weights of an untrained part are 0 and add nothing). */
export function logit(model: LogisticModel, heads: number, denseBase: number, e: Pick<Example, "x" | "dense">, h: number): number {
  const { weights } = model;
  let z = model.bias[h]!;
  const { indices, values } = e.x;
  for (let k = 0; k < indices.length; k++) z += values[k]! * weights[indices[k]! * heads + h]!;
  if (e.dense) for (let d = 0; d < e.dense.length; d++) z += e.dense[d]! * weights[(denseBase + d) * heads + h]!;
  return z;
}

/** AdaGrad state and one step on one weight. */
class Optimizer {
  readonly squares: Float32Array;
  readonly biasSquares: Float64Array;

  constructor(
    readonly model: LogisticModel,
    readonly options: TrainOptions,
  ) {
    this.squares = new Float32Array(model.weights.length);
    this.biasSquares = new Float64Array(model.bias.length);
  }

  stepBias(h: number, g: number): void {
    this.biasSquares[h]! += g * g;
    this.model.bias[h]! -= (this.options.learningRate * g) / Math.sqrt(this.biasSquares[h]! + 1e-8);
  }

  step(at: number, g: number): void {
    const w = this.model.weights;
    const gw = g + this.options.l2 * w[at]!;
    this.squares[at]! += gw * gw;
    w[at]! -= (this.options.learningRate * gw) / Math.sqrt(this.squares[at]! + 1e-8);
  }
}

/** Trains the heads on the examples. */
export function trainLogistic(examples: readonly Example[], options: TrainOptions): LogisticModel {
  const { heads } = options;
  const denseBase = 1 << options.bits;
  const model: LogisticModel = { weights: new Float32Array((denseBase + options.denseDims) * heads), bias: new Float64Array(heads) };
  const optimizer = new Optimizer(model, options);
  const balance = classWeights(examples, heads, options.balance);
  const random = seededRandom(options.seed);
  const { sparse = true, dense = true } = options.parts ?? {};
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const index of shuffled(examples.length, random)) {
      const e = examples[index]!;
      for (let h = 0; h < heads; h++) {
        const target = e.y[h]!;
        if (target < 0) continue;
        const p = 1 / (1 + Math.exp(-logit(model, heads, denseBase, e, h)));
        const g = (p - target) * e.weight * (target === 1 ? balance.pos[h]! : balance.neg[h]!);
        optimizer.stepBias(h, g);
        if (sparse) for (let k = 0; k < e.x.indices.length; k++) optimizer.step(e.x.indices[k]! * heads + h, g * e.x.values[k]!);
        if (dense && e.dense) for (let d = 0; d < e.dense.length; d++) optimizer.step((denseBase + d) * heads + h, g * e.dense[d]!);
      }
    }
  }
  return model;
}
