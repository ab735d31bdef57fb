import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StreamPart } from "../../../spec/model.ts";
import { assertWellFormedStream } from "../../../../test/conformance/language-model.ts";
import { OpenAiStreamMapper } from "./map-stream.ts";

function run(chunks: unknown[]): StreamPart[] {
  const mapper = new OpenAiStreamMapper({ messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] });
  const out: StreamPart[] = [];
  for (const chunk of chunks) mapper.data(typeof chunk === "string" ? chunk : JSON.stringify(chunk), out);
  mapper.end(out);
  return out;
}

describe("OpenAiStreamMapper", () => {
  it("maps reasoning_content (vLLM, llama.cpp) to a reasoning block before the text", () => {
    const parts = run([
      { choices: [{ delta: { reasoning_content: "think" } }] },
      { choices: [{ delta: { content: "answer" } }] },
      { choices: [{ delta: {}, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 2 } },
      "[DONE]",
    ]);
    assertWellFormedStream(parts);
    assert.deepEqual(parts.map((p) => p.type), ["reasoning-start", "reasoning-delta", "reasoning-end", "text-start", "text-delta", "text-end", "finish"]);
    assert.deepEqual(parts.at(-1), { type: "finish", finishReason: "end_turn", usage: { inputTokens: 3, outputTokens: 2 } });
  });

  it("accepts a whole tool call in one chunk without index or id (Ollama)", () => {
    const parts = run([
      { choices: [{ delta: { tool_calls: [{ function: { name: "f", arguments: '{"a":1}' } }] } }] },
      { choices: [{ delta: {}, finish_reason: "tool_calls" }] },
    ]);
    assertWellFormedStream(parts);
    const end = parts.find((p) => p.type === "tool-call-end") as Extract<StreamPart, { type: "tool-call-end" }>;
    assert.deepEqual(end.input, { a: 1 });
    assert.match(end.id, /^call_[A-Za-z0-9_-]+$/);
    assert.equal((parts.at(-1) as { finishReason: string }).finishReason, "tool_use");
  });

  it("reports unparseable tool arguments as malformed_tool_use", () => {
    const parts = run([
      { choices: [{ delta: { tool_calls: [{ index: 0, id: "c1", function: { name: "f", arguments: '{"a":' } }] } }] },
      { choices: [{ delta: {}, finish_reason: "tool_calls" }] },
    ]);
    assert.deepEqual(parts.find((p) => p.type === "tool-call-end"), { type: "tool-call-end", id: "c1", input: {} });
    assert.equal((parts.at(-1) as { finishReason: string }).finishReason, "malformed_tool_use");
  });

  it("fails when the body ends before a finish reason or [DONE]", () => {
    assert.throws(() => run([{ choices: [{ delta: { content: "cut" } }] }]), /ended before a finish reason/);
  });
});
