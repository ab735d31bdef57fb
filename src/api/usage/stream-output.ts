// Assembles a streamed answer into one Converse-shaped body for an invocation log record, as
// Bedrock logs a stream's output whole. Used only while the account logs content.
import type { FinishReason, StreamPart, Usage } from "../../spec/model.ts";

type Block = { text: string } | { reasoningContent: { reasoningText: { text: string } } } | { toolUse: { toolUseId: string; name: string; input: unknown } };

/** Collects a stream's content blocks in order. */
export class StreamOutputAssembler {
  private readonly blocks: Block[] = [];
  private readonly open = new Map<string, Block>();
  private finishReason: FinishReason | undefined;

  /** Takes one part. */
  add(part: StreamPart): void {
    switch (part.type) {
      case "text-start":
        this.begin(part.id, { text: "" });
        break;
      case "text-delta": {
        const block = this.open.get(part.id);
        if (block && "text" in block) block.text += part.delta;
        break;
      }
      case "reasoning-start":
        this.begin(part.id, { reasoningContent: { reasoningText: { text: "" } } });
        break;
      case "reasoning-delta": {
        const block = this.open.get(part.id);
        if (block && "reasoningContent" in block) block.reasoningContent.reasoningText.text += part.delta;
        break;
      }
      case "tool-call-start":
        this.begin(part.id, { toolUse: { toolUseId: part.id, name: part.toolName, input: {} } });
        break;
      // A tool call's input is logged whole, from its end part: every backend sends it there.
      case "tool-call-end": {
        const block = this.open.get(part.id);
        if (block && "toolUse" in block) block.toolUse.input = part.input ?? {};
        break;
      }
      case "finish":
        this.finishReason = part.finishReason;
        break;
      default:
        break;
    }
  }

  private begin(id: string, block: Block): void {
    this.open.set(id, block);
    this.blocks.push(block);
  }

  /** The assembled body: the message, the stop reason and the usage. */
  result(usage: Usage): Record<string, unknown> {
    return {
      output: { message: { role: "assistant", content: this.blocks } },
      stopReason: this.finishReason ?? "end_turn",
      usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, totalTokens: usage.inputTokens + usage.outputTokens },
    };
  }
}
