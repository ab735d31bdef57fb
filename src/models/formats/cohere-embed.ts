// Cohere Embed v3 bodies (bedrock-wire.md §4): `{texts ≤ 96, input_type, embedding_types}` →
// EmbedRequest; results → `embeddings_floats`, or `embeddings_by_type` when types are asked for.
import { array, oneOf, string } from "../../util/validate.ts";
import type { ModelEntry } from "../../spec/catalog.ts";
import type { EmbeddingPurpose, EmbedResult } from "../../spec/model.ts";
import type { EmbedFamily, Json, ParsedEmbed, ResponseInfo } from "./format.ts";

const FIELDS = ["texts", "input_type", "truncate", "embedding_types"] as const;
const MAX_TEXTS = 96;
const TRUNCATE = ["NONE", "START", "END"] as const;

/** Cohere's input_type → the internal embedding purpose. */
const PURPOSES: Record<string, EmbeddingPurpose> = {
  search_document: "document",
  search_query: "query",
  classification: "classification",
  clustering: "clustering",
};

/** Scale factor that maps a vector's largest magnitude to 1 (0 vectors stay 0). */
function scale(vector: number[]): number {
  const max = vector.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return max ? 1 / max : 0;
}

/** Bits set where a value is positive, packed eight dimensions to a byte, first dimension highest. */
function packBits(vector: number[]): number[] {
  const bytes: number[] = [];
  for (let at = 0; at < vector.length; at += 8) {
    let byte = 0;
    for (let bit = 0; bit < 8; bit++) byte = (byte << 1) | ((vector[at + bit] ?? 0) > 0 ? 1 : 0);
    bytes.push(byte);
  }
  return bytes;
}

/** Cohere's embedding types, computed from float vectors (scalar and binary quantization). */
const QUANTIZERS = {
  float: (v: number[]) => v,
  int8: (v: number[]) => {
    const k = scale(v);
    return v.map((x) => Math.max(-128, Math.min(127, Math.round(x * k * 127))));
  },
  uint8: (v: number[]) => {
    const k = scale(v);
    return v.map((x) => Math.round(((x * k + 1) / 2) * 255));
  },
  ubinary: packBits,
  // Cohere's signed binary is the unsigned byte shifted by 128.
  binary: (v: number[]) => packBits(v).map((b) => b - 128),
} as const;
type EmbeddingType = keyof typeof QUANTIZERS;
const EMBEDDING_TYPES = Object.keys(QUANTIZERS) as EmbeddingType[];

/** The Cohere Embed response body. */
export function toResponse(result: EmbedResult, options: { texts: string[]; types?: EmbeddingType[]; info: ResponseInfo }): Json {
  const base = { id: options.info.requestId, texts: options.texts };
  if (!options.types) return { ...base, embeddings: result.embeddings, response_type: "embeddings_floats" };
  const embeddings = Object.fromEntries(options.types.map((t) => [t, result.embeddings.map(QUANTIZERS[t])]));
  return { ...base, embeddings, response_type: "embeddings_by_type" };
}

/** Parses a Cohere Embed v3 body. */
export function parseRequest(body: Json, _entry: ModelEntry): ParsedEmbed {
  const texts = array(body.texts, "texts", { min: 1, max: MAX_TEXTS }).map((t, i) => string(t, `texts.${i}`, { min: 1 }));
  const inputType = oneOf(body.input_type, "input_type", Object.keys(PURPOSES));
  if (body.truncate !== undefined) oneOf(body.truncate, "truncate", TRUNCATE);
  const types =
    body.embedding_types === undefined || body.embedding_types === null
      ? undefined
      : [...new Set(array(body.embedding_types, "embedding_types", { min: 1 }).map((t, i) => oneOf(t, `embedding_types.${i}`, EMBEDDING_TYPES)))];
  return {
    request: { texts, purpose: PURPOSES[inputType] },
    respond: (result, info) => toResponse(result, { texts, types, info }),
  };
}

/** The Cohere Embed v3 family. */
export const cohereEmbedFamily: EmbedFamily = { kind: "embed", name: "cohere-embed", fields: FIELDS, parse: parseRequest };
