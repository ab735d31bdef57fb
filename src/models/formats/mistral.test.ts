import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ModelEntry } from "../../spec/catalog.ts";
import { InvokeStreamMapper, METRICS_KEY } from "./format.ts";
import { chunkMapper, parseRequest, toResponse } from "./mistral.ts";

const entry = { id: "m", aliases: [], name: "m", providerName: "p", inputModalities: ["TEXT"], outputModalities: ["TEXT"], streaming: true, tools: false, vision: false, documents: false, lifecycle: "ACTIVE", inferenceTypes: ["ON_DEMAND"] } satisfies ModelEntry;

describe("mistral format", () => {
  it("passes the prompt as rawPrompt and reads [INST] turns back, system included", () => {
    const prompt = "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello!</s><s>[INST] What is 2+2? [/INST]";
    const request = parseRequest({ prompt, max_tokens: 100, stop: ["</s>"], temperature: 0.3, top_p: 0.8, top_k: 50 }, entry);
    assert.equal(request.rawPrompt, prompt);
    assert.equal(request.system, "Be brief.");
    assert.deepEqual(request.messages.map((m) => [m.role, m.content[0]]), [
      ["user", { type: "text", text: "Hi" }],
      ["assistant", { type: "text", text: "Hello!" }],
      ["user", { type: "text", text: "What is 2+2?" }],
    ]);
    assert.deepEqual([request.maxTokens, request.temperature, request.topP, request.topK, request.stopSequences], [100, 0.3, 0.8, 50, ["</s>"]]);
  });

  it("validates fields by name", () => {
    assert.throws(() => parseRequest({ prompt: "x", top_k: 500 }, entry), /top_k/);
    assert.throws(() => parseRequest({ prompt: "x", stop: [1] }, entry), /stop\.0/);
  });

  it("renders outputs and streams chunks of the same shape, metrics last", () => {
    const result = { content: [{ type: "text" as const, text: "4" }], finishReason: "max_tokens" as const, usage: { inputTokens: 9, outputTokens: 1 }, warnings: [] };
    assert.deepEqual(toResponse(result), { outputs: [{ text: "4", stop_reason: "length" }] });
    const mapper = new InvokeStreamMapper(chunkMapper(), { startedAt: 0, now: () => 0 });
    const chunks = [
      ...mapper.map({ type: "text-delta", id: "t", delta: "4" }),
      ...mapper.map({ type: "finish", finishReason: "end_turn", usage: { inputTokens: 9, outputTokens: 1 } }),
    ];
    assert.deepEqual(chunks[0], { outputs: [{ text: "4", stop_reason: null }] });
    assert.deepEqual(chunks[1]!.outputs, [{ text: "", stop_reason: "stop" }]);
    assert.ok(METRICS_KEY in chunks[1]!);
  });
});
