// Anthropic Messages bodies on Bedrock (bedrock-wire.md §4): request → GenerateRequest,
// result → message JSON, stream parts → message_start … message_stop chunks.
import { array, base64, isObject, number, object, oneOf, optionalArray, optionalNumber, optionalObject, optionalString, string } from "../../util/validate.ts";
import type { ModelEntry } from "../../spec/catalog.ts";
import { BasaltError, validation } from "../../spec/errors.ts";
import type { ContentPart, FinishReason, GenerateRequest, GenerateResult, ImageFormat, Message, OutputPart, StreamPart, ToolChoice, ToolResultContent, ToolSpec } from "../../spec/model.ts";
import { derivedId, type ChunkMapper, type Json, type ResponseInfo, type TextFamily } from "./format.ts";

const FIELDS = [
  "anthropic_version",
  "max_tokens",
  "messages",
  "system",
  "temperature",
  "top_p",
  "top_k",
  "stop_sequences",
  "tools",
  "tool_choice",
  "anthropic_beta",
  "thinking",
] as const;

/** Fields handed to the backend untouched (Converse puts them in additionalModelRequestFields). */
const PASSTHROUGH = ["anthropic_beta", "thinking"] as const;

const IMAGE_MEDIA_TYPES: Record<string, ImageFormat> = { "image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp" };
const BLOCK_TYPES = ["text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking"] as const;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

/** Internal finish reasons → Anthropic stop_reason. */
const STOP_REASONS: Record<FinishReason, string> = {
  end_turn: "end_turn",
  max_tokens: "max_tokens",
  stop_sequence: "stop_sequence",
  tool_use: "tool_use",
  content_filtered: "refusal",
  guardrail_intervened: "refusal",
  malformed_model_output: "end_turn",
  malformed_tool_use: "end_turn",
  model_context_window_exceeded: "model_context_window_exceeded",
};

function parseImage(block: Json, field: string, entry: ModelEntry): { format: ImageFormat; bytes: Uint8Array } {
  if (!entry.vision) throw new BasaltError("VALIDATION", `The model ${entry.id} does not support image content blocks (${field}).`);
  const source = object(block.source, `${field}.source`);
  if (source.type !== "base64") throw validation(`${field}.source.type`, "only base64 image sources are supported by this server");
  const mediaType = oneOf(source.media_type, `${field}.source.media_type`, Object.keys(IMAGE_MEDIA_TYPES));
  return { format: IMAGE_MEDIA_TYPES[mediaType]!, bytes: base64(source.data, `${field}.source.data`) };
}

function parseDocument(block: Json, field: string, entry: ModelEntry): ContentPart {
  const source = object(block.source, `${field}.source`);
  const name = optionalString(block.title, `${field}.title`) ?? "document";
  const kind = oneOf(source.type, `${field}.source.type`, ["base64", "text", "content"]);
  if (kind === "text") return { type: "document", name, format: "txt", text: string(source.data, `${field}.source.data`) };
  if (kind === "content") {
    const text = array(source.content, `${field}.source.content`)
      .map((c, i) => string(object(c, `${field}.source.content.${i}`).text, `${field}.source.content.${i}.text`))
      .join("\n");
    return { type: "document", name, format: "txt", text };
  }
  oneOf(source.media_type, `${field}.source.media_type`, ["application/pdf"]);
  if (!entry.documents) throw new BasaltError("VALIDATION", `The model ${entry.id} does not support pdf document content blocks (${field}).`);
  return { type: "document", name, format: "pdf", bytes: base64(source.data, `${field}.source.data`) };
}

function parseToolResultContent(value: unknown, field: string, entry: ModelEntry): ToolResultContent[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return [{ type: "text", text: value }];
  return array(value, field).map((raw, i) => {
    const block = object(raw, `${field}.${i}`);
    const type = oneOf(block.type, `${field}.${i}.type`, ["text", "image"]);
    if (type === "text") return { type: "text", text: string(block.text, `${field}.${i}.text`) };
    return { type: "image", ...parseImage(block, `${field}.${i}`, entry) };
  });
}

