// The bedrock provider against a second, real Basalt serving mock models: the real Bedrock
// wire (SigV4, h2c, event streams) end to end, with no fake of AWS.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { parseConfig } from "../../../config/loader.ts";
import { modelConfigSchema, type ModelConfigOf } from "../../../config/schema.ts";
import { BasaltError } from "../../../spec/errors.ts";
import type { GenerateRequest, LanguageModel, StreamPart } from "../../../spec/model.ts";
import { assertWellFormedStream, languageModelConformance } from "../../../../test/conformance/language-model.ts";
import { DUMMY_CREDENTIALS, startTestServer, type TestServer } from "../../../../test/helpers/server.ts";
import { bedrockProvider } from "./provider.ts";

const context = { config: parseConfig({ embeddedDefaults: false }), logger: pino({ level: "silent" }) };
const user = (text: string): GenerateRequest["messages"] => [{ role: "user", content: [{ type: "text", text }] }];
const weather = { name: "get_weather", inputSchema: { type: "object", properties: { city: { type: "string" } } } };

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

describe("bedrock provider", () => {
  let upstream: TestServer;
  const entry = (upstreamModel: string, extra: Record<string, unknown> = {}) =>
    modelConfigSchema.parse({
      provider: "bedrock",
      id: `b.${upstreamModel}`,
      upstreamModel,
      endpoint: upstream.url,
      accessKeyId: "env::BASALT_TEST_AWS_KEY_ID",
      secretAccessKey: "env::BASALT_TEST_AWS_SECRET",
      ...extra,
    }) as ModelConfigOf<"bedrock">;
  const language = (upstreamModel: string): LanguageModel => bedrockProvider.create(entry(upstreamModel), context).language!;

  before(async () => {
    process.env.BASALT_TEST_AWS_KEY_ID = DUMMY_CREDENTIALS.accessKeyId;
    process.env.BASALT_TEST_AWS_SECRET = DUMMY_CREDENTIALS.secretAccessKey;
    upstream = await startTestServer({
      embeddedDefaults: false,
      models: [
        { provider: "mock", id: "mock.echo", chunkSize: 4 },
        { provider: "mock", id: "mock.tools", mode: "script", responses: [{ text: "Let me check.", toolCalls: [{ name: "get_weather", input: { city: "Paris" } }] }] },
        { provider: "mock", id: "mock.throttled", mode: "script", responses: [{ error: "THROTTLED" }] },
        { provider: "mock", id: "mock.failing", mode: "script", responses: [{ error: "MODEL_ERROR" }] },
        { provider: "mock", id: "mock.broken-stream", mode: "script", responses: [{ text: "partial answer here", error: "MODEL_ERROR", errorAfterChunks: 1 }], chunkSize: 4 },
        { provider: "mock", id: "mock.slow", latencyMs: 1500 },
        { provider: "mock", id: "amazon.titan-embed-text-v2:0", embedding: true, embeddingDimensions: 256, invokeFormat: "titan-embed" },
      ],
    });
  });
  after(async () => {
    await bedrockProvider.close!();
    await upstream.stop();
  });

  describe("conformance", () => {
    languageModelConformance({ model: () => language("mock.echo"), prompt: "Once upon a time there was a small cat" });
  });

  it("converses with system, sampling and stops over the real wire", async () => {
    const result = await language("mock.echo").generate({ system: "Be brief.", messages: user("one two STOP three"), stopSequences: ["STOP"], temperature: 0.1, topK: 5 });
    assert.deepEqual(result.content, [{ type: "text", text: "one two " }]);
    assert.equal(result.finishReason, "stop_sequence");
    assert.ok(result.usage.inputTokens > 0);
    assert.deepEqual(result.warnings.map((w) => w.setting), ["topK"]);
  });

  it("returns and streams tool calls with parsed input, and sends tool results back", async () => {
    const whole = await language("mock.tools").generate({ messages: user("Weather in Paris?"), tools: [weather], toolChoice: { type: "any" } });
    assert.equal(whole.finishReason, "tool_use");
    const call = whole.content.find((p) => p.type === "tool-call");
    assert.deepEqual(call && { name: call.toolName, input: call.input }, { name: "get_weather", input: { city: "Paris" } });
    const parts = await collect(language("mock.tools").stream({ messages: user("Weather in Paris?"), tools: [weather] }));
    assertWellFormedStream(parts);
    const end = parts.find((p) => p.type === "tool-call-end");
    assert.deepEqual(end && "input" in end ? end.input : undefined, { city: "Paris" });
    const answer = await language("mock.echo").generate({
      messages: [
        ...user("Weather?"),
        { role: "assistant", content: [{ type: "tool-call", toolCallId: "tu_1", toolName: "get_weather", input: { city: "Paris" } }] },
        { role: "user", content: [{ type: "tool-result", toolCallId: "tu_1", content: [{ type: "json", value: { sky: "clear" } }], isError: false }, { type: "text", text: "thanks" }] },
      ],
      tools: [weather],
    });
    assert.deepEqual(answer.content, [{ type: "text", text: "thanks" }]);
  });

  it("counts tokens through CountTokens", async () => {
    const short = await language("mock.echo").countTokens({ messages: user("hi") });
    const long = await language("mock.echo").countTokens({ messages: user("hi ".repeat(40)) });
    assert.ok(short > 0 && long > short);
  });

  it("embeds with Titan bodies through InvokeModel", async () => {
    const embedder = bedrockProvider.create(entry("amazon.titan-embed-text-v2:0", { embedding: true }), context).embedding!;
    const result = await embedder.embed({ texts: ["alpha", "beta", "gamma", "delta", "epsilon"], dimensions: 256 });
    assert.equal(result.embeddings.length, 5);
    for (const vector of result.embeddings) assert.equal(vector.length, 256);
    assert.notDeepEqual(result.embeddings[0], result.embeddings[1]);
  });

  it("maps upstream exceptions by name", async () => {
    await rejectsWith(language("mock.throttled").generate({ messages: user("x") }), "THROTTLED");
    await rejectsWith(language("mock.failing").generate({ messages: user("x") }), "MODEL_ERROR");
    await rejectsWith(language("mock.unknown-model").generate({ messages: user("x") }), "VALIDATION");
    await rejectsWith(collect(language("mock.throttled").stream({ messages: user("x") })), "THROTTLED");
    const parts: StreamPart[] = [];
    await rejectsWith(
      (async () => {
        for await (const part of language("mock.broken-stream").stream({ messages: user("x") })) parts.push(part);
      })(),
      "MODEL_STREAM_ERROR",
    );
    assert.ok(parts.some((p) => p.type === "text-delta"));
  });

  it("reports missing credentials and an unreachable endpoint", async () => {
    const noSecret = bedrockProvider.create(entry("mock.echo", { accessKeyId: "env::BASALT_TEST_NO_SUCH_KEY" }), context).language!;
    const missing = await rejectsWith(noSecret.generate({ messages: user("x") }), "SERVICE_UNAVAILABLE");
    assert.match(missing.message, /BASALT_TEST_NO_SUCH_KEY/);
    const down = await startTestServer({ embeddedDefaults: false });
    const url = down.url;
    await down.stop();
    const dead = bedrockProvider.create(entry("mock.echo", { endpoint: url }), context).language!;
    await rejectsWith(dead.generate({ messages: user("x") }), "SERVICE_UNAVAILABLE");
    assert.throws(() => bedrockProvider.create(entry("mock.echo", { secretAccessKey: undefined }), context), /set together/);
  });

  it("aborts an upstream call on signal", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = language("mock.slow").generate({ messages: user("x"), signal: controller.signal });
    setTimeout(() => controller.abort(new BasaltError("MODEL_TIMEOUT", "deadline")), 100);
    await rejectsWith(pending, "MODEL_TIMEOUT");
    assert.ok(Date.now() - started < 1000);
    const streamController = new AbortController();
    const stream = language("mock.slow").stream({ messages: user("x"), signal: streamController.signal });
    setTimeout(() => streamController.abort(new BasaltError("MODEL_TIMEOUT", "deadline")), 100);
    await rejectsWith(collect(stream), "MODEL_TIMEOUT");
  });
});
