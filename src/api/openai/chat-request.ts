// Chat Completions request body → internal GenerateRequest. System and developer messages
// become the system text; tool messages become tool-result parts of a user turn; adjacent
// turns of one role are merged, since the internal model (like Converse) alternates roles.
// Capability checks (images, tools) read the catalog entry.
import type { ModelEntry } from "../../spec/catalog.ts";
import type { ContentPart, GenerateRequest, ImageFormat, Message, ToolChoice, ToolResultContent, ToolSpec, Warning } from "../../spec/model.ts";
import { invalidRequest } from "./errors.ts";
import {
  array,
  invalidType,
  isObject,
  object,
  oneOf,
  optionalBoolean,
  optionalNumber,
  optionalString,
  string,
  type Obj,
} from "./params.ts";

/** A parsed Chat Completions request. */
export interface ChatRequest {
  request: GenerateRequest;
  stream: boolean;
  /** stream_options.include_usage: send a final chunk with usage and no choices. */
  includeUsage: boolean;
  /** Parameters accepted but not honoured; logged and reported in a response header. */
  warnings: Warning[];
}

const ROLES = ["system", "developer", "user", "assistant", "tool"] as const;
const USER_PARTS = ["text", "image_url"] as const;
const ASSISTANT_PARTS = ["text", "refusal"] as const;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const IMAGE_TYPES: Record<string, ImageFormat> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};

/** Turns a `data:image/…;base64,…` URL into an image part; remote URLs are refused (no fetching). */
function parseImage(value: unknown, param: string, entry: ModelEntry): ContentPart {
  if (!entry.vision) {
    throw invalidRequest(param, `Invalid content type. image_url is not supported by the model ${entry.id}.`);
  }
  const url = typeof value === "string" ? value : string(object(value, param).url, `${param}.url`);
  const comma = url.indexOf(",");
  const header = comma === -1 ? "" : url.slice(0, comma);
  if (!header.startsWith("data:") || !header.endsWith(";base64")) {
    throw invalidRequest(`${param}.url`, "Only base64 data URLs (data:image/png;base64,...) are supported; this server does not download images.", "invalid_image_url");
  }
  const format = IMAGE_TYPES[header.slice(5, -7).toLowerCase()];
  if (!format) throw invalidRequest(`${param}.url`, "Unsupported image type: use png, jpeg, gif or webp.", "invalid_image_format");
  const bytes = Buffer.from(url.slice(comma + 1), "base64");
  if (bytes.length === 0) throw invalidRequest(`${param}.url`, "The image data URL holds no bytes.", "invalid_image_url");
  return { type: "image", format, bytes };
}

/** Text of a string or an array of text parts (system, developer and tool messages). */
function textOf(value: unknown, param: string): string[] {
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) throw invalidType(param, "a string or an array of text parts", value);
  return value.map((raw, j) => {
    const part = object(raw, `${param}[${j}]`);
    oneOf(part.type, `${param}[${j}].type`, ["text"]);
    return string(part.text, `${param}[${j}].text`);
  });
}

function userContent(value: unknown, param: string, entry: ModelEntry): ContentPart[] {
  if (typeof value === "string") return [{ type: "text", text: value }];
  if (!Array.isArray(value)) throw invalidType(param, "a string or an array of content parts", value);
  return value.map((raw, j): ContentPart => {
    const part = object(raw, `${param}[${j}]`);
    if (oneOf(part.type, `${param}[${j}].type`, USER_PARTS) === "text") return { type: "text", text: string(part.text, `${param}[${j}].text`) };
    return parseImage(part.image_url, `${param}[${j}].image_url`, entry);
  });
}

function toolInput(args: string, param: string): unknown {
  if (args.trim() === "") return {};
  try {
    return JSON.parse(args);
  } catch {
    throw invalidRequest(param, `Invalid '${param}': the function arguments must be a JSON string.`);
  }
}

