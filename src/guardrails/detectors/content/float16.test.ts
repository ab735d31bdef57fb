import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeFloat16, encodeFloat16, fromFloat16Bits, toFloat16Bits } from "./float16.ts";

describe("float16", () => {
  it("round-trips exactly representable values", () => {
    for (const v of [0, 1, -1, 0.5, -2.25, 1024, 65504, 2 ** -14, 2 ** -24]) assert.equal(fromFloat16Bits(toFloat16Bits(v)), v);
  });

  it("rounds other values within half-precision error", () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 8);
    const back = decodeFloat16(encodeFloat16(values));
    values.forEach((v, i) => assert.ok(Math.abs(back[i]! - v) <= Math.abs(v) * 2 ** -11 + 2 ** -24, `${v} → ${back[i]}`));
  });

  it("flushes tiny values to zero and keeps their sign", () => {
    assert.equal(fromFloat16Bits(toFloat16Bits(1e-9)), 0);
    assert.ok(Object.is(fromFloat16Bits(toFloat16Bits(-1e-9)), -0));
  });
});
