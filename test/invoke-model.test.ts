// InvokeModel and InvokeModelWithResponseStream with every family's native body, through the
// real AWS SDK (h2c) and LangChain against the live server: mock text models behind each
// family's Bedrock id, and the offline sentence encoder behind Titan and Cohere embeddings.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  BedrockRuntimeClient,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { BedrockEmbeddings } from "@langchain/aws";
import { DUMMY_CREDENTIALS, startTestServer, type TestServer } from "./helpers/server.ts";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const TITAN_TEXT = "amazon.titan-text-express-v1";
const LLAMA = "meta.llama3-8b-instruct-v1:0";
const MISTRAL = "mistral.mistral-7b-instruct-v0:2";
const COMMAND_R = "cohere.command-r-v1:0";
const TITAN_EMBED_V2 = "amazon.titan-embed-text-v2:0";
const TITAN_EMBED_V1 = "amazon.titan-embed-text-v1";
const COHERE_EMBED = "cohere.embed-english-v3";
const WEATHER_TOOL = { name: "get_weather", description: "Weather by city", input_schema: { type: "object", properties: { city: { type: "string" } } } };

type Json = Record<string, any>;

describe("InvokeModel API", () => {
  let server: TestServer;
  let runtime: BedrockRuntimeClient;
  let lastHeaders: Record<string, string> = {};

  before(async () => {
    server = await startTestServer({
      models: [
        { provider: "mock", id: "mock.echo", aliases: [HAIKU, TITAN_TEXT, LLAMA, MISTRAL, COMMAND_R], chunkSize: 5 },
        { provider: "mock", id: "mock.plain" },
        { provider: "mock", id: "mock.as-mistral", invokeFormat: "mistral" },
        {
          provider: "mock",
          id: "mock.tools",
          aliases: ["anthropic.claude-3-5-sonnet-20240620-v1:0"],
          mode: "script",
          responses: [{ text: "Let me check.", toolCalls: [{ name: "get_weather", input: { city: "Paris" } }] }, { text: "It is sunny in Paris." }],
        },
        { provider: "mock", id: "mock.tool-stream", aliases: ["anthropic.claude-tool-stream", "cohere.command-r-plus-v1:0"], mode: "script", responses: [{ text: "Checking.", toolCalls: [{ name: "get_weather", input: { city: "Paris" } }] }] },
        { provider: "mock", id: "mock.broken", aliases: ["anthropic.claude-broken", "meta.llama-broken"], mode: "script", responses: [{ text: "partial answer here", error: "MODEL_ERROR", errorAfterChunks: 1 }], chunkSize: 4 },
        { provider: "use", id: "basalt.use-lite-v1", aliases: [TITAN_EMBED_V2, TITAN_EMBED_V1, COHERE_EMBED], embeddingDimensions: 512 },
      ],
    });
    runtime = new BedrockRuntimeClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
    runtime.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        lastHeaders = (out.response as { headers: Record<string, string> }).headers;
        return out;
      },
      { step: "deserialize", name: "captureHeaders" },
    );
  });
  after(async () => {
    runtime.destroy();
    await server.stop();
  });

  async function invoke(modelId: string, body: unknown): Promise<Json> {
    const out = await runtime.send(new InvokeModelCommand({ modelId, body: JSON.stringify(body) }));
    assert.equal(out.contentType, "application/json");
    return JSON.parse(new TextDecoder().decode(out.body));
  }

  async function stream(modelId: string, body: unknown): Promise<Json[]> {
    const out = await runtime.send(new InvokeModelWithResponseStreamCommand({ modelId, body: JSON.stringify(body), contentType: "application/json" }));
    assert.equal(out.contentType, "application/json");
    const chunks: Json[] = [];
    for await (const event of out.body!) if (event.chunk?.bytes) chunks.push(JSON.parse(new TextDecoder().decode(event.chunk.bytes)));
    return chunks;
  }

  function assertMetrics(last: Json | undefined): void {
    const metrics = last?.["amazon-bedrock-invocationMetrics"];
    assert.ok(metrics, "the last chunk carries amazon-bedrock-invocationMetrics");
    // Explicit messages: assert.ok without one re-reads the source to build it, which is slow under tsx.
    assert.ok(metrics.inputTokenCount > 0 && metrics.outputTokenCount > 0, `token counts ${JSON.stringify(metrics)}`);
    assert.ok(metrics.invocationLatency >= metrics.firstByteLatency && metrics.firstByteLatency >= 0, `latencies ${JSON.stringify(metrics)}`);
  }

  it("answers an Anthropic Messages body with Bedrock's token headers", async () => {
    const out = await invoke(HAIKU, {
      anthropic_version: "2026-10-21",
      max_tokens: 100,
      system: [{ type: "text", text: "Be brief." }],
      messages: [{ role: "user", content: "Say this back" }],
    });
    assert.equal(out.type, "message");
    assert.equal(out.role, "assistant");
    assert.deepEqual(out.content, [{ type: "text", text: "Say this back" }]);
    assert.equal(out.stop_reason, "end_turn");
    assert.ok(out.usage.input_tokens > 0 && out.usage.output_tokens > 0);
    assert.equal(lastHeaders["x-amzn-bedrock-input-token-count"], String(out.usage.input_tokens));
    assert.equal(lastHeaders["x-amzn-bedrock-output-token-count"], String(out.usage.output_tokens));
    assert.match(lastHeaders["x-amzn-bedrock-invocation-latency"] ?? "", /^\d+$/);
  });

  it("streams Anthropic events from message_start to message_stop", async () => {
    const chunks = await stream(HAIKU, { anthropic_version: "bedrock-2023-05-31", max_tokens: 50, messages: [{ role: "user", content: [{ type: "text", text: "hello streaming world" }] }] });
    const types = chunks.map((c) => c.type);
    assert.deepEqual([types[0], types[1], types.at(-3), types.at(-2), types.at(-1)], ["message_start", "content_block_start", "content_block_stop", "message_delta", "message_stop"]);
    const text = chunks.filter((c) => c.type === "content_block_delta").map((c) => c.delta.text).join("");
    assert.equal(text, "hello streaming world");
    assert.ok(chunks.filter((c) => c.type === "content_block_delta").length > 1);
    assert.equal(chunks.at(-2)!.delta.stop_reason, "end_turn");
    assertMetrics(chunks.at(-1));
  });

  it("runs an Anthropic tool_use → tool_result round trip", async () => {
    const model = "anthropic.claude-3-5-sonnet-20240620-v1:0";
    const messages: Json[] = [{ role: "user", content: "Weather in Paris?" }];
    const base = { anthropic_version: "bedrock-2023-05-31", max_tokens: 200, tools: [WEATHER_TOOL], tool_choice: { type: "auto" } };
    const first = await invoke(model, { ...base, messages });
    assert.equal(first.stop_reason, "tool_use");
    const use = first.content.find((c: Json) => c.type === "tool_use");
    assert.equal(use.name, "get_weather");
    assert.deepEqual(use.input, { city: "Paris" });
    messages.push({ role: "assistant", content: first.content });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "sunny, 24°C" }] });
    const second = await invoke(model, { ...base, messages });
    assert.equal(second.stop_reason, "end_turn");
    assert.deepEqual(second.content, [{ type: "text", text: "It is sunny in Paris." }]);
  });

  it("streams Anthropic tool_use blocks as input_json_delta", async () => {
    const chunks = await stream("anthropic.claude-tool-stream", { anthropic_version: "bedrock-2023-05-31", max_tokens: 200, tools: [WEATHER_TOOL], messages: [{ role: "user", content: "Weather?" }] });
    const start = chunks.find((c) => c.type === "content_block_start" && c.content_block.type === "tool_use");
    assert.equal(start?.content_block.name, "get_weather");
    const json = chunks.filter((c) => c.delta?.type === "input_json_delta" && c.index === start.index).map((c) => c.delta.partial_json).join("");
    assert.deepEqual(JSON.parse(json), { city: "Paris" });
    assert.equal(chunks.find((c) => c.type === "message_delta")?.delta.stop_reason, "tool_use");
  });

  it("speaks Titan Text, with and without streaming", async () => {
    const text = "one two three four five six seven eight";
    const out = await invoke(TITAN_TEXT, { inputText: text, textGenerationConfig: { maxTokenCount: 3, temperature: 0, topP: 1, stopSequences: [] } });
    assert.equal(out.results[0].completionReason, "LENGTH");
    assert.ok(text.startsWith(out.results[0].outputText) && out.results[0].outputText.length > 0);
    assert.ok(out.results[0].tokenCount <= 3);
    assert.ok(out.inputTextTokenCount > 0);
    const chunks = await stream(TITAN_TEXT, { inputText: text });
    assert.equal(chunks.map((c) => c.outputText).join(""), text);
    assert.equal(chunks.at(-1)!.completionReason, "FINISH");
    assert.ok(chunks.at(-1)!.totalOutputTextTokenCount > 0);
    assertMetrics(chunks.at(-1));
  });

  it("passes Llama's templated prompt through as a raw prompt, with and without streaming", async () => {
    const prompt = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n";
    const out = await invoke(LLAMA, { prompt, max_gen_len: 512, temperature: 0.5, top_p: 0.9 });
    assert.equal(out.generation, prompt); // the mock echoes rawPrompt
    assert.equal(out.stop_reason, "stop");
    assert.ok(out.prompt_token_count > 0 && out.generation_token_count > 0);
    const chunks = await stream(LLAMA, { prompt: "Tell me a story" });
    assert.equal(chunks.map((c) => c.generation).join(""), "Tell me a story");
    assert.equal(chunks.at(-1)!.stop_reason, "stop");
    assertMetrics(chunks.at(-1));
  });

  it("speaks Mistral, with and without streaming", async () => {
    const prompt = "<s>[INST] What is a hello world program? [/INST]";
    const out = await invoke(MISTRAL, { prompt, max_tokens: 400, top_k: 50, stop: ["</s>"] });
    assert.deepEqual(out.outputs, [{ text: prompt, stop_reason: "stop" }]);
    const chunks = await stream(MISTRAL, { prompt: "<s>[INST] one two three four five six [/INST]", max_tokens: 12 });
    assert.ok(chunks.every((c) => Array.isArray(c.outputs)));
    assert.equal(chunks.at(-1)!.outputs[0].stop_reason, "length");
    assertMetrics(chunks.at(-1));
  });

  it("speaks Cohere Command R, including tool calls and streaming", async () => {
    const out = await invoke(COMMAND_R, { message: "Describe hello world", chat_history: [{ role: "USER", message: "Hi" }, { role: "CHATBOT", message: "Hello!" }], max_tokens: 100, p: 0.9, k: 5 });
    assert.equal(out.text, "Describe hello world");
    assert.equal(out.finish_reason, "COMPLETE");
    assert.ok(out.response_id && out.generation_id);
    const chunks = await stream(COMMAND_R, { message: "stream this please" });
    assert.equal(chunks[0]!.event_type, "stream-start");
    assert.equal(chunks.filter((c) => c.event_type === "text-generation").map((c) => c.text).join(""), "stream this please");
    assert.equal(chunks.at(-1)!.event_type, "stream-end");
    assert.equal(chunks.at(-1)!.is_finished, true);
    assertMetrics(chunks.at(-1));
    const tools = [{ name: "get_weather", description: "Weather", parameter_definitions: { city: { type: "str", description: "City", required: true } } }];
    const called = await invoke("cohere.command-r-plus-v1:0", { message: "Weather in Paris?", tools });
    assert.deepEqual(called.tool_calls, [{ name: "get_weather", parameters: { city: "Paris" } }]);
  });

  it("chooses the family from the catalog's invokeFormat, else from the body's shape", async () => {
    assert.deepEqual((await invoke("mock.as-mistral", { prompt: "plain" })).outputs, [{ text: "plain", stop_reason: "stop" }]);
    assert.equal((await invoke("mock.plain", { prompt: "a llama prompt" })).generation, "a llama prompt");
    assert.equal((await invoke("mock.plain", { inputText: "titan" })).results[0].outputText, "titan");
    assert.equal((await invoke("mock.plain", { anthropic_version: "x", max_tokens: 9, messages: [{ role: "user", content: "hi" }] })).content[0].text, "hi");
    await assert.rejects(invoke("mock.plain", { foo: 1 }), (e: Error) => e.name === "ValidationException" && /matches no InvokeModel format/.test(e.message));
  });

  it("embeds through Titan v2 at 512 dimensions, normalized, and refuses 1024 for a 512-only model", async () => {
    const out = await invoke(TITAN_EMBED_V2, { inputText: "The quick brown fox", dimensions: 512, normalize: true, embeddingTypes: ["float", "binary"] });
    assert.equal(out.embedding.length, 512);
    assert.ok(Math.abs(Math.hypot(...out.embedding) - 1) < 1e-3);
    assert.ok(out.inputTextTokenCount > 0);
    assert.deepEqual(out.embeddingsByType.float, out.embedding);
    assert.ok(out.embeddingsByType.binary.every((b: number) => b === 0 || b === 1));
    assert.equal(lastHeaders["x-amzn-bedrock-input-token-count"], String(out.inputTextTokenCount));
    assert.equal((await invoke(TITAN_EMBED_V2, { inputText: "default dimensions" })).embedding.length, 512);
    await assert.rejects(invoke(TITAN_EMBED_V2, { inputText: "too big", dimensions: 1024 }), { name: "ValidationException" });
    await assert.rejects(invoke(TITAN_EMBED_V2, { inputText: "odd", dimensions: 300 }), (e: Error) => e.name === "ValidationException" && e.message.includes("dimensions"));
    assert.equal((await invoke(TITAN_EMBED_V1, { inputText: "v1 body" })).embedding.length, 512);
    await assert.rejects(invoke(TITAN_EMBED_V1, { inputText: "v1 body", dimensions: 512 }), { name: "ValidationException" });
  });

  it("embeds through Cohere Embed v3, as floats and by type", async () => {
    const out = await invoke(COHERE_EMBED, { texts: ["first text", "second text"], input_type: "search_document" });
    assert.equal(out.response_type, "embeddings_floats");
    assert.equal(out.embeddings.length, 2);
    assert.equal(out.embeddings[0].length, 512);
    assert.deepEqual(out.texts, ["first text", "second text"]);
    const typed = await invoke(COHERE_EMBED, { texts: ["query"], input_type: "search_query", embedding_types: ["float", "int8", "ubinary"] });
    assert.equal(typed.response_type, "embeddings_by_type");
    assert.equal(typed.embeddings.int8[0].length, 512);
    assert.equal(typed.embeddings.ubinary[0].length, 64);
    await assert.rejects(invoke(COHERE_EMBED, { texts: new Array(97).fill("x"), input_type: "clustering" }), (e: Error) => e.name === "ValidationException" && e.message.includes("texts"));
    await assert.rejects(
      runtime.send(new InvokeModelWithResponseStreamCommand({ modelId: COHERE_EMBED, body: JSON.stringify({ texts: ["x"], input_type: "clustering" }) })),
      { name: "ValidationException" },
    );
  });

  it("counts tokens of an InvokeModel body", async () => {
    const body = new TextEncoder().encode(JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 10, messages: [{ role: "user", content: "count these tokens please" }] }));
    const out = await runtime.send(new CountTokensCommand({ modelId: HAIKU, input: { invokeModel: { body } } }));
    assert.ok(out.inputTokens! >= 4);
    const llama = await runtime.send(new CountTokensCommand({ modelId: LLAMA, input: { invokeModel: { body: new TextEncoder().encode(JSON.stringify({ prompt: "one two three" })) } } }));
    assert.equal(llama.inputTokens, 3);
  });

  it("reports a failure after the first chunk as an in-stream modelStreamErrorException", async () => {
    for (const [model, body] of [
      ["anthropic.claude-broken", { anthropic_version: "bedrock-2023-05-31", max_tokens: 50, messages: [{ role: "user", content: "go" }] }],
      ["meta.llama-broken", { prompt: "go" }],
    ] as const) {
      const out = await runtime.send(new InvokeModelWithResponseStreamCommand({ modelId: model, body: JSON.stringify(body) }));
      const chunks: Json[] = [];
      await assert.rejects(
        async () => {
          for await (const event of out.body!) if (event.chunk?.bytes) chunks.push(JSON.parse(new TextDecoder().decode(event.chunk.bytes)));
        },
        (error: Error & { originalStatusCode?: number }) => error.name === "ModelStreamErrorException" && error.originalStatusCode === 424,
      );
      assert.ok(chunks.length > 0, `${model} streamed before failing`);
    }
  });

  it("refuses malformed and invalid bodies with ValidationException and keeps serving", async () => {
    await assert.rejects(runtime.send(new InvokeModelCommand({ modelId: HAIKU, body: new TextEncoder().encode("{not json"), contentType: "application/octet-stream" })), (e: Error) => e.name === "ValidationException" && /Malformed input request/.test(e.message));
    await assert.rejects(runtime.send(new InvokeModelWithResponseStreamCommand({ modelId: HAIKU, body: new TextEncoder().encode("[1,2]") })), { name: "ValidationException" });
    await assert.rejects(invoke(HAIKU, { anthropic_version: "bedrock-2023-05-31", messages: [{ role: "user", content: "x" }] }), (e: Error) => e.name === "ValidationException" && e.message.includes("max_tokens"));
    await assert.rejects(invoke(HAIKU, { anthropic_version: "bedrock-2023-05-31", max_tokens: 5, messages: [{ role: "user", content: [{ type: "video" }] }] }), (e: Error) => e.message.includes("messages.0.content.0.type"));
    await assert.rejects(invoke(TITAN_TEXT, { inputText: "x", textGenerationConfig: { temperature: 3 } }), (e: Error) => e.message.includes("textGenerationConfig.temperature"));
    await assert.rejects(invoke("no.such-model", { prompt: "x" }), { name: "ValidationException" });
    assert.equal((await invoke(LLAMA, { prompt: "still serving" })).generation, "still serving");
  });

  it("serves LangChain's BedrockEmbeddings through the Titan v2 body", async () => {
    const embeddings = new BedrockEmbeddings({
      model: TITAN_EMBED_V2,
      region: "us-east-1",
      credentials: DUMMY_CREDENTIALS,
      dimensions: 512,
      clientOptions: { endpoint: server.url, maxAttempts: 1 },
    });
    const query = await embeddings.embedQuery("What is Basalt?");
    assert.equal(query.length, 512);
    const docs = await embeddings.embedDocuments(["Basalt is a server.", "It speaks Bedrock."]);
    assert.equal(docs.length, 2);
    assert.ok(docs.every((v) => v.length === 512));
  });
});
