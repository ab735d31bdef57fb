// Chat Completions (and Completions) SSE chunks → typed stream parts. Tool calls arrive as
// argument fragments keyed by `index`; each becomes tool-call-start / tool-input-delta and,
// when the choice finishes, tool-call-end with the parsed input.
import { BasaltError } from "../../../spec/errors.ts";
import type { FinishReason, GenerateRequest, StreamPart, Usage } from "../../../spec/model.ts";
import { malformedStream } from "../../upstream/errors.ts";
import { finishReason, newToolCallId, parseToolInput, UPSTREAM, usageOf } from "./map-response.ts";

interface ToolCallDelta {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface Chunk {
  choices?: Array<{
    delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null; tool_calls?: ToolCallDelta[] };
    text?: string;
    finish_reason?: string | null;
    stop_reason?: unknown;
  }>;
  usage?: unknown;
  error?: unknown;
}

interface OpenToolCall {
  id: string;
  name: string;
  args: string;
  started: boolean;
}

/** Stateful mapper for one stream: feed it each SSE `data`, then call {@link end}. */
export class OpenAiStreamMapper {
  private textId: string | undefined;
  private reasoningId: string | undefined;
  private blocks = 0;
  private readonly tools = new Map<number, OpenToolCall>();
  private finish: { finishReason: FinishReason; stopSequence?: string } | undefined;
  private usage: unknown;
  private done = false;
  private outputText = "";

  constructor(private readonly request: GenerateRequest) {}

  /** Maps one SSE data payload, pushing parts to `out`. */
  data(data: string, out: StreamPart[]): void {
    if (data === "[DONE]") {
      this.done = true;
      return;
    }
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch (error) {
      throw malformedStream(UPSTREAM, "a chunk is not JSON", error);
    }
    // vLLM, llama.cpp and OpenAI report failures after the head as a data event with `error`.
    if (chunk.error) throw new BasaltError("MODEL_STREAM_ERROR", `The ${UPSTREAM} upstream reported an error mid-stream.`, { cause: chunk.error });
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const delta = choice.delta;
    const reasoning = delta?.reasoning_content ?? delta?.reasoning;
    if (reasoning) this.reasoningDelta(reasoning, out);
    const text = delta ? delta.content : choice.text;
    if (text) this.textDelta(text, out);
    if (delta?.tool_calls) for (const call of delta.tool_calls) this.toolDelta(call, out);
    if (choice.finish_reason) {
      this.finish = finishReason(choice.finish_reason, choice.stop_reason, this.request);
      this.closeBlocks(out);
    }
  }

  /** The body ended: closes what is open and pushes the finish part, or fails if cut short. */
  end(out: StreamPart[]): void {
    if (!this.finish && !this.done) throw malformedStream(UPSTREAM, "it ended before a finish reason");
    this.closeBlocks(out);
    const usage: Usage = usageOf(this.usage, this.request, () => this.outputText);
    const finish = this.finish ?? { finishReason: "end_turn" as const };
    out.push({ type: "finish", ...finish, usage });
  }

  private textDelta(text: string, out: StreamPart[]): void {
    this.closeReasoning(out);
    if (!this.textId) {
      this.textId = `text-${this.blocks++}`;
      out.push({ type: "text-start", id: this.textId });
    }
    // Kept only to estimate usage when the upstream reports none.
    if (this.usage === undefined) this.outputText += text;
    out.push({ type: "text-delta", id: this.textId, delta: text });
  }

  private reasoningDelta(text: string, out: StreamPart[]): void {
    if (!this.reasoningId) {
      this.reasoningId = `reasoning-${this.blocks++}`;
      out.push({ type: "reasoning-start", id: this.reasoningId });
    }
    out.push({ type: "reasoning-delta", id: this.reasoningId, delta: text });
  }

  private toolDelta(delta: ToolCallDelta, out: StreamPart[]): void {
    const index = delta.index ?? this.tools.size;
    let call = this.tools.get(index);
    if (!call) {
      call = { id: delta.id || newToolCallId(), name: "", args: "", started: false };
      this.tools.set(index, call);
    }
    if (delta.function?.name && !call.started) call.name += delta.function.name;
    const args = delta.function?.arguments;
    if (!call.started && call.name) {
      // Text before a tool call is a finished thought: close it so blocks stay in order.
      this.closeText(out);
      this.closeReasoning(out);
      call.started = true;
      out.push({ type: "tool-call-start", id: call.id, toolName: call.name });
      if (call.args) out.push({ type: "tool-input-delta", id: call.id, delta: call.args });
    }
    if (args) {
      call.args += args;
      if (call.started) out.push({ type: "tool-input-delta", id: call.id, delta: args });
    }
  }

  private closeText(out: StreamPart[]): void {
    if (this.textId) out.push({ type: "text-end", id: this.textId });
    this.textId = undefined;
  }

  private closeReasoning(out: StreamPart[]): void {
    if (this.reasoningId) out.push({ type: "reasoning-end", id: this.reasoningId });
    this.reasoningId = undefined;
  }

  private closeBlocks(out: StreamPart[]): void {
    this.closeReasoning(out);
    this.closeText(out);
    for (const call of this.tools.values()) {
      if (!call.started) continue; // a call without a name cannot be expressed; nothing was emitted
      const input = parseToolInput(call.args);
      if (input === undefined && this.finish) this.finish = { finishReason: "malformed_tool_use" };
      out.push({ type: "tool-call-end", id: call.id, input: input ?? {} });
    }
    this.tools.clear();
  }
}
