// Synthetic embedding-like vectors for the vector-search benchmark, deterministic from a seed.
// Uniform random vectors in 384 dimensions are an unrealistic worst case (every point nearly
// equidistant); text embeddings cluster by topic, vary along few directions within a topic, and
// share a common direction (anisotropy). So each vector is
//   normalise(common·μ0 + c_k + spread·B_kᵀz/√rank + noise·ε/√d)
// with μ0 one shared unit direction, c_k the unit centre of cluster k (chosen uniformly),
// B_k a random rank×d basis of unit rows per cluster, z ~ N(0, I_rank), ε ~ N(0, I_d).
// Queries come from the same mixture on a separate random stream.
import { seededRandom } from "../../src/util/seeded-random.ts";

/** Parameters of the mixture. */
export interface MixtureShape {
  dimensions: number;
  clusters: number;
  /** Directions of variation within a cluster. */
  rank: number;
  seed: number;
  /** Weight of the direction every vector shares. */
  common: number;
  /** Weight of the within-cluster, low-rank variation. */
  spread: number;
  /** Weight of the isotropic noise. */
  noise: number;
}

/** Vectors are generated in blocks of this many, each block from its own seed. */
export const BLOCK = 4096;

/** Standard normal numbers (Box–Muller, both outputs used). */
function gaussians(random: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const theta = 2 * Math.PI * random();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

function normalise(v: Float32Array): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
}

/** Floats the model needs: μ0, the centres, the bases. */
export function modelSize(shape: MixtureShape): number {
  return shape.dimensions * (1 + shape.clusters + shape.clusters * shape.rank);
}

/** Draws μ0, the cluster centres and the cluster bases into `model`. */
export function buildModel(shape: MixtureShape, model: Float32Array): void {
  const gauss = gaussians(seededRandom(shape.seed));
  const d = shape.dimensions;
  const vectors = 1 + shape.clusters + shape.clusters * shape.rank;
  for (let v = 0; v < vectors; v++) {
    const row = model.subarray(v * d, (v + 1) * d);
    for (let i = 0; i < d; i++) row[i] = gauss();
    normalise(row);
  }
}

/**
 * Fills vectors [block·BLOCK, block·BLOCK + count) of `target` (stream 0: data, 1: queries).
 * The result depends only on the shape, the stream and the block, never on which thread runs it.
 */
export function fillBlock(options: { shape: MixtureShape; model: Float32Array; target: Float32Array; block: number; count: number; stream: number }): void {
  const { shape, model, target, block, count, stream } = options;
  const d = shape.dimensions;
  const random = seededRandom((Math.imul(shape.seed, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b) ^ Math.imul(block + 1, 0xc2b2ae35)) >>> 0);
  const gauss = gaussians(random);
  const common = model.subarray(0, d);
  const z = new Float64Array(shape.rank);
  const spread = shape.spread / Math.sqrt(shape.rank);
  const noise = shape.noise / Math.sqrt(d);
  for (let p = 0; p < count; p++) {
    const out = target.subarray((block * BLOCK + p) * d, (block * BLOCK + p + 1) * d);
    const cluster = Math.floor(random() * shape.clusters);
    const centre = model.subarray((1 + cluster) * d, (2 + cluster) * d);
    const basis = (1 + shape.clusters + cluster * shape.rank) * d;
    for (let r = 0; r < shape.rank; r++) z[r] = gauss() * spread;
    for (let i = 0; i < d; i++) {
      let x = shape.common * common[i]! + centre[i]! + noise * gauss();
      for (let r = 0; r < shape.rank; r++) x += z[r]! * model[basis + r * d + i]!;
      out[i] = x;
    }
    normalise(out);
  }
}
