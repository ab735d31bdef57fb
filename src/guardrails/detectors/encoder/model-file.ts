// The on-disk form of a static sentence encoder: one vector per vocabulary piece, int8 with a
// per-row scale (4× smaller than float32, cosine error ~0.1 %), behind a JSON header that
// carries the vocabulary itself, so the file is self-contained.
//
// Layout: "BSE1" | u32 LE header length | header JSON (UTF-8) | zero padding to 4 bytes |
//         float32 LE scale × vocabSize | int8 × vocabSize × dimensions (row-major).

import { BasaltError } from "../../../spec/errors.ts";

const MAGIC = "BSE1";

/** Provenance and vocabulary of a static encoder file. */
export interface StaticModelHeader {
  format: 1;
  dimensions: number;
  /** Sentencepiece pieces (id = index) and their log-probabilities, for the tokenizer. */
  pieces: string[];
  scores: number[];
  /** Where the weights come from and under which licence they are distributed. */
  source: string;
  license: string;
  /** How the file was made (script options, figures), for the record. */
  recipe: Record<string, unknown>;
}

/** A static encoder in memory: `vectors` holds row `id` at `id * dimensions`. */
export interface StaticModel {
  header: StaticModelHeader;
  vectors: Float32Array;
}

/** Serialises a model, quantising each row to int8 with its own scale. */
export function encodeStaticModel(model: StaticModel): Buffer {
  const { header, vectors } = model;
  const rows = header.pieces.length;
  const dims = header.dimensions;
  if (vectors.length !== rows * dims) throw new BasaltError("INTERNAL", `Expected ${rows * dims} values, got ${vectors.length}.`);
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const headerEnd = align4(8 + json.length);
  const out = Buffer.alloc(headerEnd + rows * 4 + rows * dims);
  out.write(MAGIC, 0, "latin1");
  out.writeUInt32LE(json.length, 4);
  json.copy(out, 8);
  for (let row = 0; row < rows; row++) {
    let max = 0;
    for (let d = 0; d < dims; d++) max = Math.max(max, Math.abs(vectors[row * dims + d]!));
    const scale = max / 127;
    out.writeFloatLE(scale, headerEnd + row * 4);
    const base = headerEnd + rows * 4 + row * dims;
    for (let d = 0; d < dims; d++) out.writeInt8(scale === 0 ? 0 : Math.round(vectors[row * dims + d]! / scale), base + d);
  }
  return out;
}

/** Parses a file written by {@link encodeStaticModel}, dequantising to float32. */
export function decodeStaticModel(bytes: Uint8Array): StaticModel {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.toString("latin1", 0, 4) !== MAGIC) throw new BasaltError("INTERNAL", "Not a static encoder file (bad magic).");
  const length = buffer.readUInt32LE(4);
  const header = JSON.parse(buffer.toString("utf8", 8, 8 + length)) as StaticModelHeader;
  const rows = header.pieces.length;
  const dims = header.dimensions;
  const headerEnd = align4(8 + length);
  if (buffer.length !== headerEnd + rows * 4 + rows * dims) throw new BasaltError("INTERNAL", "Static encoder file is truncated.");
  const values = new Int8Array(buffer.buffer, buffer.byteOffset + headerEnd + rows * 4, rows * dims);
  const vectors = new Float32Array(rows * dims);
  for (let row = 0; row < rows; row++) {
    const scale = buffer.readFloatLE(headerEnd + row * 4);
    for (let k = row * dims, end = k + dims; k < end; k++) vectors[k] = values[k]! * scale;
  }
  return { header, vectors };
}

const align4 = (n: number): number => (n + 3) & ~3;
