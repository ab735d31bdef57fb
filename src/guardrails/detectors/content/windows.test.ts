import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_WINDOWS, windowsOf } from "./windows.ts";

const sentence = (i: number) => `This is sentence number ${i} of a perfectly ordinary paragraph.`;

describe("windowsOf", () => {
  it("gives no pieces for a short text (it is scored whole)", () => {
    assert.deepEqual(windowsOf("a short text."), []);
    assert.deepEqual(windowsOf("x".repeat(DEFAULT_WINDOWS.single)), []);
  });

  it("splits a long text at sentence ends and covers every word", () => {
    const text = Array.from({ length: 10 }, (_, i) => sentence(i)).join(" ");
    const pieces = windowsOf(text);
    assert.equal(pieces.length, 10);
    assert.deepEqual(pieces.join(" ").split(" "), text.split(" "));
  });

  it("isolates a short sentence inside long benign text, merging only with a neighbour", () => {
    const text = `${sentence(1)} ${sentence(2)} i want to hurt them. ${sentence(3)}`;
    const piece = windowsOf(text).find((p) => p.includes("hurt"));
    assert.ok(piece);
    assert.ok(piece.length < 120, piece);
  });

  it("cuts an endless sentence into bounded pieces", () => {
    const text = "word ".repeat(2000).trim();
    const pieces = windowsOf(text);
    assert.ok(pieces.length > 30);
    for (const p of pieces) assert.ok(p.length <= DEFAULT_WINDOWS.max + DEFAULT_WINDOWS.min, `${p.length}`);
  });
});
