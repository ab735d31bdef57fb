// A one-hidden-layer perceptron over the sentence encoder's vector, one logit per head. The
// linear heads add up evidence feature by feature; this reads the vector as a whole ("a
// threat", "a sexual advance"), which the static encoder's 256 dimensions hold better than
// a linear cut does. Small on purpose: 256 × hidden multiply-adds per scored part.

/** The perceptron's parameters. Layout in the weights file: w1, b1, w2, b2, in that order. */
export interface MlpWeights {
  inputs: number;
  hidden: number;
  outputs: number;
  /** hidden × inputs, unit-major (unit j's input weights at j·inputs). */
  w1: Float32Array;
  b1: Float32Array;
  /** outputs × hidden, head-major. */
  w2: Float32Array;
  b2: Float32Array;
}

/** Number of parameters of a perceptron of this shape. */
export function mlpSize(inputs: number, hidden: number, outputs: number): number {
  return hidden * inputs + hidden + outputs * hidden + outputs;
}

/** Splits a flat parameter array (the file layout) into the perceptron's parts; views, not copies. */
export function mlpFromFlat(flat: Float32Array, inputs: number, hidden: number, outputs: number): MlpWeights {
  if (flat.length !== mlpSize(inputs, hidden, outputs)) throw new Error("mlp: parameter count does not match its shape");
  let at = 0;
  const take = (n: number) => flat.subarray(at, (at += n));
  return { inputs, hidden, outputs, w1: take(hidden * inputs), b1: take(hidden), w2: take(outputs * hidden), b2: take(outputs) };
}

/** The parts of a perceptron laid out flat, as stored. */
export function mlpToFlat(m: MlpWeights): Float32Array {
  const flat = new Float32Array(mlpSize(m.inputs, m.hidden, m.outputs));
  let at = 0;
  for (const part of [m.w1, m.b1, m.w2, m.b2]) {
    flat.set(part, at);
    at += part.length;
  }
  return flat;
}

/**
 * Hidden activations (ReLU) of an input into `hidden`, then adds each head's output into
 * `out` (which the caller has filled with the other parts' logits).
 */
export function addMlpLogits(m: MlpWeights, input: ArrayLike<number>, hidden: Float32Array, out: Float64Array): void {
  const { inputs, w1, b1, w2, b2 } = m;
  for (let j = 0; j < m.hidden; j++) {
    let z = b1[j]!;
    const base = j * inputs;
    for (let d = 0; d < inputs; d++) z += w1[base + d]! * input[d]!;
    hidden[j] = z > 0 ? z : 0;
  }
  for (let h = 0; h < m.outputs; h++) {
    let z = b2[h]!;
    const base = h * m.hidden;
    for (let j = 0; j < m.hidden; j++) z += w2[base + j]! * hidden[j]!;
    out[h]! += z;
  }
}
