// A static sentence encoder: the mean of per-piece vectors (SIF weights already folded in),
// L2-normalised. The table is distilled from the Universal Sentence Encoder lite by
// scripts/distill-static-encoder.ts (Apache-2.0, like the weights it comes from). Encoding
// 1 KB is a tokenizer pass plus a few hundred vector additions: well under a millisecond,
// where the full model takes ~90 ms here.
import { readFileSync } from "node:fs";
import { BasaltError } from "../../../spec/errors.ts";
import type { SentenceEncoder } from "../../policy.ts";
import { decodeStaticModel, type StaticModel } from "./model-file.ts";
import { UnigramTokenizer } from "./tokenizer.ts";

const MODEL_FILE = new URL("./static-encoder.bin", import.meta.url);

/** The distilled static encoder (see the file comment). */
export class StaticEncoder implements SentenceEncoder {
  readonly dimensions: number;
  private readonly tokenizer: UnigramTokenizer;
  private readonly vectors: Float32Array;

  constructor(model: StaticModel) {
    this.dimensions = model.header.dimensions;
    this.vectors = model.vectors;
    this.tokenizer = new UnigramTokenizer(model.header.pieces, model.header.scores);
  }

  /** Builds an encoder from the bytes of a model file. */
  static fromBytes(bytes: Uint8Array): StaticEncoder {
    return new StaticEncoder(decodeStaticModel(bytes));
  }

  /** Unit-length vectors, one per text; a text with no known piece gives the zero vector. */
  encode(texts: readonly string[]): Float32Array[] {
    return texts.map((text) => this.encodeIds(this.tokenizer.encode(text)));
  }

  /** Vocabulary ids of a text, as the encoder sees it. */
  tokenize(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  /** The normalised sum of the pieces' vectors. */
  encodeIds(ids: readonly number[]): Float32Array {
    const dims = this.dimensions;
    const out = new Float32Array(dims);
    for (const id of ids) {
      const base = id * dims;
      for (let d = 0; d < dims; d++) out[d]! += this.vectors[base + d]!;
    }
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += out[d]! * out[d]!;
    if (norm === 0) return out;
    const inverse = 1 / Math.sqrt(norm);
    for (let d = 0; d < dims; d++) out[d]! *= inverse;
    return out;
  }
}

let shared: StaticEncoder | undefined;

/** The built-in static encoder, loaded from its file on first use and shared afterwards. */
export function staticEncoder(): StaticEncoder {
  if (shared) return shared;
  try {
    shared = StaticEncoder.fromBytes(readFileSync(MODEL_FILE));
  } catch (error) {
    throw new BasaltError("MODEL_NOT_READY", "The built-in sentence encoder could not be loaded.", { cause: error });
  }
  return shared;
}

/** Cosine similarity of two unit vectors (their dot product). */
export function cosine(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let d = 0; d < a.length; d++) sum += a[d]! * b[d]!;
  return sum;
}
