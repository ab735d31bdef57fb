// Internal results and stream parts → Converse / ConverseStream wire shapes.
import type { GenerateResult, OutputPart, StreamPart, Usage } from "../../spec/model.ts";

/** One Converse output content block. */
export function contentBlock(part: OutputPart): Record<string, unknown> {
  switch (part.type) {
    case "text":
      return { text: part.text };
    case "reasoning":
      return { reasoningContent: { reasoningText: { text: part.text, ...(part.signature ? { signature: part.signature } : {}) } } };
    case "tool-call":
      return { toolUse: { toolUseId: part.toolCallId, name: part.toolName, input: part.input ?? {} } };
  }
}

/** Converse's usage object. */
export function wireUsage(usage: Usage): Record<string, number> {
  return { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, totalTokens: usage.inputTokens + usage.outputTokens };
}

/** The whole Converse response body. */
export function converseResponse(result: GenerateResult, latencyMs: number): Record<string, unknown> {
  return {
    output: { message: { role: "assistant", content: result.content.map(contentBlock) } },
    stopReason: result.finishReason,
    usage: wireUsage(result.usage),
    metrics: { latencyMs },
  };
}

/** A ConverseStream event: its `:event-type` and JSON payload. */
export interface ConverseEvent {
  type: string;
  payload: Record<string, unknown>;
}

/**
 * Maps typed stream parts to ConverseStream events, numbering content blocks in order.
 * Text blocks get no start event (as Bedrock sends none); tool-use blocks do.
 */
export class ConverseStreamMapper {
  private readonly indexes = new Map<string, number>();
  private next = 0;
  private readonly started = performance.now();

  private index(id: string): number {
    let index = this.indexes.get(id);
    if (index === undefined) {
      index = this.next++;
      this.indexes.set(id, index);
    }
    return index;
  }

  /** The events that open the stream. */
  start(): ConverseEvent[] {
    return [{ type: "messageStart", payload: { role: "assistant" } }];
  }

  /** The events for one part (often none or one). */
  map(part: StreamPart): ConverseEvent[] {
    switch (part.type) {
      case "text-delta":
        return [{ type: "contentBlockDelta", payload: { contentBlockIndex: this.index(part.id), delta: { text: part.delta } } }];
      case "reasoning-delta":
        return [
          {
            type: "contentBlockDelta",
            payload: { contentBlockIndex: this.index(part.id), delta: { reasoningContent: { text: part.delta } } },
          },
        ];
      case "tool-call-start":
        return [
          {
            type: "contentBlockStart",
            payload: { contentBlockIndex: this.index(part.id), start: { toolUse: { toolUseId: part.id, name: part.toolName } } },
          },
        ];
      case "tool-input-delta":
        return [
          { type: "contentBlockDelta", payload: { contentBlockIndex: this.index(part.id), delta: { toolUse: { input: part.delta } } } },
        ];
      case "text-end":
      case "reasoning-end":
      case "tool-call-end":
        return this.indexes.has(part.id) ? [{ type: "contentBlockStop", payload: { contentBlockIndex: this.index(part.id) } }] : [];
      case "finish":
        return [
          { type: "messageStop", payload: { stopReason: part.finishReason } },
          {
            type: "metadata",
            payload: { usage: wireUsage(part.usage), metrics: { latencyMs: Math.round(performance.now() - this.started) } },
          },
        ];
      default:
        return [];
    }
  }
}
