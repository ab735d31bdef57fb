import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ModelEntry } from "../../spec/catalog.ts";
import { InvokeStreamMapper, METRICS_KEY } from "./format.ts";
import { chunkMapper, parseRequest, toResponse } from "./meta-llama.ts";

const entry = { id: "m", aliases: [], name: "m", providerName: "p", inputModalities: ["TEXT"], outputModalities: ["TEXT"], streaming: true, tools: false, vision: false, documents: false, lifecycle: "ACTIVE", inferenceTypes: ["ON_DEMAND"] } satisfies ModelEntry;
const LLAMA3 =
  "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
  "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";

describe("meta-llama format", () => {
  it("passes the prompt as rawPrompt and reads Llama 3 turns back for chat backends", () => {
    const request = parseRequest({ prompt: LLAMA3, max_gen_len: 64, temperature: 0.5, top_p: 0.9 }, entry);
    assert.equal(request.rawPrompt, LLAMA3);
    assert.equal(request.system, "Be brief.");
    assert.deepEqual(request.messages.map((m) => [m.role, m.content[0]]), [
      ["user", { type: "text", text: "Hi" }],
      ["assistant", { type: "text", text: "Hello!" }],
      ["user", { type: "text", text: "What is 2+2?" }],
    ]);
    assert.deepEqual([request.maxTokens, request.temperature, request.topP], [64, 0.5, 0.9]);
  });

  it("treats an untemplated prompt as one user turn and validates fields", () => {
    assert.deepEqual(parseRequest({ prompt: "Tell me a joke" }, entry).messages, [{ role: "user", content: [{ type: "text", text: "Tell me a joke" }] }]);
    assert.throws(() => parseRequest({ prompt: 3 }, entry), /'prompt'/);
    assert.throws(() => parseRequest({ prompt: "x", max_gen_len: 0 }, entry), /max_gen_len/);
  });

  it("renders generation, counts and stop/length", () => {
    const result = { content: [{ type: "text" as const, text: "4" }], finishReason: "end_turn" as const, usage: { inputTokens: 30, outputTokens: 1 }, warnings: [] };
    assert.deepEqual(toResponse(result), { generation: "4", prompt_token_count: 30, generation_token_count: 1, stop_reason: "stop" });
    assert.equal(toResponse({ ...result, finishReason: "max_tokens" }).stop_reason, "length");
  });

  it("streams generation chunks and a final chunk with counts and metrics", () => {
    const mapper = new InvokeStreamMapper(chunkMapper(), { startedAt: 0, now: () => 1 });
    const chunks = [
      ...mapper.map({ type: "text-delta", id: "t", delta: "4" }),
      ...mapper.map({ type: "finish", finishReason: "max_tokens", usage: { inputTokens: 30, outputTokens: 1 } }),
    ];
    assert.deepEqual(chunks[0], { generation: "4", prompt_token_count: null, generation_token_count: null, stop_reason: null });
    assert.equal(chunks[1]!.stop_reason, "length");
    assert.equal(chunks[1]!.generation_token_count, 1);
    assert.ok(METRICS_KEY in chunks[1]!);
  });
});
