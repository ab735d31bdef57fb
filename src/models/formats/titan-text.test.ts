import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ModelEntry } from "../../spec/catalog.ts";
import { InvokeStreamMapper, METRICS_KEY } from "./format.ts";
import { chunkMapper, parseRequest, toResponse } from "./titan-text.ts";

const entry = { id: "m", aliases: [], name: "m", providerName: "p", inputModalities: ["TEXT"], outputModalities: ["TEXT"], streaming: true, tools: false, vision: false, documents: false, lifecycle: "ACTIVE", inferenceTypes: ["ON_DEMAND"] } satisfies ModelEntry;

describe("titan-text format", () => {
  it("parses inputText and textGenerationConfig", () => {
    const request = parseRequest({ inputText: "User: hi\nBot:", textGenerationConfig: { maxTokenCount: 50, temperature: 0, topP: 1, stopSequences: ["User:"] } }, entry);
    assert.deepEqual(request, {
      messages: [{ role: "user", content: [{ type: "text", text: "User: hi\nBot:" }] }],
      maxTokens: 50,
      temperature: 0,
      topP: 1,
      stopSequences: ["User:"],
    });
    assert.throws(() => parseRequest({ textGenerationConfig: {} }, entry), /inputText/);
    assert.throws(() => parseRequest({ inputText: "x", textGenerationConfig: { topP: 2 } }, entry), /textGenerationConfig.topP/);
  });

  it("renders results with Titan's completion reasons", () => {
    const result = { content: [{ type: "text" as const, text: "Hello" }], finishReason: "end_turn" as const, usage: { inputTokens: 4, outputTokens: 2 }, warnings: [] };
    assert.deepEqual(toResponse(result), { inputTextTokenCount: 4, results: [{ tokenCount: 2, outputText: "Hello", completionReason: "FINISH" }] });
    assert.equal((toResponse({ ...result, finishReason: "max_tokens" }).results as Array<Record<string, unknown>>)[0]!.completionReason, "LENGTH");
    assert.equal((toResponse({ ...result, finishReason: "stop_sequence" }).results as Array<Record<string, unknown>>)[0]!.completionReason, "STOP_CRITERIA_MET");
  });

  it("streams text chunks and a final chunk with counts, reason and metrics", () => {
    const mapper = new InvokeStreamMapper(chunkMapper(), { startedAt: 0, now: () => 5 });
    const chunks = [
      ...mapper.map({ type: "text-start", id: "t" }),
      ...mapper.map({ type: "text-delta", id: "t", delta: "Hel" }),
      ...mapper.map({ type: "text-delta", id: "t", delta: "lo" }),
      ...mapper.map({ type: "text-end", id: "t" }),
      ...mapper.map({ type: "finish", finishReason: "end_turn", usage: { inputTokens: 4, outputTokens: 2 } }),
    ];
    assert.equal(chunks.length, 3);
    assert.deepEqual(chunks[0], { outputText: "Hel", index: 0, totalOutputTextTokenCount: null, completionReason: null, inputTextTokenCount: null });
    assert.deepEqual(chunks[2], {
      outputText: "",
      index: 0,
      totalOutputTextTokenCount: 2,
      completionReason: "FINISH",
      inputTextTokenCount: 4,
      [METRICS_KEY]: { inputTokenCount: 4, outputTokenCount: 2, invocationLatency: 5, firstByteLatency: 5 },
    });
  });
});
