// The llama-cpp provider on the real test weights in ../shared/models (README there): the
// shared conformance suite, greedy text, chat templates, forced tool calls, embeddings, the
// real tokenizer, the LRU cap and the FIFO queue. Models are shared within the file.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { languageModelConformance, assertWellFormedStream } from "../../../../test/conformance/language-model.ts";
import { parseConfig } from "../../../config/loader.ts";
import { BasaltError } from "../../../spec/errors.ts";
import type { GenerateRequest, LanguageModel, StreamPart, ToolSpec, Warning } from "../../../spec/model.ts";
import { resultText } from "../../stream-utils.ts";
import { loadModel, type LlamaCppModelConfig, type LoadedModel } from "./loaded-model.ts";
import { renderPrompt } from "./prompt.ts";
import { llamaCppProvider } from "./provider.ts";
import { llamaRuntime } from "./runtime.ts";
import { planTools } from "./tools.ts";

const MODELS = join(import.meta.dirname, "..", "..", "..", "..", "..", "shared", "models");
const LILY = ", there was a little girl named Lily";
const logger = pino({ level: "silent" });

function entry(id: string, file: string, extra: Partial<LlamaCppModelConfig> = {}): LlamaCppModelConfig {
  return { provider: "llama-cpp", id, aliases: [], path: join(MODELS, file), contextSize: 512, embedding: false, lifecycle: "ACTIVE", timeoutMs: 60_000, ...extra };
}

const user = (text: string): GenerateRequest["messages"] => [{ role: "user", content: [{ type: "text", text }] }];

