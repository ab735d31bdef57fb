// Token counting of plain text and requests with the real o200k tokenizer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countRequestTokens, countTextTokens } from "./text-tokens.ts";

describe("text tokens", () => {
  it("counts plain text, and special-token strings in user text as the plain text they are", () => {
    assert.equal(countTextTokens(""), 0);
    assert.ok(countTextTokens("hello world") >= 2);
    const special = countTextTokens("a <|endoftext|> b");
    assert.ok(special > 3, "the marker is split into ordinary tokens, not refused");
  });

  it("counts a request with a per-message overhead", () => {
    const one = countRequestTokens({ messages: [{ role: "user", content: [{ type: "text", text: "hello <|im_start|> there" }] }] } as never);
    assert.ok(one > countTextTokens("hello <|im_start|> there"));
  });
});