/** An assistant turn: text (or refusal) parts, then its tool calls. Returns the call ids too. */
function assistantContent(message: Obj, param: string): { parts: ContentPart[]; callIds?: Set<string> } {
  const parts: ContentPart[] = [];
  const content = message.content;
  if (typeof content === "string") {
    if (content) parts.push({ type: "text", text: content });
  } else if (Array.isArray(content)) {
    content.forEach((raw, j) => {
      const part = object(raw, `${param}.content[${j}]`);
      const kind = oneOf(part.type, `${param}.content[${j}].type`, ASSISTANT_PARTS);
      parts.push({ type: "text", text: string(part[kind], `${param}.content[${j}].${kind}`) });
    });
  } else if (content !== undefined && content !== null) {
    throw invalidType(`${param}.content`, "a string or an array of content parts", content);
  }
  if (message.tool_calls === undefined || message.tool_calls === null) return { parts };
  const callIds = new Set<string>();
  array(message.tool_calls, `${param}.tool_calls`).forEach((raw, j) => {
    const field = `${param}.tool_calls[${j}]`;
    const call = object(raw, field);
    if (call.type !== undefined && call.type !== null) oneOf(call.type, `${field}.type`, ["function"]);
    const fn = object(call.function, `${field}.function`);
    const toolCallId = string(call.id, `${field}.id`);
    callIds.add(toolCallId);
    parts.push({
      type: "tool-call",
      toolCallId,
      toolName: string(fn.name, `${field}.function.name`),
      input: toolInput(string(fn.arguments, `${field}.function.arguments`), `${field}.function.arguments`),
    });
  });
  return { parts, callIds };
}

/** Appends parts as a turn of `role`, merging into the previous turn when it has the same role. */
function append(out: Message[], role: Message["role"], parts: ContentPart[]): void {
  if (parts.length === 0) return; // an empty turn carries nothing a model could read
  const last = out[out.length - 1];
  if (last?.role === role) last.content.push(...parts);
  else out.push({ role, content: parts });
}

function parseMessages(value: unknown, entry: ModelEntry, warnings: Warning[]): { system?: string; messages: Message[] } {
  const list = array(value, "messages", 1);
  const system: string[] = [];
  const messages: Message[] = [];
  // Tool call ids of the latest assistant turn: a tool message must answer one of them.
  let openCalls: Set<string> | undefined;
  for (let i = 0; i < list.length; i++) {
    const param = `messages[${i}]`;
    const message = object(list[i], param);
    if (message.name !== undefined && message.name !== null && !warnings.some((w) => w.setting === "messages[].name")) {
      warnings.push(unsupported("messages[].name", "participant names are not shown to the model"));
    }
    switch (oneOf(message.role, `${param}.role`, ROLES)) {
      case "system":
      case "developer":
        // The internal model has one system text, so later system messages join the first.
        system.push(...textOf(message.content, `${param}.content`));
        break;
      case "user":
        append(messages, "user", userContent(message.content, `${param}.content`, entry));
        break;
      case "assistant": {
        const { parts, callIds } = assistantContent(message, param);
        openCalls = callIds;
        append(messages, "assistant", parts);
        break;
      }
      case "tool": {
        const toolCallId = string(message.tool_call_id, `${param}.tool_call_id`);
        if (!openCalls?.has(toolCallId)) {
          throw invalidRequest(
            `${param}.tool_call_id`,
            `Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls' (no tool call has the id '${toolCallId}').`,
          );
        }
        const content: ToolResultContent[] = textOf(message.content, `${param}.content`).map((text) => ({ type: "text", text }));
        append(messages, "user", [{ type: "tool-result", toolCallId, content, isError: false }]);
        break;
      }
    }
  }
  return { system: system.length ? system.join("\n") : undefined, messages };
}

function parseTools(value: unknown, entry: ModelEntry, warnings: Warning[]): ToolSpec[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = array(value, "tools");
  if (list.length === 0) return undefined; // some clients always send `tools: []`
  if (!entry.tools) throw invalidRequest("tools", `The model ${entry.id} does not support tools.`);
  const names = new Set<string>();
  return list.map((raw, i) => {
    const tool = object(raw, `tools[${i}]`);
    oneOf(tool.type, `tools[${i}].type`, ["function"]);
    const fn = object(tool.function, `tools[${i}].function`);
    const name = string(fn.name, `tools[${i}].function.name`);
    if (!TOOL_NAME.test(name)) {
      throw invalidRequest(`tools[${i}].function.name`, `Invalid 'tools[${i}].function.name': expected a string matching '^[a-zA-Z0-9_-]{1,64}$'.`);
    }
    if (names.has(name)) throw invalidRequest(`tools[${i}].function.name`, `Duplicate function name '${name}' in 'tools'.`);
    names.add(name);
    if (fn.strict === true) warnings.push(unsupported(`tools[${i}].function.strict`, "arguments are not constrained to the schema"));
    return {
      name,
      description: optionalString(fn.description, `tools[${i}].function.description`),
      inputSchema: fn.parameters === undefined || fn.parameters === null ? { type: "object", properties: {} } : object(fn.parameters, `tools[${i}].function.parameters`),
    };
  });
}

