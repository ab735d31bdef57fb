// A local GGUF end to end: the live server with a configured llama-cpp model and a GGUF dropped
// into <dataDir>/models (the embedded default `local.<stem>`), driven by the real AWS SDK.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BedrockClient, ListFoundationModelsCommand } from "@aws-sdk/client-bedrock";
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, type Message } from "@aws-sdk/client-bedrock-runtime";
import { DUMMY_CREDENTIALS, SHARED_MODELS, startTestServer, type TestServer } from "./helpers/server.ts";

const STORIES = join(SHARED_MODELS, "stories260K.gguf");
const LILY = ", there was a little girl named Lily";
const once: Message[] = [{ role: "user", content: [{ text: "Once upon a time" }] }];

describe("llama-cpp end to end", () => {
  let server: TestServer;
  let runtime: BedrockRuntimeClient;
  let control: BedrockClient;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "basalt-llama-e2e-"));
    mkdirSync(join(dataDir, "models"));
    copyFileSync(STORIES, join(dataDir, "models", "Tiny-Stories.gguf"));
    server = await startTestServer({
      dataDir,
      llama: { threads: 1 },
      models: [{ provider: "llama-cpp", id: "local.stories", path: STORIES, contextSize: 512 }],
    });
    const config = { endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 };
    runtime = new BedrockRuntimeClient(config);
    control = new BedrockClient(config);
  });
  after(async () => {
    runtime.destroy();
    control.destroy();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers Converse with the known Lily text at temperature 0", async () => {
    const out = await runtime.send(new ConverseCommand({ modelId: "local.stories", messages: once, inferenceConfig: { temperature: 0, maxTokens: 24 } }));
    const text = out.output?.message?.content?.[0]?.text ?? "";
    assert.ok(text.startsWith(LILY), text);
    assert.equal(out.usage?.outputTokens, 24);
    assert.ok(out.usage!.inputTokens! > 0);
  });

  it("streams the same text through ConverseStream", async () => {
    const out = await runtime.send(new ConverseStreamCommand({ modelId: "local.stories", messages: once, inferenceConfig: { temperature: 0, maxTokens: 24 } }));
    let text = "";
    let deltas = 0;
    let stopReason: string | undefined;
    let outputTokens: number | undefined;
    for await (const event of out.stream!) {
      if (event.contentBlockDelta?.delta?.text) {
        text += event.contentBlockDelta.delta.text;
        deltas++;
      }
      if (event.messageStop) stopReason = event.messageStop.stopReason;
      if (event.metadata) outputTokens = event.metadata.usage?.outputTokens;
    }
    assert.ok(text.startsWith(LILY), text);
    assert.ok(deltas > 5, "tokens stream one by one");
    assert.equal(stopReason, "max_tokens");
    assert.equal(outputTokens, 24);
  });

  it("reports stopReason max_tokens when maxTokens is reached", async () => {
    const out = await runtime.send(new ConverseCommand({ modelId: "local.stories", messages: once, inferenceConfig: { temperature: 0, maxTokens: 3 } }));
    assert.equal(out.stopReason, "max_tokens");
    assert.equal(out.usage?.outputTokens, 3);
  });

  it("rejects an input longer than the context with ValidationException before streaming", async () => {
    const long: Message[] = [{ role: "user", content: [{ text: "Once upon a time ".repeat(200) }] }];
    await assert.rejects(runtime.send(new ConverseStreamCommand({ modelId: "local.stories", messages: long })), (e: Error) => e.name === "ValidationException" && /too long/.test(e.message));
  });

  it("serves a GGUF placed in <dataDir>/models as local.<stem>", async () => {
    const out = await runtime.send(new ConverseCommand({ modelId: "local.tiny-stories", messages: once, inferenceConfig: { temperature: 0, maxTokens: 12 } }));
    const text = out.output?.message?.content?.[0]?.text ?? "";
    assert.ok(text.startsWith(LILY), text);
  });

  it("lists the local models in the catalog", async () => {
    const all = await control.send(new ListFoundationModelsCommand({}));
    const local = all.modelSummaries!.filter((m) => m.modelId?.startsWith("local."));
    assert.deepEqual(local.map((m) => m.modelId).sort(), ["local.stories", "local.tiny-stories"]);
    for (const model of local) {
      assert.equal(model.providerName, "Local");
      assert.equal(model.responseStreamingSupported, true);
      assert.deepEqual(model.outputModalities, ["TEXT"]);
    }
  });
});
