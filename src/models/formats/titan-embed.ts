// Amazon Titan Text Embeddings bodies (bedrock-wire.md §4). v2 takes dimensions, normalize
// and embeddingTypes; v1 takes inputText only and refuses v2's fields, as Bedrock does.
import { array, oneOf, optionalBoolean, optionalNumber, string } from "../../util/validate.ts";
import type { ModelEntry } from "../../spec/catalog.ts";
import { BasaltError, validation } from "../../spec/errors.ts";
import type { EmbedResult } from "../../spec/model.ts";
import type { EmbedFamily, Json, ParsedEmbed } from "./format.ts";

const V2_DIMENSIONS = [1024, 512, 256] as const;
const EMBEDDING_TYPES = ["float", "binary"] as const;
const V2_FIELDS = ["inputText", "dimensions", "normalize", "embeddingTypes"] as const;
type EmbeddingType = (typeof EMBEDDING_TYPES)[number];

/** Titan's binary embeddings: one 0/1 per dimension, set where the value is positive. */
function binary(vector: number[]): number[] {
  return vector.map((v) => (v > 0 ? 1 : 0));
}

/** The Titan v2 response body. */
export function toResponse(result: EmbedResult, types?: EmbeddingType[]): Json {
  const embedding = result.embeddings[0] ?? [];
  const body: Json = { embedding, inputTextTokenCount: result.usage.inputTokens };
  if (types) body.embeddingsByType = Object.fromEntries(types.map((t) => [t, t === "float" ? embedding : binary(embedding)]));
  return body;
}

/**
 * Parses a Titan v2 body. With no `dimensions`, the model's own default applies (the catalog's
 * embeddingDimensions) rather than Titan's 1024, so a 512-only model still answers.
 */
export function parseRequest(body: Json, entry: ModelEntry): ParsedEmbed {
  const inputText = string(body.inputText, "inputText", { min: 1 });
  const requested = optionalNumber(body.dimensions, "dimensions", { integer: true });
  if (requested !== undefined) oneOf(String(requested), "dimensions", V2_DIMENSIONS.map(String));
  if (requested !== undefined && entry.supportedDimensions && !entry.supportedDimensions.includes(requested)) {
    throw new BasaltError("VALIDATION", `The model ${entry.id} cannot produce ${requested}-dimensional embeddings; it supports ${entry.supportedDimensions.join(", ")}.`);
  }
  const types =
    body.embeddingTypes === undefined || body.embeddingTypes === null
      ? undefined
      : array(body.embeddingTypes, "embeddingTypes", { min: 1 }).map((t, i) => oneOf(t, `embeddingTypes.${i}`, EMBEDDING_TYPES));
  return {
    request: { texts: [inputText], dimensions: requested ?? entry.embeddingDimensions, normalize: optionalBoolean(body.normalize, "normalize") ?? true },
    respond: (result) => toResponse(result, types && [...new Set(types)]),
  };
}

/** Parses a Titan v1 body: inputText only. */
export function parseV1Request(body: Json): ParsedEmbed {
  for (const key of ["dimensions", "normalize", "embeddingTypes"]) {
    if (body[key] !== undefined) throw validation(key, `extraneous key [${key}] is not permitted by amazon.titan-embed-text-v1; use v2`);
  }
  const inputText = string(body.inputText, "inputText", { min: 1 });
  return { request: { texts: [inputText] }, respond: (result) => toResponse(result) };
}

/** Titan Text Embeddings v2 (the default for `titan-embed`). */
export const titanEmbedFamily: EmbedFamily = { kind: "embed", name: "titan-embed", fields: V2_FIELDS, parse: parseRequest };

/** Titan Text Embeddings v1, chosen by a `…titan-embed-text-v1` id. */
export const titanEmbedV1Family: EmbedFamily = { kind: "embed", name: "titan-embed", fields: ["inputText"], parse: parseV1Request };
