// Text normalization for word matching: folding, offsets back to the original, spelled-out
// words, leetspeak, and the word fast path agreeing with the full one.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalizeText, normalizeWord } from "./normalize.ts";
import { despace, segment, spelledOut } from "./text-units.ts";

describe("word normalization", () => {
  it("folds case, accents and compatibility forms, and maps every character back", () => {
    const text = "Ｈéllo  Wörld ﬁne";
    const n = normalizeText(text);
    assert.equal(n.plain, "hello world fine");
    const spans = [...n.plain].map((_, i) => text.slice(n.start[i]!, n.end[i]!));
    assert.deepEqual(spans.slice(0, 6), ["Ｈ", "é", "l", "l", "o", " "]);
    assert.deepEqual(spans.slice(12), ["ﬁ", "ﬁ", "n", "e"], "a ligature's letters both map to it");
  });

  it("joins words spelled out letter by letter, but not ordinary short words", () => {
    assert.equal(normalizeText("b a d and b.a.d and b - a - d").plain, "bad and bad and bad");
    assert.equal(normalizeText("I am a cat").plain, "i am a cat");
    assert.equal(normalizeText("a b").plain, "a b", "two letters are not enough");
    assert.equal(normalizeText("b    a    d").plain, "b a d", "wide gaps keep letters apart");
  });

  it("reads leetspeak only in tokens with at least two letters", () => {
    const n = normalizeText("h4t3 l33t A1 3D 2024 p@$$word");
    assert.equal(n.plain, "h4t3 l33t a1 3d 2024 p@$$word");
    assert.equal(n.leet, "hate leet a1 3d 2024 password");
  });

  it("drops invisible characters and keeps combining marks with their letter", () => {
    const text = "ba\u200Bd cafe\u0301";
    const n = normalizeText(text);
    assert.equal(n.plain, "bad cafe");
    assert.equal(text.slice(n.start[4]!, n.end[7]!), "cafe\u0301");
  });

  it("normalizes words the fast way exactly as the full way", () => {
    for (const word of ["Hello World", "  padded   phrase ", "C++", "a b c", "x.y.z", "U S A today", "a - b - c", "a    b    c", "e-mail", "$100", "b4d w0rd"]) {
      assert.equal(normalizeWord(word), normalizeText(word).plain.trim(), word);
    }
  });

  it("despaces the original text and maps offsets back", () => {
    const text = "say f.u.c.k now";
    const units = segment(text);
    const d = despace(text, units, spelledOut(text, units).separators);
    assert.equal(d.text, "say fuck now");
    assert.equal(d.toOriginal[4], 4);
    assert.equal(d.toOriginal[7], 10);
    assert.equal(d.toOriginal[d.text.length], text.length);
    const invisible = "no\u200Bthing";
    assert.equal(despace(invisible, segment(invisible), new Set()).text, "nothing");
  });

  it("reads a spelled-out run that begins with a one-letter word both ways", () => {
    const text = "I h a t e it";
    const units = segment(text);
    const spelled = spelledOut(text, units);
    assert.equal(despace(text, units, spelled.separators).text, "Ihate it");
    const apart = new Set([...spelled.separators].filter((u) => !spelled.leadingGaps.has(u)));
    assert.equal(despace(text, units, apart).text, "I hate it");
    const n = normalizeText(text);
    assert.equal(n.plain, "ihate it");
    assert.deepEqual([...n.extraStarts], [1]);
  });
});
