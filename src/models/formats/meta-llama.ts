// Meta Llama bodies (bedrock-wire.md §4): a prompt already in Llama's chat template, passed
// as rawPrompt (with turns read back for chat-only backends); results → `{generation, …}`.
import { optionalNumber, string } from "../../util/validate.ts";
import type { ModelEntry } from "../../spec/catalog.ts";
import type { FinishReason, GenerateRequest, GenerateResult, StreamPart } from "../../spec/model.ts";
import { resultText, type ChunkMapper, type Json, type TextFamily } from "./format.ts";
import { promptToTurns } from "./prompt-template.ts";

const FIELDS = ["prompt", "max_gen_len", "temperature", "top_p"] as const;

/** Llama reports only two stop reasons: it hit the token limit, or it stopped. */
export function stopReason(reason: FinishReason): "stop" | "length" {
  return reason === "max_tokens" || reason === "model_context_window_exceeded" ? "length" : "stop";
}

/** Parses a Llama body. */
export function parseRequest(body: Json, _entry: ModelEntry): GenerateRequest {
  const prompt = string(body.prompt, "prompt", { min: 1 });
  return {
    ...promptToTurns(prompt),
    rawPrompt: prompt,
    maxTokens: optionalNumber(body.max_gen_len, "max_gen_len", { min: 1, integer: true }),
    temperature: optionalNumber(body.temperature, "temperature", { min: 0, max: 1 }),
    topP: optionalNumber(body.top_p, "top_p", { min: 0, max: 1 }),
  };
}

/** The Llama response body. */
export function toResponse(result: GenerateResult): Json {
  return {
    generation: resultText(result),
    prompt_token_count: result.usage.inputTokens,
    generation_token_count: result.usage.outputTokens,
    stop_reason: stopReason(result.finishReason),
  };
}

/** Llama streams chunks of the response body's shape; counts arrive with the last one. */
export function chunkMapper(): ChunkMapper {
  return {
    map(part: StreamPart): Json[] {
      if (part.type === "text-delta") return [{ generation: part.delta, prompt_token_count: null, generation_token_count: null, stop_reason: null }];
      if (part.type !== "finish") return [];
      return [{ generation: "", prompt_token_count: part.usage.inputTokens, generation_token_count: part.usage.outputTokens, stop_reason: stopReason(part.finishReason) }];
    },
  };
}

/** The Meta Llama family. */
export const metaLlamaFamily: TextFamily = { kind: "text", name: "meta-llama", fields: FIELDS, parseRequest, toResponse, chunkMapper };