function parseBlock(raw: unknown, field: string, entry: ModelEntry): ContentPart | undefined {
  const block = object(raw, field);
  switch (oneOf(block.type, `${field}.type`, BLOCK_TYPES)) {
    case "text":
      return { type: "text", text: string(block.text, `${field}.text`) };
    case "image":
      return { type: "image", ...parseImage(block, field, entry) };
    case "document":
      return parseDocument(block, field, entry);
    case "tool_use":
      return {
        type: "tool-call",
        toolCallId: string(block.id, `${field}.id`, { min: 1 }),
        toolName: string(block.name, `${field}.name`, { min: 1 }),
        input: block.input ?? {},
      };
    case "tool_result":
      return {
        type: "tool-result",
        toolCallId: string(block.tool_use_id, `${field}.tool_use_id`, { min: 1 }),
        content: parseToolResultContent(block.content, `${field}.content`, entry),
        isError: block.is_error === true,
      };
    case "thinking":
      return { type: "reasoning", text: string(block.thinking, `${field}.thinking`), signature: optionalString(block.signature, `${field}.signature`) };
    case "redacted_thinking":
      return undefined; // encrypted reasoning only Anthropic can read; nothing a backend can use
  }
}

function parseMessages(value: unknown, entry: ModelEntry): Message[] {
  const out: Message[] = [];
  array(value, "messages", { min: 1 }).forEach((raw, i) => {
    const field = `messages.${i}`;
    const message = object(raw, field);
    const role = oneOf(message.role, `${field}.role`, ["user", "assistant"]);
    const content =
      typeof message.content === "string"
        ? [{ type: "text" as const, text: message.content }]
        : array(message.content, `${field}.content`)
            .map((block, j) => parseBlock(block, `${field}.content.${j}`, entry))
            .filter((p): p is ContentPart => p !== undefined);
    // Anthropic's API joins consecutive turns of one role; backends expect alternation.
    const previous = out[out.length - 1];
    if (previous?.role === role) previous.content.push(...content);
    else out.push({ role, content });
  });
  return out;
}

function parseSystem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value || undefined;
  const texts = array(value, "system").map((raw, i) => {
    const block = object(raw, `system.${i}`);
    oneOf(block.type, `system.${i}.type`, ["text"]);
    return string(block.text, `system.${i}.text`);
  });
  return texts.length ? texts.join("\n") : undefined;
}

function parseTools(body: Json, entry: ModelEntry): { tools?: ToolSpec[]; toolChoice?: ToolChoice } {
  const raw = optionalArray(body.tools, "tools");
  const choice = optionalObject(body.tool_choice, "tool_choice");
  if (!raw?.length) {
    if (choice && choice.type !== "none") throw validation("tool_choice", "tool_choice may only be specified while providing tools");
    return choice ? { toolChoice: { type: "none" } } : {};
  }
  if (!entry.tools) throw new BasaltError("VALIDATION", `The model ${entry.id} does not support tool use.`);
  const tools = raw.map((value, i): ToolSpec => {
    const tool = object(value, `tools.${i}`);
    if (tool.type !== undefined && tool.type !== "custom") {
      throw validation(`tools.${i}.type`, `server tool '${String(tool.type)}' is not supported by this server; define a custom tool`);
    }
    return {
      name: string(tool.name, `tools.${i}.name`, { pattern: TOOL_NAME }),
      description: optionalString(tool.description, `tools.${i}.description`),
      inputSchema: object(tool.input_schema, `tools.${i}.input_schema`),
    };
  });
  if (new Set(tools.map((t) => t.name)).size !== tools.length) throw validation("tools", "tool names must be unique");
  if (!choice) return { tools, toolChoice: { type: "auto" } };
  const type = oneOf(choice.type, "tool_choice.type", ["auto", "any", "tool", "none"]);
  if (type !== "tool") return { tools, toolChoice: { type } };
  const name = string(choice.name, "tool_choice.name");
  if (!tools.some((t) => t.name === name)) throw validation("tool_choice.name", `no tool named ${name} is defined in tools`);
  return { tools, toolChoice: { type: "tool", name } };
}

/** Parses an Anthropic Messages body. `anthropic_version` is not checked: clients send many values. */
export function parseRequest(body: Json, entry: ModelEntry): GenerateRequest {
  optionalString(body.anthropic_version, "anthropic_version");
  const stop = optionalArray(body.stop_sequences, "stop_sequences");
  const passthrough = Object.fromEntries(PASSTHROUGH.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
  return {
    system: parseSystem(body.system),
    messages: parseMessages(body.messages, entry),
    maxTokens: number(body.max_tokens, "max_tokens", { min: 1, integer: true }),
    temperature: optionalNumber(body.temperature, "temperature", { min: 0, max: 1 }),
    topP: optionalNumber(body.top_p, "top_p", { min: 0, max: 1 }),
    topK: optionalNumber(body.top_k, "top_k", { min: 0, integer: true }),
    stopSequences: stop?.map((s, i) => string(s, `stop_sequences.${i}`, { min: 1 })),
    ...parseTools(body, entry),
    providerOptions: Object.keys(passthrough).length ? passthrough : undefined,
  };
}

function contentBlock(part: OutputPart): Json {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "reasoning":
      return { type: "thinking", thinking: part.text, signature: part.signature ?? "" };
    case "tool-call":
      return { type: "tool_use", id: part.toolCallId, name: part.toolName, input: isObject(part.input) ? part.input : {} };
  }
}

