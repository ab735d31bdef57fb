// Embeddings request body → internal EmbedRequest. Token-id arrays are refused: the models
// here tokenize for themselves, and ids from a foreign tokenizer would mean nothing to them.
import type { ModelEntry } from "../../spec/catalog.ts";
import type { EmbedRequest, Warning } from "../../spec/model.ts";
import { invalidRequest } from "./errors.ts";
import { array, invalidType, missing, oneOf, optionalNumber, type Obj } from "./params.ts";

/** A parsed Embeddings request. */
export interface EmbeddingsRequest {
  request: EmbedRequest;
  encoding: "float" | "base64";
  /** Parameters accepted but not honoured; logged and reported in a response header. */
  warnings: Warning[];
}

/** OpenAI's limit on inputs per request. */
const MAX_INPUTS = 2048;

function tokenArrays(): never {
  throw invalidRequest("input", "Token arrays are not supported by this server; send the text as a string or an array of strings.", "unsupported_value");
}

function parseInput(value: unknown): string[] {
  if (value === undefined || value === null) throw missing("input");
  if (typeof value === "string") {
    if (value === "") throw invalidRequest("input", "Invalid 'input': the string must not be empty.");
    return [value];
  }
  const list = array(value, "input", 1);
  if (list.length > MAX_INPUTS) throw invalidRequest("input", `Invalid 'input': at most ${MAX_INPUTS} inputs are allowed per request, got ${list.length}.`);
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (typeof item === "number" || Array.isArray(item)) tokenArrays();
    if (typeof item !== "string") throw invalidType(`input[${i}]`, "a string", item);
    if (item === "") throw invalidRequest(`input[${i}]`, `Invalid 'input[${i}]': the string must not be empty.`);
  }
  return list as string[];
}

/** Parses an Embeddings body for the model `entry`. */
export function parseEmbeddingsRequest(body: Obj, entry: ModelEntry): EmbeddingsRequest {
  const warnings: Warning[] = [];
  for (const key in body) {
    if (key === "model" || key === "input" || key === "dimensions" || key === "encoding_format" || key === "user") continue;
    if (body[key] === undefined || body[key] === null) continue;
    warnings.push({ type: "unsupported-setting", setting: key, message: `'${key}' is not supported by this server and was ignored.` });
  }
  const texts = parseInput(body.input);
  const dimensions = optionalNumber(body.dimensions, "dimensions", { min: 1, integer: true });
  if (dimensions !== undefined && entry.supportedDimensions && !entry.supportedDimensions.includes(dimensions)) {
    throw invalidRequest("dimensions", `The model ${entry.id} supports dimensions ${entry.supportedDimensions.join(", ")}; ${dimensions} was requested.`);
  }
  const encoding = body.encoding_format === undefined || body.encoding_format === null ? "float" : oneOf(body.encoding_format, "encoding_format", ["float", "base64"]);
  return { request: { texts, dimensions }, encoding, warnings };
}
