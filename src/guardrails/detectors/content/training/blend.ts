// Stacking: the n-gram model and the sentence-vector model are trained apart (trained
// together, the n-grams memorize the training rows and starve the dense part), then each
// head's two logits are blended by a two-feature logistic regression fitted on
// out-of-fold examples. The blend folds back into one weight table, so serving is unchanged.
import type { Example, LogisticModel } from "./trainer.ts";
import { logit } from "./trainer.ts";

/** One head's blend: logit = sparse·zSparse + dense·zDense + bias. */
export interface StackWeights {
  sparse: number;
  dense: number;
  bias: number;
}

/** An out-of-fold point for one head. */
export interface StackPoint {
  zSparse: number;
  zDense: number;
  y: 0 | 1;
  weight: number;
}

/** Both models' logits for every head of an example. */
export function pairLogits(sparse: LogisticModel, dense: LogisticModel, heads: number, bits: number, e: Example): { zs: Float64Array; zd: Float64Array } {
  const zs = new Float64Array(heads);
  const zd = new Float64Array(heads);
  for (let h = 0; h < heads; h++) {
    zs[h] = logit(sparse, heads, 1 << bits, e, h);
    zd[h] = logit(dense, heads, 1 << bits, e, h);
  }
  return { zs, zd };
}

/** Fits one head's blend by Newton's method on weighted log-loss, with a small ridge. */
export function fitStack(points: readonly StackPoint[], ridge = 1e-3, iterations = 25): StackWeights {
  let w = [0.5, 0.5, 0];
  for (let it = 0; it < iterations; it++) {
    const g = [0, 0, 0];
    const H = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (const p of points) {
      const x = [p.zSparse, p.zDense, 1];
      const z = w[0]! * x[0]! + w[1]! * x[1]! + w[2]!;
      const q = 1 / (1 + Math.exp(-z));
      const r = p.weight * q * (1 - q);
      for (let a = 0; a < 3; a++) {
        g[a]! += p.weight * (q - p.y) * x[a]!;
        for (let b = 0; b < 3; b++) H[a * 3 + b]! += r * x[a]! * x[b]!;
      }
    }
    for (let a = 0; a < 2; a++) {
      g[a]! += ridge * w[a]!;
      H[a * 4]! += ridge;
    }
    H[8]! += 1e-9;
    const step = solve3(H, g);
    w = w.map((v, a) => v - step[a]!);
  }
  return { sparse: w[0]!, dense: w[1]!, bias: w[2]! };
}

/** Solves a 3×3 system by Cramer's rule. */
function solve3(m: number[], b: number[]): number[] {
  const det = (a: number[]) => a[0]! * (a[4]! * a[8]! - a[5]! * a[7]!) - a[1]! * (a[3]! * a[8]! - a[5]! * a[6]!) + a[2]! * (a[3]! * a[7]! - a[4]! * a[6]!);
  const d = det(m);
  if (Math.abs(d) < 1e-12) return [0, 0, 0];
  return [0, 1, 2].map((col) => det(m.map((v, i) => (i % 3 === col ? b[Math.floor(i / 3)]! : v))) / d);
}

/** Folds per-head blends into one model: the sparse rows scaled by `sparse`, the dense rows by `dense`. */
export function mergeModels(sparse: LogisticModel, dense: LogisticModel, stack: readonly StackWeights[], bits: number): LogisticModel {
  const heads = stack.length;
  const denseBase = (1 << bits) * heads;
  const weights = new Float32Array(sparse.weights.length);
  for (let i = 0; i < weights.length; i++) {
    const s = stack[i % heads]!;
    weights[i] = i < denseBase ? sparse.weights[i]! * s.sparse : dense.weights[i]! * s.dense;
  }
  const bias = Float64Array.from(stack, (s, h) => s.sparse * sparse.bias[h]! + s.dense * dense.bias[h]! + s.bias);
  return { weights, bias };
}
