// Trains the perceptron head (../mlp.ts) on sentence vectors: masked per-head logistic loss
// (a head whose target is unknown, -1, gets no gradient), class-balanced like the linear
// heads, mini-batch Adam with decoupled weight decay. Deterministic: a seeded generator draws
// the initial weights and the row order, and the arithmetic is sequential.
import { seededRandom } from "../../../../util/seeded-random.ts";
import { addMlpLogits, type MlpWeights } from "../mlp.ts";
import { classWeights } from "./trainer.ts";

/** One training row: an input vector, one target per head (-1 = unknown), a weight. */
export interface MlpExample {
  input: Float32Array;
  y: Int8Array;
  weight: number;
}

/** Options of {@link trainMlp}. */
export interface MlpOptions {
  hidden: number;
  epochs: number;
  learningRate: number;
  /** Decoupled weight decay per step, relative to the learning rate. */
  weightDecay: number;
  batch: number;
  seed: number;
  /** 0 = no class balancing, 1 = positives and negatives weigh the same in total. */
  balance: number;
}

function shuffle(order: Uint32Array, random: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

/** Adam state over one flat parameter array. */
class Adam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;

  constructor(
    private readonly params: Float32Array[],
    private readonly options: MlpOptions,
  ) {
    const n = params.reduce((sum, p) => sum + p.length, 0);
    this.m = new Float32Array(n);
    this.v = new Float32Array(n);
  }

  /** One step from gradients shaped like the parameters; `decay[k]` says whether part k is decayed. */
  step(grads: Float32Array[], decay: boolean[]): void {
    this.t++;
    const { learningRate, weightDecay } = this.options;
    const c1 = 1 - 0.9 ** this.t;
    const c2 = 1 - 0.999 ** this.t;
    let at = 0;
    this.params.forEach((p, k) => {
      const g = grads[k]!;
      for (let i = 0; i < p.length; i++, at++) {
        const gi = g[i]!;
        const m = (this.m[at] = 0.9 * this.m[at]! + 0.1 * gi);
        const v = (this.v[at] = 0.999 * this.v[at]! + 0.001 * gi * gi);
        let w = p[i]!;
        if (decay[k]) w -= learningRate * weightDecay * w;
        p[i] = w - (learningRate * (m / c1)) / (Math.sqrt(v / c2) + 1e-8);
      }
      g.fill(0);
    });
  }
}

/** Trains a perceptron with `heads` outputs on the examples. */
export function trainMlp(examples: readonly MlpExample[], heads: number, options: MlpOptions): MlpWeights {
  const inputs = examples[0]!.input.length;
  const { hidden } = options;
  const random = seededRandom(options.seed);
  // He-uniform initial weights for the ReLU layer, small ones for the output layer.
  const limit1 = Math.sqrt(6 / inputs);
  const limit2 = Math.sqrt(6 / (hidden + heads));
  const m: MlpWeights = {
    inputs,
    hidden,
    outputs: heads,
    w1: Float32Array.from({ length: hidden * inputs }, () => (random() * 2 - 1) * limit1),
    b1: new Float32Array(hidden),
    w2: Float32Array.from({ length: heads * hidden }, () => (random() * 2 - 1) * limit2),
    b2: new Float32Array(heads),
  };
  const grads = [m.w1, m.b1, m.w2, m.b2].map((p) => new Float32Array(p.length));
  const [gw1, gb1, gw2, gb2] = grads as [Float32Array, Float32Array, Float32Array, Float32Array];
  const adam = new Adam([m.w1, m.b1, m.w2, m.b2], options);
  const decay = [true, false, true, false];
  const balance = classWeights(examples, heads, options.balance);
  const order = Uint32Array.from({ length: examples.length }, (_, i) => i);
  const act = new Float32Array(hidden);
  const delta = new Float32Array(hidden);
  const z = new Float64Array(heads);
  // The loss is a weighted mean over the batch: weights are scaled to average 1 per row.
  const meanWeight = examples.reduce((sum, e) => sum + e.weight, 0) / examples.length;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    shuffle(order, random);
    let inBatch = 0;
    for (let k = 0; k < order.length; k++) {
      const e = examples[order[k]!]!;
      z.fill(0);
      addMlpLogits(m, e.input, act, z);
      delta.fill(0);
      let any = false;
      for (let h = 0; h < heads; h++) {
        const target = e.y[h]!;
        if (target < 0) continue;
        any = true;
        const p = 1 / (1 + Math.exp(-z[h]!));
        const g = ((p - target) * e.weight * (target === 1 ? balance.pos[h]! : balance.neg[h]!)) / (meanWeight * options.batch);
        gb2[h]! += g;
        const base = h * hidden;
        for (let j = 0; j < hidden; j++) {
          gw2[base + j]! += g * act[j]!;
          delta[j]! += g * m.w2[base + j]!;
        }
      }
      if (any) {
        for (let j = 0; j < hidden; j++) {
          if (act[j]! <= 0) continue;
          const d = delta[j]!;
          gb1[j]! += d;
          const base = j * inputs;
          for (let i = 0; i < inputs; i++) gw1[base + i]! += d * e.input[i]!;
        }
      }
      if (++inBatch === options.batch || k === order.length - 1) {
        adam.step(grads, decay);
        inBatch = 0;
      }
    }
  }
  return m;
}

/**
 * Several perceptrons as one: their hidden units side by side and their outputs averaged.
 * Exact (the logits equal the mean of the members' logits), so an ensemble of seeds ships as
 * one wider perceptron.
 */
export function concatMlps(members: readonly MlpWeights[]): MlpWeights {
  const first = members[0]!;
  const { inputs, outputs } = first;
  const hidden = members.reduce((sum, m) => sum + m.hidden, 0);
  const out: MlpWeights = {
    inputs,
    hidden,
    outputs,
    w1: new Float32Array(hidden * inputs),
    b1: new Float32Array(hidden),
    w2: new Float32Array(outputs * hidden),
    b2: new Float32Array(outputs),
  };
  let unit = 0;
  for (const m of members) {
    if (m.inputs !== inputs || m.outputs !== outputs) throw new Error("mlp: members differ in shape");
    out.w1.set(m.w1, unit * inputs);
    out.b1.set(m.b1, unit);
    for (let h = 0; h < outputs; h++) {
      for (let j = 0; j < m.hidden; j++) out.w2[h * hidden + unit + j] = m.w2[h * m.hidden + j]! / members.length;
      out.b2[h]! += m.b2[h]! / members.length;
    }
    unit += m.hidden;
  }
  return out;
}
