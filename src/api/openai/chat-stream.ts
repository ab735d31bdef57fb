// Typed stream parts → Chat Completions SSE chunks (`data: {...}\n\n`). Each chunk is built
// from a pre-serialised head (id, object, created, model) so a token costs one small
// JSON.stringify of its delta rather than a whole chunk object.
import type { StreamPart } from "../../spec/model.ts";
import { finishReason, wireUsage, type CompletionMeta } from "./chat-response.ts";

interface ToolState {
  index: number;
  /** Whether any arguments fragment was sent; if none, the whole input goes out at the end. */
  sentArguments: boolean;
}

/** Maps one stream's parts to SSE text, numbering tool calls in order of appearance. */
export class ChatStreamMapper {
  private readonly head: string;
  private readonly tail: string;
  private readonly tools = new Map<string, ToolState>();
  private finished = false;

  constructor(
    meta: CompletionMeta,
    private readonly includeUsage: boolean,
  ) {
    this.head = `data: ${JSON.stringify({ id: meta.id, object: "chat.completion.chunk", created: meta.created, model: meta.model }).slice(0, -1)}`;
    // With include_usage, OpenAI sends `"usage": null` on every chunk but the last.
    this.tail = includeUsage ? `,"usage":null}\n\n` : "}\n\n";
  }

  private chunk(delta: string, finish = "null"): string {
    return `${this.head},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]${this.tail}`;
  }

  /** The first chunk: the assistant role with empty content, as OpenAI sends it. */
  start(): string {
    return this.chunk(`{"role":"assistant","content":""}`);
  }

  /** SSE text for one part; empty when the part has no wire form. */
  map(part: StreamPart): string {
    switch (part.type) {
      case "text-delta":
        return part.delta ? this.chunk(`{"content":${JSON.stringify(part.delta)}}`) : "";
      case "reasoning-delta":
        return part.delta ? this.chunk(`{"reasoning_content":${JSON.stringify(part.delta)}}`) : "";
      case "tool-call-start": {
        const index = this.tools.size;
        this.tools.set(part.id, { index, sentArguments: false });
        return this.chunk(
          `{"tool_calls":[{"index":${index},"id":${JSON.stringify(part.id)},"type":"function","function":{"name":${JSON.stringify(part.toolName)},"arguments":""}}]}`,
        );
      }
      case "tool-input-delta": {
        const tool = this.tools.get(part.id);
        if (!tool || !part.delta) return "";
        tool.sentArguments = true;
        return this.arguments(tool.index, part.delta);
      }
      case "tool-call-end": {
        // Some backends deliver a tool call's input only whole, at its end.
        const tool = this.tools.get(part.id);
        return tool && !tool.sentArguments ? this.arguments(tool.index, JSON.stringify(part.input ?? {})) : "";
      }
      case "finish": {
        this.finished = true;
        const last = this.chunk("{}", `"${finishReason(part.finishReason)}"`);
        if (!this.includeUsage) return last;
        return `${last}${this.head},"choices":[],"usage":${JSON.stringify(wireUsage(part.usage))}}\n\n`;
      }
      default:
        return "";
    }
  }

  private arguments(index: number, fragment: string): string {
    return this.chunk(`{"tool_calls":[{"index":${index},"function":{"arguments":${JSON.stringify(fragment)}}}]}`);
  }

  /** The closing text: a finish chunk if the source never sent one, then `[DONE]`. */
  end(): string {
    return `${this.finished ? "" : this.chunk("{}", `"stop"`)}data: [DONE]\n\n`;
  }
}
