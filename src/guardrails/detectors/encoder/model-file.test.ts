// The static encoder's file format: int8 rows with a per-row scale behind a JSON header.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeStaticModel, encodeStaticModel, type StaticModel } from "./model-file.ts";

function model(vectors: number[]): StaticModel {
  return {
    header: { format: 1, dimensions: 3, pieces: ["<unk>", "▁a", "▁bc"], scores: [0, -1, -2], source: "test", license: "Apache-2.0", recipe: {} },
    vectors: Float32Array.from(vectors),
  };
}

describe("static model file", () => {
  it("round-trips the header and the vectors within int8 precision", () => {
    const original = model([0, 0, 0, 0.5, -0.25, 0.125, -3, 2, 1]);
    const decoded = decodeStaticModel(encodeStaticModel(original));
    assert.deepEqual(decoded.header, original.header);
    for (let i = 0; i < original.vectors.length; i++) {
      const row = Math.floor(i / 3);
      const max = Math.max(...original.vectors.slice(row * 3, row * 3 + 3).map(Math.abs));
      assert.ok(Math.abs(decoded.vectors[i]! - original.vectors[i]!) <= max / 254 + 1e-7, `value ${i}`);
    }
  });

  it("rejects a file that is not a model, or is cut short", () => {
    const bytes = encodeStaticModel(model([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    assert.throws(() => decodeStaticModel(Buffer.from("nope and more bytes")), /bad magic/);
    assert.throws(() => decodeStaticModel(bytes.subarray(0, bytes.length - 1)), /truncated/);
  });

  it("refuses vectors that do not match the vocabulary", () => {
    assert.throws(() => encodeStaticModel(model([1, 2, 3])), /Expected 9 values/);
  });
});
