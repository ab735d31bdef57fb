// Cohere Command R bodies (bedrock-wire.md §4): message, chat_history, documents, tools and
// tool_results → GenerateRequest; results → `{response_id, text, finish_reason, tool_calls}`
// and Cohere's stream-start / text-generation / stream-end chunks. Cohere tool calls carry
// no ids, so ids are made up here and results are paired with calls by name and parameters.
import { array, isObject, object, oneOf, optionalArray, optionalNumber, optionalObject, optionalString, string } from "../../util/validate.ts";
import type { ModelEntry } from "../../spec/catalog.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { ContentPart, FinishReason, GenerateRequest, GenerateResult, JsonSchema, Message, StreamPart, ToolSpec } from "../../spec/model.ts";
import { derivedId, resultText, type ChunkMapper, type Json, type ResponseInfo, type TextFamily } from "./format.ts";

const FIELDS = ["message", "chat_history", "documents", "preamble", "max_tokens", "temperature", "p", "k", "stop_sequences", "tools", "tool_results"] as const;

/** Internal finish reasons → Cohere finish_reason. */
const FINISH_REASONS: Record<FinishReason, string> = {
  end_turn: "COMPLETE",
  stop_sequence: "COMPLETE",
  tool_use: "COMPLETE",
  max_tokens: "MAX_TOKENS",
  content_filtered: "ERROR_TOXIC",
  guardrail_intervened: "ERROR_TOXIC",
  model_context_window_exceeded: "ERROR_LIMIT",
  malformed_model_output: "ERROR",
  malformed_tool_use: "ERROR",
};

/** Cohere's Python-flavoured parameter types → JSON Schema types, by prefix. */
const PARAMETER_TYPES: ReadonlyArray<readonly [string, string]> = [
  ["str", "string"],
  ["int", "integer"],
  ["float", "number"],
  ["bool", "boolean"],
  ["list", "array"],
  ["dict", "object"],
];

function schemaType(type: string | undefined): string {
  const lower = (type ?? "str").toLowerCase();
  return PARAMETER_TYPES.find(([prefix]) => lower.startsWith(prefix))?.[1] ?? "string";
}

function parseTools(value: unknown, entry: ModelEntry): ToolSpec[] | undefined {
  const tools = optionalArray(value, "tools");
  if (!tools?.length) return undefined;
  if (!entry.tools) throw new BasaltError("VALIDATION", `The model ${entry.id} does not support tool use.`);
  return tools.map((raw, i) => {
    const tool = object(raw, `tools.${i}`);
    const params = optionalObject(tool.parameter_definitions, `tools.${i}.parameter_definitions`) ?? {};
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [name, def] of Object.entries(params)) {
      const spec = object(def, `tools.${i}.parameter_definitions.${name}`);
      properties[name] = { type: schemaType(optionalString(spec.type, `tools.${i}.parameter_definitions.${name}.type`)), ...(typeof spec.description === "string" ? { description: spec.description } : {}) };
      if (spec.required === true) required.push(name);
    }
    return {
      name: string(tool.name, `tools.${i}.name`, { min: 1 }),
      description: optionalString(tool.description, `tools.${i}.description`),
      inputSchema: { type: "object", properties, ...(required.length ? { required } : {}) },
    };
  });
}

/** Builds the conversation, giving Cohere's id-less tool calls ids and pairing results with them. */
class Conversation {
  readonly messages: Message[] = [];
  private readonly open: Array<{ id: string; key: string }> = [];
  private next = 0;

  private push(role: Message["role"], parts: ContentPart[]): void {
    if (!parts.length) return;
    const last = this.messages[this.messages.length - 1];
    if (last?.role === role) last.content.push(...parts);
    else this.messages.push({ role, content: parts });
  }

  text(role: Message["role"], text: string | undefined): void {
    if (text) this.push(role, [{ type: "text", text }]);
  }

  calls(raw: unknown[], field: string): void {
    this.push("assistant", raw.map((c, i) => this.call(c, `${field}.${i}`)));
  }

  private call(raw: unknown, field: string): ContentPart {
    const call = object(raw, field);
    const toolName = string(call.name, `${field}.name`, { min: 1 });
    const input = isObject(call.parameters) ? call.parameters : {};
    const id = `cohere_call_${this.next++}`;
    this.open.push({ id, key: JSON.stringify([toolName, input]) });
    return { type: "tool-call", toolCallId: id, toolName, input };
  }

  /** Tool results answer earlier calls with equal name and parameters; unmatched ones get a call made up. */
  results(raw: unknown[], field: string): void {
    const parts = raw.map((value, i): ContentPart => {
      const result = object(value, `${field}.${i}`);
      const call = object(result.call, `${field}.${i}.call`);
      const key = JSON.stringify([call.name, isObject(call.parameters) ? call.parameters : {}]);
      let at = this.open.findIndex((c) => c.key === key);
      if (at === -1) {
        this.calls([call], `${field}.${i}.call`);
        at = this.open.length - 1;
      }
      const { id } = this.open.splice(at, 1)[0]!;
      const outputs = array(result.outputs ?? [], `${field}.${i}.outputs`);
      return { type: "tool-result", toolCallId: id, content: outputs.map((o) => ({ type: "json", value: o })), isError: false };
    });
    this.push("user", parts);
  }
}

