// Messages API SSE events → typed stream parts: content_block_start / _delta / _stop become
// start / delta / end per block; message_delta carries the stop reason and output usage.
import type { FinishReason, StreamPart, Usage } from "../../../spec/model.ts";
import { malformedStream } from "../../upstream/errors.ts";
import { closeBlock, type OpenBlock } from "../../upstream/stream-blocks.ts";
import { errorEvent, finishReason, UPSTREAM, usageOf } from "./map-response.ts";


interface Event {
  type?: string;
  index?: number;
  message?: { usage?: unknown };
  content_block?: { type?: string; id?: string; name?: string; text?: string; thinking?: string };
  delta?: { type?: string; text?: string; partial_json?: string; thinking?: string; stop_reason?: string; stop_sequence?: string | null };
  usage?: unknown;
}

/** Stateful mapper for one stream: feed it each SSE `data`, then call {@link end}. */
export class AnthropicStreamMapper {
  private readonly blocks = new Map<number, OpenBlock>();
  private usage: Usage = { inputTokens: 0, outputTokens: 0 };
  private reason: FinishReason = "end_turn";
  private stopSequence: string | undefined;
  private stopped = false;

  /** Maps one SSE data payload, pushing parts to `out`. */
  data(data: string, out: StreamPart[]): void {
    let event: Event;
    try {
      event = JSON.parse(data) as Event;
    } catch (error) {
      throw malformedStream(UPSTREAM, "an event is not JSON", error);
    }
    switch (event.type) {
      case "message_start":
        this.usage = usageOf(event.message?.usage, this.usage);
        break;
      case "content_block_start":
        this.start(event, out);
        break;
      case "content_block_delta":
        this.delta(event, out);
        break;
      case "content_block_stop":
        this.stop(event.index ?? -1, out);
        break;
      case "message_delta":
        if (event.delta?.stop_reason) {
          this.reason = finishReason(event.delta.stop_reason);
          this.stopSequence = event.delta.stop_sequence ?? undefined;
        }
        this.usage = usageOf(event.usage, this.usage);
        break;
      case "message_stop":
        this.stopped = true;
        break;
      case "error":
        throw errorEvent(event);
      default:
        break; // ping and event types added later
    }
  }

  /** The body ended: pushes the finish part, or fails if message_stop never came. */
  end(out: StreamPart[]): void {
    if (!this.stopped) throw malformedStream(UPSTREAM, "it ended before message_stop");
    for (const index of [...this.blocks.keys()]) this.stop(index, out);
    const stopSequence = this.reason === "stop_sequence" ? this.stopSequence : undefined;
    out.push({ type: "finish", finishReason: this.reason, ...(stopSequence ? { stopSequence } : {}), usage: this.usage });
  }

  private start(event: Event, out: StreamPart[]): void {
    const index = event.index ?? this.blocks.size;
    const block = event.content_block;
    if (block?.type === "text") {
      const id = `text-${index}`;
      this.blocks.set(index, { kind: "text", id, json: "" });
      out.push({ type: "text-start", id });
      if (block.text) out.push({ type: "text-delta", id, delta: block.text });
    } else if (block?.type === "thinking") {
      const id = `reasoning-${index}`;
      this.blocks.set(index, { kind: "reasoning", id, json: "" });
      out.push({ type: "reasoning-start", id });
      if (block.thinking) out.push({ type: "reasoning-delta", id, delta: block.thinking });
    } else if (block?.type === "tool_use" && block.id && block.name) {
      this.blocks.set(index, { kind: "tool", id: block.id, json: "" });
      out.push({ type: "tool-call-start", id: block.id, toolName: block.name });
    }
    // Other blocks (redacted_thinking, server tools) have no stream counterpart: skipped.
  }

  private delta(event: Event, out: StreamPart[]): void {
    const block = this.blocks.get(event.index ?? -1);
    const delta = event.delta;
    if (!block || !delta) return;
    if (delta.type === "text_delta" && delta.text) out.push({ type: "text-delta", id: block.id, delta: delta.text });
    else if (delta.type === "thinking_delta" && delta.thinking) out.push({ type: "reasoning-delta", id: block.id, delta: delta.thinking });
    else if (delta.type === "input_json_delta" && delta.partial_json) {
      block.json += delta.partial_json;
      out.push({ type: "tool-input-delta", id: block.id, delta: delta.partial_json });
    }
    // signature_delta: stream parts carry no signature, so a streamed thinking block cannot
    // be replayed to Anthropic later; the non-streaming path keeps it.
  }

  private stop(index: number, out: StreamPart[]): void {
    const block = this.blocks.get(index);
    if (!block) return;
    this.blocks.delete(index);
    closeBlock(block, UPSTREAM, out);
  }
}
