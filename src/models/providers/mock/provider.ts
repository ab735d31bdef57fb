// The deterministic `mock` provider: a documented testing aid for applications built on
// Basalt. It echoes, plays scripted replies and tool calls, fails on cue and adds latency,
// so fallbacks, streams and error handling can be tested end to end offline.
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { ModelConfigOf } from "../../../config/schema.ts";
import { BasaltError } from "../../../spec/errors.ts";
import type {
  EmbeddingModel,
  FinishReason,
  GenerateRequest,
  LanguageModel,
  StreamPart,
} from "../../../spec/model.ts";
import type { Provider } from "../../provider.ts";
import { collectStream } from "../../stream-utils.ts";
import { countRequestTokens, countTextTokens } from "../../text-tokens.ts";

type MockConfig = ModelConfigOf<"mock">;
type MockResponse = MockConfig["responses"][number];

const ERROR_MESSAGES: Record<NonNullable<MockResponse["error"]>, string> = {
  MODEL_TIMEOUT: "Mock model timed out (scripted).",
  MODEL_ERROR: "Mock model failed (scripted).",
  MODEL_NOT_READY: "Mock model is not ready (scripted).",
  THROTTLED: "Mock model is throttled (scripted).",
  SERVICE_UNAVAILABLE: "Mock model is unavailable (scripted).",
  INTERNAL: "Mock model had an internal error (scripted).",
};

function lastUserText(request: GenerateRequest): string {
  if (request.rawPrompt !== undefined) return request.rawPrompt;
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i]!;
    if (message.role !== "user") continue;
    const texts = message.content.flatMap((p) => (p.type === "text" ? [p.text] : []));
    if (texts.length) return texts.join("\n");
  }
  return "";
}

/** Applies stop sequences and maxTokens to the reply text, as a real model would stop. */
function truncate(text: string, request: GenerateRequest): { text: string; finishReason: FinishReason; stopSequence?: string } {
  let out = text;
  let finishReason: FinishReason = "end_turn";
  let stopSequence: string | undefined;
  for (const stop of request.stopSequences ?? []) {
    const at = out.indexOf(stop);
    if (stop && at !== -1) {
      out = out.slice(0, at);
      finishReason = "stop_sequence";
      stopSequence = stop;
    }
  }
  if (request.maxTokens !== undefined && countTextTokens(out) > request.maxTokens) {
    const words = out.split(/(?<=\s)/);
    let kept = "";
    for (const word of words) {
      if (countTextTokens(kept + word) > request.maxTokens) break;
      kept += word;
    }
    out = kept;
    finishReason = "max_tokens";
    stopSequence = undefined;
  }
  return { text: out, finishReason, stopSequence };
}

class MockLanguageModel implements LanguageModel {
  private turn = 0;
  constructor(private readonly config: MockConfig) {}

  get modelId(): string {
    return this.config.id;
  }

  async countTokens(request: GenerateRequest): Promise<number> {
    return countRequestTokens(request);
  }

  generate(request: GenerateRequest) {
    return collectStream(this.stream(request));
  }

  private nextResponse(request: GenerateRequest): MockResponse {
    if (this.config.mode === "echo" || this.config.responses.length === 0) return { text: lastUserText(request) };
    const response = this.config.responses[this.turn % this.config.responses.length]!;
    this.turn++;
    return response;
  }

  async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const { latencyMs, chunkDelayMs, chunkSize } = this.config;
    const response = this.nextResponse(request);
    const signal = request.signal;
    if (latencyMs) await sleep(latencyMs, undefined, { signal });
    if (response.error && response.errorAfterChunks === undefined) {
      throw new BasaltError(response.error, ERROR_MESSAGES[response.error]);
    }
    const { text, finishReason, stopSequence } = truncate(response.text ?? "", request);
    let chunks = 0;
    const pause = async () => {
      chunks++;
      if (response.error && response.errorAfterChunks !== undefined && chunks > response.errorAfterChunks) {
        throw new BasaltError(response.error, ERROR_MESSAGES[response.error]);
      }
      if (chunkDelayMs) await sleep(chunkDelayMs, undefined, { signal });
    };
    if (text) {
      yield { type: "text-start", id: "text-0" };
      for (let at = 0; at < text.length; at += chunkSize) {
        await pause();
        yield { type: "text-delta", id: "text-0", delta: text.slice(at, at + chunkSize) };
      }
      yield { type: "text-end", id: "text-0" };
    }
    const toolCalls = request.toolChoice?.type === "none" ? [] : (response.toolCalls ?? []);
    for (const [i, call] of toolCalls.entries()) {
      const id = `tooluse_mock${this.turn}_${i}`;
      yield { type: "tool-call-start", id, toolName: call.name };
      await pause();
      yield { type: "tool-input-delta", id, delta: JSON.stringify(call.input ?? {}) };
      yield { type: "tool-call-end", id, input: call.input ?? {} };
    }
    const outputTokens = countTextTokens(text) + toolCalls.reduce((n, c) => n + countTextTokens(JSON.stringify(c.input ?? {})), 0);
    yield {
      type: "finish",
      finishReason: toolCalls.length ? "tool_use" : finishReason,
      stopSequence,
      usage: { inputTokens: countRequestTokens(request), outputTokens },
    };
  }
}

/** Deterministic embeddings: each text hashed into a fixed pseudo-random unit vector. */
class MockEmbeddingModel implements EmbeddingModel {
  constructor(private readonly config: MockConfig) {}

  get modelId(): string {
    return this.config.id;
  }

  async countTokens(text: string): Promise<number> {
    return countTextTokens(text);
  }

  async embed(request: { texts: string[]; dimensions?: number }) {
    const dimensions = request.dimensions ?? this.config.embeddingDimensions ?? 256;
    if (this.config.latencyMs) await sleep(this.config.latencyMs);
    const embeddings = request.texts.map((text) => {
      const vector: number[] = [];
      for (let block = 0; vector.length < dimensions; block++) {
        const digest = createHash("sha256").update(`${block}:${text}`).digest();
        for (let i = 0; i + 1 < digest.length && vector.length < dimensions; i += 2) vector.push(digest.readInt16BE(i) / 32768);
      }
      const norm = Math.hypot(...vector) || 1;
      return vector.map((v) => v / norm);
    });
    const inputTokens = request.texts.reduce((n, t) => n + countTextTokens(t), 0);
    return { embeddings, usage: { inputTokens }, warnings: [] };
  }
}

/** The mock provider. */
export const mockProvider: Provider<"mock"> = {
  name: "mock",
  create(model) {
    if (model.embedding) {
      return {
        defaults: { providerName: "Basalt", name: `Mock embeddings (${model.id})`, embeddingDimensions: model.embeddingDimensions ?? 256 },
        embedding: new MockEmbeddingModel(model),
      };
    }
    return {
      defaults: { providerName: "Basalt", name: `Mock (${model.id})`, tools: true, vision: true, documents: true, contextLength: 128_000 },
      language: new MockLanguageModel(model),
    };
  },
};
