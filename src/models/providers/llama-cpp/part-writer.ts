// Turns node-llama-cpp's callbacks into well-formed typed stream parts: each text, reasoning
// and tool-call block opens before its deltas and closes before the next block opens, so the
// API layer can number Bedrock content blocks in order.
import type { FinishReason, StreamPart, Usage } from "../../../spec/model.ts";

/** Writes stream parts through `emit`, keeping the block structure valid. */
export class PartWriter {
  private open?: { id: string; kind: "text" | "reasoning" | "tool" };
  private blocks = 0;

  constructor(private readonly emit: (part: StreamPart) => void) {}

  /** Appends model text, opening a text block if needed. */
  text(delta: string): void {
    this.delta("text", delta);
  }

  /** Appends reasoning (thought segments), opening a reasoning block if needed. */
  reasoning(delta: string): void {
    this.delta("reasoning", delta);
  }

  /** Opens a tool-call block. */
  toolStart(id: string, toolName: string): void {
    this.close();
    this.open = { id, kind: "tool" };
    this.emit({ type: "tool-call-start", id, toolName });
  }

  /** Appends raw JSON of the open tool call's input. */
  toolDelta(id: string, delta: string): void {
    if (delta && this.open?.id === id) this.emit({ type: "tool-input-delta", id, delta });
  }

  /** Closes a tool-call block with its parsed input. */
  toolEnd(id: string, input: unknown): void {
    if (this.open?.id !== id) return;
    this.open = undefined;
    this.emit({ type: "tool-call-end", id, input });
  }

  /** Closes the open block and writes the final part. */
  finish(finishReason: FinishReason, usage: Usage, stopSequence?: string): void {
    this.close();
    this.emit({ type: "finish", finishReason, usage, ...(stopSequence === undefined ? {} : { stopSequence }) });
  }

  private delta(kind: "text" | "reasoning", delta: string): void {
    if (!delta) return;
    if (this.open?.kind !== kind) {
      this.close();
      this.open = { id: `${kind}-${this.blocks++}`, kind };
      this.emit({ type: `${kind}-start`, id: this.open.id });
    }
    this.emit({ type: `${kind}-delta`, id: this.open.id, delta });
  }

  private close(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    if (open.kind === "tool") this.emit({ type: "tool-call-end", id: open.id, input: {} });
    else this.emit({ type: `${open.kind}-end`, id: open.id });
  }
}
