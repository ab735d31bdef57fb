// Converse / ConverseStream request body → internal GenerateRequest, with Bedrock's
// validation. Capability checks (images, documents, tools) read the catalog entry.
import type { ModelEntry } from "../../spec/catalog.ts";
import { BasaltError, validation } from "../../spec/errors.ts";
import type { ContentPart, GenerateRequest, ImageFormat, Message, ToolChoice, ToolResultContent, ToolSpec } from "../../spec/model.ts";
import {
  array,
  base64,
  isObject,
  object,
  oneOf,
  optionalArray,
  optionalNumber,
  optionalObject,
  string,
  unionMember,
  type Obj,
} from "../../util/validate.ts";

const IMAGE_FORMATS = ["png", "jpeg", "gif", "webp"] as const;
const DOCUMENT_FORMATS = ["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"] as const;
const TEXT_DOCUMENT_FORMATS = new Set(["csv", "html", "txt", "md"]);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function parseImage(value: unknown, field: string, entry: ModelEntry): ContentPart & { type: "image" } {
  if (!entry.vision) throw new BasaltError("VALIDATION", `The model ${entry.id} does not support image content blocks (${field}).`);
  const image = object(value, field);
  const format = oneOf(image.format, `${field}.format`, IMAGE_FORMATS) as ImageFormat;
  const [kind, source] = unionMember(image.source, `${field}.source`);
  if (kind !== "bytes") throw validation(`${field}.source`, "only bytes sources are supported by this server");
  return { type: "image", format, bytes: base64(source, `${field}.source.bytes`) };
}

function parseDocument(value: unknown, field: string, entry: ModelEntry): ContentPart {
  const doc = object(value, field);
  const name = string(doc.name, `${field}.name`, { min: 1, max: 200 });
  const format = doc.format === undefined ? "txt" : oneOf(doc.format, `${field}.format`, DOCUMENT_FORMATS);
  const [kind, source] = unionMember(doc.source, `${field}.source`);
  let bytes: Uint8Array | undefined;
  let text: string | undefined;
  if (kind === "bytes") bytes = base64(source, `${field}.source.bytes`);
  else if (kind === "text") text = string(source, `${field}.source.text`);
  else if (kind === "content") {
    text = array(source, `${field}.source.content`)
      .map((c, i) => string(object(c, `${field}.source.content.${i}`).text, `${field}.source.content.${i}.text`))
      .join("\n");
  } else throw validation(`${field}.source`, "only bytes, text and content sources are supported by this server");
  // A model without document support still reads plain-text formats inlined as text.
  if (!entry.documents && !(text !== undefined || TEXT_DOCUMENT_FORMATS.has(format))) {
    throw new BasaltError("VALIDATION", `The model ${entry.id} does not support ${format} document content blocks (${field}).`);
  }
  if (text === undefined && bytes && TEXT_DOCUMENT_FORMATS.has(format)) text = Buffer.from(bytes).toString("utf8");
  return { type: "document", name, format, bytes, text };
}

function parseToolResultContent(value: unknown, field: string, entry: ModelEntry): ToolResultContent {
  const [kind, member] = unionMember(value, field);
  switch (kind) {
    case "text":
      return { type: "text", text: string(member, `${field}.text`) };
    case "json":
      return { type: "json", value: member };
    case "image": {
      const image = parseImage(member, `${field}.image`, entry);
      return { type: "image", format: image.format, bytes: image.bytes };
    }
    case "document": {
      const doc = parseDocument(member, `${field}.document`, entry);
      return { type: "text", text: doc.type === "document" ? (doc.text ?? "") : "" };
    }
    default:
      throw validation(field, `unsupported tool result content '${kind}'`);
  }
}

