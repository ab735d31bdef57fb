// The OpenAI-compatible API through the real `openai` client against the live server:
// chat (plain, streamed, tool round trips, tool_choice), embeddings (mock and the offline
// USE encoder, float and base64), the model list, and errors in OpenAI's shape.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BedrockClient, ListFoundationModelsCommand } from "@aws-sdk/client-bedrock";
import OpenAI, { APIError, BadRequestError, InternalServerError, NotFoundError, RateLimitError } from "openai";
import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { DUMMY_CREDENTIALS, startTestServer, type TestServer } from "./helpers/server.ts";

const WEATHER: ChatCompletionTool = {
  type: "function",
  function: { name: "get_weather", description: "Weather by city", parameters: { type: "object", properties: { city: { type: "string" } } } },
};
const TOOL_SCRIPT = [
  { text: "Let me check.", toolCalls: [{ name: "get_weather", input: { city: "Paris" } }, { name: "get_weather", input: { city: "Rome" } }] },
  { text: "Sunny in Paris, rainy in Rome." },
];
const PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/** A request body the client's types would refuse, for validation tests. */
function raw(body: Record<string, unknown>): ChatCompletionCreateParamsNonStreaming {
  return body as unknown as ChatCompletionCreateParamsNonStreaming;
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/** Reads a chat stream into its text, tool calls (joined by index), finish reason and usage. */
async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  let text = "";
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  let finish: string | null = null;
  for await (const chunk of stream) {
    chunks.push(chunk);
    const choice = chunk.choices[0];
    if (!choice) continue;
    text += choice.delta.content ?? "";
    for (const call of choice.delta.tool_calls ?? []) {
      calls[call.index] ??= { id: "", name: "", arguments: "" };
      const slot = calls[call.index]!;
      if (call.id) slot.id = call.id;
      if (call.function?.name) slot.name = call.function.name;
      slot.arguments += call.function?.arguments ?? "";
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  return { chunks, text, calls, finish, usage: chunks.at(-1)?.usage ?? undefined };
}

describe("OpenAI-compatible API", () => {
  let server: TestServer;
  let client: OpenAI;

  before(async () => {
    server = await startTestServer({
      models: [
        { provider: "mock", id: "mock.echo", aliases: ["gpt-4o-mini"], providerName: "Anthropic" },
        { provider: "mock", id: "mock.tools", mode: "script", responses: TOOL_SCRIPT },
        { provider: "mock", id: "mock.tools-stream", mode: "script", responses: TOOL_SCRIPT, chunkSize: 5 },
        { provider: "mock", id: "mock.choice", mode: "script", responses: [{ text: "Checking.", toolCalls: [{ name: "get_weather", input: { city: "Oslo" } }] }] },
        { provider: "mock", id: "mock.throttled", mode: "script", responses: [{ error: "THROTTLED" }] },
        { provider: "mock", id: "mock.failing", mode: "script", responses: [{ error: "MODEL_ERROR" }] },
        { provider: "mock", id: "mock.broken-stream", mode: "script", responses: [{ text: "partial answer here", error: "MODEL_ERROR", errorAfterChunks: 1 }], chunkSize: 4 },
        { provider: "mock", id: "mock.text-only", vision: false, tools: false },
        { provider: "mock", id: "mock.embed", embedding: true, embeddingDimensions: 64 },
      ],
    });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "test", maxRetries: 0 });
  });
  after(async () => {
    await server.stop();
  });

  it("answers a chat completion through an alias with OpenAI's response shape", async () => {
    const out = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello!" },
        { role: "user", content: [{ type: "text", text: "Say this back to me" }] },
      ],
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
    });
    assert.match(out.id, /^chatcmpl-/);
    assert.equal(out.object, "chat.completion");
    assert.equal(out.model, "mock.echo");
    assert.equal(typeof out.created, "number");
    assert.equal(out.choices.length, 1);
    assert.equal(out.choices[0]!.message.role, "assistant");
    assert.equal(out.choices[0]!.message.content, "Say this back to me");
    assert.equal(out.choices[0]!.finish_reason, "stop");
    assert.ok(out.usage!.prompt_tokens > 0 && out.usage!.completion_tokens > 0);
    assert.equal(out.usage!.total_tokens, out.usage!.prompt_tokens + out.usage!.completion_tokens);
  });

  it("applies max_tokens, max_completion_tokens and stop", async () => {
    const text = "one two three four five six seven eight nine ten";
    const messages: ChatCompletionMessageParam[] = [{ role: "user", content: text }];
    const capped = await client.chat.completions.create({ model: "mock.echo", messages, max_tokens: 3 });
    assert.equal(capped.choices[0]!.finish_reason, "length");
    assert.equal(capped.usage!.completion_tokens, 3);
    const newer = await client.chat.completions.create({ model: "mock.echo", messages, max_completion_tokens: 2, max_tokens: 5 });
    assert.equal(newer.usage!.completion_tokens, 2);
    const stopped = await client.chat.completions.create({ model: "mock.echo", messages, stop: "four" });
    assert.equal(stopped.choices[0]!.message.content, "one two three ");
    assert.equal(stopped.choices[0]!.finish_reason, "stop");
    const stoppedList = await client.chat.completions.create({ model: "mock.echo", messages, stop: ["six", "three"] });
    assert.equal(stoppedList.choices[0]!.message.content, "one two ");
  });

  it("streams role, content deltas, finish_reason and a final usage chunk", async () => {
    const stream = await client.chat.completions.create({
      model: "mock.echo",
      messages: [{ role: "user", content: "stream this sentence back to me please" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks, text, finish, usage } = await collect(stream);
    assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
    assert.ok(chunks.length > 4, "several content deltas");
    assert.ok(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0]!.id));
    assert.equal(text, "stream this sentence back to me please");
    assert.equal(finish, "stop");
    assert.deepEqual(chunks.at(-1)!.choices, []);
    assert.ok(usage!.completion_tokens > 0);
    assert.equal(usage!.total_tokens, usage!.prompt_tokens + usage!.completion_tokens);
    const plain = await collect(await client.chat.completions.create({ model: "mock.echo", messages: [{ role: "user", content: "x y" }], stream: true }));
    assert.equal(plain.usage, undefined);
    assert.ok(plain.chunks.every((c) => c.choices.length === 1));
  });

  it("runs a tool round trip: tool_calls → tool messages → answer", async () => {
    const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Paris and Rome?" }];
    const first = await client.chat.completions.create({ model: "mock.tools", messages, tools: [WEATHER] });
    const choice = first.choices[0]!;
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(choice.message.content, "Let me check.");
    const calls = choice.message.tool_calls!.filter((c) => c.type === "function");
    assert.deepEqual(calls.map((c) => [c.function.name, JSON.parse(c.function.arguments)]), [
      ["get_weather", { city: "Paris" }],
      ["get_weather", { city: "Rome" }],
    ]);
    messages.push(choice.message);
    // Two consecutive tool messages: merged into one user turn of tool results.
    messages.push({ role: "tool", tool_call_id: calls[0]!.id, content: '{"sky":"sunny"}' });
    messages.push({ role: "tool", tool_call_id: calls[1]!.id, content: [{ type: "text", text: "rain" }] });
    const second = await client.chat.completions.create({ model: "mock.tools", messages, tools: [WEATHER] });
    assert.equal(second.choices[0]!.finish_reason, "stop");
    assert.equal(second.choices[0]!.message.content, "Sunny in Paris, rainy in Rome.");
    assert.equal(second.choices[0]!.message.tool_calls, undefined);
  });

  it("streams tool_calls deltas and completes the round trip streaming", async () => {
    const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "Weather?" }];
    const first = await collect(await client.chat.completions.create({ model: "mock.tools-stream", messages, tools: [WEATHER], stream: true }));
    assert.equal(first.finish, "tool_calls");
    assert.equal(first.text, "Let me check.");
    assert.equal(first.calls.length, 2);
    assert.ok(first.calls.every((c) => c.id && c.name === "get_weather"));
    assert.deepEqual(JSON.parse(first.calls[1]!.arguments), { city: "Rome" });
    messages.push({
      role: "assistant",
      content: first.text,
      tool_calls: first.calls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } })),
    });
    for (const call of first.calls) messages.push({ role: "tool", tool_call_id: call.id, content: "ok" });
    const second = await collect(await client.chat.completions.create({ model: "mock.tools-stream", messages, tools: [WEATHER], stream: true }));
    assert.equal(second.text, "Sunny in Paris, rainy in Rome.");
    assert.equal(second.finish, "stop");
    assert.equal(second.calls.length, 0);
  });

  it("honours tool_choice none, required and a named function", async () => {
    const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Oslo?" }];
    const none = await client.chat.completions.create({ model: "mock.choice", messages, tools: [WEATHER], tool_choice: "none" });
    assert.equal(none.choices[0]!.finish_reason, "stop");
    assert.equal(none.choices[0]!.message.tool_calls, undefined);
    const required = await client.chat.completions.create({ model: "mock.choice", messages, tools: [WEATHER], tool_choice: "required" });
    assert.equal(required.choices[0]!.finish_reason, "tool_calls");
    const named = await client.chat.completions.create({
      model: "mock.choice",
      messages,
      tools: [WEATHER],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    assert.equal(named.choices[0]!.message.tool_calls?.[0]?.type === "function" && named.choices[0]!.message.tool_calls[0].function.name, "get_weather");
    await assert.rejects(
      client.chat.completions.create({ model: "mock.choice", messages, tools: [WEATHER], tool_choice: { type: "function", function: { name: "nope" } } }),
      (e: unknown) => e instanceof BadRequestError && e.param === "tool_choice.function.name",
    );
    await assert.rejects(
      client.chat.completions.create({ model: "mock.choice", messages, tool_choice: "required" }),
      (e: unknown) => e instanceof BadRequestError && e.param === "tool_choice",
    );
    await assert.rejects(
      client.chat.completions.create({ model: "mock.text-only", messages, tools: [WEATHER] }),
      (e: unknown) => e instanceof BadRequestError && e.param === "tools",
    );
  });

  it("accepts image data URLs on a vision model and refuses them elsewhere", async () => {
    const content = [
      { type: "text" as const, text: "what is this" },
      { type: "image_url" as const, image_url: { url: PNG, detail: "low" as const } },
    ];
    const ok = await client.chat.completions.create({ model: "mock.echo", messages: [{ role: "user", content }] });
    assert.equal(ok.choices[0]!.message.content, "what is this");
    await assert.rejects(
      client.chat.completions.create({ model: "mock.text-only", messages: [{ role: "user", content }] }),
      (e: unknown) => e instanceof BadRequestError && e.param === "messages[0].content[1].image_url",
    );
    await assert.rejects(
      client.chat.completions.create({ model: "mock.echo", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }] }] }),
      (e: unknown) => e instanceof BadRequestError && e.param === "messages[0].content[0].image_url.url",
    );
  });

  it("reports ignored parameters in a response header instead of dropping them silently", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "mock.echo", messages: [{ role: "user", content: "hi" }], logprobs: true, response_format: { type: "json_schema", json_schema: { name: "x", schema: {} } } })
      .withResponse();
    assert.equal(data.choices[0]!.message.content, "hi");
    assert.deepEqual(response.headers.get("x-basalt-warnings")?.split(",").sort(), ["logprobs", "response_format"]);
    const clean = await client.chat.completions.create({ model: "mock.echo", messages: [{ role: "user", content: "hi" }], logprobs: false }).withResponse();
    assert.equal(clean.response.headers.get("x-basalt-warnings"), null);
  });

  it("embeds with the offline USE encoder: 512 dims, float and base64, semantic similarity", async () => {
    const input = ["The cat sits on the mat.", "A kitten is resting on a rug.", "Quarterly revenue grew by five percent."];
    const floats = await client.embeddings.create({ model: "basalt.use-lite-v1", input, encoding_format: "float" });
    assert.equal(floats.object, "list");
    assert.equal(floats.model, "basalt.use-lite-v1");
    assert.deepEqual(floats.data.map((d) => d.index), [0, 1, 2]);
    const [cat, kitten, revenue] = floats.data.map((d) => d.embedding);
    assert.equal(cat!.length, 512);
    assert.ok(cosine(cat!, kitten!) > cosine(cat!, revenue!), "closer sentences have the higher cosine");
    assert.ok(floats.usage.prompt_tokens > 0 && floats.usage.total_tokens === floats.usage.prompt_tokens);
    // The client asks for base64 by default and decodes the little-endian float32s itself.
    const decoded = await client.embeddings.create({ model: "basalt.use-lite-v1", input });
    decoded.data.forEach((d, i) => {
      assert.equal(d.embedding.length, 512);
      d.embedding.forEach((v, j) => assert.ok(Math.abs(v - floats.data[i]!.embedding[j]!) < 1e-6));
    });
    const one = await client.embeddings.create({ model: "basalt.use-lite-v1", input: "a single string", encoding_format: "float" });
    assert.equal(one.data.length, 1);
  });

  it("embeds with a mock model at requested dimensions and refuses token arrays", async () => {
    const out = await client.embeddings.create({ model: "mock.embed", input: ["a", "b"], dimensions: 32, encoding_format: "float" });
    assert.deepEqual(out.data.map((d) => d.embedding.length), [32, 32]);
    await assert.rejects(client.embeddings.create({ model: "mock.embed", input: [[1, 2, 3]] }), (e: unknown) => e instanceof BadRequestError && e.param === "input");
    await assert.rejects(client.embeddings.create({ model: "mock.echo", input: "x" }), (e: unknown) => e instanceof BadRequestError && e.param === "model");
    await assert.rejects(client.embeddings.create({ model: "nope", input: "x" }), (e: unknown) => e instanceof NotFoundError && e.code === "model_not_found");
  });

  it("lists the same model ids as Bedrock's catalog and retrieves one by alias or ARN", async () => {
    const control = new BedrockClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
    const bedrock = await control.send(new ListFoundationModelsCommand({}));
    control.destroy();
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    assert.deepEqual(models.map((m) => m.id), bedrock.modelSummaries!.map((m) => m.modelId));
    assert.ok(models.every((m) => m.object === "model" && typeof m.created === "number"));
    assert.equal(models.find((m) => m.id === "mock.echo")!.owned_by, "Anthropic");
    const byAlias = await client.models.retrieve("gpt-4o-mini");
    assert.equal(byAlias.id, "mock.echo");
    const byArn = await client.models.retrieve("arn:aws:bedrock:us-east-1::foundation-model/mock.embed");
    assert.equal(byArn.id, "mock.embed");
    await assert.rejects(client.models.retrieve("no.such-model"), (e: unknown) => e instanceof NotFoundError && e.code === "model_not_found");
  });

  it("renders errors in OpenAI's shape and keeps serving", async () => {
    const user: ChatCompletionMessageParam[] = [{ role: "user", content: "x" }];
    await assert.rejects(
      client.chat.completions.create({ model: "no.such-model", messages: user }),
      (e: unknown) => e instanceof NotFoundError && e.status === 404 && e.code === "model_not_found" && e.param === "model" && e.type === "invalid_request_error",
    );
    await assert.rejects(
      client.chat.completions.create(raw({ model: "mock.echo", messages: user, temperature: "hot" })),
      (e: unknown) => e instanceof BadRequestError && e.param === "temperature" && e.code === "invalid_type" && e.message.includes("temperature"),
    );
    await assert.rejects(
      client.chat.completions.create(raw({ model: "mock.echo", messages: [{ role: "user", content: 42 }] })),
      (e: unknown) => e instanceof BadRequestError && e.param === "messages[0].content",
    );
    await assert.rejects(
      client.chat.completions.create(raw({ model: "mock.echo", messages: [{ role: "wizard", content: "x" }] })),
      (e: unknown) => e instanceof BadRequestError && e.param === "messages[0].role",
    );
    await assert.rejects(client.chat.completions.create(raw({ model: "mock.echo" })), (e: unknown) => e instanceof BadRequestError && e.param === "messages");
    await assert.rejects(client.chat.completions.create({ model: "mock.echo", messages: user, n: 2 }), (e: unknown) => e instanceof BadRequestError && e.param === "n");
    await assert.rejects(
      client.chat.completions.create({ model: "mock.echo", messages: [...user, { role: "tool", tool_call_id: "call_x", content: "r" }] }),
      (e: unknown) => e instanceof BadRequestError && e.param === "messages[1].tool_call_id",
    );
    await assert.rejects(
      client.chat.completions.create({ model: "mock.throttled", messages: user, stream: true }),
      (e: unknown) => e instanceof RateLimitError && e.code === "rate_limit_exceeded" && Number(e.headers?.get("retry-after")) >= 1,
    );
    await assert.rejects(
      client.chat.completions.create({ model: "mock.failing", messages: user }),
      (e: unknown) => e instanceof InternalServerError && e.status === 502 && e.type === "server_error",
    );
    await assert.rejects(
      client.completions.create({ model: "mock.echo", prompt: "x" }),
      (e: unknown) => e instanceof NotFoundError && e.type === "invalid_request_error" && e.message.includes("/v1/completions"),
    );
    const malformed = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    assert.equal(malformed.status, 400);
    const body = (await malformed.json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
    assert.equal(body.error.type, "invalid_request_error");
    const ok = await client.chat.completions.create({ model: "mock.echo", messages: [{ role: "user", content: "still here" }] });
    assert.equal(ok.choices[0]!.message.content, "still here");
  });

  it("sends an error after the first chunk as an in-stream error event, then serves on", async () => {
    const stream = await client.chat.completions.create({ model: "mock.broken-stream", messages: [{ role: "user", content: "go" }], stream: true });
    let received = "";
    await assert.rejects(
      async () => {
        for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? "";
      },
      (e: unknown) => e instanceof APIError && e.code === "model_error" && e.type === "server_error",
    );
    assert.equal(received, "part");
    const again = await collect(await client.chat.completions.create({ model: "mock.echo", messages: [{ role: "user", content: "fine" }], stream: true }));
    assert.equal(again.text, "fine");
  });
});
