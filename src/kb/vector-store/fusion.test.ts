// Reciprocal-rank fusion: ranks, weights, normalisation, and empty lists in hybrid fusion.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fuseHybrid, reciprocalRankFusion, RRF_K } from "./fusion.ts";

describe("reciprocal-rank fusion", () => {
  it("ranks ids found high in both lists first and scores a double first place 1", () => {
    const fused = reciprocalRankFusion([
      ["a", "b", "c"],
      ["a", "c", "d"],
    ]);
    assert.deepEqual(fused.map((f) => f.id), ["a", "c", "b", "d"]);
    assert.equal(fused[0]!.score, 1);
    assert.ok(fused.every((f) => f.score > 0 && f.score <= 1));
  });

  it("weights lists: a heavier list's first place beats a lighter list's", () => {
    const even = reciprocalRankFusion([["x"], ["y"]], RRF_K, [1, 1]);
    assert.equal(even[0]!.score, even[1]!.score);
    const lexicalHeavy = reciprocalRankFusion([["x"], ["y"]], RRF_K, [0.2, 1]);
    assert.deepEqual(lexicalHeavy.map((f) => f.id), ["y", "x"]);
  });

  it("leaves empty and zero-weight lists out of hybrid fusion, so the other list scores fully", () => {
    assert.equal(fuseHybrid(["a", "b"], [])[0]!.score, 1);
    assert.deepEqual(fuseHybrid(["a"], ["b"], { semantic: 0, lexical: 1 }).map((f) => f.id), ["b"]);
  });
});
