// Tool use on local models (docs/decisions/0004-llama-tool-calls.md). toolChoice any / tool:
// the answer is forced through a JSON-schema grammar, so it is always a valid call. auto: the
// chat wrapper's own function calling (the model's trained syntax), which leaves it free to
// answer in text. JSON Schema is translated to the subset node-llama-cpp's grammar accepts.
import { randomBytes } from "node:crypto";
import type { ChatModelFunctions, GbnfJsonSchema, Llama, LlamaJsonSchemaGrammar } from "node-llama-cpp";
import { BasaltError } from "../../../spec/errors.ts";
import type { GenerateRequest, ToolSpec, Warning } from "../../../spec/model.ts";

/** How this request uses tools. */
export type ToolMode =
  | { kind: "none" }
  /** auto on a chat template: node-llama-cpp's function calling. */
  | { kind: "functions"; functions: ChatModelFunctions }
  /**
   * any / tool: grammar-forced JSON. With one candidate tool the output is its input object
   * (streamed as it is produced); with several it is `{name, input}`.
   */
  | { kind: "forced"; tools: ToolSpec[]; schema: GbnfJsonSchema; instructions: string };

type Schema = Record<string, unknown>;

const ANY_JSON: Schema = {
  oneOf: [{ type: ["string", "number", "boolean", "null"] }, { type: "object", additionalProperties: true }, { type: "array" }],
};
const STRING_FORMATS = new Set(["date-time", "time", "date"]);
const MAX_DEPTH = 64;

const isRecord = (value: unknown): value is Schema => typeof value === "object" && value !== null && !Array.isArray(value);
const isLiteral = (value: unknown) => value === null || ["string", "number", "boolean"].includes(typeof value);

function pick(schema: Schema, keys: string[]): Schema {
  return Object.fromEntries(keys.filter((k) => typeof schema[k] === "number").map((k) => [k, schema[k]]));
}

function defsOf(schema: Schema, depth: number): Schema {
  const defs = schema.$defs ?? schema.definitions;
  if (!isRecord(defs)) return {};
  return { $defs: Object.fromEntries(Object.entries(defs).map(([k, v]) => [k, convert(v, depth + 1)])) };
}

function convertObject(schema: Schema, depth: number): Schema {
  const properties = isRecord(schema.properties) ? schema.properties : undefined;
  const out: Schema = { type: "object", ...pick(schema, ["minProperties", "maxProperties"]), ...defsOf(schema, depth) };
  if (properties) {
    out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, convert(v, depth + 1)]));
    if (Array.isArray(schema.required)) out.required = schema.required.filter((k) => typeof k === "string" && k in properties);
  }
  const extra = schema.additionalProperties;
  // JSON Schema allows any extra keys by default; with declared properties we keep the model
  // to them, without any an open object is the only faithful reading.
  if (isRecord(extra)) out.additionalProperties = convert(extra, depth + 1);
  else out.additionalProperties = extra === undefined ? !properties : extra === true;
  return out;
}

function convertArray(schema: Schema, depth: number): Schema {
  const out: Schema = { type: "array", ...pick(schema, ["minItems", "maxItems"]), ...defsOf(schema, depth) };
  if (isRecord(schema.items)) out.items = convert(schema.items, depth + 1);
  // Draft-4 tuples (`items: [...]`) and 2020-12 `prefixItems` mean the same thing.
  const tuple = Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? schema.items : undefined;
  if (tuple) out.prefixItems = tuple.map((item) => convert(item, depth + 1));
  return out;
}

function convert(input: unknown, depth: number): Schema {
  if (!isRecord(input) || depth > MAX_DEPTH) return ANY_JSON;
  const description = typeof input.description === "string" ? { description: input.description } : {};
  if ("const" in input && isLiteral(input.const)) return { const: input.const, ...description };
  if (Array.isArray(input.enum) && input.enum.some(isLiteral)) return { enum: input.enum.filter(isLiteral), ...description };
  if (typeof input.$ref === "string") {
    return { $ref: input.$ref.replace("#/definitions/", "#/$defs/"), ...description, ...defsOf(input, depth) };
  }
  const alternatives = input.oneOf ?? input.anyOf;
  if (Array.isArray(alternatives) && alternatives.length) {
    return { oneOf: alternatives.map((alt) => convert(isRecord(alt) ? { ...input, oneOf: undefined, anyOf: undefined, ...alt } : alt, depth + 1)), ...description };
  }
  if (Array.isArray(input.allOf) && input.allOf.length) {
    const merged: Schema = { ...input, allOf: undefined };
    for (const part of input.allOf.filter(isRecord)) {
      Object.assign(merged, part, {
        properties: { ...(merged.properties as Schema | undefined), ...(part.properties as Schema | undefined) },
        required: [...((merged.required as string[] | undefined) ?? []), ...((part.required as string[] | undefined) ?? [])],
      });
    }
    return convert(merged, depth + 1);
  }
  const type = Array.isArray(input.type) && input.type.length === 1 ? input.type[0] : input.type;
  if (Array.isArray(type)) return { oneOf: type.map((t) => convert({ ...input, type: t }, depth + 1)), ...description };
  switch (type) {
    case "string":
      if (typeof input.format === "string" && STRING_FORMATS.has(input.format)) return { type, format: input.format, ...description };
      return { type, ...pick(input, ["minLength", "maxLength"]), ...description };
    case "number":
    case "integer":
    case "boolean":
    case "null":
      return { type, ...description };
    case "object":
      return { ...convertObject(input, depth), ...description };
    case "array":
      return { ...convertArray(input, depth), ...description };
    default:
      if (isRecord(input.properties)) return { ...convertObject(input, depth), ...description };
      if (input.items !== undefined) return { ...convertArray(input, depth), ...description };
      return ANY_JSON;
  }
}

