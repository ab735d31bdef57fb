import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ModelEntry } from "../../spec/catalog.ts";
import type { GenerateResult, StreamPart } from "../../spec/model.ts";
import { chunkMapper, parseRequest, toResponse } from "./anthropic.ts";
import { InvokeStreamMapper, METRICS_KEY } from "./format.ts";

const entry = (over: Partial<ModelEntry> = {}): ModelEntry => ({
  id: "m", aliases: [], name: "m", providerName: "p", inputModalities: ["TEXT"], outputModalities: ["TEXT"],
  streaming: true, tools: true, vision: true, documents: true, lifecycle: "ACTIVE", inferenceTypes: ["ON_DEMAND"], ...over,
});
const info = { modelId: "m", requestId: "1234-abcd" };
const PNG = Buffer.from([137, 80, 78, 71]).toString("base64");

describe("anthropic format", () => {
  it("parses system blocks, images, tools, tool turns and sampling fields", () => {
    const request = parseRequest(
      {
        anthropic_version: "2026-10-21",
        max_tokens: 300,
        system: [{ type: "text", text: "Be kind." }, { type: "text", text: "Be brief." }],
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        stop_sequences: ["END"],
        thinking: { type: "enabled", budget_tokens: 1024 },
        tools: [{ name: "get_weather", description: "Weather", input_schema: { type: "object" } }],
        tool_choice: { type: "tool", name: "get_weather" },
        messages: [
          { role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } }] },
          { role: "assistant", content: [{ type: "tool_use", id: "tu_1", name: "get_weather", input: { city: "Paris" } }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "tu_1", content: "sunny", is_error: false }] },
          { role: "user", content: "and tomorrow?" },
        ],
      },
      entry(),
    );
    assert.equal(request.system, "Be kind.\nBe brief.");
    assert.deepEqual([request.maxTokens, request.temperature, request.topP, request.topK], [300, 0.2, 0.9, 40]);
    assert.deepEqual(request.stopSequences, ["END"]);
    assert.deepEqual(request.toolChoice, { type: "tool", name: "get_weather" });
    assert.deepEqual(request.tools, [{ name: "get_weather", description: "Weather", inputSchema: { type: "object" } }]);
    assert.deepEqual(request.providerOptions, { thinking: { type: "enabled", budget_tokens: 1024 } });
    assert.equal(request.messages.length, 3, "consecutive user turns are joined");
    assert.deepEqual(request.messages[0]!.content[1], { type: "image", format: "png", bytes: Buffer.from(PNG, "base64") });
    assert.deepEqual(request.messages[1]!.content[0], { type: "tool-call", toolCallId: "tu_1", toolName: "get_weather", input: { city: "Paris" } });
    assert.deepEqual(request.messages[2]!.content, [
      { type: "tool-result", toolCallId: "tu_1", content: [{ type: "text", text: "sunny" }], isError: false },
      { type: "text", text: "and tomorrow?" },
    ]);
  });

  it("names the offending field in validation errors", () => {
    const base = { anthropic_version: "bedrock-2023-05-31", max_tokens: 10 };
    const fails = (body: Record<string, unknown>, text: string, model = entry()) =>
      assert.throws(() => parseRequest(body, model), (e: Error) => e.name === "ValidationException" && e.message.includes(text));
    fails({ anthropic_version: "x", messages: [{ role: "user", content: "hi" }] }, "max_tokens");
    fails({ ...base, messages: [] }, "messages");
    fails({ ...base, messages: [{ role: "system", content: "hi" }] }, "messages.0.role");
    fails({ ...base, messages: [{ role: "user", content: [{ type: "audio" }] }] }, "messages.0.content.0.type");
    fails({ ...base, temperature: 2, messages: [{ role: "user", content: "hi" }] }, "temperature");
    const image = { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } };
    fails({ ...base, messages: [{ role: "user", content: [image] }] }, "image", entry({ vision: false }));
    fails({ ...base, messages: [{ role: "user", content: [{ ...image, source: { type: "url", url: "http://x" } }] }] }, "messages.0.content.0.source.type");
    const tools = [{ name: "t", input_schema: { type: "object" } }];
    fails({ ...base, tools, tool_choice: { type: "tool", name: "nope" }, messages: [{ role: "user", content: "hi" }] }, "tool_choice.name");
    fails({ ...base, tools, messages: [{ role: "user", content: "hi" }] }, "does not support tool use", entry({ tools: false }));
    fails({ ...base, tools: [{ type: "bash_20250124", name: "bash" }], messages: [{ role: "user", content: "hi" }] }, "tools.0.type");
  });

  it("renders text, thinking and tool_use content with mapped stop reasons", () => {
    const result: GenerateResult = {
      content: [
        { type: "reasoning", text: "hmm", signature: "sig" },
        { type: "text", text: "Checking." },
        { type: "tool-call", toolCallId: "tu_9", toolName: "get_weather", input: { city: "Oslo" } },
      ],
      finishReason: "tool_use",
      usage: { inputTokens: 12, outputTokens: 7 },
      warnings: [],
    };
    const out = toResponse(result, info);
    assert.equal(out.id, "msg_bdrk_1234abcd");
    assert.equal(out.model, "m");
    assert.deepEqual(out.content, [
      { type: "thinking", thinking: "hmm", signature: "sig" },
      { type: "text", text: "Checking." },
      { type: "tool_use", id: "tu_9", name: "get_weather", input: { city: "Oslo" } },
    ]);
    assert.equal(out.stop_reason, "tool_use");
    assert.deepEqual(out.usage, { input_tokens: 12, output_tokens: 7 });
    assert.equal(toResponse({ ...result, finishReason: "stop_sequence", stopSequence: "END" }, info).stop_sequence, "END");
    assert.equal(toResponse({ ...result, finishReason: "content_filtered" }, info).stop_reason, "refusal");
  });

  it("streams message_start, numbered blocks, message_delta and message_stop with metrics last", () => {
    let clock = 100;
    const mapper = new InvokeStreamMapper(chunkMapper(info), { startedAt: 100, now: () => clock });
    const parts: StreamPart[] = [
      { type: "text-start", id: "t" },
      { type: "text-delta", id: "t", delta: "Hi" },
      { type: "text-end", id: "t" },
      { type: "tool-call-start", id: "tu_1", toolName: "get_weather" },
      { type: "tool-call-end", id: "tu_1", input: { city: "Paris" } },
      { type: "finish", finishReason: "tool_use", usage: { inputTokens: 5, outputTokens: 9 } },
    ];
    const chunks = parts.flatMap((part) => {
      clock += 10;
      return mapper.map(part);
    });
    assert.deepEqual(
      chunks.map((c) => c.type),
      ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
    );
    assert.equal((chunks[0]!.message as Record<string, unknown>).stop_reason, null);
    assert.deepEqual(chunks[4], { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "tu_1", name: "get_weather", input: {} } });
    assert.deepEqual(chunks[5]!.delta, { type: "input_json_delta", partial_json: '{"city":"Paris"}' }, "a whole input still arrives as one delta");
    assert.deepEqual(chunks[7], { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { input_tokens: 5, output_tokens: 9 } });
    assert.deepEqual(chunks[8]![METRICS_KEY], { inputTokenCount: 5, outputTokenCount: 9, invocationLatency: 60, firstByteLatency: 10 });
    assert.ok(chunks.slice(0, -1).every((c) => !(METRICS_KEY in c)));
  });

  it("opens a block for a delta that arrives without a start and closes open blocks at finish", () => {
    const mapper = new InvokeStreamMapper(chunkMapper(info), { startedAt: 0, now: () => 0 });
    const chunks = [
      ...mapper.map({ type: "text-delta", id: "x", delta: "a" }),
      ...mapper.map({ type: "finish", finishReason: "max_tokens", usage: { inputTokens: 1, outputTokens: 1 } }),
    ];
    assert.deepEqual(chunks.map((c) => c.type), ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
    assert.equal((chunks[4]!.delta as Record<string, unknown>).stop_reason, "max_tokens");
  });
});
