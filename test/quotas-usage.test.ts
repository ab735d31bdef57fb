// Quotas, usage records and /metrics under concurrent load, end to end: the real server with
// mock models and the `quotas` configuration key, driven by the AWS SDK (maxAttempts 1, so every
// 429 reaches the test) and by plain HTTP for the OpenAI surface and /metrics. Usage records are
// read back from the server's database.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, InvokeModelWithResponseStreamCommand, type ConverseCommandOutput } from "@aws-sdk/client-bedrock-runtime";
import { parseExposition, total } from "./helpers/prometheus.ts";
import { DUMMY_CREDENTIALS } from "./helpers/server.ts";
import { startUsageTestServer, waitFor, type UsageTestServer } from "./helpers/usage-server.ts";

const PRINCIPAL = "anonymous";

interface SdkFailure {
  name: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string> };
}

/** Settles every call; a failure keeps its SDK error. */
async function settleAll<T>(calls: Array<Promise<T>>): Promise<{ ok: T[]; failed: SdkFailure[] }> {
  const results = await Promise.allSettled(calls);
  return {
    ok: results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])),
    failed: results.flatMap((r) => (r.status === "rejected" ? [r.reason as SdkFailure] : [])),
  };
}

/** Asserts a ThrottlingException: HTTP 429 with a whole-seconds retry-after of at least 1. */
function assertThrottled(error: SdkFailure): number {
  assert.equal(error.name, "ThrottlingException", `expected ThrottlingException, got ${error.name}`);
  assert.equal(error.$metadata?.httpStatusCode, 429);
  const retryAfter = error.$response?.headers?.["retry-after"];
  assert.match(String(retryAfter), /^[1-9]\d*$/, "retry-after in whole seconds");
  return Number(retryAfter);
}

const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
const user = (text: string) => [{ role: "user" as const, content: [{ text }] }];