function parseContentBlock(value: unknown, field: string, entry: ModelEntry): ContentPart | undefined {
  const [kind, member] = unionMember(value, field);
  switch (kind) {
    case "text":
      return { type: "text", text: string(member, `${field}.text`) };
    case "image":
      return parseImage(member, `${field}.image`, entry);
    case "document":
      return parseDocument(member, `${field}.document`, entry);
    case "toolUse": {
      const use = object(member, `${field}.toolUse`);
      return {
        type: "tool-call",
        toolCallId: string(use.toolUseId, `${field}.toolUse.toolUseId`, { min: 1, max: 64 }),
        toolName: string(use.name, `${field}.toolUse.name`, { min: 1, max: 64 }),
        input: use.input ?? {},
      };
    }
    case "toolResult": {
      const result = object(member, `${field}.toolResult`);
      const status = result.status === undefined ? "success" : oneOf(result.status, `${field}.toolResult.status`, ["success", "error"]);
      return {
        type: "tool-result",
        toolCallId: string(result.toolUseId, `${field}.toolResult.toolUseId`, { min: 1, max: 64 }),
        content: array(result.content, `${field}.toolResult.content`).map((c, i) =>
          parseToolResultContent(c, `${field}.toolResult.content.${i}`, entry),
        ),
        isError: status === "error",
      };
    }
    case "reasoningContent": {
      const reasoning = object(member, `${field}.reasoningContent`);
      const textBlock = optionalObject(reasoning.reasoningText, `${field}.reasoningContent.reasoningText`);
      if (!textBlock) return undefined; // redacted reasoning carries nothing a backend can read
      return {
        type: "reasoning",
        text: string(textBlock.text, `${field}.reasoningContent.reasoningText.text`),
        signature: typeof textBlock.signature === "string" ? textBlock.signature : undefined,
      };
    }
    case "guardContent": {
      const guard = object(member, `${field}.guardContent`);
      const text = object(guard.text, `${field}.guardContent.text`);
      return { type: "text", text: string(text.text, `${field}.guardContent.text.text`) };
    }
    case "cachePoint":
      return undefined; // prompt caching is a no-op here
    case "video":
    case "audio":
      throw new BasaltError("VALIDATION", `The model ${entry.id} does not support ${kind} content blocks (${field}).`);
    default:
      throw validation(field, `unknown content block type '${kind}'`);
  }
}

function parseMessages(value: unknown, entry: ModelEntry): Message[] {
  const messages = array(value, "messages", { min: 1 });
  const out: Message[] = [];
  messages.forEach((raw, i) => {
    const field = `messages.${i}`;
    const message = object(raw, field);
    const role = oneOf(message.role, `${field}.role`, ["user", "assistant"]);
    const content = array(message.content, `${field}.content`, { min: 1 })
      .map((block, j) => parseContentBlock(block, `${field}.content.${j}`, entry))
      .filter((p): p is ContentPart => p !== undefined);
    if (i === 0 && role !== "user") throw new BasaltError("VALIDATION", "A conversation must start with a user message. Try again with a conversation that starts with a user message.");
    if (out.length && out[out.length - 1]!.role === role) {
      throw new BasaltError("VALIDATION", "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.");
    }
    out.push({ role, content });
  });
  checkToolPairs(out);
  return out;
}

/** Every toolResult must answer a toolUse of the assistant turn just before it. */
function checkToolPairs(messages: Message[]): void {
  messages.forEach((message, i) => {
    const results = message.content.filter((p) => p.type === "tool-result");
    if (!results.length) return;
    const previous = messages[i - 1];
    const uses = new Set(previous?.content.flatMap((p) => (p.type === "tool-call" ? [p.toolCallId] : [])) ?? []);
    for (const result of results) {
      if (result.type === "tool-result" && !uses.has(result.toolCallId)) {
        throw new BasaltError(
          "VALIDATION",
          `The toolResult blocks at messages.${i}.content contain toolUseId ${result.toolCallId}, which does not match any toolUse block in the previous turn.`,
        );
      }
    }
  });
}

function parseSystem(value: unknown): string | undefined {
  const blocks = optionalArray(value, "system");
  if (!blocks) return undefined;
  const texts: string[] = [];
  blocks.forEach((block, i) => {
    const [kind, member] = unionMember(block, `system.${i}`);
    if (kind === "text") texts.push(string(member, `system.${i}.text`));
    else if (kind === "guardContent") texts.push(string(object(object(member, `system.${i}.guardContent`).text, `system.${i}.guardContent.text`).text, `system.${i}.guardContent.text.text`));
    else if (kind !== "cachePoint") throw validation(`system.${i}`, `unknown system block type '${kind}'`);
  });
  return texts.length ? texts.join("\n") : undefined;
}

