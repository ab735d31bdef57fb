// Content blocks of an upstream stream that is indexed per block (Anthropic's Messages SSE,
// Bedrock's ConverseStream): what is open, and how a block closes into stream parts.
import type { StreamPart } from "../../spec/model.ts";
import { malformedStream } from "./errors.ts";

/** A content block still open in an upstream stream; tool input accumulates as JSON text. */
export interface OpenBlock {
  kind: "text" | "reasoning" | "tool";
  id: string;
  json: string;
}

/** Pushes the end part of `block`; a tool call's accumulated input is parsed here. */
export function closeBlock(block: OpenBlock, upstream: string, out: StreamPart[]): void {
  if (block.kind === "text") out.push({ type: "text-end", id: block.id });
  else if (block.kind === "reasoning") out.push({ type: "reasoning-end", id: block.id });
  else {
    let input: unknown = {};
    if (block.json.trim()) {
      try {
        input = JSON.parse(block.json);
      } catch (error) {
        throw malformedStream(upstream, "tool input is not JSON", error);
      }
    }
    out.push({ type: "tool-call-end", id: block.id, input });
  }
}