function parseToolChoice(value: unknown, tools: ToolSpec[] | undefined): ToolChoice | undefined {
  if (value === undefined || value === null) return tools ? { type: "auto" } : undefined;
  if (typeof value === "string") {
    const choice = oneOf(value, "tool_choice", ["none", "auto", "required"]);
    if (!tools) {
      if (choice === "none") return undefined;
      throw invalidRequest("tool_choice", "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.");
    }
    return choice === "required" ? { type: "any" } : { type: choice };
  }
  const choice = object(value, "tool_choice");
  oneOf(choice.type, "tool_choice.type", ["function"]);
  const name = string(object(choice.function, "tool_choice.function").name, "tool_choice.function.name");
  if (!tools?.some((t) => t.name === name)) {
    throw invalidRequest("tool_choice.function.name", `Invalid value for 'tool_choice': no function named '${name}' was specified in the 'tools' parameter.`);
  }
  return { type: "tool", name };
}

function parseStop(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return [value];
  return array(value, "stop").map((s, i) => string(s, `stop[${i}]`));
}

function unsupported(setting: string, effect: string): Warning {
  return { type: "unsupported-setting", setting, message: `'${setting}' is not supported by this server and was ignored (${effect}).` };
}

/** Collects warnings for body fields this server does not honour. */
function checkUnhandled(body: Obj, warnings: Warning[]): void {
  for (const key in body) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    switch (key) {
      case "model":
      case "messages":
      case "max_tokens":
      case "max_completion_tokens":
      case "temperature":
      case "top_p":
      case "stop":
      case "tools":
      case "tool_choice":
      case "stream":
      case "stream_options":
      case "n":
      case "seed":
      case "top_k":
        break;
      // Bookkeeping fields that do not change the answer.
      case "user":
      case "metadata":
      case "service_tier":
      case "safety_identifier":
      case "prompt_cache_key":
        break;
      case "parallel_tool_calls":
        if (value === false) warnings.push(unsupported(key, "the model may return several tool calls"));
        break;
      case "modalities":
        if (!Array.isArray(value) || value.some((m) => m !== "text")) warnings.push(unsupported(key, "only text is produced"));
        break;
      case "response_format":
        if (!isObject(value) || value.type !== "text") warnings.push(unsupported(key, "the output is not constrained to a format"));
        break;
      default:
        // false / 0 / {} mean "off" for logprobs, penalties, store, logit_bias and the like.
        if (value !== false && value !== 0 && !(isObject(value) && Object.keys(value).length === 0)) {
          warnings.push(unsupported(key, "no effect on the answer"));
        }
    }
  }
}

/** Parses a Chat Completions body for the model `entry`. */
export function parseChatRequest(body: Obj, entry: ModelEntry): ChatRequest {
  const warnings: Warning[] = [];
  checkUnhandled(body, warnings);
  const { system, messages } = parseMessages(body.messages, entry, warnings);
  const tools = parseTools(body.tools, entry, warnings);
  const n = optionalNumber(body.n, "n", { min: 1, integer: true });
  if (n !== undefined && n > 1) {
    throw invalidRequest("n", "Invalid 'n': this server returns one choice per request; send separate requests instead of n > 1.", "unsupported_value");
  }
  const stream = optionalBoolean(body.stream, "stream") ?? false;
  let includeUsage = false;
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!stream) throw invalidRequest("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
    includeUsage = optionalBoolean(object(body.stream_options, "stream_options").include_usage, "stream_options.include_usage") ?? false;
  }
  const seed = optionalNumber(body.seed, "seed", { integer: true });
  const topK = optionalNumber(body.top_k, "top_k", { min: 0, integer: true });
  // seed and top_k travel as provider options, the same way Converse's additionalModelRequestFields carry them.
  const providerOptions = seed === undefined && topK === undefined ? undefined : { ...(seed === undefined ? {} : { seed }), ...(topK === undefined ? {} : { top_k: topK }) };
  // max_completion_tokens replaced max_tokens in OpenAI's API; the newer name wins when both are sent.
  const maxTokens = optionalNumber(body.max_tokens, "max_tokens", { min: 1, integer: true });
  const request: GenerateRequest = {
    system,
    messages,
    maxTokens: optionalNumber(body.max_completion_tokens, "max_completion_tokens", { min: 1, integer: true }) ?? maxTokens,
    temperature: optionalNumber(body.temperature, "temperature", { min: 0, max: 2 }),
    topP: optionalNumber(body.top_p, "top_p", { min: 0, max: 1 }),
    stopSequences: parseStop(body.stop),
    tools,
    toolChoice: parseToolChoice(body.tool_choice, tools),
    providerOptions,
  };
  return { request, stream, includeUsage, warnings };
}
