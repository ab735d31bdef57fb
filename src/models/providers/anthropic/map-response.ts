// Anthropic Messages API responses → internal results.
import { BasaltError } from "../../../spec/errors.ts";
import type { FinishReason, GenerateResult, OutputPart, Usage, Warning } from "../../../spec/model.ts";

/** The upstream kind, as messages name it. */
export const UPSTREAM = "Anthropic";

/** Messages API stop reasons → Bedrock's vocabulary (Bedrock uses Anthropic's names). */
const STOP_REASONS: Record<string, FinishReason> = {
  end_turn: "end_turn",
  max_tokens: "max_tokens",
  stop_sequence: "stop_sequence",
  tool_use: "tool_use",
  refusal: "content_filtered",
  model_context_window_exceeded: "model_context_window_exceeded",
  // A server tool paused the turn; to a Bedrock client the turn simply ended.
  pause_turn: "end_turn",
};

/** Maps a stop reason; unknown or missing ones end the turn. */
export function finishReason(reason: unknown): FinishReason {
  return (typeof reason === "string" && STOP_REASONS[reason]) || "end_turn";
}

/** Anthropic usage → ours. Cached input counts as input: it is read by the model all the same. */
export function usageOf(raw: unknown, previous?: Usage): Usage {
  const usage = (raw ?? {}) as Record<string, unknown>;
  const num = (key: string) => (typeof usage[key] === "number" ? (usage[key] as number) : 0);
  const hasInput = typeof usage.input_tokens === "number";
  return {
    inputTokens: hasInput ? num("input_tokens") + num("cache_creation_input_tokens") + num("cache_read_input_tokens") : (previous?.inputTokens ?? 0),
    outputTokens: typeof usage.output_tokens === "number" ? num("output_tokens") : (previous?.outputTokens ?? 0),
  };
}

interface Block {
  type?: string;
  text?: string;
  thinking?: string;
  signature?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

/** Maps a whole Messages API response. */
export function fromAnthropicResponse(json: unknown, warnings: Warning[]): GenerateResult {
  const response = json as { content?: Block[]; stop_reason?: string; stop_sequence?: string | null; usage?: unknown };
  if (!response || !Array.isArray(response.content)) throw new BasaltError("MODEL_ERROR", `The ${UPSTREAM} upstream returned no content.`);
  const content: OutputPart[] = [];
  for (const block of response.content) {
    if (block.type === "text" && typeof block.text === "string") content.push({ type: "text", text: block.text });
    else if (block.type === "tool_use" && block.id && block.name) {
      content.push({ type: "tool-call", toolCallId: block.id, toolName: block.name, input: block.input ?? {} });
    } else if (block.type === "thinking" && typeof block.thinking === "string") {
      content.push({ type: "reasoning", text: block.thinking, ...(block.signature ? { signature: block.signature } : {}) });
    }
    // redacted_thinking and server-tool blocks have no Converse counterpart a client could use.
  }
  const reason = finishReason(response.stop_reason);
  return {
    content,
    finishReason: reason,
    ...(reason === "stop_sequence" && response.stop_sequence ? { stopSequence: response.stop_sequence } : {}),
    usage: usageOf(response.usage),
    warnings,
  };
}

/** The error for an `error` event or body (`{type:"error", error:{type, message}}`). */
export function errorEvent(raw: unknown): BasaltError {
  const cause = (raw as { error?: { type?: string } })?.error;
  if (cause?.type === "rate_limit_error") return new BasaltError("THROTTLED", `The ${UPSTREAM} upstream is throttling requests. Try again later.`, { cause });
  if (cause?.type === "overloaded_error") return new BasaltError("SERVICE_UNAVAILABLE", `The ${UPSTREAM} upstream is overloaded. Try again later.`, { cause });
  return new BasaltError("MODEL_STREAM_ERROR", `The ${UPSTREAM} upstream reported an error mid-stream.`, { cause });
}
