// The word policy: custom words and the managed profanity list, per direction, with Bedrock's
// assessment entries.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BlockAction, ManagedWordListConfig, WordConfig } from "../guardrail.ts";
import { createWordPolicy } from "./word-filters.ts";

type Switches = Partial<Pick<WordConfig, "inputAction" | "outputAction" | "inputEnabled" | "outputEnabled">>;

function word(text: string, switches: Switches = {}): WordConfig {
  return { text, inputAction: "BLOCK", outputAction: "BLOCK", inputEnabled: true, outputEnabled: true, ...switches };
}

function profanity(switches: Switches = {}): ManagedWordListConfig {
  return { type: "PROFANITY", inputAction: "BLOCK", outputAction: "BLOCK", inputEnabled: true, outputEnabled: true, ...switches };
}

describe("word policy", () => {
  it("blocks a custom word and names it as written", async () => {
    const policy = createWordPolicy({ words: [word("competitor")], managedWordLists: [] });
    const check = await policy.check({ text: "Try C-o-m-p-e-t-i-t-o-r instead", source: "INPUT" });
    assert.deepEqual(check, {
      assessment: { customWords: [{ match: "C-o-m-p-e-t-i-t-o-r", action: "BLOCKED", detected: true }], managedWordLists: [] },
      blocked: true,
      masks: [],
    });
  });

  it("reports profanity from the managed list", async () => {
    const policy = createWordPolicy({ words: [], managedWordLists: [profanity()] });
    const check = await policy.check({ text: "what the f u c k", source: "OUTPUT" });
    assert.deepEqual(check.assessment, { customWords: [], managedWordLists: [{ match: "f u c k", type: "PROFANITY", action: "BLOCKED", detected: true }] });
    assert.equal(check.blocked, true);
  });

  it("returns no assessment when nothing matches, and for empty text", async () => {
    const policy = createWordPolicy({ words: [word("ass")], managedWordLists: [profanity()] });
    assert.deepEqual(await policy.check({ text: "a classic class", source: "INPUT" }), { blocked: false, masks: [] });
    assert.deepEqual(await policy.check({ text: "", source: "INPUT" }), { blocked: false, masks: [] });
  });

  it("detects without blocking when the action is NONE", async () => {
    const policy = createWordPolicy({ words: [word("refund", { inputAction: "NONE" })], managedWordLists: [profanity({ inputAction: "NONE" })] });
    const check = await policy.check({ text: "refund this shit", source: "INPUT" });
    assert.equal(check.blocked, false);
    assert.deepEqual(check.assessment, {
      customWords: [{ match: "refund", action: "NONE", detected: true }],
      managedWordLists: [{ match: "shit", type: "PROFANITY", action: "NONE", detected: true }],
    });
  });

  it("applies each direction's switches", async () => {
    const config = {
      words: [word("inonly", { outputEnabled: false }), word("outonly", { inputEnabled: false })],
      managedWordLists: [profanity({ outputEnabled: false })],
    };
    const policy = createWordPolicy(config);
    const text = "inonly outonly shit";
    const input = await policy.check({ text, source: "INPUT" });
    assert.deepEqual(input.assessment?.customWords.map((w) => w.match), ["inonly"]);
    assert.deepEqual(input.assessment?.managedWordLists.map((w) => w.match), ["shit"]);
    const output = await policy.check({ text, source: "OUTPUT" });
    assert.deepEqual(output.assessment?.customWords.map((w) => w.match), ["outonly"]);
    assert.deepEqual(output.assessment?.managedWordLists, []);
  });

  it("reports a repeated match once, and BLOCKED wins over NONE for the same text", async () => {
    const actions: BlockAction[] = ["NONE", "BLOCK"];
    const policy = createWordPolicy({ words: actions.map((a) => word("spam", { outputAction: a })), managedWordLists: [] });
    const check = await policy.check({ text: "spam, spam and SPAM", source: "OUTPUT" });
    assert.deepEqual(check.assessment?.customWords, [
      { match: "spam", action: "BLOCKED", detected: true },
      { match: "SPAM", action: "BLOCKED", detected: true },
    ]);
  });

  it("matches phrases and words from a 10,000-entry list in a 100 KB text", async () => {
    const words = Array.from({ length: 9_999 }, (_, i) => word(`blocked${i}x`));
    words.push(word("secret project"));
    const policy = createWordPolicy({ words, managedWordLists: [profanity()] });
    const filler = "Nothing to see in this sentence, which repeats. ".repeat(2_100);
    const check = await policy.check({ text: `${filler}the SECRET  Project and blocked9998x. ${filler}`, source: "INPUT" });
    assert.deepEqual(check.assessment?.customWords.map((w) => w.match), ["SECRET  Project", "blocked9998x"]);
    assert.equal(check.blocked, true);
  });

  it("stops when the request is aborted", async () => {
    const policy = createWordPolicy({ words: [word("x")], managedWordLists: [] });
    await assert.rejects(policy.check({ text: "x", source: "INPUT", signal: AbortSignal.abort() }), { name: "AbortError" });
  });
});
