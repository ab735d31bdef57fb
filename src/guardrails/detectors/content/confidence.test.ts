import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CONFIDENCE_CUTS, rescore, scoreToConfidence } from "./confidence.ts";

describe("scoreToConfidence", () => {
  it("maps the shared scale's cuts to levels", () => {
    assert.equal(scoreToConfidence(0), "NONE");
    assert.equal(scoreToConfidence(0.2499), "NONE");
    assert.equal(scoreToConfidence(0.25), "LOW");
    assert.equal(scoreToConfidence(0.5), "MEDIUM");
    assert.equal(scoreToConfidence(0.75), "HIGH");
    assert.equal(scoreToConfidence(1), "HIGH");
    assert.equal(scoreToConfidence(Number.NaN), "NONE");
  });

  it("takes a classifier's own thresholds", () => {
    const t = { low: 0.1, medium: 0.2, high: 0.9 };
    assert.equal(scoreToConfidence(0.15, t), "LOW");
    assert.equal(scoreToConfidence(0.5, t), "MEDIUM");
    assert.equal(scoreToConfidence(0.95, t), "HIGH");
  });
});

describe("rescore", () => {
  const t = { low: 0.05, medium: 0.2, high: 0.6 };

  it("puts calibrated thresholds on the shared cuts", () => {
    assert.equal(rescore(t.low, t), CONFIDENCE_CUTS.low);
    assert.equal(rescore(t.medium, t), CONFIDENCE_CUTS.medium);
    assert.equal(rescore(t.high, t), CONFIDENCE_CUTS.high);
    assert.equal(rescore(0, t), 0);
    assert.equal(rescore(1, t), 1);
  });

  it("is monotone and keeps the confidence the raw thresholds give", () => {
    let last = -1;
    for (let raw = 0; raw <= 1; raw += 0.001) {
      const s = rescore(raw, t);
      assert.ok(s >= last);
      last = s;
      assert.equal(scoreToConfidence(s), scoreToConfidence(raw, t), `raw ${raw}`);
    }
  });
});
