// Vector arithmetic for the embedded store: cosine similarity mapped into [0, 1], vectors as
// SQLite BLOBs without copies, and a bounded top-k selection for exact scans.

/** Bedrock-style relevance from cosine similarity: (1 + cos) / 2, so 1 is identical and 0 opposite. */
export function similarityScore(cosine: number): number {
  return Math.min(1, Math.max(0, (1 + cosine) / 2));
}

/** The Euclidean norm of a vector. */
export function norm(vector: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  return Math.sqrt(sum);
}

/**
 * Cosine similarity of `a` with a query whose norm is already known (0 when either is zero).
 * Four accumulators let the JIT overlap the multiply-adds.
 */
export function cosineWithQuery(a: Float32Array, query: Float32Array, queryNorm: number): number {
  const n = a.length;
  let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a0 = a[i]!, a1 = a[i + 1]!, a2 = a[i + 2]!, a3 = a[i + 3]!;
    d0 += a0 * query[i]!;
    d1 += a1 * query[i + 1]!;
    d2 += a2 * query[i + 2]!;
    d3 += a3 * query[i + 3]!;
    s0 += a0 * a0;
    s1 += a1 * a1;
    s2 += a2 * a2;
    s3 += a3 * a3;
  }
  for (; i < n; i++) {
    d0 += a[i]! * query[i]!;
    s0 += a[i]! * a[i]!;
  }
  const sq = s0 + s1 + s2 + s3;
  if (sq === 0 || queryNorm === 0) return 0;
  return (d0 + d1 + d2 + d3) / (Math.sqrt(sq) * queryNorm);
}

/** A vector as the bytes SQLite stores (a view, not a copy; little-endian as on every supported platform). */
export function vectorToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** A stored BLOB as a vector. Copies only when the bytes are not 4-byte aligned. */
export function blobToVector(blob: Uint8Array): Float32Array {
  if (blob.byteOffset % 4 === 0) return new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  return new Float32Array(blob.slice().buffer);
}

/** Keeps the `k` entries with the highest score seen so far (a binary min-heap on parallel arrays). */
export class TopK {
  readonly #labels: number[] = [];
  readonly #scores: number[] = [];

  constructor(readonly k: number) {}

  /** Offers an entry; returns nothing, keeps it only if it ranks among the best k. */
  push(label: number, score: number): void {
    const labels = this.#labels;
    const scores = this.#scores;
    if (labels.length < this.k) {
      labels.push(label);
      scores.push(score);
      let i = labels.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (scores[parent]! <= scores[i]!) break;
        this.#swap(i, parent);
        i = parent;
      }
      return;
    }
    if (this.k === 0 || score <= scores[0]!) return;
    labels[0] = label;
    scores[0] = score;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < labels.length && scores[left]! < scores[smallest]!) smallest = left;
      if (right < labels.length && scores[right]! < scores[smallest]!) smallest = right;
      if (smallest === i) break;
      this.#swap(i, smallest);
      i = smallest;
    }
  }

  /** The kept entries, best first. */
  sorted(): Array<{ label: number; score: number }> {
    return this.#labels.map((label, i) => ({ label, score: this.#scores[i]! })).sort((a, b) => b.score - a.score || a.label - b.label);
  }

  #swap(i: number, j: number): void {
    [this.#labels[i], this.#labels[j]] = [this.#labels[j]!, this.#labels[i]!];
    [this.#scores[i], this.#scores[j]] = [this.#scores[j]!, this.#scores[i]!];
  }
}