/** The Messages response body. */
export function toResponse(result: GenerateResult, info: ResponseInfo): Json {
  return {
    id: `msg_bdrk_${derivedId(info.requestId)}`,
    type: "message",
    role: "assistant",
    model: info.modelId,
    content: result.content.map(contentBlock),
    stop_reason: STOP_REASONS[result.finishReason],
    stop_sequence: result.stopSequence ?? null,
    usage: { input_tokens: result.usage.inputTokens, output_tokens: result.usage.outputTokens },
  };
}

type BlockKind = "text" | "thinking" | "tool_use";

/** Anthropic's stream: content blocks numbered in order, each opened, filled and closed. */
class AnthropicChunkMapper implements ChunkMapper {
  private readonly blocks = new Map<string, { index: number; open: boolean; filled: boolean }>();

  constructor(private readonly info: ResponseInfo) {}

  start(): Json[] {
    const message = toResponse({ content: [], finishReason: "end_turn", usage: { inputTokens: 0, outputTokens: 0 }, warnings: [] }, this.info);
    // Nothing has stopped yet; the real message_start carries nulls here.
    return [{ type: "message_start", message: { ...message, stop_reason: null, stop_sequence: null } }];
  }

  /** Opens a block on first sight, so a delta without a start part still arrives well formed. */
  private open(id: string, kind: BlockKind, name?: string): Json[] {
    if (this.blocks.has(id)) return [];
    const index = this.blocks.size;
    this.blocks.set(id, { index, open: true, filled: false });
    const block = kind === "text" ? { type: "text", text: "" } : kind === "thinking" ? { type: "thinking", thinking: "" } : { type: "tool_use", id, name, input: {} };
    return [{ type: "content_block_start", index, content_block: block }];
  }

  private delta(id: string, kind: BlockKind, delta: Json): Json[] {
    const chunks = this.open(id, kind);
    const block = this.blocks.get(id)!;
    block.filled = true;
    return [...chunks, { type: "content_block_delta", index: block.index, delta }];
  }

  private close(id: string): Json[] {
    const block = this.blocks.get(id);
    if (!block?.open) return [];
    block.open = false;
    return [{ type: "content_block_stop", index: block.index }];
  }

  map(part: StreamPart): Json[] {
    switch (part.type) {
      case "text-start":
        return this.open(part.id, "text");
      case "text-delta":
        return this.delta(part.id, "text", { type: "text_delta", text: part.delta });
      case "reasoning-start":
        return this.open(part.id, "thinking");
      case "reasoning-delta":
        return this.delta(part.id, "thinking", { type: "thinking_delta", thinking: part.delta });
      case "tool-call-start":
        return this.open(part.id, "tool_use", part.toolName);
      case "tool-input-delta":
        return this.delta(part.id, "tool_use", { type: "input_json_delta", partial_json: part.delta });
      case "tool-call-end": {
        // A backend that only reports the whole input still yields one input_json_delta.
        const block = this.blocks.get(part.id);
        const fill = block && !block.filled ? this.delta(part.id, "tool_use", { type: "input_json_delta", partial_json: JSON.stringify(part.input ?? {}) }) : [];
        return [...fill, ...this.close(part.id)];
      }
      case "text-end":
      case "reasoning-end":
        return this.close(part.id);
      case "finish":
        return [
          ...[...this.blocks.keys()].flatMap((id) => this.close(id)),
          {
            type: "message_delta",
            delta: { stop_reason: STOP_REASONS[part.finishReason], stop_sequence: part.stopSequence ?? null },
            usage: { input_tokens: part.usage.inputTokens, output_tokens: part.usage.outputTokens },
          },
          { type: "message_stop" },
        ];
      default:
        return [];
    }
  }
}

/** Maps stream parts to Anthropic stream chunks. */
export function chunkMapper(info: ResponseInfo): ChunkMapper {
  return new AnthropicChunkMapper(info);
}

/** The Anthropic Messages family. */
export const anthropicFamily: TextFamily = { kind: "text", name: "anthropic", fields: FIELDS, parseRequest, toResponse, chunkMapper };
