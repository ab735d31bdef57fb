import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TextMask } from "../policy.ts";
import { applyMasks } from "./apply.ts";
import { appliedMasks, MaskedOffsets, type Span } from "./mask-offsets.ts";

/** A mask of the first occurrence of `value` in `text`. */
function mask(text: string, value: string, replacement: string): TextMask {
  const start = text.indexOf(value);
  assert.ok(start >= 0, value);
  return { start, end: start + value.length, replacement };
}

/** The span of the first occurrence of `part` in `text`. */
function span(text: string, part: string): Span {
  const start = text.indexOf(part);
  assert.ok(start >= 0, part);
  return { start, end: start + part.length };
}

describe("MaskedOffsets", () => {
  const text = "Mail ann@example.com today. Call +1 206 555 0100 for travel. Business class is fine.";
  const masks = [mask(text, "ann@example.com", "{EMAIL}"), mask(text, "+1 206 555 0100", "{PHONE}")];
  const masked = applyMasks(text, masks);
  const offsets = new MaskedOffsets(masks);
  const slice = (part: string) => {
    const mapped = offsets.span(span(text, part));
    return masked.slice(mapped.start, mapped.end);
  };

  it("shifts spans after masks by the length each placeholder changed", () => {
    assert.equal(masked, "Mail {EMAIL} today. Call {PHONE} for travel. Business class is fine.");
    assert.equal(slice("Business class is fine."), "Business class is fine.");
    assert.equal(slice("for travel."), "for travel.");
  });

  it("leaves spans before every mask unchanged", () => {
    assert.deepEqual(offsets.span(span(text, "Mail")), span(text, "Mail"));
    assert.equal(slice("Mail "), "Mail ");
  });

  it("keeps a span around a mask whole, with the placeholder in it", () => {
    assert.equal(slice("Mail ann@example.com today."), "Mail {EMAIL} today.");
    assert.equal(slice(text), masked);
    assert.equal(slice("Call +1 206 555 0100 for travel."), "Call {PHONE} for travel.");
  });

  it("widens a span that starts or ends inside a masked value to the whole placeholder", () => {
    assert.equal(slice("example.com today."), "{EMAIL} today.");
    assert.equal(slice("Mail ann@"), "Mail {EMAIL}");
    assert.equal(slice("555"), "{PHONE}");
    assert.equal(slice("ann@example.com"), "{EMAIL}");
  });

  it("starts a span that begins right after a mask after its placeholder, and ends one that stops right before a mask before it", () => {
    assert.equal(slice(" today."), " today.");
    assert.equal(slice("Call "), "Call ");
  });

  it("maps through placeholders longer than what they replace, and drops overlapping masks as applyMasks does", () => {
    const short = "Ed at e@x.io, then B.";
    const list = [mask(short, "Ed", "{NAME}"), mask(short, "e@x.io", "{EMAIL}"), { start: 7, end: 9, replacement: "{OVERLAP}" }];
    assert.equal(appliedMasks(list).length, 2);
    const out = applyMasks(short, list);
    assert.equal(out, "{NAME} at {EMAIL}, then B.");
    const mapped = new MaskedOffsets(list).span(span(short, "then B."));
    assert.equal(out.slice(mapped.start, mapped.end), "then B.");
  });

  it("changes nothing without masks", () => {
    assert.deepEqual(new MaskedOffsets([]).span({ start: 3, end: 9 }), { start: 3, end: 9 });
  });
});
