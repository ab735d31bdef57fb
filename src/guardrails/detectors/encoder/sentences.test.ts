// Sentence splitting and the windows meaning-based detectors score.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countWords, sentenceUnits, splitSentences, textWindows, windowMembers } from "./sentences.ts";

describe("sentences", () => {
  it("splits at sentence ends and line breaks, with spans into the text", () => {
    const text = "Hello there! How are you?\nFine. \"Quoted.\" Done";
    const parts = splitSentences(text);
    assert.deepEqual(parts.map((p) => p.text), ["Hello there!", "How are you?", "Fine.", "\"Quoted.\"", "Done"]);
    for (const p of parts) assert.equal(text.slice(p.start, p.end), p.text);
  });

  it("keeps decimals and abbreviations without a following space together", () => {
    assert.deepEqual(splitSentences("It costs 3.50 dollars.").map((p) => p.text), ["It costs 3.50 dollars."]);
  });

  it("scores sentences, neighbouring pairs, and a short text whole", () => {
    const windows = textWindows("I have savings. Where should I put them? Thanks.").map((w) => w.text);
    assert.deepEqual(windows, [
      "I have savings.",
      "Where should I put them?",
      "Thanks.",
      "I have savings. Where should I put them?",
      "Where should I put them? Thanks.",
      "I have savings. Where should I put them? Thanks.",
    ]);
  });

  it("names the sentences of each window, in the windows' order", () => {
    const text = "I have savings. Where should I put them? Thanks.";
    const units = sentenceUnits(text);
    const members = windowMembers(text, units);
    assert.deepEqual(members, [[0], [1], [2], [0, 1], [1, 2], [0, 1, 2]]);
    textWindows(text).forEach((w, i) => {
      assert.equal(w.start, units[members[i]![0]!]!.start);
      assert.equal(w.end, units[members[i]!.at(-1)!]!.end);
    });
  });

  it("cuts a very long sentence into overlapping word windows", () => {
    const long = Array.from({ length: 100 }, (_, i) => `w${i}`).join(" ");
    const windows = textWindows(long);
    assert.ok(windows.length >= 7);
    assert.ok(windows.every((w) => countWords(w.text) <= 48));
    assert.ok(windows.some((w) => w.text.endsWith("w99")));
    for (const w of windows) assert.equal(long.slice(w.start, w.end), w.text);
  });
});
