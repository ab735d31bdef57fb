// The live server in front of real-socket OpenAI-compatible and Anthropic upstreams, driven
// with the AWS SDK: happy paths (incl. a tool-use round trip), then every fault the upstream
// can produce, each followed by a healthy call, and finally no leaked sockets.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  type Message,
  type ToolConfiguration,
} from "@aws-sdk/client-bedrock-runtime";
import { startAnthropicUpstream } from "./helpers/anthropic-upstream.ts";
import { startOpenAiUpstream } from "./helpers/openai-upstream.ts";
import { DUMMY_CREDENTIALS, startTestServer, type TestServer } from "./helpers/server.ts";
import type { FakeUpstream } from "./helpers/upstream-common.ts";

const POOL = 4;
const ask = (text: string): Message[] => [{ role: "user", content: [{ text }] }];
const toolConfig: ToolConfiguration = {
  tools: [{ toolSpec: { name: "get_weather", description: "Weather", inputSchema: { json: { type: "object", properties: { text: { type: "string" } } } } } }],
};

async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  return "no error";
}

describe("upstream faults through the live server", () => {
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  let server: TestServer;
  let runtime: BedrockRuntimeClient;

  const stream = async (modelId: string, text: string, extra: object = {}) => {
    const out = await runtime.send(new ConverseStreamCommand({ modelId, messages: ask(text), ...extra }));
    const events: ConverseStreamOutput[] = [];
    let failure: string | undefined;
    try {
      for await (const event of out.stream!) events.push(event);
    } catch (error) {
      failure = (error as Error).name;
    }
    return { events, failure };
  };
  const healthy = async () => {
    const out = await runtime.send(new ConverseCommand({ modelId: "up.echo", messages: ask("still here") }));
    assert.deepEqual(out.output?.message?.content, [{ text: "still here" }]);
  };

  before(async () => {
    openai = await startOpenAiUpstream({ slowFirstByteMs: 1000 });
    anthropic = await startAnthropicUpstream({ apiKey: "sk-ant-e2e" });
    const down = await startOpenAiUpstream();
    await down.close();
    process.env.BASALT_E2E_ANTHROPIC_KEY = "sk-ant-e2e";
    const oa = (id: string, upstreamModel: string, extra: object = {}) => ({ provider: "openai", id, baseUrl: openai.url, upstreamModel, connections: POOL, ...extra });
    const an = (id: string, upstreamModel: string, extra: object = {}) => ({
      provider: "anthropic",
      id,
      baseUrl: anthropic.url,
      upstreamModel,
      apiKey: "env::BASALT_E2E_ANTHROPIC_KEY",
      ...extra,
    });
    server = await startTestServer({
      embeddedDefaults: false,
      models: [
        oa("up.echo", "echo"),
        oa("up.hang", "hang", { timeoutMs: 300 }),
        oa("up.hang-long", "hang", { timeoutMs: 30_000 }),
        oa("up.slow", "slow-first-byte", { timeoutMs: 200 }),
        oa("up.500", "fault-500"),
        oa("up.429", "fault-429"),
        oa("up.drop", "drop-mid-stream"),
        { provider: "openai", id: "up.down", baseUrl: down.url, upstreamModel: "echo" },
        an("an.echo", "claude-echo"),
        an("an.hang", "hang", { timeoutMs: 300 }),
        an("an.500", "fault-500"),
        an("an.drop", "drop-mid-stream"),
      ],
    });
    runtime = new BedrockRuntimeClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
  });
  after(async () => {
    runtime.destroy();
    await server?.stop();
    await openai?.close();
    await anthropic?.close();
  });

  it("answers Converse and ConverseStream through both upstreams", async () => {
    for (const modelId of ["up.echo", "an.echo"]) {
      const out = await runtime.send(new ConverseCommand({ modelId, messages: ask("hello upstream world"), system: [{ text: "Be brief." }] }));
      assert.deepEqual(out.output?.message?.content, [{ text: "hello upstream world" }], modelId);
      assert.equal(out.stopReason, "end_turn");
      assert.ok(out.usage!.inputTokens! > 0 && out.usage!.outputTokens === 3);
      const { events, failure } = await stream(modelId, "one two three four");
      assert.equal(failure, undefined);
      const text = events.map((e) => e.contentBlockDelta?.delta?.text ?? "").join("");
      assert.equal(text, "one two three four");
      assert.equal(events.find((e) => e.messageStop)?.messageStop?.stopReason, "end_turn");
      assert.equal(events.at(-1)?.metadata?.usage?.outputTokens, 4);
    }
  });

  it("round-trips a tool use through the OpenAI upstream, whole and streamed", async () => {
    const first = await runtime.send(new ConverseCommand({ modelId: "up.echo", messages: ask("Paris"), toolConfig }));
    assert.equal(first.stopReason, "tool_use");
    const use = first.output!.message!.content!.find((b) => b.toolUse)!.toolUse!;
    assert.deepEqual({ name: use.name, input: use.input }, { name: "get_weather", input: { text: "Paris" } });
    const messages: Message[] = [
      ...ask("Paris"),
      first.output!.message!,
      { role: "user", content: [{ toolResult: { toolUseId: use.toolUseId!, content: [{ json: { sky: "clear" } }] } }] },
    ];
    const second = await runtime.send(new ConverseCommand({ modelId: "up.echo", messages, toolConfig }));
    assert.deepEqual(second.output?.message?.content, [{ text: 'Tool result: {"sky":"clear"}' }]);
    assert.equal(openai.requests.at(-1)!.body.messages.at(-1).role, "tool");

    const { events } = await stream("up.echo", "Oslo", { toolConfig });
    const start = events.find((e) => e.contentBlockStart?.start?.toolUse)!.contentBlockStart!;
    assert.equal(start.start?.toolUse?.name, "get_weather");
    const input = events
      .filter((e) => e.contentBlockDelta?.contentBlockIndex === start.contentBlockIndex)
      .map((e) => e.contentBlockDelta!.delta!.toolUse?.input ?? "")
      .join("");
    assert.deepEqual(JSON.parse(input), { text: "Oslo" });
    assert.equal(events.find((e) => e.messageStop)?.messageStop?.stopReason, "tool_use");
  });

  it("turns an upstream that does not answer in time into ModelTimeoutException", async () => {
    for (const modelId of ["up.hang", "up.slow", "an.hang"]) {
      assert.equal(await errorName(runtime.send(new ConverseCommand({ modelId, messages: ask("x") }))), "ModelTimeoutException", modelId);
      assert.equal(await errorName(runtime.send(new ConverseStreamCommand({ modelId, messages: ask("x") }))), "ModelTimeoutException", modelId);
      await healthy();
    }
  });

  it("cancels the upstream call when the client walks away, on the Bedrock and the OpenAI route", async () => {
    const calls = [
      { path: "/v1/chat/completions", body: { model: "up.hang-long", messages: [{ role: "user", content: "x" }] } },
      { path: "/model/up.hang-long/converse", body: { messages: ask("x") } },
    ];
    for (const { path, body } of calls) {
      await healthy();
      const hanging = openai.hanging();
      const controller = new AbortController();
      const pending = fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: controller.signal });
      await waitFor(() => openai.hanging() > hanging, "the upstream received the call");
      controller.abort();
      await assert.rejects(pending);
      // The upstream never answers and Basalt's deadline is 30 s: only a cancelled call closes it.
      await waitFor(() => openai.hanging() === hanging, `${path}: the upstream call was cancelled`);
    }
    await healthy();
  });

  it("turns upstream 5xx into ModelErrorException and 429 into ThrottlingException with retry-after", async () => {
    for (const modelId of ["up.500", "an.500"]) {
      let message = "";
      try {
        await runtime.send(new ConverseCommand({ modelId, messages: ask("x") }));
      } catch (error) {
        assert.equal((error as Error).name, "ModelErrorException");
        message = (error as Error).message;
      }
      assert.doesNotMatch(message, /upstream-only detail/);
      assert.equal(await errorName(runtime.send(new ConverseStreamCommand({ modelId, messages: ask("x") }))), "ModelErrorException");
      await healthy();
    }
    assert.equal(await errorName(runtime.send(new ConverseCommand({ modelId: "up.429", messages: ask("x") }))), "ThrottlingException");
    // Over HTTP/1.1 to read the header the SDK consumes.
    const response = await fetch(`${server.url}/model/up.429/converse`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ messages: ask("x") }) });
    assert.equal(response.status, 429);
    assert.equal(response.headers.get("retry-after"), "7");
    await response.body?.cancel();
    await healthy();
  });

  it("reports a connection dropped mid-stream as an in-stream ModelStreamErrorException", async () => {
    for (const modelId of ["up.drop", "an.drop"]) {
      const { events, failure } = await stream(modelId, "one two three four five six");
      assert.ok(events.some((e) => e.contentBlockDelta?.delta?.text), `${modelId}: text before the drop`);
      assert.equal(failure, "ModelStreamErrorException", modelId);
      await healthy();
    }
  });

  it("turns an unreachable upstream into ServiceUnavailableException", async () => {
    assert.equal(await errorName(runtime.send(new ConverseCommand({ modelId: "up.down", messages: ask("x") }))), "ServiceUnavailableException");
    assert.equal(await errorName(runtime.send(new ConverseStreamCommand({ modelId: "up.down", messages: ask("x") }))), "ServiceUnavailableException");
    await healthy();
  });

  it("leaks no sockets: the pool keeps at most its size, and stop() closes them all", async () => {
    await Promise.all(Array.from({ length: 24 }, () => healthy()));
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(openai.openConnections() <= POOL, `open: ${openai.openConnections()}`);
    assert.ok(openai.openConnections() > 0, "keep-alive sockets are reused, not closed per request");
    await server.stop();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(openai.openConnections(), 0);
    assert.equal(anthropic.openConnections(), 0);
  });
});

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(condition(), `timed out waiting: ${what}`);
}
