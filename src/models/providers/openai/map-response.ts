// OpenAI Chat Completions / Completions / Embeddings responses → internal results.
import { randomBytes } from "node:crypto";
import type { EmbedResult, FinishReason, GenerateRequest, GenerateResult, OutputPart, Usage, Warning } from "../../../spec/model.ts";
import { BasaltError } from "../../../spec/errors.ts";
import { countRequestTokens, countTextTokens } from "../../text-tokens.ts";

/** The upstream kind, as messages name it. */
export const UPSTREAM = "OpenAI-compatible";

/** Chat Completions' finish reasons → Bedrock's vocabulary. */
const FINISH_REASONS: Record<string, FinishReason> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  function_call: "tool_use",
  content_filter: "content_filtered",
  eos: "end_turn", // TGI
};

/**
 * Maps a finish reason. "stop" covers both a natural end and a stop sequence; vLLM says which
 * in `stop_reason` (the matched string), so a match against the request's stops is honoured.
 */
export function finishReason(reason: unknown, stopReason: unknown, request: GenerateRequest): { finishReason: FinishReason; stopSequence?: string } {
  if (typeof stopReason === "string" && request.stopSequences?.includes(stopReason)) {
    return { finishReason: "stop_sequence", stopSequence: stopReason };
  }
  return { finishReason: (typeof reason === "string" && FINISH_REASONS[reason]) || "end_turn" };
}

/** Parses streamed or whole tool-call arguments; undefined when they are not a JSON object. */
export function parseToolInput(args: string): unknown {
  if (args.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(args);
    return value !== null && typeof value === "object" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A tool-call id for servers that send none (Bedrock requires one to pair results). */
export function newToolCallId(): string {
  return `call_${randomBytes(12).toString("base64url")}`;
}

/** Upstream usage, or the shared tokenizer's estimate when the server reports none. */
export function usageOf(raw: unknown, request: GenerateRequest, outputText: () => string): Usage {
  const usage = raw as { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
  const input = typeof usage?.prompt_tokens === "number" ? usage.prompt_tokens : countRequestTokens(request);
  const output = typeof usage?.completion_tokens === "number" ? usage.completion_tokens : countTextTokens(outputText());
  return { inputTokens: input, outputTokens: output };
}

interface ChatChoice {
  message?: {
    content?: string | null;
    reasoning_content?: string | null;
    reasoning?: string | null;
    tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: string } }>;
  };
  text?: string;
  finish_reason?: string | null;
  stop_reason?: unknown;
}

/** Maps a whole Chat Completions (or Completions) response. */
export function fromOpenAiResponse(json: unknown, request: GenerateRequest, warnings: Warning[]): GenerateResult {
  const response = json as { choices?: ChatChoice[]; usage?: unknown; error?: unknown };
  const choice = response?.choices?.[0];
  if (!choice) throw new BasaltError("MODEL_ERROR", `The ${UPSTREAM} upstream returned no choices.`);
  const content: OutputPart[] = [];
  const message = choice.message;
  const reasoning = message?.reasoning_content ?? message?.reasoning;
  if (reasoning) content.push({ type: "reasoning", text: reasoning });
  const text = message ? message.content : choice.text;
  if (text) content.push({ type: "text", text });
  let finish = finishReason(choice.finish_reason, choice.stop_reason, request);
  for (const call of message?.tool_calls ?? []) {
    const input = parseToolInput(call.function?.arguments ?? "");
    if (input === undefined) finish = { finishReason: "malformed_tool_use" };
    content.push({ type: "tool-call", toolCallId: call.id || newToolCallId(), toolName: call.function?.name ?? "", input: input ?? {} });
  }
  const usage = usageOf(response.usage, request, () => text ?? "");
  return { content, usage, warnings, ...finish };
}

/** Maps an /embeddings response, scaling vectors to unit length unless asked not to. */
export function fromEmbeddingResponse(json: unknown, texts: string[], normalize: boolean, warnings: Warning[]): EmbedResult {
  const count = texts.length;
  const response = json as { data?: Array<{ embedding?: unknown; index?: number }>; usage?: { prompt_tokens?: number } };
  const data = response?.data;
  if (!Array.isArray(data) || data.length !== count) {
    throw new BasaltError("MODEL_ERROR", `The ${UPSTREAM} upstream returned ${Array.isArray(data) ? data.length : "no"} embeddings for ${count} inputs.`);
  }
  const embeddings: number[][] = new Array(count);
  data.forEach((item, position) => {
    if (!Array.isArray(item.embedding)) throw new BasaltError("MODEL_ERROR", `The ${UPSTREAM} upstream returned an embedding that is not a float array.`);
    const vector = item.embedding as number[];
    embeddings[item.index ?? position] = normalize ? unit(vector) : vector;
  });
  const inputTokens = response.usage?.prompt_tokens ?? texts.reduce((n, t) => n + countTextTokens(t), 0);
  return { embeddings, usage: { inputTokens }, warnings };
}

function unit(vector: number[]): number[] {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum);
  // OpenAI already returns unit vectors; skip the copy when that is so.
  if (norm === 0 || Math.abs(norm - 1) < 1e-6) return vector;
  return vector.map((v) => v / norm);
}
