// Stacking: the n-gram model, the linear sentence-vector model and the perceptron over the
// sentence vector are trained apart (trained together, the n-grams memorize the training
// rows and starve the dense parts), then each head's logits are blended by a small logistic
// regression fitted on out-of-fold examples. The blend folds back into the parts' weights
// (the linear table, the perceptron's output layer), so serving adds nothing.
import { addMlpLogits, type MlpWeights } from "../mlp.ts";
import type { Example, LogisticModel } from "./trainer.ts";
import { logit } from "./trainer.ts";

/** Separately trained parts of a model: n-grams, and optionally the sentence vector read linearly and by a perceptron. */
export interface PartModels {
  sparse: LogisticModel;
  dense?: LogisticModel;
  mlp?: MlpWeights;
}

/** A blended model as it ships: one linear table, plus the perceptron when there is one. */
export interface BlendedModel {
  linear: LogisticModel;
  mlp?: MlpWeights;
}

/** One head's blend: logit = Σ weights[k]·z[k] + bias, z being the part models' logits. */
export interface StackWeights {
  weights: number[];
  bias: number;
}

/** An out-of-fold point for one head: each part model's logit, the target and the row weight. */
export interface StackPoint {
  z: ArrayLike<number>;
  y: 0 | 1;
  weight: number;
}

/** Each part's logit for every head of an example: z[h] = [sparse, dense?, mlp?]. */
export function partLogits(parts: PartModels, heads: number, bits: number, e: Pick<Example, "x" | "dense">): number[][] {
  const z = Array.from({ length: heads }, (_, h) => [logit(parts.sparse, heads, 1 << bits, e, h)]);
  if (parts.dense) for (let h = 0; h < heads; h++) z[h]!.push(logit(parts.dense, heads, 1 << bits, e, h));
  if (parts.mlp && e.dense) {
    const out = new Float64Array(heads);
    addMlpLogits(parts.mlp, e.dense, new Float32Array(parts.mlp.hidden), out);
    for (let h = 0; h < heads; h++) z[h]!.push(out[h]!);
  }
  return z;
}

/** Weighted log-loss of a blend, with the ridge on the weights. */
function stackLoss(points: readonly StackPoint[], w: readonly number[], ridge: number): number {
  const n = w.length - 1;
  let loss = 0;
  for (const p of points) {
    let z = w[n]!;
    for (let a = 0; a < n; a++) z += w[a]! * p.z[a]!;
    // log(1 + e^-z) for y = 1, log(1 + e^z) for y = 0, computed without overflow.
    const m = p.y === 1 ? -z : z;
    loss += p.weight * (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m)));
  }
  for (let a = 0; a < n; a++) loss += (ridge / 2) * w[a]! * w[a]!;
  return loss;
}

/**
 * Fits one head's blend by damped Newton's method on weighted log-loss, with a small ridge on
 * the weights (not the bias). A step that does not lower the loss is halved, so heads whose
 * classes separate perfectly (few examples) stay finite.
 */
export function fitStack(points: readonly StackPoint[], ridge = 1e-3, iterations = 30): StackWeights {
  const n = points[0]?.z.length ?? 0;
  let w = [...new Array<number>(n).fill(1 / Math.max(1, n)), 0];
  if (points.length === 0) return { weights: w.slice(0, n), bias: 0 };
  let loss = stackLoss(points, w, ridge);
  for (let it = 0; it < iterations; it++) {
    const size = n + 1;
    const g = new Array<number>(size).fill(0);
    const H = Array.from({ length: size }, () => new Array<number>(size).fill(0));
    const x = new Array<number>(size).fill(1);
    for (const p of points) {
      for (let a = 0; a < n; a++) x[a] = p.z[a]!;
      let z = 0;
      for (let a = 0; a < size; a++) z += w[a]! * x[a]!;
      const q = 1 / (1 + Math.exp(-z));
      const r = p.weight * q * (1 - q);
      for (let a = 0; a < size; a++) {
        g[a]! += p.weight * (q - p.y) * x[a]!;
        for (let b = 0; b < size; b++) H[a]![b]! += r * x[a]! * x[b]!;
      }
    }
    for (let a = 0; a < size; a++) {
      if (a < n) g[a]! += ridge * w[a]!;
      H[a]![a]! += a < n ? ridge : 1e-9;
    }
    const step = solve(H, g);
    let scale = 1;
    for (; scale > 1e-4; scale /= 2) {
      const trial = w.map((v, a) => v - scale * step[a]!);
      const trialLoss = stackLoss(points, trial, ridge);
      if (trialLoss < loss) {
        w = trial;
        const done = loss - trialLoss < 1e-10 * Math.max(1, loss);
        loss = trialLoss;
        if (done) scale = 0;
        break;
      }
    }
    if (scale <= 1e-4) break;
  }
  return { weights: w.slice(0, n), bias: w[n]! };
}

/** Solves a small symmetric system by Gaussian elimination with partial pivoting (zeros if singular). */
function solve(m: readonly number[][], b: readonly number[]): number[] {
  const size = b.length;
  const a = m.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < size; c++) {
    let pivot = c;
    for (let r = c + 1; r < size; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    if (Math.abs(a[pivot]![c]!) < 1e-12) return new Array<number>(size).fill(0);
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    for (let r = 0; r < size; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= size; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return a.map((row, i) => row[size]! / row[i]!);
}

/**
 * Folds per-head blends into the shipped parts: the table's sparse rows scaled by the n-gram
 * weight, its dense rows by the linear dense weight, the perceptron's output layer by its own.
 */
export function mergeModels(parts: PartModels, stack: readonly StackWeights[], bits: number): BlendedModel {
  const heads = stack.length;
  const denseBase = (1 << bits) * heads;
  const { sparse, dense, mlp } = parts;
  const weightOf = (s: StackWeights, part: "dense" | "mlp") => s.weights[part === "dense" || !dense ? 1 : 2] ?? 0;
  const weights = new Float32Array(sparse.weights.length);
  for (let i = 0; i < weights.length; i++) {
    const s = stack[i % heads]!;
    weights[i] = i < denseBase ? sparse.weights[i]! * s.weights[0]! : dense ? dense.weights[i]! * weightOf(s, "dense") : 0;
  }
  const bias = Float64Array.from(stack, (s, h) => s.weights[0]! * sparse.bias[h]! + (dense ? weightOf(s, "dense") * dense.bias[h]! : 0) + s.bias);
  if (!mlp) return { linear: { weights, bias } };
  const w2 = new Float32Array(mlp.w2.length);
  const b2 = new Float32Array(mlp.b2.length);
  for (let h = 0; h < heads; h++) {
    const scale = weightOf(stack[h]!, "mlp");
    for (let j = 0; j < mlp.hidden; j++) w2[h * mlp.hidden + j] = mlp.w2[h * mlp.hidden + j]! * scale;
    b2[h] = mlp.b2[h]! * scale;
  }
  return { linear: { weights, bias }, mlp: { ...mlp, w2, b2 } };
}
