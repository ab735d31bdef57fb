import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { parseConfig } from "../../../config/loader.ts";
import { modelConfigSchema, type ModelConfigOf } from "../../../config/schema.ts";
import { BasaltError } from "../../../spec/errors.ts";
import type { EmbeddingModel, GenerateRequest, LanguageModel, StreamPart } from "../../../spec/model.ts";
import { assertWellFormedStream, languageModelConformance } from "../../../../test/conformance/language-model.ts";
import { startOpenAiUpstream } from "../../../../test/helpers/openai-upstream.ts";
import type { FakeUpstream } from "../../../../test/helpers/upstream-common.ts";
import { openAiProvider } from "./provider.ts";

const context = { config: parseConfig({ embeddedDefaults: false }), logger: pino({ level: "silent" }) };
const user = (text: string): GenerateRequest["messages"] => [{ role: "user", content: [{ type: "text", text }] }];
const weather = { name: "get_weather", description: "Weather for a city", inputSchema: { type: "object", properties: { text: { type: "string" } } } };

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

describe("openai provider", () => {
  let upstream: FakeUpstream;
  const language = (upstreamModel: string, extra: Record<string, unknown> = {}): LanguageModel => {
    const config = modelConfigSchema.parse({ provider: "openai", id: `t.${upstreamModel}`, baseUrl: upstream.url, upstreamModel, apiKey: "env::BASALT_TEST_OPENAI_KEY", ...extra });
    return openAiProvider.create(config as ModelConfigOf<"openai">, context).language!;
  };
  const last = () => upstream.requests.at(-1)!;

  before(async () => {
    upstream = await startOpenAiUpstream({ apiKey: "sk-test-secret" });
    process.env.BASALT_TEST_OPENAI_KEY = "sk-test-secret";
  });
  after(async () => {
    await openAiProvider.close!();
    await upstream.close();
  });

  describe("conformance", () => {
    languageModelConformance({ model: () => language("echo"), prompt: "Once upon a time there was a cat" });
  });

  const model = () => language("echo");

  it("maps sampling, stops, images, providerOptions and warns about topK", async () => {
    const result = await model().generate({
      system: "Be brief.",
      messages: [{ role: "user", content: [{ type: "text", text: "look" }, { type: "image", format: "png", bytes: new Uint8Array([1, 2, 3]) }] }],
      maxTokens: 50,
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      stopSequences: ["END"],
      providerOptions: { seed: 7, model: "must-not-win" },
    });
    const body = last().body;
    assert.equal(last().path, "/v1/chat/completions");
    assert.equal(last().headers.authorization, "Bearer sk-test-secret");
    assert.equal(body.model, "echo");
    assert.deepEqual(
      { max_tokens: body.max_tokens, temperature: body.temperature, top_p: body.top_p, stop: body.stop, seed: body.seed, stream: body.stream },
      { max_tokens: 50, temperature: 0.2, top_p: 0.9, stop: ["END"], seed: 7, stream: undefined },
    );
    assert.equal(body.top_k, undefined);
    assert.deepEqual(body.messages[0], { role: "system", content: "Be brief." });
    assert.deepEqual(body.messages[1].content[1], { type: "image_url", image_url: { url: "data:image/png;base64,AQID" } });
    assert.deepEqual(result.warnings.map((w) => w.setting), ["topK"]);
    assert.deepEqual(result.content, [{ type: "text", text: "look" }]);
  });

  it("reports a stop sequence that the upstream matched", async () => {
    const result = await model().generate({ messages: user("one two STOP three"), stopSequences: ["STOP"] });
    assert.equal(result.finishReason, "stop_sequence");
    assert.equal(result.stopSequence, "STOP");
    const parts = await collect(model().stream({ messages: user("one two STOP three"), stopSequences: ["STOP"] }));
    assert.deepEqual(parts.at(-1), { type: "finish", finishReason: "stop_sequence", stopSequence: "STOP", usage: { inputTokens: 5, outputTokens: 2 } });
  });

  it("maps tools and tool choice, and returns tool calls from generate", async () => {
    const result = await model().generate({ messages: user("Paris"), tools: [weather], toolChoice: { type: "any" } });
    assert.equal(last().body.tool_choice, "required");
    assert.deepEqual(last().body.tools[0], { type: "function", function: { name: "get_weather", description: "Weather for a city", parameters: weather.inputSchema } });
    assert.equal(result.finishReason, "tool_use");
    assert.deepEqual(result.content[1], { type: "tool-call", toolCallId: "call_0_1", toolName: "get_weather", input: { text: "Paris" } });
    await model().generate({ messages: user("x"), tools: [weather], toolChoice: { type: "tool", name: "get_weather" } });
    assert.deepEqual(last().body.tool_choice, { type: "function", function: { name: "get_weather" } });
    const none = await model().generate({ messages: user("x"), tools: [weather], toolChoice: { type: "none" } });
    assert.equal(last().body.tool_choice, "none");
    assert.equal(none.finishReason, "end_turn");
  });

  it("streams tool-call argument deltas as start / deltas / end with the parsed input", async () => {
    const parts = await collect(model().stream({ messages: user("Paris"), tools: [weather] }));
    assertWellFormedStream(parts);
    const types = parts.map((p) => p.type);
    assert.deepEqual(types, ["text-start", "text-delta", "text-end", "tool-call-start", "tool-input-delta", "tool-input-delta", "tool-input-delta", "tool-call-end", "finish"]);
    const deltas = parts.flatMap((p) => (p.type === "tool-input-delta" ? [p.delta] : [])).join("");
    assert.equal(deltas, '{"text":"Paris"}');
    assert.deepEqual(parts[7], { type: "tool-call-end", id: "call_0_1", input: { text: "Paris" } });
    assert.equal((parts.at(-1) as { finishReason: string }).finishReason, "tool_use");
  });

  it("keeps interleaved parallel tool calls apart by index", async () => {
    const tools = [weather, { ...weather, name: "get_time" }];
    const parts = await collect(language("parallel-tools").stream({ messages: user("Oslo"), tools }));
    assertWellFormedStream(parts);
    const ends = parts.filter((p) => p.type === "tool-call-end");
    assert.equal(ends.length, 2);
    for (const end of ends) assert.deepEqual((end as { input: unknown }).input, { text: "Oslo" });
  });

  it("sends a tool round trip as assistant tool_calls and a tool message", async () => {
    const result = await model().generate({
      messages: [
        { role: "user", content: [{ type: "text", text: "Weather?" }] },
        { role: "assistant", content: [{ type: "tool-call", toolCallId: "call_1", toolName: "get_weather", input: { city: "Paris" } }] },
        { role: "user", content: [{ type: "tool-result", toolCallId: "call_1", content: [{ type: "json", value: { sky: "clear" } }], isError: false }] },
      ],
      tools: [weather],
    });
    const messages = last().body.messages;
    assert.deepEqual(messages[1], { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] });
    assert.deepEqual(messages[2], { role: "tool", tool_call_id: "call_1", content: '{"sky":"clear"}' });
    assert.deepEqual(result.content, [{ type: "text", text: 'Tool result: {"sky":"clear"}' }]);
  });

  it("sends raw prompts to /v1/completions, whole and streamed", async () => {
    const result = await model().generate({ messages: [], rawPrompt: "<s>[INST] hi there [/INST]", maxTokens: 2 });
    assert.equal(last().path, "/v1/completions");
    assert.equal(last().body.prompt, "<s>[INST] hi there [/INST]");
    assert.deepEqual(result.content, [{ type: "text", text: "<s>[INST] hi " }]);
    assert.equal(result.finishReason, "max_tokens");
    const parts = await collect(model().stream({ messages: [], rawPrompt: "a b c" }));
    assertWellFormedStream(parts);
    assert.equal(parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join(""), "a b c");
  });

  it("estimates usage when the upstream reports none", async () => {
    const result = await language("no-usage").generate({ messages: user("hello world") });
    assert.ok(result.usage.inputTokens > 0 && result.usage.outputTokens > 0);
    const parts = await collect(language("no-usage").stream({ messages: user("hello world") }));
    const finish = parts.at(-1) as Extract<StreamPart, { type: "finish" }>;
    assert.ok(finish.usage.inputTokens > 0 && finish.usage.outputTokens > 0);
  });

  it("embeds through /v1/embeddings with unit vectors and dimensions", async () => {
    const config = modelConfigSchema.parse({ provider: "openai", id: "t.embed", baseUrl: upstream.url, upstreamModel: "emb", embedding: true, apiKey: "env::BASALT_TEST_OPENAI_KEY" });
    const provided = openAiProvider.create(config as ModelConfigOf<"openai">, context);
    assert.equal(provided.language, undefined);
    const embedder = provided.embedding as EmbeddingModel;
    const result = await embedder.embed({ texts: ["alpha", "beta gamma"], dimensions: 4 });
    assert.equal(last().path, "/v1/embeddings");
    assert.equal(last().body.dimensions, 4);
    assert.equal(result.embeddings.length, 2);
    for (const vector of result.embeddings) {
      assert.equal(vector.length, 4);
      assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-9);
    }
    assert.equal(result.usage.inputTokens, 3);
  });

  it("maps upstream statuses to Basalt errors without upstream bodies", async () => {
    const e500 = await rejectsWith(language("fault-500").generate({ messages: user("x") }), "MODEL_ERROR");
    assert.equal(e500.originalStatusCode, 500);
    assert.doesNotMatch(e500.message, /upstream-only detail/);
    const e429 = await rejectsWith(language("fault-429").generate({ messages: user("x") }), "THROTTLED");
    assert.equal(e429.retryAfterSeconds, 7);
    await rejectsWith(language("fault-400").generate({ messages: user("x") }), "VALIDATION");
    const e401 = await rejectsWith(language("fault-401").generate({ messages: user("x") }), "MODEL_ERROR");
    assert.match(e401.message, /credentials/);
    const noKey = await rejectsWith(language("echo", { apiKey: undefined }).generate({ messages: user("x") }), "MODEL_ERROR");
    assert.doesNotMatch(noKey.message, /sk-test-secret/);
    await rejectsWith(collect(language("fault-500").stream({ messages: user("x") })), "MODEL_ERROR");
  });

  it("maps a refused connection to SERVICE_UNAVAILABLE and a missing secret without leaking it", async () => {
    const down = await startOpenAiUpstream();
    const url = down.url;
    await down.close();
    const config = modelConfigSchema.parse({ provider: "openai", id: "t.down", baseUrl: url, upstreamModel: "echo" });
    const dead = openAiProvider.create(config as ModelConfigOf<"openai">, context).language!;
    await rejectsWith(dead.generate({ messages: user("x") }), "SERVICE_UNAVAILABLE");
    const unset = language("echo", { apiKey: "env::BASALT_TEST_UNSET_KEY" });
    const error = await rejectsWith(unset.generate({ messages: user("x") }), "SERVICE_UNAVAILABLE");
    assert.match(error.message, /BASALT_TEST_UNSET_KEY/);
  });

  it("fails mid-stream with MODEL_STREAM_ERROR after the first part", async () => {
    for (const name of ["drop-mid-stream", "malformed-stream", "error-event"]) {
      const parts: StreamPart[] = [];
      const error = await rejectsWith(
        (async () => {
          for await (const part of language(name).stream({ messages: user("one two three four") })) parts.push(part);
        })(),
        "MODEL_STREAM_ERROR",
      );
      assert.ok(parts.length > 0, `${name}: parts before the failure`);
      assert.doesNotMatch(error.message, /secret/);
    }
  });

  it("aborts the upstream request on signal, releases the socket, and close() drops the pool", async () => {
    const own = await startOpenAiUpstream({ record: false });
    const hang = openAiProvider.create(modelConfigSchema.parse({ provider: "openai", id: "h", baseUrl: own.url, upstreamModel: "hang" }) as ModelConfigOf<"openai">, context).language!;
    const controller = new AbortController();
    const pending = hang.generate({ messages: user("x"), signal: controller.signal });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(own.openConnections(), 1);
    controller.abort(new BasaltError("MODEL_TIMEOUT", "deadline"));
    await rejectsWith(pending, "MODEL_TIMEOUT");
    // undici destroys the aborted socket and may open one idle replacement: never more.
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(own.openConnections() <= 1);
    await openAiProvider.close!();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(own.openConnections(), 0);
    await own.close();
  });

  it("shares one bounded pool per origin", async () => {
    const pooled = await startOpenAiUpstream({ chunkDelayMs: 2, record: false });
    const a = openAiProvider.create(modelConfigSchema.parse({ provider: "openai", id: "p.a", baseUrl: pooled.url, upstreamModel: "echo", connections: 3 }) as ModelConfigOf<"openai">, context).language!;
    const b = openAiProvider.create(modelConfigSchema.parse({ provider: "openai", id: "p.b", baseUrl: `${pooled.url}/v1`, upstreamModel: "echo", connections: 2 }) as ModelConfigOf<"openai">, context).language!;
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, pooled.openConnections())), 1);
    await Promise.all(Array.from({ length: 20 }, (_, i) => collect((i % 2 ? a : b).stream({ messages: user("a b c d") }))));
    clearInterval(timer);
    assert.ok(peak <= 3 && peak > 0, `peak ${peak}`);
    await pooled.close();
  });
});
