// Converting between whole results and typed streams, so a provider can implement one side
// natively and get the other for free.
import type { GenerateResult, OutputPart, StreamPart, Usage, Warning } from "../spec/model.ts";

/** Reads a stream to its end and assembles the whole result. */
export async function collectStream(stream: AsyncIterable<StreamPart>): Promise<GenerateResult> {
  const content: OutputPart[] = [];
  const warnings: Warning[] = [];
  const open = new Map<string, OutputPart>();
  let usage: Usage = { inputTokens: 0, outputTokens: 0 };
  let finish: Pick<GenerateResult, "finishReason" | "stopSequence"> = { finishReason: "end_turn" };
  for await (const part of stream) {
    switch (part.type) {
      case "text-start":
      case "reasoning-start": {
        const block: OutputPart = part.type === "text-start" ? { type: "text", text: "" } : { type: "reasoning", text: "" };
        open.set(part.id, block);
        content.push(block);
        break;
      }
      case "text-delta":
      case "reasoning-delta": {
        let block = open.get(part.id);
        if (!block) {
          block = part.type === "text-delta" ? { type: "text", text: "" } : { type: "reasoning", text: "" };
          open.set(part.id, block);
          content.push(block);
        }
        if (block.type === "text" || block.type === "reasoning") block.text += part.delta;
        break;
      }
      case "tool-call-start": {
        const block: OutputPart = { type: "tool-call", toolCallId: part.id, toolName: part.toolName, input: {} };
        open.set(part.id, block);
        content.push(block);
        break;
      }
      case "tool-call-end": {
        const block = open.get(part.id);
        if (block?.type === "tool-call") block.input = part.input;
        break;
      }
      case "warning":
        warnings.push(part.warning);
        break;
      case "finish":
        usage = part.usage;
        finish = { finishReason: part.finishReason, stopSequence: part.stopSequence };
        break;
      default:
        break;
    }
  }
  return { content, usage, warnings, ...finish };
}

/** Replays a whole result as a stream of parts. */
export async function* streamFromResult(result: GenerateResult): AsyncIterable<StreamPart> {
  for (const warning of result.warnings) yield { type: "warning", warning };
  let index = 0;
  for (const part of result.content) {
    const id = part.type === "tool-call" ? part.toolCallId : `${part.type}-${index}`;
    index++;
    if (part.type === "text" || part.type === "reasoning") {
      const kind = part.type;
      yield { type: `${kind}-start`, id };
      if (part.text) yield { type: `${kind}-delta`, id, delta: part.text };
      yield { type: `${kind}-end`, id };
    } else {
      yield { type: "tool-call-start", id, toolName: part.toolName };
      yield { type: "tool-input-delta", id, delta: JSON.stringify(part.input ?? {}) };
      yield { type: "tool-call-end", id, input: part.input };
    }
  }
  yield { type: "finish", finishReason: result.finishReason, stopSequence: result.stopSequence, usage: result.usage };
}

/** Joins the text parts of a result. */
export function resultText(result: GenerateResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}
