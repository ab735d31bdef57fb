// Worker thread of the vector-search benchmark: generates blocks of the synthetic vectors and
// computes exact top-k by brute force, both straight into shared memory (no copies of the data).
import { parentPort, workerData } from "node:worker_threads";
import { fillBlock, type MixtureShape } from "./vector-mixture.ts";

/** A task the main thread sends. */
export type VectorTask =
  | { type: "generate"; id: number; target: SharedArrayBuffer; block: number; count: number; stream: number }
  | { type: "exact"; id: number; data: SharedArrayBuffer; rows: number; queries: SharedArrayBuffer; from: number; to: number; k: number; out: SharedArrayBuffer };

/** What the worker was started with. */
export interface VectorWorkerData {
  shape: MixtureShape;
  /** Cluster centres and bases (see vector-mixture.ts). */
  model: SharedArrayBuffer;
}

const GROUP = 8;

/**
 * Exact inner-product top-k of queries [from, to) over all rows (vectors are unit length, so
 * this is cosine). Queries go in groups of 8 so each data row is read once per group.
 */
function exact(task: Extract<VectorTask, { type: "exact" }>, dimensions: number): void {
  const data = new Float32Array(task.data);
  const queries = new Float32Array(task.queries);
  const out = new Int32Array(task.out);
  const k = task.k;
  for (let g = task.from; g < task.to; g += GROUP) {
    const size = Math.min(GROUP, task.to - g);
    const q = Array.from({ length: GROUP }, (_, i) => queries.subarray(((g + Math.min(i, size - 1)) * dimensions), (g + Math.min(i, size - 1) + 1) * dimensions));
    const [q0, q1, q2, q3, q4, q5, q6, q7] = q as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    // Per query: the best k scores (ascending) and their rows.
    const bestScore = Array.from({ length: GROUP }, () => new Float64Array(k).fill(-Infinity));
    const bestRow = Array.from({ length: GROUP }, () => new Int32Array(k).fill(-1));
    const sums = new Float64Array(GROUP);
    for (let row = 0; row < task.rows; row++) {
      const base = row * dimensions;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let j = 0; j < dimensions; j++) {
        const x = data[base + j]!;
        s0 += x * q0[j]!;
        s1 += x * q1[j]!;
        s2 += x * q2[j]!;
        s3 += x * q3[j]!;
        s4 += x * q4[j]!;
        s5 += x * q5[j]!;
        s6 += x * q6[j]!;
        s7 += x * q7[j]!;
      }
      sums[0] = s0; sums[1] = s1; sums[2] = s2; sums[3] = s3; sums[4] = s4; sums[5] = s5; sums[6] = s6; sums[7] = s7;
      for (let i = 0; i < size; i++) {
        const s = sums[i]!;
        const scores = bestScore[i]!;
        if (s <= scores[0]!) continue;
        const rows = bestRow[i]!;
        // Insertion into the ascending list, dropping its smallest.
        let p = 0;
        while (p + 1 < k && scores[p + 1]! < s) {
          scores[p] = scores[p + 1]!;
          rows[p] = rows[p + 1]!;
          p++;
        }
        scores[p] = s;
        rows[p] = row;
      }
    }
    for (let i = 0; i < size; i++) {
      for (let r = 0; r < k; r++) out[(g + i) * k + r] = bestRow[i]![k - 1 - r]!;
    }
  }
}

if (parentPort) {
  const { shape, model } = workerData as VectorWorkerData;
  const port = parentPort;
  port.on("message", (task: VectorTask) => {
    if (task.type === "generate") fillBlock({ shape, model: new Float32Array(model), target: new Float32Array(task.target), block: task.block, count: task.count, stream: task.stream });
    else exact(task, shape.dimensions);
    port.postMessage(task.id);
  });
}
