// The lexical facts grounding compares: stems, numbers and name-like words.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hasTerm, indexSource, lexicalFacts, normalizeNumber, stem } from "./lexical.ts";

describe("lexical facts", () => {
  it("stems word forms to a shared root", () => {
    for (const [a, b] of [["publishes", "published"], ["companies", "company"], ["starting", "starts"], ["boxes", "box"]]) assert.equal(stem(a!), stem(b!), `${a} / ${b}`);
    assert.notEqual(stem("class"), stem("clas"));
  });

  it("normalises numbers, currency and number words", () => {
    assert.equal(normalizeNumber("1,000"), "1000");
    assert.equal(normalizeNumber("$3.50"), "3.5");
    assert.equal(normalizeNumber("21st"), "21");
    assert.equal(normalizeNumber("twelve"), "12");
    assert.equal(normalizeNumber("one"), undefined);
    assert.equal(normalizeNumber("word"), undefined);
  });

  it("separates content words, numbers and names, and skips function words", () => {
    const facts = lexicalFacts("The magazine was founded in 1844 by Arthur Gordon in Philadelphia, and it cost $2.");
    assert.deepEqual(facts.numbers, ["1844", "2"]);
    assert.deepEqual(facts.names, ["arthur", "gordon", "philadelphia"]);
    assert.ok(facts.terms.includes("magazin") && !facts.terms.includes("the"));
  });

  it("counts a capitalised first word as a name only in short answers or before another name", () => {
    assert.deepEqual(lexicalFacts("Delhi").names, ["delhi"]);
    assert.deepEqual(lexicalFacts("Richard Nixon was president of the country").names, ["richard", "nixon"]);
    assert.deepEqual(lexicalFacts("Unfortunately the shop was closed that day").names, []);
  });

  it("finds a term in the source by stem or by a near form", () => {
    const index = indexSource("An American literary periodical, published in Philadelphia.");
    assert.ok(hasTerm(index, stem("publishing")));
    assert.ok(hasTerm(index, stem("america")));
    assert.ok(!hasTerm(index, stem("scottish")));
  });
});
