// The full Universal Sentence Encoder lite: unit vectors from the weights in node_modules, by
// meaning, and each sentence embedded once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FullEncoder } from "./full-encoder.ts";
import { cosine } from "./static-encoder.ts";

describe("full sentence encoder", () => {
  it("gives unit vectors that are closer for paraphrases than for unrelated sentences", async () => {
    const encoder = new FullEncoder();
    const [a, b, c] = await encoder.encode(["Which stocks should I buy?", "What shares are worth investing in?", "How do I bake sourdough bread?"]);
    for (const v of [a!, b!, c!]) assert.ok(Math.abs(cosine(v, v) - 1) < 1e-4);
    assert.equal(a!.length, encoder.dimensions);
    assert.ok(cosine(a!, b!) > cosine(a!, c!) + 0.2, `${cosine(a!, b!)} vs ${cosine(a!, c!)}`);
  });

  it("returns the cached vector for a sentence it has seen, duplicates included", async () => {
    const encoder = new FullEncoder();
    const [first] = await encoder.encode(["Hello there."]);
    const again = await encoder.encode(["Hello there.", "Hello there."]);
    assert.equal(again[0], first);
    assert.equal(again[1], first);
  });

  it("stops when its signal is aborted", async () => {
    await assert.rejects(new FullEncoder().encode(["Something new."], AbortSignal.abort()), { name: "AbortError" });
  });
});
