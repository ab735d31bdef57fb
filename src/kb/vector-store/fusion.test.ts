// Reciprocal-rank fusion: ranks, weights, normalisation, and empty lists in hybrid fusion.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { convexCombination, fuseHybrid, reciprocalRankFusion, RRF_K } from "./fusion.ts";

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

  it("combines normalised scores convexly: a small semantic weight only breaks near-ties of the lexical order", () => {
    const lexical = [
      { id: "a", score: 0.9 },
      { id: "b", score: 0.89 },
      { id: "c", score: 0.1 },
    ];
    const semantic = [
      { id: "b", score: 0.8 },
      { id: "c", score: 0.79 },
      { id: "a", score: 0.2 },
    ];
    assert.deepEqual(convexCombination(semantic, lexical, 0.05).map((f) => f.id), ["b", "a", "c"]);
    assert.deepEqual(convexCombination(semantic, lexical, 0).map((f) => f.id), ["a", "b", "c"]);
    const fused = convexCombination(semantic, lexical, 0.5);
    assert.ok(fused.every((f) => f.score >= 0 && f.score <= 1));
  });

  it("lets one list stand alone at full weight when the other is empty", () => {
    assert.equal(fuseHybrid([{ id: "a", score: 0.7 }, { id: "b", score: 0.6 }], [])[0]!.score, 1);
    assert.equal(fuseHybrid([], [{ id: "x", score: 0.3 }])[0]!.id, "x");
  });
});
