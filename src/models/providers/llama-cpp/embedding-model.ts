// A GGUF entry with `embedding: true` as an EmbeddingModel: one embedding context per model,
// requests served in FIFO order, vectors scaled to unit length unless asked not to be.
import { BasaltError } from "../../../spec/errors.ts";
import type { EmbeddingModel, EmbedRequest, EmbedResult } from "../../../spec/model.ts";
import type { LlamaCppModelConfig } from "./loaded-model.ts";
import type { ModelPool } from "./model-pool.ts";

function normalize(vector: readonly number[]): number[] {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum) || 1;
  return vector.map((v) => v / norm);
}

/** Embeddings from an in-process llama.cpp model. */
export class LlamaEmbeddingModel implements EmbeddingModel {
  constructor(
    private readonly config: LlamaCppModelConfig,
    private readonly pool: ModelPool,
  ) {}

  get modelId(): string {
    return this.config.id;
  }

  async countTokens(text: string): Promise<number> {
    const lease = await this.pool.acquire(this.config, { slot: false });
    try {
      return lease.loaded.model.tokenize(text).length;
    } finally {
      lease.release();
    }
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const lease = await this.pool.acquire(this.config, { slot: true, signal: request.signal });
    try {
      const { model, embeddingContext, contextSize } = lease.loaded;
      const dimensions = model.embeddingVectorSize;
      if (request.dimensions !== undefined && request.dimensions !== dimensions) {
        throw new BasaltError("VALIDATION", `The model ${this.config.id} produces ${dimensions}-dimensional embeddings; ${request.dimensions} was requested.`);
      }
      const embeddings: number[][] = [];
      let inputTokens = 0;
      for (const [index, text] of request.texts.entries()) {
        request.signal?.throwIfAborted();
        const length = embeddingContext!.calculateInputLength(text);
        if (length > contextSize) {
          throw new BasaltError("VALIDATION", `Text ${index + 1} is too long for the model ${this.config.id}: ${length} tokens, the context holds ${contextSize}.`);
        }
        inputTokens += length;
        const { vector } = await embeddingContext!.getEmbeddingFor(text);
        embeddings.push(request.normalize === false ? [...vector] : normalize(vector));
      }
      return { embeddings, usage: { inputTokens }, warnings: [] };
    } finally {
      lease.release();
    }
  }
}
