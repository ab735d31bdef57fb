// The built-in grounding scorer: supported answers score high, invented numbers and names
// low, and relevance follows the query.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinGroundingScorer } from "./builtin-grounding-scorer.ts";

const scorer = builtinGroundingScorer();
const SOURCE =
  "Acme Corp reported revenue of $5.2 million in 2021, up 12% from 2020. The company is headquartered in Denver " +
  "and is led by CEO Maria Lopez. It employs 85 people.";
const QUERY = "How did Acme do in 2021?";

const grounding = async (response: string): Promise<number> => (await scorer.score({ source: SOURCE, query: QUERY, response })).grounding;

describe("built-in grounding scorer", () => {
  it("scores a response that the source supports high, a paraphrase in between", async () => {
    assert.ok((await grounding("Acme Corp reported revenue of $5.2 million in 2021, a 12% increase over 2020.")) > 0.75);
    const paraphrase = await grounding("In 2021 Acme's revenue rose 12% to $5.2 million. The Denver-based company, run by Maria Lopez, has 85 employees.");
    assert.ok(paraphrase > 0.5, `paraphrase ${paraphrase}`);
  });

  it("weighs an unsupported number or name heavily", async () => {
    assert.ok((await grounding("Acme's 2021 revenue was $7.9 million, up 12% from 2020.")) < 0.3);
    assert.ok((await grounding("Acme is headquartered in Denver and led by CEO John Smith.")) < 0.3);
  });

  it("lets one invented sentence pull a long response down", async () => {
    const faithful = "Acme Corp reported revenue of $5.2 million in 2021. The company is headquartered in Denver.";
    const mixed = `${faithful} It was founded in 1887 by Thomas Edison.`;
    assert.ok((await grounding(mixed)) < (await grounding(faithful)) - 0.3);
  });

  it("scores relevance by how the response addresses the query", async () => {
    const relevant = await scorer.score({ source: SOURCE, query: QUERY, response: "Acme's revenue grew 12% in 2021, to $5.2 million." });
    const offTopic = await scorer.score({ source: SOURCE, query: QUERY, response: "Paris is the capital of France." });
    assert.ok(relevant.relevance > 0.7, `relevant ${relevant.relevance}`);
    assert.ok(offTopic.relevance < 0.5, `off topic ${offTopic.relevance}`);
    const grounded = await scorer.score({ source: SOURCE, query: "What is the capital of France?", response: "Acme Corp reported revenue of $5.2 million in 2021." });
    assert.ok(grounded.grounding > 0.75 && grounded.relevance < 0.5, "grounded but beside the question");
  });

  it("returns 0 for what cannot be judged, and scores in [0, 1]", async () => {
    assert.deepEqual(await scorer.score({ source: "", query: "", response: "Anything at all." }), { grounding: 0, relevance: 0 });
    assert.equal((await scorer.score({ source: SOURCE, query: QUERY, response: "" })).grounding, 0);
    const s = await scorer.score({ source: SOURCE, query: QUERY, response: "Acme employs 85 people in Denver." });
    for (const v of [s.grounding, s.relevance]) assert.ok(v >= 0 && v <= 1);
  });

  it("stops when its signal is aborted", async () => {
    await assert.rejects(scorer.score({ source: SOURCE, query: QUERY, response: "x" }, AbortSignal.abort()), { name: "AbortError" });
  });
});
