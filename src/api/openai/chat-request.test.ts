// Wire → spec mapping details of Chat Completions that the end-to-end tests cannot observe
// through the mock model: tool_choice, turn merging, system text, provider options, warnings.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ModelEntry } from "../../spec/catalog.ts";
import { parseChatRequest } from "./chat-request.ts";
import { OpenAiError } from "./errors.ts";

const ENTRY: ModelEntry = {
  id: "mock.any",
  aliases: [],
  name: "Any",
  providerName: "Basalt",
  inputModalities: ["TEXT", "IMAGE"],
  outputModalities: ["TEXT"],
  streaming: true,
  tools: true,
  vision: true,
  documents: false,
  lifecycle: "ACTIVE",
  inferenceTypes: ["ON_DEMAND"],
};
const TOOL = { type: "function", function: { name: "lookup", parameters: { type: "object" } } };
const USER = [{ role: "user", content: "hi" }];

describe("parseChatRequest", () => {
  it("maps tool_choice to the internal choices", () => {
    const choice = (tool_choice: unknown) => parseChatRequest({ messages: USER, tools: [TOOL], tool_choice }, ENTRY).request.toolChoice;
    assert.deepEqual(choice(undefined), { type: "auto" });
    assert.deepEqual(choice("auto"), { type: "auto" });
    assert.deepEqual(choice("none"), { type: "none" });
    assert.deepEqual(choice("required"), { type: "any" });
    assert.deepEqual(choice({ type: "function", function: { name: "lookup" } }), { type: "tool", name: "lookup" });
    const noParams = parseChatRequest({ messages: USER, tools: [{ type: "function", function: { name: "f" } }] }, ENTRY).request.tools;
    assert.deepEqual(noParams, [{ name: "f", description: undefined, inputSchema: { type: "object", properties: {} } }]);
  });

  it("joins system and developer text and merges tool results into one user turn", () => {
    const { request } = parseChatRequest(
      {
        messages: [
          { role: "system", content: "A" },
          { role: "user", content: "q" },
          { role: "developer", content: [{ type: "text", text: "B" }] },
          { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "lookup", arguments: '{"k":1}' } }, { id: "c2", type: "function", function: { name: "lookup", arguments: "" } }] },
          { role: "tool", tool_call_id: "c1", content: "r1" },
          { role: "tool", tool_call_id: "c2", content: [{ type: "text", text: "r2" }] },
          { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/jpeg;base64,AQID" } }] },
        ],
        tools: [TOOL],
      },
      ENTRY,
    );
    assert.equal(request.system, "A\nB");
    assert.deepEqual(request.messages.map((m) => m.role), ["user", "assistant", "user"]);
    assert.deepEqual(request.messages[1]!.content, [
      { type: "tool-call", toolCallId: "c1", toolName: "lookup", input: { k: 1 } },
      { type: "tool-call", toolCallId: "c2", toolName: "lookup", input: {} },
    ]);
    const last = request.messages[2]!.content;
    assert.deepEqual(last.slice(0, 2), [
      { type: "tool-result", toolCallId: "c1", content: [{ type: "text", text: "r1" }], isError: false },
      { type: "tool-result", toolCallId: "c2", content: [{ type: "text", text: "r2" }], isError: false },
    ]);
    assert.equal(last[2]!.type, "image");
    assert.deepEqual(last[2]!.type === "image" && [last[2]!.format, [...last[2]!.bytes]], ["jpeg", [1, 2, 3]]);
  });

  it("passes seed and top_k as provider options and maps sampling fields", () => {
    const { request, stream, includeUsage } = parseChatRequest(
      { messages: USER, seed: 42, top_k: 5, temperature: 1.5, top_p: 0.5, stop: "END", max_tokens: 9, stream: true, stream_options: { include_usage: true } },
      ENTRY,
    );
    assert.deepEqual(request.providerOptions, { seed: 42, top_k: 5 });
    assert.deepEqual([request.temperature, request.topP, request.stopSequences, request.maxTokens], [1.5, 0.5, ["END"], 9]);
    assert.deepEqual([stream, includeUsage], [true, true]);
    assert.equal(parseChatRequest({ messages: USER }, ENTRY).request.providerOptions, undefined);
  });

  it("warns about parameters it cannot honour, never about neutral values", () => {
    const { warnings } = parseChatRequest(
      {
        messages: [{ role: "user", content: "hi", name: "ann" }],
        logprobs: true,
        modalities: ["text"],
        frequency_penalty: 0.5,
        presence_penalty: 0,
        response_format: { type: "json_schema", json_schema: { name: "x", schema: {} } },
        parallel_tool_calls: true,
        user: "u1",
        some_vendor_flag: "x",
      },
      ENTRY,
    );
    assert.deepEqual(warnings.map((w) => w.setting).sort(), ["frequency_penalty", "logprobs", "messages[].name", "response_format", "some_vendor_flag"]);
    assert.deepEqual(parseChatRequest({ messages: USER, response_format: { type: "text" }, logprobs: false }, ENTRY).warnings, []);
  });

  it("names the parameter in every validation error", () => {
    const param = (body: Record<string, unknown>) => {
      try {
        parseChatRequest(body, ENTRY);
      } catch (error) {
        assert.ok(error instanceof OpenAiError);
        return error.param;
      }
      assert.fail("expected a validation error");
    };
    assert.equal(param({ messages: [] }), "messages");
    assert.equal(param({ messages: USER, max_tokens: 0 }), "max_tokens");
    assert.equal(param({ messages: USER, top_p: 2 }), "top_p");
    assert.equal(param({ messages: USER, stop: [1] }), "stop[0]");
    assert.equal(param({ messages: USER, stream_options: { include_usage: true } }), "stream_options");
    assert.equal(param({ messages: USER, tools: [{ type: "function", function: { name: "bad name" } }] }), "tools[0].function.name");
    assert.equal(param({ messages: [{ role: "assistant", tool_calls: [{ id: "c", function: { name: "f", arguments: "{oops" } }] }] }), "messages[0].tool_calls[0].function.arguments");
    assert.equal(param({ messages: [{ role: "user", content: [{ type: "input_audio" }] }] }), "messages[0].content[0].type");
  });
});