function documentsText(value: unknown): string | undefined {
  const docs = optionalArray(value, "documents");
  if (!docs?.length) return undefined;
  const lines = docs.map((raw, i) => {
    const doc = object(raw, `documents.${i}`);
    const fields = Object.entries(doc).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
    return `[doc_${i}]\n${fields.join("\n")}`;
  });
  return `Documents:\n${lines.join("\n\n")}`;
}

/** Parses a Command R body. */
export function parseRequest(body: Json, entry: ModelEntry): GenerateRequest {
  const toolResults = optionalArray(body.tool_results, "tool_results");
  // Cohere lets a tool_results turn leave the message empty.
  const message = toolResults?.length ? (optionalString(body.message, "message") ?? "") : string(body.message, "message", { min: 1 });
  const tools = parseTools(body.tools, entry);
  const system = [optionalString(body.preamble, "preamble")];
  const conversation = new Conversation();
  optionalArray(body.chat_history, "chat_history")?.forEach((raw, i) => {
    const field = `chat_history.${i}`;
    const turn = object(raw, field);
    const role = oneOf(turn.role, `${field}.role`, ["USER", "CHATBOT", "SYSTEM", "TOOL"]);
    const text = optionalString(turn.message, `${field}.message`);
    if (role === "SYSTEM") system.push(text);
    else if (role === "USER") conversation.text("user", text);
    else if (role === "CHATBOT") {
      conversation.text("assistant", text);
      const calls = optionalArray(turn.tool_calls, `${field}.tool_calls`);
      if (calls?.length) conversation.calls(calls, `${field}.tool_calls`);
    } else conversation.results(array(turn.tool_results, `${field}.tool_results`), `${field}.tool_results`);
  });
  // With tool_results Cohere resends the question that chat_history may already hold.
  const asked = conversation.messages.some((m) => m.role === "user" && m.content.some((p) => p.type === "text" && p.text === message));
  if (!(toolResults?.length && asked)) conversation.text("user", message);
  if (toolResults?.length) conversation.results(toolResults, "tool_results");
  system.push(documentsText(body.documents));
  const stop = optionalArray(body.stop_sequences, "stop_sequences");
  return {
    system: system.filter(Boolean).join("\n\n") || undefined,
    messages: conversation.messages,
    maxTokens: optionalNumber(body.max_tokens, "max_tokens", { min: 1, integer: true }),
    temperature: optionalNumber(body.temperature, "temperature", { min: 0, max: 1 }),
    topP: optionalNumber(body.p, "p", { min: 0, max: 1 }),
    topK: optionalNumber(body.k, "k", { min: 0, max: 500, integer: true }),
    stopSequences: stop?.map((s, i) => string(s, `stop_sequences.${i}`, { min: 1 })),
    tools,
    toolChoice: tools ? { type: "auto" } : undefined,
  };
}

type ToolCall = { name: string; parameters: unknown };

function responseBody(options: { text: string; toolCalls: ToolCall[]; finishReason: FinishReason; usage: GenerateResult["usage"]; info: ResponseInfo }): Json {
  const { info, usage } = options;
  return {
    response_id: info.requestId,
    text: options.text,
    generation_id: derivedId(info.requestId),
    finish_reason: FINISH_REASONS[options.finishReason],
    ...(options.toolCalls.length ? { tool_calls: options.toolCalls } : {}),
    meta: { api_version: { version: "1" }, billed_units: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens } },
  };
}

/** The Command R response body. */
export function toResponse(result: GenerateResult, info: ResponseInfo): Json {
  const toolCalls = result.content.flatMap((p) => (p.type === "tool-call" ? [{ name: p.toolName, parameters: p.input ?? {} }] : []));
  return responseBody({ text: resultText(result), toolCalls, finishReason: result.finishReason, usage: result.usage, info });
}

/** Cohere's chat stream: stream-start, text-generation…, tool-calls-generation, stream-end (with the whole response). */
export function chunkMapper(info: ResponseInfo): ChunkMapper {
  let text = "";
  const names = new Map<string, string>();
  const toolCalls: ToolCall[] = [];
  return {
    start: () => [{ is_finished: false, event_type: "stream-start", generation_id: derivedId(info.requestId) }],
    map(part: StreamPart): Json[] {
      switch (part.type) {
        case "text-delta":
          text += part.delta;
          return [{ is_finished: false, event_type: "text-generation", text: part.delta }];
        case "tool-call-start":
          names.set(part.id, part.toolName);
          return [];
        case "tool-call-end":
          toolCalls.push({ name: names.get(part.id) ?? "", parameters: part.input ?? {} });
          return [];
        case "finish": {
          const response = responseBody({ text, toolCalls, finishReason: part.finishReason, usage: part.usage, info });
          const calls = toolCalls.length ? [{ is_finished: false, event_type: "tool-calls-generation", text, tool_calls: toolCalls }] : [];
          return [...calls, { is_finished: true, event_type: "stream-end", finish_reason: response.finish_reason, response }];
        }
        default:
          return [];
      }
    },
  };
}

/** The Cohere Command R family. */
export const cohereCommandFamily: TextFamily = { kind: "text", name: "cohere-command", fields: FIELDS, parseRequest, toResponse, chunkMapper };
