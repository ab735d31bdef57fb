import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_FEATURES, FeatureExtractor, type SparseVector } from "./features.ts";

const extractor = new FeatureExtractor();

/** Sparse vector → map from index to summed value. */
function dense(v: SparseVector): Map<number, number> {
  const out = new Map<number, number>();
  v.indices.forEach((i, k) => out.set(i, (out.get(i) ?? 0) + v.values[k]!));
  return out;
}

function cosine(a: SparseVector, b: SparseVector): number {
  const x = dense(a);
  const y = dense(b);
  let dot = 0;
  for (const [i, v] of x) dot += v * (y.get(i) ?? 0);
  const norm = (m: Map<number, number>) => Math.sqrt([...m.values()].reduce((s, v) => s + v * v, 0));
  return dot / (norm(x) * norm(y));
}

describe("FeatureExtractor", () => {
  it("is deterministic and stays inside the hashed space", () => {
    const a = extractor.extract("You are an idiot.");
    const b = extractor.extract("You are an idiot.");
    assert.deepEqual(a, b);
    for (const i of a.indices) assert.ok(i < 1 << DEFAULT_FEATURES.bits);
  });

  it("normalizes each group to unit length (total norm √2 with both groups)", () => {
    const v = extractor.extract("Some ordinary sentence about gardening.");
    const norm = Math.sqrt([...dense(v).values()].reduce((s, x) => s + x * x, 0));
    // Collisions between the groups can only move the norm slightly.
    assert.ok(Math.abs(norm - Math.SQRT2) < 0.05, `norm ${norm}`);
  });

  it("gives obfuscated spellings the same features as the plain word", () => {
    const plain = extractor.extract("we hate you");
    assert.deepEqual(extractor.extract("WE H A T E you"), plain);
    assert.deepEqual(extractor.extract("we h4te you"), plain);
    assert.deepEqual(extractor.extract("WE HATE YOU"), plain);
    assert.deepEqual(extractor.extract("k1ll them"), extractor.extract("kill them"));
  });

  it("keeps misspellings close through character n-grams", () => {
    const base = extractor.extract("you are a stupid idiot");
    assert.ok(cosine(base, extractor.extract("you are a stuupid idiott")) > 0.6);
    assert.ok(cosine(base, extractor.extract("the weather is lovely today")) < 0.2);
  });

  it("returns an empty vector for empty text", () => {
    const v = extractor.extract("");
    // Only the padding character n-gram of the empty string can appear.
    assert.ok(v.indices.length <= 1);
    assert.ok([...v.values].every(Number.isFinite));
  });
});
