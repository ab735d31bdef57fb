// One conformance suite every language-model provider runs (STYLE.md §8): the same
// behavioural contract whatever serves the model. Call it from a provider's own test file.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { GenerateRequest, LanguageModel, StreamPart } from "../../src/spec/model.ts";

/** Options of {@link languageModelConformance}. */
export interface ConformanceOptions {
  /** Returns the model under test (called once per case). */
  model: () => LanguageModel | Promise<LanguageModel>;
  /** A prompt that yields some text from this model. */
  prompt?: string;
  /** Cases that cannot hold for this provider, each with the reason written down. */
  skip?: Partial<Record<"maxTokens" | "abort", string>>;
}

const user = (text: string): GenerateRequest["messages"] => [{ role: "user", content: [{ type: "text", text }] }];

/** Checks a stream's parts: blocks open before their deltas, close after, one finish last. */
export function assertWellFormedStream(parts: StreamPart[]): void {
  const open = new Set<string>();
  const closed = new Set<string>();
  parts.forEach((part, i) => {
    if (part.type === "finish") {
      assert.equal(i, parts.length - 1, "finish must be the last part");
      return;
    }
    if (part.type === "warning") return;
    const id = part.id;
    if (part.type.endsWith("-start")) {
      assert.ok(!open.has(id) && !closed.has(id), `block ${id} started twice`);
      open.add(id);
    } else if (part.type.endsWith("-end")) {
      assert.ok(open.has(id), `block ${id} ended without a start`);
      open.delete(id);
      closed.add(id);
    } else {
      assert.ok(open.has(id), `delta for block ${id} outside start/end`);
    }
  });
  assert.equal(open.size, 0, "every block must be closed");
  assert.equal(parts.at(-1)?.type, "finish", "a stream ends with finish");
}

/** Registers the conformance cases in the current describe block. */
export function languageModelConformance(options: ConformanceOptions): void {
  const prompt = options.prompt ?? "Once upon a time";

  it("conformance: generate returns content, a finish reason and usage", async () => {
    const model = await options.model();
    const result = await model.generate({ messages: user(prompt), maxTokens: 16, temperature: 0 });
    assert.ok(Array.isArray(result.content));
    assert.ok(result.usage.inputTokens > 0, "input tokens are counted");
    assert.ok(result.usage.outputTokens >= 0);
    assert.ok(typeof result.finishReason === "string");
  });

  it("conformance: stream is well formed and ends with usage", async () => {
    const model = await options.model();
    const parts: StreamPart[] = [];
    for await (const part of model.stream({ messages: user(prompt), maxTokens: 16, temperature: 0 })) parts.push(part);
    assertWellFormedStream(parts);
    const finish = parts.at(-1) as Extract<StreamPart, { type: "finish" }>;
    assert.ok(finish.usage.inputTokens > 0);
  });

  it("conformance: maxTokens bounds the output", { skip: options.skip?.maxTokens }, async () => {
    const model = await options.model();
    const result = await model.generate({ messages: user(prompt), maxTokens: 2, temperature: 0 });
    assert.ok(result.usage.outputTokens <= 2, `got ${result.usage.outputTokens} tokens`);
  });

  it("conformance: an aborted signal stops the call", { skip: options.skip?.abort }, async () => {
    const model = await options.model();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(model.generate({ messages: user(prompt), maxTokens: 8, signal: controller.signal }));
  });

  it("conformance: countTokens counts the input", async () => {
    const model = await options.model();
    const short = await model.countTokens({ messages: user("hi") });
    const long = await model.countTokens({ messages: user("hi ".repeat(50)) });
    assert.ok(short > 0 && long > short);
  });
}
