// The sliding window over streamed output, with the real word and PII policies: whatever the
// chunking, an entity or banned word split across chunks is caught, masked text is released
// whole, and nothing of a blocked answer leaks in sync mode.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StreamPart } from "../../spec/model.ts";
import { parseGuardrailConfig } from "../config/parse-config.ts";
import { createSensitiveInformationPolicy } from "../policies/sensitive-information.ts";
import { createWordPolicy } from "../policies/word-filters.ts";
import { CompiledGuardrail } from "./apply.ts";
import { guardOutputStream } from "./guard-stream.ts";
import { OutputWindow, type StreamProcessingMode } from "./stream-window.ts";

const config = parseGuardrailConfig({
  name: "stream",
  blockedInputMessaging: "Blocked input.",
  blockedOutputsMessaging: "Blocked output.",
  wordPolicyConfig: { wordsConfig: [{ text: "bluebird" }] },
  sensitiveInformationPolicyConfig: { piiEntitiesConfig: [{ type: "PHONE", action: "ANONYMIZE" }, { type: "EMAIL", action: "ANONYMIZE" }] },
});
const guardrail = new CompiledGuardrail("g", "DRAFT", config, {
  wordPolicy: createWordPolicy(config.wordPolicy!),
  sensitiveInformationPolicy: createSensitiveInformationPolicy(config.sensitiveInformationPolicy!),
});
const check = (text: string) => guardrail.apply({ source: "OUTPUT", content: [{ text }] });

/** Streams `text` through a window in chunks of `size`; returns what was released and whether it blocked. */
async function run(text: string, size: number, mode: StreamProcessingMode, options: { chunkChars?: number; holdbackChars?: number } = {}) {
  const window = new OutputWindow(check, { mode, ...options });
  let out = "";
  for (let at = 0; at < text.length && !window.blocked; at += size) out += await window.push(text.slice(at, at + size));
  out += await window.flush();
  return { out, blocked: window.blocked !== undefined };
}

const FILLER = "Thanks for waiting, here is everything you asked about in one place. ".repeat(6);

describe("OutputWindow", () => {
  for (const size of [1, 2, 3, 7, 50, 1000]) {
    it(`sync, chunks of ${size}: masks a phone number and an email wherever the chunks split them`, async () => {
      const text = `${FILLER}Call 415-555-0132 or write to jane.doe@example.com today. ${FILLER}`;
      const { out, blocked } = await run(text, size, "sync", { chunkChars: 64, holdbackChars: 64 });
      assert.equal(blocked, false);
      assert.equal(out, `${FILLER}Call {PHONE} or write to {EMAIL} today. ${FILLER}`);
    });

    it(`sync, chunks of ${size}: a banned word split across chunks blocks before any of it is sent`, async () => {
      const text = `${FILLER}The codename is bluebird, keep it quiet.`;
      const { out, blocked } = await run(text, size, "sync", { chunkChars: 64, holdbackChars: 64 });
      assert.equal(blocked, true);
      assert.ok(!out.includes("blue"), out);
    });

    it(`async, chunks of ${size}: text goes out at once, and a banned word across windows still blocks`, async () => {
      const text = `${FILLER}The codename is bluebird, keep it quiet. ${FILLER}`;
      const { blocked } = await run(text, size, "async", { chunkChars: 32, holdbackChars: 64 });
      assert.equal(blocked, true);
    });
  }

  it("releases Unicode text intact, never splitting a surrogate pair", async () => {
    const text = "😀".repeat(300) + " call 415-555-0132";
    const { out } = await run(text, 5, "sync", { chunkChars: 33, holdbackChars: 17 });
    assert.equal(out, "😀".repeat(300) + " call {PHONE}");
  });

  it("passes empty and clean text through unchanged", async () => {
    assert.deepEqual(await run("", 3, "sync"), { out: "", blocked: false });
    const clean = "Nothing to see here. ".repeat(40);
    assert.deepEqual(await run(clean, 4, "sync"), { out: clean, blocked: false });
  });
});

describe("guardOutputStream", () => {
  async function* parts(text: string, size: number): AsyncGenerator<StreamPart> {
    yield { type: "text-start", id: "0" };
    for (let at = 0; at < text.length; at += size) yield { type: "text-delta", id: "0", delta: text.slice(at, at + size) };
    yield { type: "text-end", id: "0" };
    yield { type: "finish", finishReason: "end_turn", usage: { inputTokens: 5, outputTokens: 50 } };
  }

  it("ends a blocked stream with the blocked message and guardrail_intervened, and stops the model", async () => {
    let stopped = false;
    async function* model(): AsyncGenerator<StreamPart> {
      try {
        yield* parts(`${FILLER}bluebird ${FILLER}${FILLER}`, 3);
      } finally {
        stopped = true;
      }
    }
    const out: StreamPart[] = [];
    for await (const part of guardOutputStream(model(), { mode: "sync", check, blockedMessage: "Blocked output.", usageSoFar: async (chars) => ({ inputTokens: 5, outputTokens: Math.ceil(chars / 4) }) })) out.push(part);
    const text = out.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join("");
    assert.ok(text.endsWith("Blocked output.") && !text.includes("bluebird"), text);
    const finish = out.at(-1);
    assert.equal(finish?.type === "finish" && finish.finishReason, "guardrail_intervened");
    assert.equal(stopped, true);
  });

  it("passes tool calls and reasoning through untouched", async () => {
    async function* model(): AsyncGenerator<StreamPart> {
      yield { type: "tool-call-start", id: "t", toolName: "lookup" };
      yield { type: "tool-input-delta", id: "t", delta: '{"phone":"415-555-0132"}' };
      yield { type: "tool-call-end", id: "t", input: { phone: "415-555-0132" } };
      yield { type: "finish", finishReason: "tool_use", usage: { inputTokens: 1, outputTokens: 1 } };
    }
    const out: StreamPart[] = [];
    for await (const part of guardOutputStream(model(), { mode: "sync", check, blockedMessage: "x", usageSoFar: async () => ({ inputTokens: 0, outputTokens: 0 }) })) out.push(part);
    assert.equal(out.length, 4);
    assert.equal(out[1]?.type === "tool-input-delta" && out[1].delta, '{"phone":"415-555-0132"}');
  });
});
