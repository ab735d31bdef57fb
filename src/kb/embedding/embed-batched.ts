// Embedding for knowledge bases through Basalt's model layer: texts in batches, order kept, and
// every vector's size checked against the vector store's, so a model swapped under a knowledge
// base fails the ingestion with a clear reason instead of corrupting the index.
import { BasaltError } from "../../spec/errors.ts";
import type { EmbeddingModel } from "../../spec/model.ts";

/** Texts per embedding call unless told otherwise. */
export const DEFAULT_EMBED_BATCH_SIZE = 32;

/** Options of {@link embedTexts}. */
export interface EmbedTextsOptions {
  /** Documents are embedded for storage, queries for search (models such as Cohere's differ). */
  purpose: "document" | "query";
  /** Texts per call to the model (default 32). */
  batchSize?: number;
  /** The vector store's dimensions; every vector must have exactly this many. */
  expectedDimensions?: number;
  signal?: AbortSignal;
  /** Called after each batch with the texts embedded so far and the total. */
  onBatch?: (done: number, total: number) => void;
}

/** Vectors in input order, and the input tokens the model reported. */
export interface EmbedTextsResult {
  vectors: Float32Array[];
  inputTokens: number;
}

function mismatch(modelId: string, got: number, expected: number, what: string): BasaltError {
  return new BasaltError("VALIDATION", `embedding model ${modelId} returned ${got} dimensions, but ${what} holds ${expected}`);
}

/** Embeds texts in batches, in order. An empty input makes no call. */
export async function embedTexts(model: EmbeddingModel, texts: readonly string[], options: EmbedTextsOptions): Promise<EmbedTextsResult> {
  const batchSize = options.batchSize ?? DEFAULT_EMBED_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, not ${batchSize}`);
  const vectors: Float32Array[] = [];
  let inputTokens = 0;
  let dimensions = options.expectedDimensions;
  for (let at = 0; at < texts.length; at += batchSize) {
    options.signal?.throwIfAborted();
    const batch = texts.slice(at, at + batchSize);
    const result = await model.embed({ texts: batch, purpose: options.purpose, signal: options.signal });
    if (result.embeddings.length !== batch.length) {
      throw new BasaltError("MODEL_ERROR", `embedding model ${model.modelId} returned ${result.embeddings.length} vectors for ${batch.length} texts`);
    }
    for (const embedding of result.embeddings) {
      if (dimensions === undefined) dimensions = embedding.length;
      else if (embedding.length !== dimensions) {
        throw options.expectedDimensions === undefined
          ? mismatch(model.modelId, embedding.length, dimensions, "an earlier vector of the same run")
          : mismatch(model.modelId, embedding.length, dimensions, "the knowledge base's vector store");
      }
      vectors.push(Float32Array.from(embedding));
    }
    inputTokens += result.usage.inputTokens;
    options.onBatch?.(vectors.length, texts.length);
  }
  return { vectors, inputTokens };
}

const PROBE_TEXT = "Basalt embedding dimension probe.";
const probed = new Map<string, Promise<number>>();

/**
 * The number of dimensions a model's vectors have, found by embedding one short probe text
 * once per model id (cached; a failed probe is retried next time).
 */
export function embeddingDimensions(model: EmbeddingModel): Promise<number> {
  let dimensions = probed.get(model.modelId);
  if (!dimensions) {
    dimensions = model.embed({ texts: [PROBE_TEXT], purpose: "document" }).then((result) => {
      const length = result.embeddings[0]?.length ?? 0;
      if (length < 1) throw new BasaltError("MODEL_ERROR", `embedding model ${model.modelId} returned no vector for a probe text`);
      return length;
    });
    dimensions.catch(() => probed.delete(model.modelId));
    probed.set(model.modelId, dimensions);
  }
  return dimensions;
}
