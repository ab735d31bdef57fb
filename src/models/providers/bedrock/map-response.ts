// Bedrock Converse and Titan embedding responses → internal results.
import type { ContentBlock, ConverseResponse, TokenUsage } from "@aws-sdk/client-bedrock-runtime";
import { BasaltError } from "../../../spec/errors.ts";
import type { FinishReason, GenerateResult, OutputPart, Usage, Warning } from "../../../spec/model.ts";

/** The upstream kind, as messages name it. */
export const UPSTREAM = "Amazon Bedrock";

/** Stop reasons Converse may send that we pass through unchanged (our vocabulary is Bedrock's). */
const FINISH_REASONS = new Set<string>([
  "end_turn",
  "max_tokens",
  "stop_sequence",
  "tool_use",
  "content_filtered",
  "guardrail_intervened",
  "malformed_model_output",
  "malformed_tool_use",
  "model_context_window_exceeded",
]);

/** Maps a Converse stop reason; an unknown one (added later by AWS) ends the turn. */
export function finishReason(reason: string | undefined): FinishReason {
  return reason && FINISH_REASONS.has(reason) ? (reason as FinishReason) : "end_turn";
}

/** Converse usage → ours. */
export function usageOf(usage: TokenUsage | undefined): Usage {
  return { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 };
}

function outputPart(block: ContentBlock): OutputPart | undefined {
  if (block.text !== undefined) return { type: "text", text: block.text };
  if (block.toolUse) {
    return { type: "tool-call", toolCallId: block.toolUse.toolUseId ?? "", toolName: block.toolUse.name ?? "", input: block.toolUse.input ?? {} };
  }
  const reasoning = block.reasoningContent?.reasoningText;
  if (reasoning?.text !== undefined) return { type: "reasoning", text: reasoning.text, ...(reasoning.signature ? { signature: reasoning.signature } : {}) };
  return undefined; // citations, redacted reasoning: nothing our output parts can carry
}

/** Maps a Converse response. */
export function fromConverseResponse(response: ConverseResponse, warnings: Warning[]): GenerateResult {
  const content: OutputPart[] = [];
  for (const block of response.output?.message?.content ?? []) {
    const part = outputPart(block);
    if (part) content.push(part);
  }
  return { content, finishReason: finishReason(response.stopReason), usage: usageOf(response.usage), warnings };
}

/** Parses one Titan embedding response body. */
export function fromTitanEmbedding(body: Uint8Array): { embedding: number[]; inputTokens: number } {
  let json: { embedding?: unknown; inputTextTokenCount?: unknown };
  try {
    json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
  } catch (error) {
    throw new BasaltError("MODEL_ERROR", `The ${UPSTREAM} upstream returned an embedding body that is not JSON.`, { cause: error });
  }
  if (!Array.isArray(json.embedding)) throw new BasaltError("MODEL_ERROR", `The ${UPSTREAM} upstream returned no embedding.`);
  return { embedding: json.embedding as number[], inputTokens: typeof json.inputTextTokenCount === "number" ? json.inputTextTokenCount : 0 };
}
