// A hand-written HNSW in TypeScript (Malkov & Yashunin 2018, with hnswlib's neighbour-selection
// heuristic), for decision 0016: measured against hnswlib-node to choose the embedded store's
// ANN index. Inner product on unit vectors; flat typed arrays for vectors and level-0 links.
import { seededRandom } from "../../src/util/seeded-random.ts";

/** A binary heap of (distance, id) pairs on typed arrays; `max` orders the largest first. */
class Heap {
  dist: Float64Array;
  ids: Int32Array;
  size = 0;

  constructor(capacity: number, readonly max: boolean) {
    this.dist = new Float64Array(capacity);
    this.ids = new Int32Array(capacity);
  }

  #before(a: number, b: number): boolean {
    return this.max ? this.dist[a]! > this.dist[b]! : this.dist[a]! < this.dist[b]!;
  }

  #swap(a: number, b: number): void {
    const d = this.dist[a]!;
    this.dist[a] = this.dist[b]!;
    this.dist[b] = d;
    const i = this.ids[a]!;
    this.ids[a] = this.ids[b]!;
    this.ids[b] = i;
  }

  push(dist: number, id: number): void {
    if (this.size === this.dist.length) {
      const d = new Float64Array(this.size * 2);
      d.set(this.dist);
      this.dist = d;
      const ids = new Int32Array(this.size * 2);
      ids.set(this.ids);
      this.ids = ids;
    }
    let i = this.size++;
    this.dist[i] = dist;
    this.ids[i] = id;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#before(i, p)) break;
      this.#swap(i, p);
      i = p;
    }
  }

  pop(): void {
    this.size--;
    if (this.size === 0) return;
    this.dist[0] = this.dist[this.size]!;
    this.ids[0] = this.ids[this.size]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let t = i;
      if (l < this.size && this.#before(l, t)) t = l;
      if (r < this.size && this.#before(r, t)) t = r;
      if (t === i) break;
      this.#swap(i, t);
      i = t;
    }
  }
}

/** HNSW over unit vectors with distance 1 − inner product. */
export class TsHnsw {
  readonly #d: number;
  readonly #m: number;
  readonly #m0: number;
  readonly #efConstruction: number;
  readonly #mult: number;
  readonly #vectors: Float32Array;
  readonly #links0: Int32Array;
  readonly #counts0: Uint8Array;
  /** Upper-level links: per node, per level ≥ 1, a list. */
  readonly #upper: Array<Int32Array[] | undefined> = [];
  readonly #levels: Uint8Array;
  readonly #visited: Uint32Array;
  #visitTag = 0;
  #count = 0;
  #entry = -1;
  #maxLevel = -1;
  readonly #random: () => number;
  ef = 10;

  constructor(options: { dimensions: number; capacity: number; m: number; efConstruction: number; seed?: number }) {
    this.#d = options.dimensions;
    this.#m = options.m;
    this.#m0 = 2 * options.m;
    this.#efConstruction = options.efConstruction;
    this.#mult = 1 / Math.log(options.m);
    this.#vectors = new Float32Array(options.capacity * options.dimensions);
    this.#links0 = new Int32Array(options.capacity * this.#m0);
    this.#counts0 = new Uint8Array(options.capacity);
    this.#levels = new Uint8Array(options.capacity);
    this.#visited = new Uint32Array(options.capacity);
    this.#random = seededRandom(options.seed ?? 100);
  }

  #distance(a: number, query: Float32Array): number {
    const v = this.#vectors;
    const base = a * this.#d;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let i = 0;
    for (; i + 3 < this.#d; i += 4) {
      s0 += v[base + i]! * query[i]!;
      s1 += v[base + i + 1]! * query[i + 1]!;
      s2 += v[base + i + 2]! * query[i + 2]!;
      s3 += v[base + i + 3]! * query[i + 3]!;
    }
    for (; i < this.#d; i++) s0 += v[base + i]! * query[i]!;
    return 1 - (s0 + s1 + s2 + s3);
  }

