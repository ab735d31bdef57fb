// Converse, ConverseStream, CountTokens and the catalog through the real AWS SDK clients
// (h2c for the runtime client, HTTP/1.1 for the control plane) against the live server.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BedrockClient, GetFoundationModelCommand, ListFoundationModelsCommand } from "@aws-sdk/client-bedrock";
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  type ContentBlock,
  type Message,
} from "@aws-sdk/client-bedrock-runtime";
import { DUMMY_CREDENTIALS, startTestServer, type TestServer } from "./helpers/server.ts";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";

describe("Converse API", () => {
  let server: TestServer;
  let runtime: BedrockRuntimeClient;
  let control: BedrockClient;

  before(async () => {
    server = await startTestServer({
      models: [
        { provider: "mock", id: "mock.echo", aliases: [HAIKU], name: "Echo", providerName: "Anthropic" },
        {
          provider: "mock",
          id: "mock.tools",
          mode: "script",
          responses: [
            { text: "Let me check.", toolCalls: [{ name: "get_weather", input: { city: "Paris" } }] },
            { text: "It is sunny in Paris." },
          ],
        },
        { provider: "mock", id: "mock.throttled", mode: "script", responses: [{ error: "THROTTLED" }] },
        { provider: "mock", id: "mock.broken-stream", mode: "script", responses: [{ text: "partial answer here", error: "MODEL_ERROR", errorAfterChunks: 1 }], chunkSize: 4 },
        { provider: "mock", id: "mock.text-only", vision: false, tools: false, documents: false },
        { provider: "mock", id: "mock.embed", embedding: true, embeddingDimensions: 64 },
      ],
    });
    const config = { endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 };
    runtime = new BedrockRuntimeClient(config);
    control = new BedrockClient(config);
  });
  after(async () => {
    runtime.destroy();
    control.destroy();
    await server.stop();
  });

  it("answers a multi-turn Converse with usage, metrics and stopReason through an alias", async () => {
    const messages: Message[] = [
      { role: "user", content: [{ text: "Hi" }] },
      { role: "assistant", content: [{ text: "Hello!" }] },
      { role: "user", content: [{ text: "Say this back to me" }] },
    ];
    const out = await runtime.send(new ConverseCommand({ modelId: HAIKU, messages, system: [{ text: "Be brief." }] }));
    assert.equal(out.output?.message?.role, "assistant");
    assert.deepEqual(out.output?.message?.content, [{ text: "Say this back to me" }]);
    assert.equal(out.stopReason, "end_turn");
    assert.ok(out.usage!.inputTokens! > 0);
    assert.equal(out.usage!.totalTokens, out.usage!.inputTokens! + out.usage!.outputTokens!);
    assert.equal(typeof out.metrics?.latencyMs, "number");
  });

  it("applies maxTokens and stopSequences", async () => {
    const text = "one two three four five six seven eight nine ten";
    const capped = await runtime.send(
      new ConverseCommand({ modelId: "mock.echo", messages: [{ role: "user", content: [{ text }] }], inferenceConfig: { maxTokens: 3 } }),
    );
    assert.equal(capped.stopReason, "max_tokens");
    assert.equal(capped.usage?.outputTokens, 3);
    const stopped = await runtime.send(
      new ConverseCommand({ modelId: "mock.echo", messages: [{ role: "user", content: [{ text }] }], inferenceConfig: { stopSequences: ["four"] } }),
    );
    assert.equal(stopped.stopReason, "stop_sequence");
    assert.deepEqual(stopped.output?.message?.content, [{ text: "one two three " }]);
  });

  it("runs a full toolUse → toolResult round trip", async () => {
    const toolConfig = {
      tools: [{ toolSpec: { name: "get_weather", description: "Weather by city", inputSchema: { json: { type: "object", properties: { city: { type: "string" } } } } } }],
      toolChoice: { auto: {} },
    };
    const messages: Message[] = [{ role: "user", content: [{ text: "Weather in Paris?" }] }];
    const first = await runtime.send(new ConverseCommand({ modelId: "mock.tools", messages, toolConfig }));
    assert.equal(first.stopReason, "tool_use");
    const use = first.output!.message!.content!.find((c) => c.toolUse)!.toolUse!;
    assert.equal(use.name, "get_weather");
    assert.deepEqual(use.input, { city: "Paris" });
    messages.push(first.output!.message!);
    messages.push({ role: "user", content: [{ toolResult: { toolUseId: use.toolUseId!, content: [{ json: { sky: "sunny" } }], status: "success" } }] });
    const second = await runtime.send(new ConverseCommand({ modelId: "mock.tools", messages, toolConfig }));
    assert.equal(second.stopReason, "end_turn");
    assert.deepEqual(second.output?.message?.content, [{ text: "It is sunny in Paris." }]);
  });

  it("streams text deltas, tool-use blocks, messageStop and metadata", async () => {
    const out = await runtime.send(
      new ConverseStreamCommand({
        modelId: "mock.tools",
        messages: [{ role: "user", content: [{ text: "Weather?" }] }],
        toolConfig: { tools: [{ toolSpec: { name: "get_weather", inputSchema: { json: { type: "object" } } } }] },
      }),
    );
    let text = "";
    let toolInput = "";
    const kinds: string[] = [];
    let stopReason: string | undefined;
    let usage;
    for await (const event of out.stream!) {
      kinds.push(Object.keys(event)[0]!);
      if (event.contentBlockDelta?.delta?.text) text += event.contentBlockDelta.delta.text;
      if (event.contentBlockDelta?.delta?.toolUse) toolInput += event.contentBlockDelta.delta.toolUse.input;
      if (event.messageStop) stopReason = event.messageStop.stopReason;
      if (event.metadata) usage = event.metadata.usage;
    }
    assert.equal(kinds[0], "messageStart");
    assert.ok(kinds.includes("contentBlockStart"));
    assert.ok(kinds.includes("contentBlockStop"));
    assert.equal(kinds.at(-1), "metadata");
    assert.ok(text.length > 0);
    assert.deepEqual(JSON.parse(toolInput), { city: "Paris" });
    assert.equal(stopReason, "tool_use");
    assert.ok(usage!.outputTokens! > 0);
  });

  it("reports an error after the first byte as an in-stream modelStreamErrorException", async () => {
    const out = await runtime.send(new ConverseStreamCommand({ modelId: "mock.broken-stream", messages: [{ role: "user", content: [{ text: "go" }] }] }));
    let received = "";
    await assert.rejects(
      async () => {
        for await (const event of out.stream!) received += event.contentBlockDelta?.delta?.text ?? "";
      },
      (error: Error) => error.name === "ModelStreamErrorException",
    );
    assert.equal(received, "part");
  });

  it("returns a throttling error before the stream starts as HTTP 429", async () => {
    await assert.rejects(
      runtime.send(new ConverseStreamCommand({ modelId: "mock.throttled", messages: [{ role: "user", content: [{ text: "x" }] }] })),
      (error: Error & { $metadata: { httpStatusCode?: number } }) => error.name === "ThrottlingException" && error.$metadata.httpStatusCode === 429,
    );
  });

  it("rejects bad input with Bedrock's exceptions and keeps serving", async () => {
    const user = (content: ContentBlock[]): Message[] => [{ role: "user", content }];
    await assert.rejects(runtime.send(new ConverseCommand({ modelId: "no.such-model", messages: user([{ text: "x" }]) })), { name: "ValidationException" });
    await assert.rejects(runtime.send(new ConverseCommand({ modelId: "mock.echo", messages: [] })), (e: Error) => e.name === "ValidationException" && /messages/.test(e.message));
    await assert.rejects(
      runtime.send(new ConverseCommand({ modelId: "mock.echo", messages: user([{ text: "x" }]), inferenceConfig: { temperature: 7 } })),
      (e: Error) => e.name === "ValidationException" && e.message.includes("inferenceConfig.temperature"),
    );
    await assert.rejects(
      runtime.send(
        new ConverseCommand({
          modelId: "mock.echo",
          messages: user([{ toolResult: { toolUseId: "nope", content: [{ text: "r" }] } }]),
          toolConfig: { tools: [{ toolSpec: { name: "t", inputSchema: { json: {} } } }] },
        }),
      ),
      (e: Error) => e.name === "ValidationException" && e.message.includes("toolUseId nope"),
    );
    await assert.rejects(
      runtime.send(new ConverseCommand({ modelId: "mock.text-only", messages: user([{ image: { format: "png", source: { bytes: new Uint8Array([137, 80, 78, 71]) } } }]) })),
      (e: Error) => e.name === "ValidationException" && e.message.includes("image"),
    );
    await assert.rejects(runtime.send(new ConverseCommand({ modelId: "mock.embed", messages: user([{ text: "x" }]) })), { name: "ValidationException" });
    const ok = await runtime.send(new ConverseCommand({ modelId: "mock.echo", messages: user([{ text: "still here" }]) }));
    assert.deepEqual(ok.output?.message?.content, [{ text: "still here" }]);
  });

  it("accepts image blocks on a vision model and counts tokens", async () => {
    const out = await runtime.send(
      new ConverseCommand({ modelId: "mock.echo", messages: [{ role: "user", content: [{ text: "what is this" }, { image: { format: "png", source: { bytes: new Uint8Array([1, 2, 3]) } } }] }] }),
    );
    assert.equal(out.stopReason, "end_turn");
    const count = await runtime.send(
      new CountTokensCommand({ modelId: "mock.echo", input: { converse: { messages: [{ role: "user", content: [{ text: "hello world" }] }] } } }),
    );
    assert.ok(count.inputTokens! >= 2);
  });

  it("lists and filters the catalog and gets one model by id or ARN", async () => {
    const all = await control.send(new ListFoundationModelsCommand({}));
    const ids = all.modelSummaries!.map((m) => m.modelId);
    assert.ok(ids.includes("mock.echo") && ids.includes("basalt.use-lite-v1"));
    const embedders = await control.send(new ListFoundationModelsCommand({ byOutputModality: "EMBEDDING" }));
    assert.ok(embedders.modelSummaries!.every((m) => m.outputModalities!.includes("EMBEDDING")));
    assert.ok(embedders.modelSummaries!.some((m) => m.modelId === "mock.embed"));
    const anthropic = await control.send(new ListFoundationModelsCommand({ byProvider: "anthropic" }));
    assert.deepEqual(anthropic.modelSummaries!.map((m) => m.modelId), ["mock.echo"]);
    const one = await control.send(new GetFoundationModelCommand({ modelIdentifier: HAIKU }));
    assert.equal(one.modelDetails?.modelId, "mock.echo");
    assert.equal(one.modelDetails?.modelArn, "arn:aws:bedrock:us-east-1::foundation-model/mock.echo");
    assert.equal(one.modelDetails?.modelLifecycle?.status, "ACTIVE");
    const byArn = await control.send(new GetFoundationModelCommand({ modelIdentifier: one.modelDetails!.modelArn! }));
    assert.equal(byArn.modelDetails?.modelId, "mock.echo");
    await assert.rejects(control.send(new GetFoundationModelCommand({ modelIdentifier: "nope" })), { name: "ResourceNotFoundException" });
  });
});
