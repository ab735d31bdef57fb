// Token counting for backends that do not expose their own tokenizer: a real BPE tokenizer
// (OpenAI's o200k_base via gpt-tokenizer), applied to the request flattened to text with a
// small per-message overhead, as chat templates add one.
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import type { GenerateRequest } from "../spec/model.ts";

const PER_MESSAGE_OVERHEAD = 4;
/** Special-token strings in user text (`<|endoftext|>`) are counted as the plain text they are. */
const PLAIN = { disallowedSpecial: new Set<string>() };

/** Counts tokens of plain text. */
export function countTextTokens(text: string): number {
  return text ? countTokens(text, PLAIN) : 0;
}

/** Flattens a request's content to the text a model would read. */
export function requestText(request: GenerateRequest): string {
  if (request.rawPrompt !== undefined) return request.rawPrompt;
  const pieces: string[] = [];
  if (request.system) pieces.push(request.system);
  for (const message of request.messages) {
    for (const part of message.content) {
      if (part.type === "text" || part.type === "reasoning") pieces.push(part.text);
      else if (part.type === "tool-call") pieces.push(part.toolName, JSON.stringify(part.input));
      else if (part.type === "tool-result") {
        for (const c of part.content) pieces.push(c.type === "text" ? c.text : c.type === "json" ? JSON.stringify(c.value) : "");
      } else if (part.type === "document" && part.text) pieces.push(part.text);
    }
  }
  for (const tool of request.tools ?? []) pieces.push(tool.name, tool.description ?? "", JSON.stringify(tool.inputSchema));
  return pieces.join("\n");
}

/** Counts the input tokens of a request with the shared tokenizer. */
export function countRequestTokens(request: GenerateRequest): number {
  const overhead = request.rawPrompt !== undefined ? 0 : PER_MESSAGE_OVERHEAD * (request.messages.length + (request.system ? 1 : 0));
  return countTextTokens(requestText(request)) + overhead;
}