/** Translates a tool's JSON Schema into the grammar subset; a tool input is always an object. */
export function toGrammarSchema(inputSchema: unknown): GbnfJsonSchema {
  const converted = convert(inputSchema, 0);
  const schema = converted.type === "object" ? converted : convertObject({ additionalProperties: true }, 0);
  return schema as GbnfJsonSchema;
}

function forcedInstructions(tools: ToolSpec[]): string {
  const line = (t: ToolSpec) => `${t.name}${t.description ? ` (${t.description})` : ""}, input schema ${JSON.stringify(t.inputSchema)}`;
  if (tools.length === 1) return `Call the tool ${line(tools[0]!)}. Reply with only the tool input as JSON.`;
  return `Call one of these tools. Reply with only JSON {"name": <tool name>, "input": <tool input>}.\n${tools.map((t) => `- ${line(t)}`).join("\n")}`;
}

/** Decides how a request uses its tools; warns where the model cannot do what was asked. */
export function planTools(request: GenerateRequest, hasChatTemplate: boolean, warnings: Warning[]): ToolMode {
  const tools = request.tools ?? [];
  const choice = request.toolChoice ?? { type: "auto" };
  if (!tools.length || choice.type === "none") return { kind: "none" };
  if (choice.type === "any" || choice.type === "tool") {
    const candidates = choice.type === "tool" ? tools.filter((t) => t.name === choice.name) : tools;
    if (!candidates.length) throw new BasaltError("VALIDATION", `The toolChoice names the tool ${choice.type === "tool" ? choice.name : ""}, which is not in toolConfig.tools.`);
    const schema: GbnfJsonSchema =
      candidates.length === 1
        ? toGrammarSchema(candidates[0]!.inputSchema)
        : ({
            oneOf: candidates.map((t) => ({
              type: "object",
              properties: { name: { const: t.name }, input: toGrammarSchema(t.inputSchema) },
              required: ["name", "input"],
            })),
          } as GbnfJsonSchema);
    return { kind: "forced", tools: candidates, schema, instructions: forcedInstructions(candidates) };
  }
  if (!hasChatTemplate) {
    warnings.push({
      type: "unsupported-setting",
      setting: "toolChoice",
      message: "This model has no chat template, so it cannot choose to call a tool; it answers in text. Use toolChoice any or tool to force a call.",
    });
    return { kind: "none" };
  }
  const functions: ChatModelFunctions = Object.fromEntries(
    tools.map((t) => [t.name, { description: t.description, params: toGrammarSchema(t.inputSchema) }]),
  );
  return { kind: "functions", functions };
}

const GRAMMAR_CACHE_SIZE = 64;
const grammars = new WeakMap<Llama, Map<string, Promise<LlamaJsonSchemaGrammar<GbnfJsonSchema>>>>();

/** The compiled grammar for a schema, cached per runtime (tool sets repeat across turns). */
export function grammarFor(llama: Llama, schema: GbnfJsonSchema): Promise<LlamaJsonSchemaGrammar<GbnfJsonSchema>> {
  let cache = grammars.get(llama);
  if (!cache) grammars.set(llama, (cache = new Map()));
  const key = JSON.stringify(schema);
  let grammar = cache.get(key);
  if (!grammar) {
    grammar = llama.createGrammarForJsonSchema<GbnfJsonSchema>(schema).catch((error: unknown) => {
      cache.delete(key);
      throw new BasaltError("VALIDATION", "A tool's inputSchema could not be turned into a grammar for this model.", { cause: error });
    });
    cache.set(key, grammar);
    if (cache.size > GRAMMAR_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  return grammar;
}

/**
 * Reads a forced answer back as a call; undefined when it is not complete JSON (cut short by
 * maxTokens). The grammar already guarantees the shape, so this only parses: node-llama-cpp's
 * own validating parse rejects strings whose invalid UTF-8 bytes decode to more characters
 * than a maxLength allowed, an artefact of decoding rather than a wrong answer.
 */
export function parseForcedCall(mode: Extract<ToolMode, { kind: "forced" }>, text: string): { name: string; input: unknown } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (mode.tools.length === 1) return isRecord(value) ? { name: mode.tools[0]!.name, input: value } : undefined;
  if (isRecord(value) && mode.tools.some((t) => t.name === value.name)) return { name: value.name as string, input: value.input ?? {} };
  return undefined;
}

/** A Bedrock-style tool use id. */
export function newToolCallId(): string {
  return `tooluse_${randomBytes(16).toString("base64url").slice(0, 22)}`;
}
