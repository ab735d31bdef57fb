// Unit vectors stored row after row, for tight dot-product loops.

/** A fixed set of unit vectors of one dimension. */
export class VectorSet {
  readonly rows: number;
  private readonly data: Float32Array;

  constructor(vectors: readonly Float32Array[]) {
    this.rows = vectors.length;
    const dims = vectors[0]?.length ?? 0;
    this.data = new Float32Array(this.rows * dims);
    vectors.forEach((v, i) => this.data.set(v, i * dims));
  }

  /** The best cosine between `vector` and a member (-1 for an empty set). */
  bestCosine(vector: Float32Array): number {
    const dims = vector.length;
    const data = this.data;
    let best = -1;
    for (let row = 0, base = 0; row < this.rows; row++, base += dims) {
      let sum = 0;
      for (let d = 0; d < dims; d++) sum += vector[d]! * data[base + d]!;
      if (sum > best) best = sum;
    }
    return best;
  }
}
