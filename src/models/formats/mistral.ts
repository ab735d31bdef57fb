// Mistral text-completion bodies (bedrock-wire.md §4): `<s>[INST] … [/INST]` prompts passed
// as rawPrompt (with turns read back for chat-only backends); results → `{outputs:[…]}`.
import { optionalArray, optionalNumber, string } from "../../util/validate.ts";
import type { ModelEntry } from "../../spec/catalog.ts";
import type { FinishReason, GenerateRequest, GenerateResult, StreamPart } from "../../spec/model.ts";
import { resultText, type ChunkMapper, type Json, type TextFamily } from "./format.ts";
import { promptToTurns } from "./prompt-template.ts";

const FIELDS = ["prompt", "max_tokens", "stop", "temperature", "top_p", "top_k"] as const;

/** Mistral's stop reasons: `length` at the token limit, else `stop`. */
export function stopReason(reason: FinishReason): "stop" | "length" {
  return reason === "max_tokens" || reason === "model_context_window_exceeded" ? "length" : "stop";
}

/** Parses a Mistral body. */
export function parseRequest(body: Json, _entry: ModelEntry): GenerateRequest {
  const prompt = string(body.prompt, "prompt", { min: 1 });
  const stop = optionalArray(body.stop, "stop", { max: 10 });
  return {
    ...promptToTurns(prompt),
    rawPrompt: prompt,
    maxTokens: optionalNumber(body.max_tokens, "max_tokens", { min: 1, integer: true }),
    temperature: optionalNumber(body.temperature, "temperature", { min: 0, max: 1 }),
    topP: optionalNumber(body.top_p, "top_p", { min: 0, max: 1 }),
    topK: optionalNumber(body.top_k, "top_k", { min: 0, max: 200, integer: true }),
    stopSequences: stop?.map((s, i) => string(s, `stop.${i}`, { min: 1 })),
  };
}

/** The Mistral response body. */
export function toResponse(result: GenerateResult): Json {
  return { outputs: [{ text: resultText(result), stop_reason: stopReason(result.finishReason) }] };
}

/** Mistral streams chunks of the response body's shape; the stop reason arrives last. */
export function chunkMapper(): ChunkMapper {
  return {
    map(part: StreamPart): Json[] {
      if (part.type === "text-delta") return [{ outputs: [{ text: part.delta, stop_reason: null }] }];
      if (part.type !== "finish") return [];
      return [{ outputs: [{ text: "", stop_reason: stopReason(part.finishReason) }] }];
    },
  };
}

/** The Mistral family. */
export const mistralFamily: TextFamily = { kind: "text", name: "mistral", fields: FIELDS, parseRequest, toResponse, chunkMapper };
