// The contextual grounding policy: Bedrock's filter entries (score to two decimals, threshold,
// action, detected), skipped filters when their input is missing — on the real built-in scorer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinGroundingScorer } from "../detectors/grounding/builtin-grounding-scorer.ts";
import type { GroundingFilterConfig } from "../guardrail.ts";
import { createGroundingPolicy } from "./contextual-grounding.ts";

const scorer = builtinGroundingScorer();
const SOURCE = "The Eiffel Tower is 330 metres tall and was completed in 1889 for the World's Fair in Paris.";
const QUERY = "How tall is the Eiffel Tower?";

function filter(type: GroundingFilterConfig["type"], threshold: number, overrides: Partial<GroundingFilterConfig> = {}): GroundingFilterConfig {
  return { type, threshold, action: "BLOCK", enabled: true, ...overrides };
}

const both = (threshold: number) => createGroundingPolicy({ filters: [filter("GROUNDING", threshold), filter("RELEVANCE", threshold)] }, scorer);

describe("contextual grounding policy", () => {
  it("passes a grounded, relevant answer and reports both scores", async () => {
    const check = await both(0.7).check({ response: "The Eiffel Tower is 330 metres tall.", groundingSource: SOURCE, query: QUERY });
    assert.equal(check.blocked, false);
    const filters = check.assessment!.filters;
    assert.deepEqual(filters.map((f) => [f.type, f.threshold, f.action, f.detected]), [["GROUNDING", 0.7, "NONE", false], ["RELEVANCE", 0.7, "NONE", false]]);
    for (const f of filters) assert.equal(f.score, Math.round(f.score * 100) / 100);
  });

  it("blocks an answer with an invented figure", async () => {
    const check = await both(0.7).check({ response: "The Eiffel Tower is 410 metres tall.", groundingSource: SOURCE, query: QUERY });
    assert.equal(check.blocked, true);
    const entry = check.assessment!.filters.find((f) => f.type === "GROUNDING")!;
    assert.equal(entry.detected, true);
    assert.equal(entry.action, "BLOCKED");
    assert.ok(entry.score < 0.7);
  });

  it("only reports in detect mode (action NONE)", async () => {
    const policy = createGroundingPolicy({ filters: [filter("GROUNDING", 0.7, { action: "NONE" })] }, scorer);
    const check = await policy.check({ response: "The Eiffel Tower is 410 metres tall.", groundingSource: SOURCE, query: QUERY });
    assert.equal(check.blocked, false);
    assert.deepEqual(check.assessment!.filters.map((f) => [f.action, f.detected]), [["NONE", true]]);
  });

  it("skips GROUNDING without a source, RELEVANCE without a query, and disabled filters", async () => {
    const policy = createGroundingPolicy({ filters: [filter("GROUNDING", 0.7), filter("RELEVANCE", 0.7), filter("RELEVANCE", 0.5, { enabled: false })] }, scorer);
    const noSource = await policy.check({ response: "It is 330 metres tall.", query: QUERY });
    assert.deepEqual(noSource.assessment!.filters.map((f) => f.type), ["RELEVANCE"]);
    const noQuery = await policy.check({ response: "It is 330 metres tall.", groundingSource: SOURCE, query: "  " });
    assert.deepEqual(noQuery.assessment!.filters.map((f) => f.type), ["GROUNDING"]);
    assert.deepEqual(await policy.check({ response: "It is 330 metres tall." }), { blocked: false, masks: [] });
  });

  it("compares the reported (rounded) score with the threshold", async () => {
    const response = "The Eiffel Tower is 330 metres tall.";
    const first = await both(0).check({ response, groundingSource: SOURCE, query: QUERY });
    const score = first.assessment!.filters[0]!.score;
    const atScore = await createGroundingPolicy({ filters: [filter("GROUNDING", score)] }, scorer).check({ response, groundingSource: SOURCE, query: QUERY });
    assert.equal(atScore.assessment!.filters[0]!.detected, false);
    assert.ok(score > 0 && score < 0.99, `score ${score}`);
    const above = await createGroundingPolicy({ filters: [filter("GROUNDING", Number((score + 0.01).toFixed(2)))] }, scorer).check({ response, groundingSource: SOURCE, query: QUERY });
    assert.equal(above.assessment!.filters[0]!.detected, true);
  });
});
