// Internal embedding results → the Embeddings response body.
import type { EmbedResult } from "../../spec/model.ts";

/** A vector as base64 of little-endian float32s, as OpenAI's `encoding_format: "base64"` sends it. */
export function base64Vector(vector: number[]): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes.toString("base64");
}

/** The whole response body. */
export function embeddingsResponse(result: EmbedResult, options: { model: string; encoding: "float" | "base64" }): Record<string, unknown> {
  const base64 = options.encoding === "base64";
  return {
    object: "list",
    data: result.embeddings.map((vector, index) => ({ object: "embedding", index, embedding: base64 ? base64Vector(vector) : vector })),
    model: options.model,
    usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.inputTokens },
  };
}
