// Internal results → Chat Completions response bodies (the whole `chat.completion` object).
import type { FinishReason, GenerateResult, Usage } from "../../spec/model.ts";

/** What every completion and chunk of one request shares. */
export interface CompletionMeta {
  /** `chatcmpl-…`; the same id on every chunk of a stream. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The catalog id the request resolved to. */
  model: string;
}

// OpenAI has four reasons; Bedrock's finer ones fold into the closest.
const FINISH_REASONS: Record<FinishReason, string> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  content_filtered: "content_filter",
  guardrail_intervened: "content_filter",
  malformed_model_output: "stop",
  malformed_tool_use: "stop",
};

/** OpenAI's finish_reason for an internal one. */
export function finishReason(reason: FinishReason): string {
  return FINISH_REASONS[reason] ?? "stop";
}

/** OpenAI's usage object. */
export function wireUsage(usage: Usage): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens };
}

/** The whole non-streaming response body. */
export function chatCompletion(result: GenerateResult, meta: CompletionMeta): Record<string, unknown> {
  let text: string | null = null;
  let reasoning: string | undefined;
  const toolCalls: Array<Record<string, unknown>> = [];
  for (const part of result.content) {
    if (part.type === "text") text = text === null ? part.text : text + part.text;
    else if (part.type === "reasoning") reasoning = reasoning === undefined ? part.text : reasoning + part.text;
    else toolCalls.push({ id: part.toolCallId, type: "function", function: { name: part.toolName, arguments: JSON.stringify(part.input ?? {}) } });
  }
  const message: Record<string, unknown> = { role: "assistant", content: text ?? (toolCalls.length ? null : ""), refusal: null };
  // `reasoning_content` is the de-facto extension (DeepSeek, vLLM) for reasoning text; OpenAI has none.
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  if (toolCalls.length) message.tool_calls = toolCalls;
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(result.finishReason) }],
    usage: wireUsage(result.usage),
  };
}
