// GenerateRequest → OpenAI Chat Completions (or legacy Completions for raw prompts) request
// body. Sampling parameters are mapped as data; what the wire cannot carry becomes a warning.
import type { ContentPart, EmbedRequest, GenerateRequest, Message, ToolChoice, Warning } from "../../../spec/model.ts";

/** A mapped request: which endpoint, the JSON body and what could not be honoured. */
export interface OpenAiRequest {
  path: "/chat/completions" | "/completions";
  body: Record<string, unknown>;
  warnings: Warning[];
}

type Sampling = "maxTokens" | "temperature" | "topP" | "stopSequences";

/** Parameters the OpenAI wire carries, by our name → its name. */
const SAMPLING: ReadonlyArray<readonly [Sampling, string]> = [
  ["maxTokens", "max_tokens"],
  ["temperature", "temperature"],
  ["topP", "top_p"],
  ["stopSequences", "stop"],
];

/** Parameters the OpenAI wire does not define (vLLM and llama.cpp accept some as extensions). */
const UNSUPPORTED: ReadonlyArray<readonly [keyof GenerateRequest, string]> = [
  ["topK", "topK is not part of the OpenAI API; pass top_k in additionalModelRequestFields if the upstream accepts it."],
];

// Fields Basalt owns: providerOptions may not replace them (that would break the mapping).
const OWNED = new Set(["model", "messages", "prompt", "stream", "stream_options"]);

/** Options of {@link toOpenAiRequest}. */
export interface OpenAiRequestOptions {
  model: string;
  stream: boolean;
}

/** Maps a request to the endpoint and body an OpenAI-compatible server expects. */
export function toOpenAiRequest(request: GenerateRequest, options: OpenAiRequestOptions): OpenAiRequest {
  const warnings: Warning[] = [];
  const body: Record<string, unknown> = {};
  if (request.providerOptions) {
    for (const key in request.providerOptions) if (!OWNED.has(key)) body[key] = request.providerOptions[key];
  }
  body.model = options.model;
  for (const [ours, theirs] of SAMPLING) {
    const value = request[ours];
    if (value !== undefined && !(theirs in body)) body[theirs] = value;
  }
  for (const [setting, message] of UNSUPPORTED) {
    if (request[setting] !== undefined) warnings.push({ type: "unsupported-setting", setting, message });
  }
  if (options.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  if (request.rawPrompt !== undefined) {
    body.prompt = request.rawPrompt;
    if (request.tools?.length) warnings.push({ type: "unsupported-setting", setting: "tools", message: "Tools are ignored for a raw prompt (legacy completions)." });
    return { path: "/completions", body, warnings };
  }
  body.messages = toMessages(request, warnings);
  if (request.tools?.length) {
    body.tools = request.tools.map((tool) => ({
      type: "function",
      function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.inputSchema },
    }));
    if (request.toolChoice) body.tool_choice = toolChoice(request.toolChoice);
  }
  return { path: "/chat/completions", body, warnings };
}

function toolChoice(choice: ToolChoice): unknown {
  switch (choice.type) {
    case "auto":
      return "auto";
    case "any":
      return "required";
    case "none":
      return "none";
    case "tool":
      return { type: "function", function: { name: choice.name } };
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

function toMessages(request: GenerateRequest, warnings: Warning[]): unknown[] {
  const out: unknown[] = [];
  if (request.system) out.push({ role: "system", content: request.system });
  for (const message of request.messages) {
    if (message.role === "assistant") out.push(assistantMessage(message));
    else userMessages(message, out, warnings);
  }
  return out;
}

function assistantMessage(message: Message): unknown {
  let text = "";
  const toolCalls: unknown[] = [];
  for (const part of message.content) {
    if (part.type === "text") text += part.text;
    else if (part.type === "tool-call") {
      toolCalls.push({ id: part.toolCallId, type: "function", function: { name: part.toolName, arguments: JSON.stringify(part.input ?? {}) } });
    }
    // Earlier reasoning is not sent back: Chat Completions has no field for it and models
    // (o-series, DeepSeek-R1 on vLLM) are documented to expect it stripped from history.
  }
  return { role: "assistant", content: text || null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
}

/** A Bedrock user turn may hold tool results and content; OpenAI wants `tool` messages first. */
function userMessages(message: Message, out: unknown[], warnings: Warning[]): void {
  const content: unknown[] = [];
  for (const part of message.content) {
    if (part.type === "tool-result") {
      out.push({ role: "tool", tool_call_id: part.toolCallId, content: toolResultText(part, warnings) });
      continue;
    }
    const mapped = userContent(part, warnings);
    if (mapped) content.push(mapped);
  }
  if (content.length === 1 && (content[0] as { type: string }).type === "text") {
    out.push({ role: "user", content: (content[0] as { text: string }).text });
  } else if (content.length) out.push({ role: "user", content });
}

function userContent(part: ContentPart, warnings: Warning[]): unknown {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image":
      return { type: "image_url", image_url: { url: `data:image/${part.format};base64,${base64(part.bytes)}` } };
    case "document":
      if (part.text !== undefined) return { type: "text", text: `[${part.name}]\n${part.text}` };
      warnings.push({ type: "other", message: `Document ${part.name} (${part.format}) was left out: the OpenAI-compatible upstream takes text documents only.` });
      return undefined;
    default:
      return undefined;
  }
}

function toolResultText(part: Extract<ContentPart, { type: "tool-result" }>, warnings: Warning[]): string {
  const pieces: string[] = [];
  for (const item of part.content) {
    if (item.type === "text") pieces.push(item.text);
    else if (item.type === "json") pieces.push(JSON.stringify(item.value));
    else warnings.push({ type: "other", message: "An image in a tool result was left out: OpenAI tool messages carry text only." });
  }
  const text = pieces.join("\n");
  // The wire has no error flag on tool messages; say it in the content so the model knows.
  return part.isError ? `Error: ${text}` : text;
}

/** Maps an embedding request to the /embeddings body. */
export function toEmbeddingBody(request: EmbedRequest, model: string): { body: Record<string, unknown>; warnings: Warning[] } {
  const warnings: Warning[] = [];
  if (request.purpose !== undefined) {
    warnings.push({ type: "unsupported-setting", setting: "purpose", message: "The OpenAI embeddings API has no input type; the purpose was not sent." });
  }
  const body: Record<string, unknown> = { model, input: request.texts, encoding_format: "float" };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  return { body, warnings };
}
