// Amazon Titan Text bodies (bedrock-wire.md §4): `{inputText, textGenerationConfig}` →
// GenerateRequest; results → `{inputTextTokenCount, results:[…]}` and stream chunks.
import { optionalArray, optionalNumber, optionalObject, string } from "../../util/validate.ts";
import type { ModelEntry } from "../../spec/catalog.ts";
import type { FinishReason, GenerateRequest, GenerateResult, StreamPart } from "../../spec/model.ts";
import { resultText, type ChunkMapper, type Json, type TextFamily } from "./format.ts";

const FIELDS = ["inputText", "textGenerationConfig"] as const;

/**
 * Internal finish reasons → Titan completionReason. AWS documents FINISHED, but the service
 * and the clients reading it use FINISH.
 */
const COMPLETION_REASONS: Record<FinishReason, string> = {
  end_turn: "FINISH",
  max_tokens: "LENGTH",
  stop_sequence: "STOP_CRITERIA_MET",
  tool_use: "FINISH",
  content_filtered: "CONTENT_FILTERED",
  guardrail_intervened: "CONTENT_FILTERED",
  malformed_model_output: "FINISH",
  malformed_tool_use: "FINISH",
  model_context_window_exceeded: "LENGTH",
};

/** Parses a Titan Text body; the prompt becomes one user turn, as Titan reads it as one. */
export function parseRequest(body: Json, _entry: ModelEntry): GenerateRequest {
  const inputText = string(body.inputText, "inputText", { min: 1 });
  const config = optionalObject(body.textGenerationConfig, "textGenerationConfig") ?? {};
  const stop = optionalArray(config.stopSequences, "textGenerationConfig.stopSequences");
  return {
    messages: [{ role: "user", content: [{ type: "text", text: inputText }] }],
    maxTokens: optionalNumber(config.maxTokenCount, "textGenerationConfig.maxTokenCount", { min: 1, integer: true }),
    temperature: optionalNumber(config.temperature, "textGenerationConfig.temperature", { min: 0, max: 1 }),
    topP: optionalNumber(config.topP, "textGenerationConfig.topP", { min: 0, max: 1 }),
    stopSequences: stop?.map((s, i) => string(s, `textGenerationConfig.stopSequences.${i}`, { min: 1 })),
  };
}

/** The Titan Text response body. */
export function toResponse(result: GenerateResult): Json {
  return {
    inputTextTokenCount: result.usage.inputTokens,
    results: [{ tokenCount: result.usage.outputTokens, outputText: resultText(result), completionReason: COMPLETION_REASONS[result.finishReason] }],
  };
}

/** Titan streams text chunks; counts and the completion reason arrive with the last one. */
export function chunkMapper(): ChunkMapper {
  return {
    map(part: StreamPart): Json[] {
      if (part.type === "text-delta") {
        return [{ outputText: part.delta, index: 0, totalOutputTextTokenCount: null, completionReason: null, inputTextTokenCount: null }];
      }
      if (part.type !== "finish") return [];
      return [
        {
          outputText: "",
          index: 0,
          totalOutputTextTokenCount: part.usage.outputTokens,
          completionReason: COMPLETION_REASONS[part.finishReason],
          inputTextTokenCount: part.usage.inputTokens,
        },
      ];
    },
  };
}

/** The Titan Text family. */
export const titanTextFamily: TextFamily = { kind: "text", name: "titan-text", fields: FIELDS, parseRequest, toResponse, chunkMapper };
