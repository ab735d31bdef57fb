// SEMANTIC chunking (Bedrock's description, Kamradt's method): embed each sentence together with
// `bufferSize` neighbours on each side, take the cosine distance between consecutive sentence
// groups, and break where it exceeds the `breakpointPercentileThreshold` percentile of all
// distances. Groups over maxTokens are then packed again at sentence boundaries.
import { BasaltError } from "../../spec/errors.ts";
import type { ParsedDocument } from "../document.ts";
import type { SemanticChunkingConfiguration } from "./chunking-config.ts";
import type { Chunk, ChunkingDeps } from "./chunk.ts";
import { packUnits } from "./default-strategy.ts";
import { documentUnits, type Unit } from "./units.ts";

/** Sentence groups sent to the embedder per call. */
export const SEMANTIC_EMBED_BATCH = 32;

/** Cosine distance (1 − cosine similarity); 0 for a zero vector, which says nothing. */
export function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  return 1 - dot / Math.sqrt(na * nb);
}

/** The p-th percentile (0–100) with linear interpolation between ranks, as numpy computes it. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** The sentence with `buffer` neighbours on each side, as embedded. */
function groupText(units: readonly Unit[], at: number, buffer: number): string {
  const from = Math.max(0, at - buffer);
  const to = Math.min(units.length, at + buffer + 1);
  return units.slice(from, to).map((u) => u.text).join(" ");
}

async function embedGroups(texts: string[], deps: ChunkingDeps): Promise<ArrayLike<number>[]> {
  const embed = deps.embed!;
  const vectors: ArrayLike<number>[] = [];
  for (let at = 0; at < texts.length; at += SEMANTIC_EMBED_BATCH) {
    deps.signal?.throwIfAborted();
    const batch = texts.slice(at, at + SEMANTIC_EMBED_BATCH);
    const out = await embed(batch);
    if (out.length !== batch.length) {
      throw new BasaltError("MODEL_ERROR", `The embedding model returned ${out.length} vectors for ${batch.length} texts during semantic chunking.`);
    }
    vectors.push(...out);
  }
  return vectors;
}

/** Chunks a document at the points where consecutive sentences drift apart in meaning. */
export async function semanticChunks(doc: ParsedDocument, config: SemanticChunkingConfiguration, deps: ChunkingDeps = {}): Promise<Chunk[]> {
  if (!deps.embed) {
    throw new BasaltError("INTERNAL", "SEMANTIC chunking needs an embedding function (deps.embed); none was given.");
  }
  const units = documentUnits(doc, config.maxTokens);
  if (!units.length) return [];
  const pack = (from: number, to: number): Chunk[] => packUnits(doc, units.slice(from, to), { maxTokens: config.maxTokens, overlapTokens: 0 });
  if (units.length < 3) return pack(0, units.length);

  const vectors = await embedGroups(
    units.map((_, i) => groupText(units, i, config.bufferSize)),
    deps,
  );
  const distances: number[] = [];
  for (let i = 0; i + 1 < vectors.length; i++) distances.push(cosineDistance(vectors[i]!, vectors[i + 1]!));
  const threshold = percentile(distances, config.breakpointPercentileThreshold);

  const chunks: Chunk[] = [];
  let start = 0;
  distances.forEach((distance, i) => {
    if (distance > threshold) {
      chunks.push(...pack(start, i + 1));
      start = i + 1;
    }
  });
  chunks.push(...pack(start, units.length));
  return chunks;
}