function parseToolConfig(value: unknown, entry: ModelEntry): { tools?: ToolSpec[]; toolChoice?: ToolChoice } {
  const config = optionalObject(value, "toolConfig");
  if (!config) return {};
  if (!entry.tools) throw new BasaltError("VALIDATION", `The model ${entry.id} does not support tool use.`);
  const tools: ToolSpec[] = [];
  array(config.tools, "toolConfig.tools", { min: 1 }).forEach((raw, i) => {
    const [kind, member] = unionMember(raw, `toolConfig.tools.${i}`);
    if (kind === "cachePoint") return;
    if (kind !== "toolSpec") throw validation(`toolConfig.tools.${i}`, `unknown tool type '${kind}'`);
    const spec = object(member, `toolConfig.tools.${i}.toolSpec`);
    const schema = object(spec.inputSchema, `toolConfig.tools.${i}.toolSpec.inputSchema`);
    tools.push({
      name: string(spec.name, `toolConfig.tools.${i}.toolSpec.name`, { pattern: TOOL_NAME }),
      description: spec.description === undefined ? undefined : string(spec.description, `toolConfig.tools.${i}.toolSpec.description`, { min: 1 }),
      inputSchema: object(schema.json, `toolConfig.tools.${i}.toolSpec.inputSchema.json`),
    });
  });
  const names = new Set(tools.map((t) => t.name));
  if (names.size !== tools.length) throw validation("toolConfig.tools", "tool names must be unique");
  if (config.toolChoice === undefined) return { tools, toolChoice: { type: "auto" } };
  const [kind, member] = unionMember(config.toolChoice, "toolConfig.toolChoice");
  if (kind === "auto" || kind === "any") return { tools, toolChoice: { type: kind } };
  if (kind === "tool") {
    const name = string(object(member, "toolConfig.toolChoice.tool").name, "toolConfig.toolChoice.tool.name");
    if (!names.has(name)) throw validation("toolConfig.toolChoice.tool.name", `no tool named ${name} is defined in toolConfig.tools`);
    return { tools, toolChoice: { type: "tool", name } };
  }
  throw validation("toolConfig.toolChoice", `unknown tool choice '${kind}'`);
}

/** Parses a Converse body for the model `entry`. */
export function parseConverseRequest(body: Obj, entry: ModelEntry): GenerateRequest {
  const messages = parseMessages(body.messages, entry);
  const inference = optionalObject(body.inferenceConfig, "inferenceConfig") ?? {};
  const { tools, toolChoice } = parseToolConfig(body.toolConfig, entry);
  const usesTools = messages.some((m) => m.content.some((p) => p.type === "tool-call" || p.type === "tool-result"));
  if (usesTools && !tools) {
    throw new BasaltError("VALIDATION", "The toolConfig field must be defined when using toolUse and toolResult content blocks.");
  }
  const stop = optionalArray(inference.stopSequences, "inferenceConfig.stopSequences", { max: 2500 });
  const extra = body.additionalModelRequestFields;
  if (extra !== undefined && !isObject(extra)) throw validation("additionalModelRequestFields", "must be an object");
  return {
    system: parseSystem(body.system),
    messages,
    maxTokens: optionalNumber(inference.maxTokens, "inferenceConfig.maxTokens", { min: 1, integer: true }),
    temperature: optionalNumber(inference.temperature, "inferenceConfig.temperature", { min: 0, max: 1 }),
    topP: optionalNumber(inference.topP, "inferenceConfig.topP", { min: 0, max: 1 }),
    stopSequences: stop?.map((s, i) => string(s, `inferenceConfig.stopSequences.${i}`, { min: 1 })),
    tools,
    toolChoice,
    providerOptions: extra as Obj | undefined,
  };
}

/** Parses the `converse` member of a CountTokens body (messages, system, toolConfig). */
export function parseConverseForCounting(body: Obj, entry: ModelEntry): GenerateRequest {
  return parseConverseRequest({ messages: body.messages, system: body.system, toolConfig: body.toolConfig }, entry);
}
