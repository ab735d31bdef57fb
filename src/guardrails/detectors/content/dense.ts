// The dense part of the features: a sentence encoder's unit vector per scored part, scaled.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { SentenceEncoder } from "../../policy.ts";

/** The built-in static encoder's file (helper module ../encoder), read here only to fingerprint it. */
export const STATIC_ENCODER_FILE = new URL("../encoder/static-encoder.bin", import.meta.url);

/**
 * sha256 of the built-in encoder's file. Dense weights are only valid for the exact encoder
 * they were trained with; the header records this and loading checks it.
 */
export function staticEncoderFingerprint(): string {
  return createHash("sha256").update(readFileSync(STATIC_ENCODER_FILE)).digest("hex");
}

/** An encoder that can tokenize once and embed token ids (the built-in StaticEncoder can). */
interface TokenizingEncoder extends SentenceEncoder {
  tokenize(text: string): number[];
  encodeIds(ids: readonly number[]): Float32Array;
}

function tokenizes(encoder: SentenceEncoder): encoder is TokenizingEncoder {
  const e = encoder as Partial<TokenizingEncoder>;
  return typeof e.tokenize === "function" && typeof e.encodeIds === "function";
}

/**
 * Vectors of a normalized text and of its pieces, whole text first, each multiplied by
 * `scale`. A static encoder's vector is the normalized sum of its tokens' vectors, so the
 * whole text reuses the pieces' tokens instead of tokenizing the text twice.
 */
export function encodeParts(encoder: SentenceEncoder, normalized: string, pieces: readonly string[], scale: number): Float32Array[] {
  let vectors: Float32Array[];
  if (pieces.length > 0 && tokenizes(encoder)) {
    const ids = pieces.map((p) => encoder.tokenize(p));
    vectors = [encoder.encodeIds(ids.flat()), ...ids.map((i) => encoder.encodeIds(i))];
  } else {
    vectors = encoder.encode([normalized, ...pieces]);
  }
  for (const v of vectors) for (let d = 0; d < v.length; d++) v[d]! *= scale;
  return vectors;
}
