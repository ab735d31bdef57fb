import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CONTENT_FILTER_TYPES } from "../../guardrail.ts";
import { categoryProbabilities, headTargets, HEADS } from "./heads.ts";

describe("headTargets", () => {
  it("marks a harmful row HARMFUL and its unknown categories 0 for the conditional heads", () => {
    const y = headTargets({ VIOLENCE: 1, PROMPT_ATTACK: 0 });
    assert.deepEqual([...y], [1, 0, 0, 0, 1, 0, 0]);
  });

  it("needs three known-benign categories for HARMFUL = 0 and leaves conditional heads unknown", () => {
    assert.deepEqual([...headTargets({ HATE: 0, SEXUAL: 0, VIOLENCE: 0 })], [0, -1, -1, -1, -1, -1, -1]);
    assert.deepEqual([...headTargets({ HATE: 0 })], [-1, -1, -1, -1, -1, -1, -1]);
  });

  it("trains PROMPT_ATTACK on its own label only", () => {
    assert.deepEqual([...headTargets({ PROMPT_ATTACK: 1 })], [-1, -1, -1, -1, -1, -1, 1]);
  });
});

describe("categoryProbabilities", () => {
  it("multiplies each category by HARMFUL and passes PROMPT_ATTACK through", () => {
    const heads = [0.5, 0.8, 0.2, 1, 0, 0.4, 0.9];
    assert.equal(heads.length, HEADS.length);
    const out = categoryProbabilities(heads, new Float64Array(CONTENT_FILTER_TYPES.length));
    const byType = Object.fromEntries(CONTENT_FILTER_TYPES.map((t, i) => [t, out[i]]));
    assert.deepEqual(byType, { HATE: 0.4, INSULTS: 0.1, SEXUAL: 0.5, VIOLENCE: 0, MISCONDUCT: 0.2, PROMPT_ATTACK: 0.9 });
  });
});
