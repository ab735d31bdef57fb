import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ModelEntry } from "../../spec/catalog.ts";
import { chunkMapper, parseRequest, toResponse } from "./cohere-command.ts";
import { InvokeStreamMapper, METRICS_KEY } from "./format.ts";

const entry = (over: Partial<ModelEntry> = {}): ModelEntry => ({
  id: "m", aliases: [], name: "m", providerName: "p", inputModalities: ["TEXT"], outputModalities: ["TEXT"],
  streaming: true, tools: true, vision: false, documents: false, lifecycle: "ACTIVE", inferenceTypes: ["ON_DEMAND"], ...over,
});
const info = { modelId: "m", requestId: "aaaa-bbbb" };
const TOOLS = [{ name: "get_weather", description: "Weather", parameter_definitions: { city: { type: "str", description: "City", required: true }, days: { type: "int" } } }];

describe("cohere-command format", () => {
  it("parses message, chat_history, preamble, documents and sampling fields", () => {
    const request = parseRequest(
      {
        message: "And now?",
        preamble: "Be brief.",
        chat_history: [{ role: "USER", message: "Hi" }, { role: "CHATBOT", message: "Hello!" }, { role: "SYSTEM", message: "Answer in English." }],
        documents: [{ title: "Doc", snippet: "Basalt is a server." }],
        max_tokens: 50,
        temperature: 0.3,
        p: 0.75,
        k: 5,
        stop_sequences: ["END"],
      },
      entry(),
    );
    assert.equal(request.system, "Be brief.\n\nAnswer in English.\n\nDocuments:\n[doc_0]\ntitle: Doc\nsnippet: Basalt is a server.");
    assert.deepEqual(request.messages.map((m) => [m.role, m.content[0]]), [
      ["user", { type: "text", text: "Hi" }],
      ["assistant", { type: "text", text: "Hello!" }],
      ["user", { type: "text", text: "And now?" }],
    ]);
    assert.deepEqual([request.maxTokens, request.temperature, request.topP, request.topK, request.stopSequences], [50, 0.3, 0.75, 5, ["END"]]);
  });

  it("turns parameter_definitions into JSON Schema", () => {
    const request = parseRequest({ message: "Weather?", tools: TOOLS }, entry());
    assert.deepEqual(request.tools, [
      { name: "get_weather", description: "Weather", inputSchema: { type: "object", properties: { city: { type: "string", description: "City" }, days: { type: "integer" } }, required: ["city"] } },
    ]);
    assert.deepEqual(request.toolChoice, { type: "auto" });
    assert.throws(() => parseRequest({ message: "x", tools: TOOLS }, entry({ tools: false })), /does not support tool use/);
  });

  it("pairs id-less tool_results with the calls in chat_history, or makes the call up", () => {
    const call = { name: "get_weather", parameters: { city: "Paris" } };
    const paired = parseRequest(
      {
        message: "Weather in Paris?",
        tools: TOOLS,
        chat_history: [{ role: "USER", message: "Weather in Paris?" }, { role: "CHATBOT", message: "", tool_calls: [call] }],
        tool_results: [{ call, outputs: [{ sky: "sunny" }] }],
      },
      entry(),
    );
    assert.deepEqual(paired.messages.map((m) => m.role), ["user", "assistant", "user"], "the repeated question is not asked twice");
    const use = paired.messages[1]!.content[0]!;
    const result = paired.messages[2]!.content[0]!;
    assert.equal(use.type, "tool-call");
    assert.deepEqual(result, { type: "tool-result", toolCallId: use.type === "tool-call" ? use.toolCallId : "", content: [{ type: "json", value: { sky: "sunny" } }], isError: false });
    const madeUp = parseRequest({ message: "", tools: TOOLS, tool_results: [{ call, outputs: [{ sky: "grey" }] }] }, entry());
    assert.deepEqual(madeUp.messages.map((m) => [m.role, m.content[0]!.type]), [["assistant", "tool-call"], ["user", "tool-result"]]);
    assert.throws(() => parseRequest({ chat_history: [] }, entry()), /'message'/);
    assert.throws(() => parseRequest({ message: "x", chat_history: [{ role: "BOT", message: "x" }] }, entry()), /chat_history.0.role/);
  });

  it("renders text, tool calls, finish reasons and billed units", () => {
    const out = toResponse(
      { content: [{ type: "text", text: "Checking." }, { type: "tool-call", toolCallId: "c", toolName: "get_weather", input: { city: "Oslo" } }], finishReason: "tool_use", usage: { inputTokens: 10, outputTokens: 4 }, warnings: [] },
      info,
    );
    assert.deepEqual(out, {
      response_id: "aaaa-bbbb",
      text: "Checking.",
      generation_id: "aaaabbbb",
      finish_reason: "COMPLETE",
      tool_calls: [{ name: "get_weather", parameters: { city: "Oslo" } }],
      meta: { api_version: { version: "1" }, billed_units: { input_tokens: 10, output_tokens: 4 } },
    });
    const capped = toResponse({ content: [], finishReason: "max_tokens", usage: { inputTokens: 1, outputTokens: 1 }, warnings: [] }, info);
    assert.equal(capped.finish_reason, "MAX_TOKENS");
  });

  it("streams stream-start, text-generation, tool-calls-generation and stream-end with metrics", () => {
    const mapper = new InvokeStreamMapper(chunkMapper(info), { startedAt: 0, now: () => 2 });
    const chunks = [
      ...mapper.map({ type: "text-delta", id: "t", delta: "Checking." }),
      ...mapper.map({ type: "tool-call-start", id: "c1", toolName: "get_weather" }),
      ...mapper.map({ type: "tool-input-delta", id: "c1", delta: '{"city":"Oslo"}' }),
      ...mapper.map({ type: "tool-call-end", id: "c1", input: { city: "Oslo" } }),
      ...mapper.map({ type: "finish", finishReason: "tool_use", usage: { inputTokens: 3, outputTokens: 4 } }),
    ];
    assert.deepEqual(chunks.map((c) => c.event_type), ["stream-start", "text-generation", "tool-calls-generation", "stream-end"]);
    assert.deepEqual(chunks[2]!.tool_calls, [{ name: "get_weather", parameters: { city: "Oslo" } }]);
    const end = chunks[3]!;
    assert.equal(end.is_finished, true);
    assert.equal(end.finish_reason, "COMPLETE");
    assert.equal((end.response as Record<string, unknown>).text, "Checking.");
    assert.ok(METRICS_KEY in end);
  });
});
