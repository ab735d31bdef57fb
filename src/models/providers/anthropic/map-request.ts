// GenerateRequest → Anthropic Messages API request body. Parameters are mapped as data; what
// the wire cannot carry becomes a warning.
import type { ContentPart, GenerateRequest, Message, ToolChoice, ToolResultContent, Warning } from "../../../spec/model.ts";

/** A mapped request: the JSON body, extra headers and what could not be honoured. */
export interface AnthropicRequest {
  body: Record<string, unknown>;
  /** `anthropic-beta` when providerOptions carried Bedrock's `anthropic_beta` list. */
  beta?: string;
  warnings: Warning[];
}

type Sampling = "temperature" | "topP" | "topK" | "stopSequences";

/** Our parameter → the Messages API's. */
const SAMPLING: ReadonlyArray<readonly [Sampling, string]> = [
  ["temperature", "temperature"],
  ["topP", "top_p"],
  ["topK", "top_k"],
  ["stopSequences", "stop_sequences"],
];

/** The Messages API requires max_tokens; this is used when the caller sets none. */
export const DEFAULT_MAX_TOKENS = 4096;

// Fields Basalt owns: providerOptions may not replace them.
const OWNED = new Set(["model", "messages", "system", "stream", "anthropic_beta", "anthropic_version"]);

/** Document formats the Messages API reads as base64 (PDF) — others must arrive as text. */
const BINARY_DOCUMENTS: Record<string, string> = { pdf: "application/pdf" };

/** Options of {@link toAnthropicRequest}. */
export interface AnthropicRequestOptions {
  model: string;
  stream: boolean;
}

/** Maps a request to a Messages API body. */
export function toAnthropicRequest(request: GenerateRequest, options: AnthropicRequestOptions): AnthropicRequest {
  const warnings: Warning[] = [];
  const body: Record<string, unknown> = {};
  let beta: string | undefined;
  const extra = request.providerOptions;
  if (extra) {
    for (const key in extra) if (!OWNED.has(key)) body[key] = extra[key];
    // On Bedrock anthropic_beta is a body field; the first-party API takes it as a header.
    if (Array.isArray(extra.anthropic_beta)) beta = extra.anthropic_beta.join(",");
  }
  body.model = options.model;
  if (!("max_tokens" in body)) body.max_tokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
  for (const [ours, theirs] of SAMPLING) {
    const value = request[ours];
    if (value !== undefined && !(theirs in body)) body[theirs] = value;
  }
  if (request.system) body.system = request.system;
  if (request.rawPrompt !== undefined) {
    warnings.push({
      type: "unsupported-setting",
      setting: "rawPrompt",
      message: "The Messages API has no raw-prompt endpoint; the prompt was sent as one user message, so its template tokens are read as text.",
    });
    body.messages = [{ role: "user", content: request.rawPrompt }];
  } else {
    body.messages = request.messages.map((message) => toMessage(message, warnings));
  }
  if (request.tools?.length) {
    body.tools = request.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      input_schema: tool.inputSchema,
    }));
    if (request.toolChoice) body.tool_choice = toolChoice(request.toolChoice);
  }
  if (options.stream) body.stream = true;
  return { body, beta, warnings };
}

function toolChoice(choice: ToolChoice): unknown {
  return choice.type === "tool" ? { type: "tool", name: choice.name } : { type: choice.type };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

function image(format: string, bytes: Uint8Array): unknown {
  return { type: "image", source: { type: "base64", media_type: `image/${format}`, data: base64(bytes) } };
}

function toMessage(message: Message, warnings: Warning[]): unknown {
  const content: unknown[] = [];
  for (const part of message.content) {
    const block = toBlock(part, warnings);
    if (block) content.push(block);
  }
  return { role: message.role, content };
}

function toBlock(part: ContentPart, warnings: Warning[]): unknown {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image":
      return image(part.format, part.bytes);
    case "document":
      return documentBlock(part, warnings);
    case "tool-call":
      return { type: "tool_use", id: part.toolCallId, name: part.toolName, input: part.input ?? {} };
    case "tool-result":
      return {
        type: "tool_result",
        tool_use_id: part.toolCallId,
        content: part.content.map(toolResultBlock),
        ...(part.isError ? { is_error: true } : {}),
      };
    case "reasoning":
      // Anthropic verifies thinking blocks by signature; an unsigned one would be rejected,
      // and earlier turns' thinking may be omitted (it is stripped from context anyway).
      return part.signature ? { type: "thinking", thinking: part.text, signature: part.signature } : undefined;
  }
}

function documentBlock(part: Extract<ContentPart, { type: "document" }>, warnings: Warning[]): unknown {
  if (part.text !== undefined) return { type: "document", title: part.name, source: { type: "text", media_type: "text/plain", data: part.text } };
  const mediaType = BINARY_DOCUMENTS[part.format];
  if (mediaType && part.bytes) return { type: "document", title: part.name, source: { type: "base64", media_type: mediaType, data: base64(part.bytes) } };
  warnings.push({ type: "other", message: `Document ${part.name} (${part.format}) was left out: the Messages API reads PDF and text documents only.` });
  return undefined;
}

function toolResultBlock(item: ToolResultContent): unknown {
  switch (item.type) {
    case "text":
      return { type: "text", text: item.text };
    case "json":
      return { type: "text", text: JSON.stringify(item.value) };
    case "image":
      return image(item.format, item.bytes);
  }
}