async function collect(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

describe("llama-cpp provider", () => {
  // One thread: test files run two at a time on CI's two cores. parallel 1 makes queueing observable.
  const config = parseConfig({ embeddedDefaults: false, llama: { threads: 1, maxLoadedModels: 4, parallel: 1 } });
  const context = { config, logger };
  const language = (model: LlamaCppModelConfig) => llamaCppProvider.create(model, context).language as LanguageModel;
  const stories = language(entry("local.stories", "stories260K.gguf"));
  const chatml = language(entry("local.chatml", "tiny-chatml-random.gguf"));

  after(() => llamaCppProvider.close());

  describe("stories260K", () => {
    languageModelConformance({ model: () => stories });

    it("greedily continues 'Once upon a time' with the known Lily text, identically each run", async () => {
      const request: GenerateRequest = { messages: user("Once upon a time"), maxTokens: 24, temperature: 0 };
      const first = await stories.generate(request);
      const second = await stories.generate(request);
      assert.ok(resultText(first).startsWith(LILY), resultText(first));
      assert.equal(resultText(second), resultText(first));
      assert.equal(first.finishReason, "max_tokens");
      assert.equal(first.usage.outputTokens, 24);
    });

    it("streams one text delta per token, then finish with real usage", async () => {
      const parts = await collect(stories.stream({ messages: user("Once upon a time"), maxTokens: 8, temperature: 0 }));
      assertWellFormedStream(parts);
      assert.ok(parts.filter((p) => p.type === "text-delta").length >= 4, "tokens arrive as separate deltas");
      assert.deepEqual(parts.at(-1), { type: "finish", finishReason: "max_tokens", usage: { inputTokens: 7, outputTokens: 8 } });
    });

    it("stops at a stop sequence, without it in the text", async () => {
      const result = await stories.generate({ messages: user("Once upon a time"), maxTokens: 40, temperature: 0, stopSequences: ["Lily"] });
      assert.equal(result.finishReason, "stop_sequence");
      assert.equal(result.stopSequence, "Lily");
      // The stop falls inside the token " Lily"; node-llama-cpp drops that whole token, space included.
      assert.equal(resultText(result), ", there was a little girl named");
    });

    it("completes a rawPrompt as is", async () => {
      const result = await stories.generate({ messages: [], rawPrompt: "Once upon a time", maxTokens: 8, temperature: 0 });
      assert.ok(resultText(result).startsWith(", there was a"), resultText(result));
    });

    it("warns that auto tool choice needs a chat template, and forces a call with toolChoice any", async () => {
      const tools: ToolSpec[] = [{ name: "pick", inputSchema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] } }];
      const auto = await stories.generate({ messages: user("Once upon a time"), maxTokens: 4, temperature: 0, tools });
      assert.equal(auto.warnings[0]?.setting, "toolChoice");
      const forced = await stories.generate({ messages: user("Once upon a time"), maxTokens: 16, temperature: 0, tools, toolChoice: { type: "any" } });
      assert.equal(forced.finishReason, "tool_use");
      const call = forced.content.find((p) => p.type === "tool-call");
      assert.equal(typeof (call as { input: { ok: unknown } }).input.ok, "boolean");
    });

    it("reports unknown providerOptions as warnings and rejects bad values", async () => {
      const result = await stories.generate({ messages: user("Once"), maxTokens: 2, providerOptions: { seed: 7, top_k: 5, mirostat: 2 } });
      assert.deepEqual(result.warnings.map((w) => w.setting), ["mirostat"]);
      await assert.rejects(stories.generate({ messages: user("Once"), maxTokens: 2, providerOptions: { seed: 1.5 } }), { code: "VALIDATION" });
    });

    it("frees the sequence when a consumer stops reading early, and rejects on abort mid-stream", async () => {
      for await (const part of stories.stream({ messages: user("Once upon a time"), maxTokens: 100, temperature: 0 })) {
        if (part.type === "text-delta") break;
      }
      const controller = new AbortController();
      await assert.rejects(async () => {
        for await (const part of stories.stream({ messages: user("Once upon a time"), maxTokens: 100, signal: controller.signal })) {
          if (part.type === "text-delta") controller.abort();
        }
      }, { name: "AbortError" });
      assert.deepEqual(llamaCppProvider.status(config).find((m) => m.id === "local.stories"), { id: "local.stories", active: 0, waiting: 0 });
      const next = await stories.generate({ messages: user("Once upon a time"), maxTokens: 6, temperature: 0 });
      assert.ok(LILY.startsWith(resultText(next)), resultText(next));
    });

    it("rejects an input longer than the context", async () => {
      await assert.rejects(stories.generate({ messages: user("Once upon a time ".repeat(200)), maxTokens: 4 }), (e: BasaltError) => e.code === "VALIDATION" && /too long/.test(e.message));
    });
  });

  describe("tiny-chatml-random (chat template)", () => {
    let loaded: LoadedModel;
    before(async () => {
      loaded = await loadModel({ llama: await llamaRuntime(config.llama, logger), config: entry("direct", "tiny-chatml-random.gguf"), threads: 1, parallel: 1 });
    });
    after(() => loaded.dispose());

    it("renders the GGUF's ChatML template, and counts its special tokens", async () => {
      const request: GenerateRequest = { system: "Be brief.", messages: user("hi") };
      const prompt = renderPrompt(request, loaded, { kind: "none" });
      assert.equal(prompt.kind, "chat");
      const text = prompt.kind === "chat" ? prompt.text.toString() : "";
      assert.ok(text.includes("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"), text);
      const imStart = loaded.model.tokenize("<|im_start|>", true);
      assert.equal(imStart.length, 1, "<|im_start|> is one special token");
      const tokens = prompt.kind === "chat" ? prompt.text.tokenize(loaded.model.tokenizer) : [];
      assert.equal(tokens.filter((t) => t === imStart[0]).length, 3);
      assert.equal(await chatml.countTokens(request), prompt.inputTokens);
    });

    it("offers tools with auto through the wrapper's function calling, with earlier calls and results", () => {
      const tools: ToolSpec[] = [{ name: "get_weather", description: "Weather by city", inputSchema: { type: "object", properties: { city: { type: "string" } } } }];
      const request: GenerateRequest = {
        tools,
        messages: [
          ...user("Weather in Paris?"),
          { role: "assistant", content: [{ type: "tool-call", toolCallId: "t1", toolName: "get_weather", input: { city: "Paris" } }] },
          { role: "user", content: [{ type: "tool-result", toolCallId: "t1", content: [{ type: "json", value: { sky: "sunny" } }], isError: false }] },
        ],
      };
      const warnings: Warning[] = [];
      const mode = planTools(request, true, warnings);
      assert.equal(mode.kind, "functions");
      const prompt = renderPrompt(request, loaded, mode);
      const text = prompt.kind === "chat" ? prompt.text.toString() : "";
      assert.ok(text.includes("function get_weather(params: {city: string})"), text);
      assert.match(text, /get_weather\(\{"city": ?"Paris"\}\)/);
      assert.match(text, /\{"sky": ?"sunny"\}/);
      assert.deepEqual(warnings, []);
    });

    it("uses a configured chatTemplate instead of the file's", async () => {
      const template = "{% for message in messages %}[{{ message['role'] }}] {{ message['content'] }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}";
      const custom = await loadModel({ llama: loaded.llama, config: entry("custom", "tiny-chatml-random.gguf", { chatTemplate: template }), threads: 1, parallel: 1 });
      try {
        const prompt = renderPrompt({ messages: user("hi") }, custom, { kind: "none" });
        const text = prompt.kind === "chat" ? prompt.text.toString() : "";
        assert.ok(text.includes("[user] hi") && !text.includes("<|im_start|>"), text);
      } finally {
        await custom.dispose();
      }
    });

    const weather: ToolSpec = {
      name: "get_weather",
      description: "Weather by city",
      inputSchema: { type: "object", properties: { city: { type: "string", maxLength: 12 }, days: { type: "integer" } }, required: ["city", "days"] },
    };
    const clock: ToolSpec = { name: "get_time", inputSchema: { type: "object", properties: { zone: { enum: ["UTC", "CET"] } }, required: ["zone"] } };

    for (const toolChoice of [{ type: "any" }, { type: "tool", name: "get_weather" }] as const) {
      it(`toolChoice ${toolChoice.type} forces a call whose input satisfies the schema`, async () => {
        const result = await chatml.generate({ messages: user("Weather in Paris?"), tools: [weather, clock], toolChoice, maxTokens: 120, temperature: 0 });
        assert.equal(result.finishReason, "tool_use");
        const call = result.content.find((p) => p.type === "tool-call");
        assert.ok(call && call.type === "tool-call");
        assert.ok(call.toolCallId.startsWith("tooluse_"));
        const tool = call.toolName === weather.name ? weather : clock;
        if (toolChoice.type === "tool") assert.equal(call.toolName, "get_weather");
        const input = call.input as Record<string, unknown>;
        for (const field of tool.inputSchema.required as string[]) assert.ok(field in input, `${field} is present`);
        if (tool === weather) {
          assert.equal(typeof input.city, "string");
          assert.ok(Number.isInteger(input.days));
        } else assert.ok(["UTC", "CET"].includes(input.zone as string));
      });
    }

    it("streams a forced single-tool call as input deltas that parse to the final input", async () => {
      const parts = await collect(chatml.stream({ messages: user("Weather?"), tools: [weather], toolChoice: { type: "any" }, maxTokens: 120, temperature: 0 }));
      assertWellFormedStream(parts);
      const deltas = parts.flatMap((p) => (p.type === "tool-input-delta" ? [p.delta] : []));
      const end = parts.find((p) => p.type === "tool-call-end");
      assert.ok(deltas.length > 1, "the input streams as it is generated");
      assert.deepEqual(JSON.parse(deltas.join("")), end && end.type === "tool-call-end" ? end.input : undefined);
    });

    it("embeds with the model's dimension, deterministically", async () => {
      const embedder = llamaCppProvider.create(entry("local.chatml-embed", "tiny-chatml-random.gguf", { embedding: true }), context).embedding!;
      const first = await embedder.embed({ texts: ["hello world", "goodbye"] });
      const again = await embedder.embed({ texts: ["hello world"] });
      assert.equal(first.embeddings.length, 2);
      assert.equal(first.embeddings[0]!.length, loaded.model.embeddingVectorSize);
      assert.equal(loaded.model.embeddingVectorSize, 64);
      assert.deepEqual(again.embeddings[0], first.embeddings[0]);
      assert.notDeepEqual(first.embeddings[1], first.embeddings[0]);
      assert.ok(Math.abs(Math.hypot(...first.embeddings[0]!) - 1) < 1e-6, "unit length by default");
      assert.ok(first.usage.inputTokens > 0);
      await assert.rejects(embedder.embed({ texts: ["x"], dimensions: 32 }), { code: "VALIDATION" });
    });
  });

  it("counts tokens of llama-2-tiny-random with its real 32k Llama-2 vocabulary", async () => {
    const llama2 = language(entry("local.llama2", "llama-2-tiny-random.gguf"));
    // Llama-2's tokenizer: <s> ▁Hello ▁world; a word it knows is one token, not one per byte.
    assert.equal(await llama2.countTokens({ messages: user("Hello world") }), 3);
    const sentence = user("The quick brown fox jumps over the lazy dog.");
    const llama2Count = await llama2.countTokens({ messages: sentence });
    const storiesCount = await stories.countTokens({ messages: sentence });
    assert.ok(llama2Count <= 13 && storiesCount > llama2Count, `${llama2Count} vs ${storiesCount}`);
  });

  it("serves concurrent requests with parallel 1 in FIFO order", async () => {
    const order: number[] = [];
    const calls = [0, 1, 2, 3].map((i) =>
      stories.generate({ messages: user(`Once upon a time ${i}`), maxTokens: 12, temperature: 0 }).then(() => order.push(i)),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(llamaCppProvider.status(config).find((m) => m.id === "local.stories"), { id: "local.stories", active: 1, waiting: 3 });
    await Promise.all(calls);
    assert.deepEqual(order, [0, 1, 2, 3]);
  });

  it("removes an aborted request from the queue at once", async () => {
    const events: string[] = [];
    const first = stories.generate({ messages: user("Once upon a time"), maxTokens: 60, temperature: 0 }).then(() => events.push("first done"));
    const controller = new AbortController();
    const queued = stories.generate({ messages: user("Once upon a time"), maxTokens: 4, signal: controller.signal }).catch((e: Error) => {
      events.push(`queued ${e.name}`);
    });
    const last = stories.generate({ messages: user("Once upon a time"), maxTokens: 4, temperature: 0 }).then(() => events.push("last done"));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(llamaCppProvider.status(config).find((m) => m.id === "local.stories")?.waiting, 2);
    controller.abort();
    await queued;
    assert.equal(llamaCppProvider.status(config).find((m) => m.id === "local.stories")?.waiting, 1);
    await Promise.all([first, last]);
    assert.deepEqual(events, ["queued AbortError", "first done", "last done"]);
  });

  it("unloads the least recently used idle model past maxLoadedModels, and loads it again on use", async () => {
    const lru = parseConfig({ embeddedDefaults: false, llama: { threads: 1, maxLoadedModels: 2 } });
    const make = (id: string, file: string) => llamaCppProvider.create(entry(id, file), { config: lru, logger }).language as LanguageModel;
    const a = make("a", "stories260K.gguf");
    const b = make("b", "tiny-chatml-random.gguf");
    const c = make("c", "llama-2-tiny-random.gguf");
    const held = () => llamaCppProvider.status(lru).map((m) => m.id);
    await a.countTokens({ messages: user("x") });
    await b.countTokens({ messages: user("x") });
    assert.deepEqual(held(), ["a", "b"]);
    await c.countTokens({ messages: user("x") });
    assert.deepEqual(held(), ["b", "c"]);
    const again = await a.generate({ messages: user("Once upon a time"), maxTokens: 8, temperature: 0 });
    assert.ok(LILY.startsWith(resultText(again)), resultText(again));
    assert.deepEqual(held(), ["c", "a"]);
  });

  it("turns a missing, non-GGUF or damaged file into a clear error, and keeps serving", async () => {
    const dir = mkdtempSync(join(tmpdir(), "basalt-llama-"));
    try {
      const fake = join(dir, "fake.gguf");
      writeFileSync(fake, "this is not a model");
      // A header that claims billions of tensors: llama.cpp would spin on it rather than fail.
      const damagedHeader = join(dir, "header.gguf");
      writeFileSync(damagedHeader, Buffer.from("GGUF\x03\x00\x00\x00garbage", "latin1"));
      const truncated = join(dir, "truncated.gguf");
      writeFileSync(truncated, readFileSync(join(MODELS, "stories260K.gguf")).subarray(0, 300_000));
      const missing = language({ ...entry("local.missing", "x.gguf"), path: join(dir, "missing.gguf") });
      await assert.rejects(missing.generate({ messages: user("hi") }), (e: BasaltError) => e.code === "MODEL_NOT_READY" && /missing\.gguf cannot be read/.test(e.message));
      for (const [id, path] of [["local.fake", fake], ["local.header", damagedHeader]]) {
        const invalid = language({ ...entry(id!, "x.gguf"), path: path! });
        await assert.rejects(invalid.generate({ messages: user("hi") }), (e: BasaltError) => e.code === "VALIDATION" && /not a GGUF model/.test(e.message));
      }
      const cut = language({ ...entry("local.truncated", "x.gguf"), path: truncated });
      await assert.rejects(cut.countTokens({ messages: user("hi") }), (e: BasaltError) => e.code === "VALIDATION" && /damaged/.test(e.message));
      const ok = await stories.generate({ messages: user("Once upon a time"), maxTokens: 4, temperature: 0 });
      assert.ok(resultText(ok).length > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