  #neighbours(node: number, level: number): Int32Array {
    if (level === 0) return this.#links0.subarray(node * this.#m0, node * this.#m0 + this.#counts0[node]!);
    return this.#upper[node]![level - 1]!;
  }

  #setNeighbours(node: number, level: number, ids: ArrayLike<number>): void {
    if (level === 0) {
      this.#links0.set(ids, node * this.#m0);
      this.#counts0[node] = ids.length;
    } else this.#upper[node]![level - 1] = Int32Array.from(ids);
  }

  /** Greedy search at one level; returns a max-heap of the ef closest found. */
  #searchLayer(query: Float32Array, entry: number, ef: number, level: number): Heap {
    const tag = ++this.#visitTag;
    if (tag === 0xffffffff) {
      this.#visited.fill(0);
      this.#visitTag = 1;
    }
    const visited = this.#visited;
    const candidates = new Heap(ef * 4, false);
    const results = new Heap(ef + 1, true);
    const d0 = this.#distance(entry, query);
    candidates.push(d0, entry);
    results.push(d0, entry);
    visited[entry] = this.#visitTag;
    while (candidates.size > 0) {
      const cd = candidates.dist[0]!;
      const c = candidates.ids[0]!;
      if (cd > results.dist[0]! && results.size >= ef) break;
      candidates.pop();
      const links = this.#neighbours(c, level);
      for (let i = 0; i < links.length; i++) {
        const n = links[i]!;
        if (visited[n] === this.#visitTag) continue;
        visited[n] = this.#visitTag;
        const d = this.#distance(n, query);
        if (results.size < ef || d < results.dist[0]!) {
          candidates.push(d, n);
          results.push(d, n);
          if (results.size > ef) results.pop();
        }
      }
    }
    return results;
  }

  /** hnswlib's heuristic: keep a candidate only if it is closer to the base than to every kept one. */
  #select(heap: Heap, m: number): number[] {
    const order = Array.from({ length: heap.size }, (_, i) => i).sort((a, b) => heap.dist[a]! - heap.dist[b]!);
    if (order.length <= m) return order.map((i) => heap.ids[i]!);
    const kept: number[] = [];
    for (const i of order) {
      const id = heap.ids[i]!;
      const d = heap.dist[i]!;
      const vector = this.#vectors.subarray(id * this.#d, (id + 1) * this.#d);
      if (kept.every((k) => this.#distance(k, vector) > d)) kept.push(id);
      if (kept.length >= m) break;
    }
    return kept;
  }

  #connect(node: number, others: number[], level: number): void {
    const maxLinks = level === 0 ? this.#m0 : this.#m;
    this.#setNeighbours(node, level, others);
    for (const other of others) {
      const links = this.#neighbours(other, level);
      if (links.length < maxLinks) {
        const next = new Int32Array(links.length + 1);
        next.set(links);
        next[links.length] = node;
        this.#setNeighbours(other, level, next);
        continue;
      }
      const vector = this.#vectors.subarray(other * this.#d, (other + 1) * this.#d);
      const heap = new Heap(maxLinks + 1, false);
      heap.push(this.#distance(node, vector), node);
      for (const l of links) heap.push(this.#distance(l, vector), l);
      this.#setNeighbours(other, level, this.#select(heap, maxLinks));
    }
  }

  /** Adds a unit vector; ids are 0, 1, 2 … in insertion order. */
  add(vector: Float32Array): number {
    const id = this.#count++;
    this.#vectors.set(vector, id * this.#d);
    const level = Math.floor(-Math.log(1 - this.#random()) * this.#mult);
    this.#levels[id] = level;
    if (level > 0) this.#upper[id] = Array.from({ length: level }, () => new Int32Array(0));
    if (this.#entry < 0) {
      this.#entry = id;
      this.#maxLevel = level;
      return id;
    }
    let entry = this.#entry;
    for (let l = this.#maxLevel; l > level; l--) entry = this.#greedy(vector, entry, l);
    for (let l = Math.min(level, this.#maxLevel); l >= 0; l--) {
      const found = this.#searchLayer(vector, entry, this.#efConstruction, l);
      let best = found.ids[0]!;
      for (let i = 0; i < found.size; i++) if (found.dist[i]! < found.dist[0]!) best = found.ids[i]!;
      this.#connect(id, this.#select(found, this.#m), l);
      entry = best;
    }
    if (level > this.#maxLevel) {
      this.#maxLevel = level;
      this.#entry = id;
    }
    return id;
  }

  #greedy(query: Float32Array, entry: number, level: number): number {
    let current = entry;
    let best = this.#distance(current, query);
    for (let changed = true; changed; ) {
      changed = false;
      for (const n of this.#neighbours(current, level)) {
        const d = this.#distance(n, query);
        if (d < best) {
          best = d;
          current = n;
          changed = true;
        }
      }
    }
    return current;
  }

  /** The k nearest ids, best first. */
  search(query: Float32Array, k: number): number[] {
    if (this.#entry < 0) return [];
    let entry = this.#entry;
    for (let l = this.#maxLevel; l > 0; l--) entry = this.#greedy(query, entry, l);
    const found = this.#searchLayer(query, entry, Math.max(this.ef, k), 0);
    const order = Array.from({ length: found.size }, (_, i) => i).sort((a, b) => found.dist[a]! - found.dist[b]!);
    return order.slice(0, k).map((i) => found.ids[i]!);
  }
}
