import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { parseConfig } from "../../../config/loader.ts";
import { modelConfigSchema, type ModelConfigOf } from "../../../config/schema.ts";
import { BasaltError } from "../../../spec/errors.ts";
import type { GenerateRequest, LanguageModel, StreamPart } from "../../../spec/model.ts";
import { assertWellFormedStream, languageModelConformance } from "../../../../test/conformance/language-model.ts";
import { startAnthropicUpstream } from "../../../../test/helpers/anthropic-upstream.ts";
import type { FakeUpstream } from "../../../../test/helpers/upstream-common.ts";
import { anthropicProvider } from "./provider.ts";

const context = { config: parseConfig({ embeddedDefaults: false }), logger: pino({ level: "silent" }) };
const user = (text: string): GenerateRequest["messages"] => [{ role: "user", content: [{ type: "text", text }] }];
const lookup = { name: "lookup", description: "Looks things up", inputSchema: { type: "object", properties: { text: { type: "string" } } } };

async function collect(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<BasaltError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BasaltError, `expected a BasaltError, got ${error}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe("anthropic provider", () => {
  let upstream: FakeUpstream;
  const language = (upstreamModel: string, extra: Record<string, unknown> = {}): LanguageModel => {
    const config = modelConfigSchema.parse({ provider: "anthropic", id: `a.${upstreamModel}`, baseUrl: upstream.url, upstreamModel, apiKey: "env::BASALT_TEST_ANTHROPIC_KEY", ...extra });
    return anthropicProvider.create(config as ModelConfigOf<"anthropic">, context).language!;
  };
  const last = () => upstream.requests.at(-1)!;

  before(async () => {
    upstream = await startAnthropicUpstream({ apiKey: "sk-ant-test-secret" });
    process.env.BASALT_TEST_ANTHROPIC_KEY = "sk-ant-test-secret";
  });
  after(async () => {
    await anthropicProvider.close!();
    await upstream.close();
  });

  describe("conformance", () => {
    languageModelConformance({ model: () => language("claude-echo"), prompt: "Once upon a time there was a cat" });
  });

  it("sends the key, version, system, sampling, images, PDFs and providerOptions", async () => {
    const result = await language("claude-echo").generate({
      system: "Be brief.",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "hello there" },
            { type: "image", format: "jpeg", bytes: new Uint8Array([255, 216]) },
            { type: "document", name: "spec", format: "pdf", bytes: new Uint8Array([37, 80]) },
          ],
        },
      ],
      maxTokens: 100,
      temperature: 0.5,
      topP: 0.8,
      topK: 20,
      stopSequences: ["###"],
      providerOptions: { metadata: { user_id: "u1" }, anthropic_beta: ["pdfs-2024-09-25"] },
    });
    const { headers, body, path } = last();
    assert.equal(path, "/v1/messages");
    assert.equal(headers["x-api-key"], "sk-ant-test-secret");
    assert.equal(headers["anthropic-version"], "2023-06-01");
    assert.equal(headers["anthropic-beta"], "pdfs-2024-09-25");
    assert.deepEqual(
      { system: body.system, max_tokens: body.max_tokens, temperature: body.temperature, top_p: body.top_p, top_k: body.top_k, stop: body.stop_sequences, metadata: body.metadata, beta: body.anthropic_beta },
      { system: "Be brief.", max_tokens: 100, temperature: 0.5, top_p: 0.8, top_k: 20, stop: ["###"], metadata: { user_id: "u1" }, beta: undefined },
    );
    assert.deepEqual(body.messages[0].content[1], { type: "image", source: { type: "base64", media_type: "image/jpeg", data: "/9g=" } });
    assert.deepEqual(body.messages[0].content[2], { type: "document", title: "spec", source: { type: "base64", media_type: "application/pdf", data: "JVA=" } });
    assert.deepEqual(result.content, [{ type: "text", text: "hello there" }]);
    assert.deepEqual(result.warnings, []);
  });

  it("defaults max_tokens, which the Messages API requires", async () => {
    await language("claude-echo").generate({ messages: user("x") });
    assert.equal(last().body.max_tokens, 4096);
  });

  it("maps stop sequences, max tokens and usage", async () => {
    const stopped = await language("claude-echo").generate({ messages: user("a b ### c"), stopSequences: ["###"] });
    assert.equal(stopped.finishReason, "stop_sequence");
    assert.equal(stopped.stopSequence, "###");
    const parts = await collect(language("claude-echo").stream({ messages: user("a b ### c"), stopSequences: ["###"] }));
    assert.deepEqual(parts.at(-1), { type: "finish", finishReason: "stop_sequence", stopSequence: "###", usage: { inputTokens: 5, outputTokens: 2 } });
    const capped = await language("claude-echo").generate({ messages: user("one two three four"), maxTokens: 2 });
    assert.equal(capped.finishReason, "max_tokens");
  });

  it("maps tools, tool choice and tool_use / tool_result round trips", async () => {
    const first = await language("claude-echo").generate({ messages: user("Rome"), tools: [lookup], toolChoice: { type: "any" } });
    assert.deepEqual(last().body.tools, [{ name: "lookup", description: "Looks things up", input_schema: lookup.inputSchema }]);
    assert.deepEqual(last().body.tool_choice, { type: "any" });
    assert.equal(first.finishReason, "tool_use");
    const call = first.content[1]!;
    assert.deepEqual(call, { type: "tool-call", toolCallId: "toolu_1", toolName: "lookup", input: { text: "Rome" } });
    await language("claude-echo").generate({ messages: user("x"), tools: [lookup], toolChoice: { type: "tool", name: "lookup" } });
    assert.deepEqual(last().body.tool_choice, { type: "tool", name: "lookup" });
    const second = await language("claude-echo").generate({
      messages: [
        ...user("Rome"),
        { role: "assistant", content: first.content.map((p) => (p.type === "tool-call" ? { ...p } : p)) as never },
        { role: "user", content: [{ type: "tool-result", toolCallId: "toolu_1", content: [{ type: "text", text: "sunny" }], isError: true }] },
      ],
      tools: [lookup],
    });
    assert.deepEqual(last().body.messages[1].content[1], { type: "tool_use", id: "toolu_1", name: "lookup", input: { text: "Rome" } });
    assert.deepEqual(last().body.messages[2].content[0], { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "sunny" }], is_error: true });
    assert.deepEqual(second.content, [{ type: "text", text: "Tool result: sunny" }]);
  });

  it("streams text and tool input deltas with the parsed input", async () => {
    const parts = await collect(language("claude-echo").stream({ messages: user("Rome"), tools: [lookup] }));
    assertWellFormedStream(parts);
    assert.deepEqual(
      parts.map((p) => p.type),
      ["text-start", "text-delta", "text-end", "tool-call-start", "tool-input-delta", "tool-input-delta", "tool-call-end", "finish"],
    );
    assert.deepEqual(parts[6], { type: "tool-call-end", id: "toolu_1", input: { text: "Rome" } });
    assert.equal((parts.at(-1) as { finishReason: string }).finishReason, "tool_use");
  });

  it("counts tokens with the upstream's count_tokens endpoint", async () => {
    const count = await language("claude-echo").countTokens({ system: "sys", messages: user("one two three"), maxTokens: 5 });
    assert.equal(last().path, "/v1/messages/count_tokens");
    assert.equal(count, 5);
  });

  it("sends a raw prompt as one user message with a warning", async () => {
    const result = await language("claude-echo").generate({ messages: [], rawPrompt: "Human: hi" });
    assert.deepEqual(last().body.messages, [{ role: "user", content: "Human: hi" }]);
    assert.deepEqual(result.warnings.map((w) => w.setting), ["rawPrompt"]);
  });

  it("maps upstream statuses to Basalt errors without upstream bodies", async () => {
    const e500 = await rejectsWith(language("fault-500").generate({ messages: user("x") }), "MODEL_ERROR");
    assert.equal(e500.originalStatusCode, 500);
    assert.doesNotMatch(e500.message, /upstream-only/);
    assert.equal((await rejectsWith(language("fault-429").generate({ messages: user("x") }), "THROTTLED")).retryAfterSeconds, 3);
    await rejectsWith(language("fault-529").generate({ messages: user("x") }), "SERVICE_UNAVAILABLE");
    await rejectsWith(language("fault-400").generate({ messages: user("x") }), "VALIDATION");
    const denied = await rejectsWith(language("claude-echo", { apiKey: undefined }).generate({ messages: user("x") }), "MODEL_ERROR");
    assert.match(denied.message, /credentials/);
    await rejectsWith(collect(language("fault-500").stream({ messages: user("x") })), "MODEL_ERROR");
  });

  it("fails mid-stream with MODEL_STREAM_ERROR after the first part", async () => {
    for (const name of ["drop-mid-stream", "malformed-stream", "error-event"]) {
      const parts: StreamPart[] = [];
      await rejectsWith(
        (async () => {
          for await (const part of language(name).stream({ messages: user("one two three four") })) parts.push(part);
        })(),
        "MODEL_STREAM_ERROR",
      );
      assert.ok(parts.length > 0, `${name}: parts before the failure`);
    }
  });

  it("maps a refused connection to SERVICE_UNAVAILABLE", async () => {
    const down = await startAnthropicUpstream();
    await down.close();
    const dead = anthropicProvider.create(modelConfigSchema.parse({ provider: "anthropic", id: "a.down", baseUrl: down.url, upstreamModel: "x" }) as ModelConfigOf<"anthropic">, context).language!;
    await rejectsWith(dead.generate({ messages: user("x") }), "SERVICE_UNAVAILABLE");
  });
});
