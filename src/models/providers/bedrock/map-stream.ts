// ConverseStream events → typed stream parts. Bedrock sends no start event for text blocks,
// so a block opens on its first delta; tool-use input arrives as partial JSON strings and is
// parsed at contentBlockStop. The finish part waits for `metadata`, which carries usage.
import type { ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import type { FinishReason, StreamPart, Usage } from "../../../spec/model.ts";
import { malformedStream } from "../../upstream/errors.ts";
import { closeBlock, type OpenBlock } from "../../upstream/stream-blocks.ts";
import { finishReason, UPSTREAM, usageOf } from "./map-response.ts";


/** Stateful mapper for one ConverseStream: feed it each event, then call {@link end}. */
export class BedrockStreamMapper {
  private readonly blocks = new Map<number, OpenBlock>();
  private reason: FinishReason | undefined;
  private usage: Usage | undefined;

  /** Maps one event, pushing parts to `out`. */
  event(event: ConverseStreamOutput, out: StreamPart[]): void {
    if (event.contentBlockStart) {
      const index = event.contentBlockStart.contentBlockIndex ?? this.blocks.size;
      const toolUse = event.contentBlockStart.start?.toolUse;
      if (toolUse?.toolUseId && toolUse.name) {
        this.blocks.set(index, { kind: "tool", id: toolUse.toolUseId, json: "" });
        out.push({ type: "tool-call-start", id: toolUse.toolUseId, toolName: toolUse.name });
      }
    } else if (event.contentBlockDelta) {
      this.delta(event.contentBlockDelta.contentBlockIndex ?? 0, event.contentBlockDelta.delta, out);
    } else if (event.contentBlockStop) {
      this.stop(event.contentBlockStop.contentBlockIndex ?? 0, out);
    } else if (event.messageStop) {
      this.reason = finishReason(event.messageStop.stopReason);
    } else if (event.metadata) {
      this.usage = usageOf(event.metadata.usage);
    }
    // messageStart carries only the role; exception members are thrown by the SDK itself.
  }

  /** The stream ended: closes open blocks and pushes the finish part, or fails if cut short. */
  end(out: StreamPart[]): void {
    if (!this.reason) throw malformedStream(UPSTREAM, "it ended before messageStop");
    for (const index of [...this.blocks.keys()]) this.stop(index, out);
    out.push({ type: "finish", finishReason: this.reason, usage: this.usage ?? { inputTokens: 0, outputTokens: 0 } });
  }

  private open(index: number, kind: "text" | "reasoning", out: StreamPart[]): OpenBlock {
    let block = this.blocks.get(index);
    if (!block) {
      block = { kind, id: `${kind}-${index}`, json: "" };
      this.blocks.set(index, block);
      out.push({ type: kind === "text" ? "text-start" : "reasoning-start", id: block.id });
    }
    return block;
  }

  private delta(index: number, delta: NonNullable<ConverseStreamOutput["contentBlockDelta"]>["delta"], out: StreamPart[]): void {
    if (!delta) return;
    if (delta.text !== undefined) {
      const block = this.open(index, "text", out);
      if (delta.text) out.push({ type: "text-delta", id: block.id, delta: delta.text });
    } else if (delta.toolUse) {
      const block = this.blocks.get(index);
      if (block?.kind !== "tool" || !delta.toolUse.input) return;
      block.json += delta.toolUse.input;
      out.push({ type: "tool-input-delta", id: block.id, delta: delta.toolUse.input });
    } else if (delta.reasoningContent?.text !== undefined) {
      const block = this.open(index, "reasoning", out);
      if (delta.reasoningContent.text) out.push({ type: "reasoning-delta", id: block.id, delta: delta.reasoningContent.text });
    }
    // Signature and redacted reasoning deltas have no stream part; citations neither.
  }

  private stop(index: number, out: StreamPart[]): void {
    const block = this.blocks.get(index);
    if (!block) return;
    this.blocks.delete(index);
    closeBlock(block, UPSTREAM, out);
  }
}