describe("quotas and usage under concurrent load", () => {
  let server: UsageTestServer;
  let runtime: BedrockRuntimeClient;

  before(async () => {
    server = await startUsageTestServer({
      models: [
        { provider: "mock", id: "mock.rpm", latencyMs: 30 },
        { provider: "mock", id: "mock.tpm", latencyMs: 1500 }, // long enough that all 30 calls overlap, even on a loaded machine
        { provider: "mock", id: "mock.streams", chunkDelayMs: 40, chunkSize: 4 },
        { provider: "mock", id: "mock.free" },
        { provider: "mock", id: "mock.failing", mode: "script", responses: [{ error: "MODEL_ERROR" }] },
        { provider: "mock", id: "mock.embed", embedding: true, embeddingDimensions: 8 },
      ],
      quotas: {
        models: {
          "mock.rpm": { requestsPerMinute: 10 },
          "mock.tpm": { perPrincipal: { tokensPerMinute: 2000 } },
          "mock.streams": { concurrentStreams: 2 },
        },
        prices: { "mock.rpm": { inputPer1k: "0.003", outputPer1k: "0.015" } },
      },
    });
    runtime = new BedrockRuntimeClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
  });
  after(async () => {
    runtime.destroy();
    await server.stop();
  });

  it("admits exactly the requests-per-minute quota of 40 concurrent calls; the rest get 429 with retry-after, never a 5xx, and usage and metrics agree", async () => {
    const { ok, failed } = await settleAll(Array.from({ length: 40 }, (_, i) => runtime.send(new ConverseCommand({ modelId: "mock.rpm", messages: user(`hello quota ${i}`) }))));
    assert.equal(ok.length, 10);
    assert.equal(failed.length, 30);
    // 10 per minute refill one request every 6 s.
    for (const error of failed) assert.ok(assertThrottled(error) <= 6);

    const recorded = await server.records({ model: "mock.rpm" });
    const successes = recorded.filter((r) => r.outcome === "success");
    assert.equal(successes.length, 10);
    assert.equal(recorded.filter((r) => r.outcome === "throttled" && r.errorName === "ThrottlingException" && r.inputTokens === 0).length, 30);
    const input = sum(ok.map((o: ConverseCommandOutput) => o.usage!.inputTokens!));
    const output = sum(ok.map((o: ConverseCommandOutput) => o.usage!.outputTokens!));
    assert.equal(sum(successes.map((r) => r.inputTokens)), input);
    assert.equal(sum(successes.map((r) => r.outputTokens)), output);
    assert.ok(successes.every((r) => r.principal === PRINCIPAL && r.account === "000000000000" && r.operation === "Converse" && r.latencyMs >= 25));

    const { samples } = await server.metrics();
    const labels = { model: "mock.rpm", principal: PRINCIPAL };
    assert.equal(total(samples, "basalt_requests_total", { ...labels, outcome: "success" }), 10);
    assert.equal(total(samples, "basalt_requests_total", { ...labels, outcome: "throttled" }), 30);
    assert.equal(total(samples, "basalt_tokens_total", { ...labels, type: "input" }), input);
    assert.equal(total(samples, "basalt_tokens_total", { ...labels, type: "output" }), output);
    assert.equal(total(samples, "basalt_quota_throttles_total", { ...labels, limit: "requests", scope: "model" }), 30);
    assert.equal(total(samples, "basalt_request_duration_seconds_count", { model: "mock.rpm", outcome: "success" }), 10);
  });

  it("reserves input + maxTokens per principal and settles actual usage: the token counters add up", async () => {
    const { ok, failed } = await settleAll(
      Array.from({ length: 30 }, (_, i) => runtime.send(new ConverseCommand({ modelId: "mock.tpm", messages: user(`tokens ${i}`), inferenceConfig: { maxTokens: 200 } }))),
    );
    // Each reserves about 210 of 2,000 tokens: at least 9 fit at once, and refunds of finished calls admit a few more.
    assert.ok(ok.length >= 9 && ok.length < 30, `admitted ${ok.length}`);
    assert.equal(ok.length + failed.length, 30);
    failed.forEach(assertThrottled);
    const used = sum(ok.map((o) => o.usage!.inputTokens! + o.usage!.outputTokens!));
    const recorded = (await server.records({ model: "mock.tpm" })).filter((r) => r.outcome === "success");
    assert.equal(sum(recorded.map((r) => r.inputTokens + r.outputTokens)), used);
    assert.equal((await server.records({ model: "mock.tpm" })).filter((r) => r.outcome === "throttled").length, failed.length);
  });

  it("refuses a request that alone exceeds a tokens-per-minute quota with ValidationException, not a 429", async () => {
    await assert.rejects(runtime.send(new ConverseCommand({ modelId: "mock.tpm", messages: user("big"), inferenceConfig: { maxTokens: 5000 } })), (error: SdkFailure & { message: string }) => {
      assert.equal(error.name, "ValidationException");
      assert.equal(error.$metadata?.httpStatusCode, 400);
      assert.match(error.message, /tokens per minute/);
      return true;
    });
  });

  it("limits concurrent streams: refusals are HTTP 429s before the first byte, and finished or abandoned streams free their slots", async () => {
    const long = "stream me a fairly long answer please, thank you";
    const open = (i: number, text = long) =>
      runtime.send(new ConverseStreamCommand({ modelId: "mock.streams", messages: user(`${text} ${i}`) })).then(async (response) => {
        let out = "";
        for await (const event of response.stream!) out += event.contentBlockDelta?.delta?.text ?? "";
        return out;
      });
    const { ok, failed } = await settleAll(Array.from({ length: 6 }, (_, i) => open(i)));
    assert.equal(ok.length, 2);
    assert.ok(ok.every((text) => text.startsWith(long)));
    assert.equal(failed.length, 4);
    failed.forEach(assertThrottled);

    // InvokeModelWithResponseStream shares the model's slots; a client that aborts frees its slot.
    const controller = new AbortController();
    const body = JSON.stringify({ prompt: long, max_gen_len: 100 });
    const abandoned = await runtime.send(new InvokeModelWithResponseStreamCommand({ modelId: "mock.streams", body, contentType: "application/json" }), { abortSignal: controller.signal });
    for await (const event of abandoned.body!) {
      assert.ok(event.chunk);
      break; // stop reading after the first chunk
    }
    controller.abort();
    // Both slots are free again: two streams at once are admitted.
    await waitFor(async () => ((await settleAll([open(10, "short"), open(11, "short")])).ok.length === 2 ? true : undefined), "two free stream slots");
    const aborted = await waitFor(async () => (await server.records({ model: "mock.streams" })).find((r) => r.operation === "InvokeModelWithResponseStream"), "the abandoned stream's record");
    assert.equal(aborted.outcome, "aborted");
    assert.ok(aborted.outputTokens > 0 && aborted.inputTokens > 0, "charged what it used before the client left");
    assert.equal(aborted.errorName, undefined);
    const streamed = (await server.records({ model: "mock.streams" })).filter((r) => r.operation === "ConverseStream");
    assert.ok(streamed.filter((r) => r.outcome === "success").length >= 4);
    assert.ok(streamed.filter((r) => r.outcome === "throttled" && r.errorName === "ThrottlingException").length >= 4);
  });

  it("throttles the OpenAI surface the same way (429, retry-after, OpenAI's error shape) and records embeddings", async () => {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock.rpm", messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(response.status, 429);
    assert.match(response.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "rate_limit_exceeded");

    // An OpenAI stream refused for want of a stream slot is a plain 429 too, not a 200 with an error event.
    const holders = await Promise.all([0, 1].map((i) => runtime.send(new ConverseStreamCommand({ modelId: "mock.streams", messages: user(`hold a slot for a while ${i}`) }))));
    const refused = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock.streams", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(refused.status, 429);
    assert.match(refused.headers.get("content-type") ?? "", /application\/json/);
    assert.equal(refused.headers.get("retry-after"), "1");
    await refused.body?.cancel();
    for (const holder of holders) for await (const _event of holder.stream!);

    const embedded = await fetch(`${server.url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "mock.embed", input: ["one two three", "four"] }) });
    assert.equal(embedded.status, 200);
    const usage = ((await embedded.json()) as { usage: { prompt_tokens: number } }).usage;
    const [record] = await server.records({ model: "mock.embed" });
    assert.equal(record?.operation, "/v1/embeddings");
    assert.equal(record?.inputTokens, usage.prompt_tokens);
    assert.equal(record?.outputTokens, 0);
  });

  it("serves /metrics: tokens by model and principal, latency histograms, errors and throttles", async () => {
    await runtime.send(new ConverseCommand({ modelId: "mock.free", messages: user("count my tokens") }));
    await assert.rejects(runtime.send(new ConverseCommand({ modelId: "mock.failing", messages: user("fail") })), { name: "ModelErrorException" });
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const { samples, types } = parseExposition(await response.text());
    assert.equal(types.get("basalt_request_duration_seconds"), "histogram");
    assert.equal(types.get("basalt_time_to_first_token_seconds"), "histogram");
    assert.ok(total(samples, "basalt_tokens_total", { model: "mock.free", principal: PRINCIPAL, type: "input" }) > 0);
    assert.ok(total(samples, "basalt_tokens_total", { model: "mock.free", principal: PRINCIPAL, type: "output" }) > 0);
    assert.equal(total(samples, "basalt_request_duration_seconds_bucket", { model: "mock.free", outcome: "success", le: "+Inf" }), 1);
    assert.equal(total(samples, "basalt_errors_total", { model: "mock.failing", exception: "ModelErrorException" }), 1);
    assert.equal(total(samples, "basalt_requests_total", { model: "mock.failing", outcome: "client_error" }), 1);
    // Every stream that sent a token has a time to first token; every refusal on mock.streams was for a slot.
    const streams = await server.records({ model: "mock.streams" });
    assert.equal(total(samples, "basalt_time_to_first_token_seconds_count", { model: "mock.streams" }), streams.filter((r) => r.outputTokens > 0).length);
    assert.equal(total(samples, "basalt_quota_throttles_total", { model: "mock.streams", limit: "streams" }), streams.filter((r) => r.outcome === "throttled").length);

    // Every counter agrees with the recorded usage, model by model.
    for (const model of ["mock.rpm", "mock.tpm", "mock.streams", "mock.free", "mock.failing", "mock.embed"]) {
      const recorded = await server.records({ model });
      assert.equal(total(samples, "basalt_requests_total", { model }), recorded.length, model);
      assert.equal(total(samples, "basalt_tokens_total", { model, type: "input" }), sum(recorded.map((r) => r.inputTokens)), model);
      assert.equal(total(samples, "basalt_tokens_total", { model, type: "output" }), sum(recorded.map((r) => r.outputTokens)), model);
    }
  });
});
