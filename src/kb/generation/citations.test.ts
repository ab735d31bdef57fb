// Citation spans: markers removed with exact offsets, the same result streamed in any chunking,
// invalid markers left as text, and lexical attribution for answers that cite nothing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CitationTracker, citeAnswer, type SpanCitation } from "./citations.ts";

const PASSAGES = [
  { text: "Paris is the capital and largest city of France, with 2.1 million residents." },
  { text: "The Eiffel Tower was completed in 1889 for the World's Fair in Paris." },
  { text: "Berlin is the capital of Germany and its most populous city." },
];

/** Every span must slice exactly to its text; returns [text, sources] pairs for easy asserts. */
function spans(text: string, citations: SpanCitation[]): Array<[string, number[]]> {
  return citations.map((c) => {
    assert.ok(c.start >= 0 && c.end <= text.length && c.start < c.end, `span ${c.start}-${c.end} out of range`);
    return [text.slice(c.start, c.end), c.sources];
  });
}

/** Streams `answer` in pieces of `size` characters and collects the result. */
function streamed(answer: string, size: number): { text: string; citations: SpanCitation[] } {
  const tracker = new CitationTracker(PASSAGES);
  let text = "";
  const citations: SpanCitation[] = [];
  for (let at = 0; at < answer.length; at += size) {
    const out = tracker.push(answer.slice(at, at + size));
    text += out.text;
    citations.push(...out.citations);
  }
  const last = tracker.end();
  text += last.text;
  citations.push(...last.citations);
  assert.equal(text, tracker.text);
  return { text, citations: citations.sort((a, b) => a.start - b.start) };
}

describe("citation markers", () => {
  it("removes markers and cites the text before each, with exact spans", () => {
    const answer = "Paris is the capital of France [1]. The Eiffel Tower was finished in 1889 [2].";
    const { text, citations } = citeAnswer(answer, PASSAGES);
    assert.equal(text, "Paris is the capital of France. The Eiffel Tower was finished in 1889.");
    assert.deepEqual(spans(text, citations), [
      ["Paris is the capital of France.", [0]],
      ["The Eiffel Tower was finished in 1889.", [1]],
    ]);
    assert.ok(citations.every((c) => c.by === "marker"));
  });

  it("merges adjacent markers and lists, and expands ranges", () => {
    const { text, citations } = citeAnswer("Both are capitals [1][3]. Facts [1, 2]. More [1-3].", PASSAGES);
    assert.equal(text, "Both are capitals. Facts. More.");
    assert.deepEqual(spans(text, citations), [
      ["Both are capitals.", [0, 2]],
      ["Facts.", [0, 1]],
      ["More.", [0, 1, 2]],
    ]);
  });

  it("accepts a marker after the period and a marker mid-sentence", () => {
    const { text, citations } = citeAnswer("Paris is in France.[1] Berlin [3] is in Germany.", PASSAGES);
    assert.equal(text, "Paris is in France. Berlin is in Germany.");
    assert.deepEqual(spans(text, citations).slice(0, 2), [
      ["Paris is in France.", [0]],
      ["Berlin", [2]],
    ]);
  });

  it("leaves brackets that name no search result as text", () => {
    const { text, citations } = citeAnswer("Use arr[0] and see note [9]. Also [x].", PASSAGES);
    assert.equal(text, "Use arr[0] and see note [9]. Also [x].");
    assert.ok(citations.every((c) => c.by === "overlap"));
  });

  it("starts a cited span no earlier than its line", () => {
    const { text, citations } = citeAnswer("Capitals:\n- Paris is the capital of France [1]\n- Berlin is the capital of Germany [3]", PASSAGES);
    assert.equal(text, "Capitals:\n- Paris is the capital of France\n- Berlin is the capital of Germany");
    assert.deepEqual(spans(text, citations), [
      ["- Paris is the capital of France", [0]],
      ["- Berlin is the capital of Germany", [2]],
    ]);
  });

  it("trims the answer's leading and trailing space without shifting spans", () => {
    const { text, citations } = citeAnswer("\n\n  Paris is the capital of France [1]  \n", PASSAGES);
    assert.equal(text, "Paris is the capital of France");
    assert.deepEqual(spans(text, citations), [["Paris is the capital of France", [0]]]);
  });

  it("gives the same text and spans however the stream is cut", () => {
    const answer = "Paris is the capital of France [1]. The tower dates from 1889 [2][1]. Berlin is the capital of Germany. [3] Unrelated words here.";
    const whole = citeAnswer(answer, PASSAGES);
    for (const size of [1, 2, 3, 5, 7, 13, answer.length]) {
      assert.deepEqual(streamed(answer, size), whole, `chunk size ${size}`);
    }
  });

  it("hands marker citations out while streaming, once their span is final", () => {
    const tracker = new CitationTracker(PASSAGES);
    const first = tracker.push("Paris is the capital of France [1");
    assert.equal(first.text, "Paris is the capital of France");
    assert.deepEqual(first.citations, []);
    const second = tracker.push("]");
    assert.deepEqual(second.citations, [], "the span may still grow over a period");
    const third = tracker.push(". Next");
    assert.equal(third.text, ". Next");
    assert.deepEqual(
      third.citations.map((c) => [tracker.text.slice(c.start, c.end), c.sources]),
      [["Paris is the capital of France.", [0]]],
    );
  });
});

describe("attribution without markers", () => {
  it("cites extractive sentences to the passages that contain them", () => {
    const answer = "Paris is the capital and largest city of France. The Eiffel Tower was completed in 1889.";
    const { text, citations } = citeAnswer(answer, PASSAGES);
    assert.equal(text, answer);
    assert.deepEqual(spans(text, citations), [
      ["Paris is the capital and largest city of France.", [0]],
      ["The Eiffel Tower was completed in 1889.", [1]],
    ]);
    assert.ok(citations.every((c) => c.by === "overlap"));
  });

  it("cites nothing for sentences no passage supports", () => {
    const { citations } = citeAnswer("I could not find an exact answer. Bananas grow on tall herbaceous plants.", PASSAGES);
    assert.deepEqual(citations, []);
  });

  it("attributes the uncited rest of an answer that cites some of it", () => {
    const { text, citations } = citeAnswer("Paris is the capital of France [1]. Berlin is the capital of Germany and its most populous city.", PASSAGES);
    assert.deepEqual(spans(text, citations), [
      ["Paris is the capital of France.", [0]],
      ["Berlin is the capital of Germany and its most populous city.", [2]],
    ]);
    assert.deepEqual(
      citations.map((c) => c.by),
      ["marker", "overlap"],
    );
  });

  it("works with no passages at all", () => {
    const { text, citations } = citeAnswer("Sorry, I cannot answer [1].", []);
    assert.equal(text, "Sorry, I cannot answer [1].");
    assert.deepEqual(citations, []);
  });
});
