// The embedded store's ANN index: hnswlib's HierarchicalNSW (C++, cosine space) kept in memory
// and saved next to the SQLite file as `hnsw-<uid>-g<generation>-l<maxLabel>.bin`, or `.enc` when
// the index is encrypted (the graph holds every vector, and embeddings can be inverted to text).
// The name says which committed write the file reflects (and which database: `<uid>` is random
// per SQLite file), so on open the writes after it are replayed from SQLite (new labels above
// maxLabel, tombstones after the generation) and a missing, stale or corrupt file never gives
// wrong answers: at worst the graph is rebuilt from SQLite.
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, open, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import hnswlib from "hnswlib-node";
import type { ChunkTable } from "./chunk-table.ts";
import { isKeyUnavailable } from "./index-encryption.ts";
import { withScratchFile } from "./scratch-file.ts";
import { blobToVector } from "./vector-math.ts";

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

const FILE_PATTERN = /^hnsw-([0-9a-f]+)-g(\d+)-l(\d+)\.(bin|enc)$/;
/** Fixed, so a rebuild over the same rows gives the same graph. */
const RANDOM_SEED = 100;
const MIN_CAPACITY = 1024;

/** Graph parameters (hnswlib's names). */
export interface GraphParameters {
  dimensions: number;
  m: number;
  efConstruction: number;
}

/** Seals the graph files of an encrypted index (its IndexKey), each bound to its file name. */
export interface GraphSealer {
  seal(name: string, plaintext: AsyncIterable<Buffer>): Promise<Readable>;
  /** Rejects with KEY_UNAVAILABLE when the key cannot be used; altered bytes error in the stream. */
  open(name: string, sealed: AsyncIterable<Buffer>): Promise<Readable>;
}

/** How an open found the graph, for logs and tests. */
export type GraphOrigin = "new" | "loaded" | "replayed" | "rebuilt";

/** A nearest-neighbour hit: the chunk label and its cosine similarity. */
export interface GraphHit {
  label: number;
  cosine: number;
}

/** An hnswlib graph over the live chunks of one index. */
export class HnswGraph {
  /** How this open found the graph. */
  origin: GraphOrigin;
  #index: Hnsw;
  #live: number;
  #savedGeneration: number;
  #unsaved = 0;
  /** Loaded from a file in the clear while the index is encrypted (one written before encryption): save it sealed now. */
  #plaintextOnDisk = false;

  private constructor(
    private readonly dir: string,
    readonly parameters: GraphParameters,
    private readonly sealer: GraphSealer | undefined,
    index: Hnsw,
    live: number,
    savedGeneration: number,
    origin: GraphOrigin,
  ) {
    this.origin = origin;
    this.#index = index;
    this.#live = live;
    this.#savedGeneration = savedGeneration;
  }

  /**
   * Loads the newest saved graph and replays the writes committed after it, or rebuilds the
   * graph from SQLite when there is no usable file. Returns with the graph matching `table`.
   * With a `sealer`, graph files are sealed; a key that cannot be used rejects (fail closed)
   * rather than rebuilding.
   */
  static async open(dir: string, parameters: GraphParameters, table: ChunkTable, sealer?: GraphSealer): Promise<HnswGraph> {
    const files = await savedFiles(dir, table.uid, sealer !== undefined);
    // A file newer than the database (restored from a backup, say) cannot be trusted, nor one
    // older than the tombstones still kept (its deletes could not be replayed).
    const purgedThrough = table.purgedThrough;
    const usable = files.find((f) => f.generation <= table.generation && f.generation >= purgedThrough);
    const live = table.count();
    if (usable) {
      const index = new HierarchicalNSW("cosine", parameters.dimensions);
      try {
        if (usable.sealed) await readSealed(index, dir, usable.name, sealer!);
        else await index.readIndex(join(dir, usable.name), true);
      } catch (error) {
        if (isKeyUnavailable(error)) throw error;
        // A corrupt or truncated file (hnswlib checks the layout against the file size; a sealed
        // file's segments must authenticate).
        return HnswGraph.#rebuild(dir, parameters, table, live, sealer);
      }
      const graph = new HnswGraph(dir, parameters, sealer, index, live, usable.generation, "loaded");
      graph.#plaintextOnDisk = sealer !== undefined && !usable.sealed;
      if (graph.#replay(table, usable.generation, usable.maxLabel) > 0) graph.origin = "replayed";
      return graph;
    }
    if (live === 0) return new HnswGraph(dir, parameters, sealer, newIndex(parameters, MIN_CAPACITY), 0, -1, "new");
    return HnswGraph.#rebuild(dir, parameters, table, live, sealer);
  }

  static #rebuild(dir: string, parameters: GraphParameters, table: ChunkTable, live: number, sealer: GraphSealer | undefined): HnswGraph {
    const index = newIndex(parameters, Math.max(MIN_CAPACITY, Math.ceil(live * 1.1)));
    for (const row of table.vectors()) index.addPoint(Array.from(blobToVector(row.vector)), row.label);
    const graph = new HnswGraph(dir, parameters, sealer, index, live, -1, "rebuilt");
    graph.#unsaved = live;
    return graph;
  }

  /**
   * Applies the writes after a saved file: its deleted labels first, then the labels added
   * since (which reuse the deleted slots). `#live` is the table's count on entry.
   */
  #replay(table: ChunkTable, generation: number, maxLabel: number): number {
    let changes = 0;
    for (const label of table.tombstonesAfter(generation)) {
      // Labels added and deleted after the save were never in the file.
      if (label <= maxLabel && this.#markDelete(label)) changes++;
    }
    const added: Array<{ label: number; vector: Float32Array }> = [];
    for (const row of table.vectors(maxLabel)) added.push({ label: row.label, vector: blobToVector(row.vector) });
    this.#live -= added.length;
    this.add(added);
    this.#unsaved = changes + added.length;
    return this.#unsaved;
  }

  #markDelete(label: number): boolean {
    try {
      this.#index.markDelete(label);
      return true;
    } catch {
      // Not in the graph, or already deleted: the outcome the caller wants either way.
      return false;
    }
  }

  /** Live vectors in the graph. */
  get live(): number {
    return this.#live;
  }

  /** Changes since the graph was last saved (or built). */
  get unsaved(): number {
    return this.#unsaved;
  }

  /** Whether the graph must be saved although nothing changed: its file is in the clear in an encrypted index. */
  get mustSave(): boolean {
    return this.#plaintextOnDisk;
  }

  /** The generation of the last save; -1 before the first. */
  get savedGeneration(): number {
    return this.#savedGeneration;
  }

  /** Adds new labels, reusing the slots of deleted ones and growing the graph when needed. */
  add(rows: ReadonlyArray<{ label: number; vector: Float32Array }>): void {
    if (rows.length === 0) return;
    const needed = this.#live + rows.length;
    const capacity = this.#index.getMaxElements();
    if (needed > capacity) this.#index.resizeIndex(Math.max(needed, Math.ceil(capacity * 1.5)));
    for (const row of rows) {
      this.#index.addPoint(Array.from(row.vector), row.label, true);
      this.#live++;
      this.#unsaved++;
    }
  }

  /** Marks labels deleted (their slots are reused by later adds). */
  remove(labels: readonly number[]): void {
    for (const label of labels) {
      if (this.#markDelete(label)) {
        this.#live--;
        this.#unsaved++;
      }
    }
  }

  /**
   * The `k` nearest live vectors by cosine, best first. `ef` is hnswlib's search breadth;
   * `admits` restricts the search to some labels (hnswlib keeps exploring past the others).
   */
  search(vector: Float32Array, k: number, ef: number, admits?: (label: number) => boolean): GraphHit[] {
    const n = Math.min(k, this.#live);
    if (n <= 0) return [];
    this.#index.setEf(Math.max(ef, n));
    const result = admits ? this.#index.searchKnn(Array.from(vector), n, admits) : this.#index.searchKnn(Array.from(vector), n);
    return result.neighbors.map((label, i) => ({ label, cosine: 1 - result.distances[i]! }));
  }

  /**
   * Saves the graph as the state after write `generation` (with labels up to `maxLabel`):
   * written (sealed, for an encrypted index) to a temporary file, fsynced, renamed into place,
   * then older files are removed.
   */
  async save(uid: string, generation: number, maxLabel: number): Promise<void> {
    const name = `hnsw-${uid}-g${generation}-l${maxLabel}.${this.sealer ? "enc" : "bin"}`;
    const temporary = join(this.dir, `${name}.tmp`);
    if (this.sealer) {
      const sealer = this.sealer;
      // The plaintext exists only in the nameless scratch file, and only during the save.
      await withScratchFile(this.dir, async (path) => {
        await this.#index.writeIndex(path);
        const sealed = await sealer.seal(name, createReadStream(path));
        await pipeline(sealed, createWriteStream(temporary, { mode: 0o600 }));
      });
    } else {
      await this.#index.writeIndex(temporary);
    }
    await chmod(temporary, 0o600);
    await fsync(temporary);
    await rename(temporary, join(this.dir, name));
    await fsync(this.dir);
    for (const file of await readdir(this.dir)) {
      if (file !== name && (FILE_PATTERN.test(file) || (file.startsWith("hnsw-") && file.endsWith(".tmp")))) await rm(join(this.dir, file), { force: true });
    }
    this.#savedGeneration = generation;
    this.#unsaved = 0;
    this.#plaintextOnDisk = false;
  }
}

/** Opens a sealed graph file into `index`, through a scratch file (hnswlib reads only by path). */
async function readSealed(index: Hnsw, dir: string, name: string, sealer: GraphSealer): Promise<void> {
  await withScratchFile(dir, async (path) => {
    const plaintext = await sealer.open(name, createReadStream(join(dir, name)));
    await pipeline(plaintext, createWriteStream(path));
    await index.readIndex(path, true);
  });
}

function newIndex(parameters: GraphParameters, capacity: number): Hnsw {
  const index = new HierarchicalNSW("cosine", parameters.dimensions);
  index.initIndex(capacity, parameters.m, parameters.efConstruction, RANDOM_SEED, true);
  return index;
}

/**
 * Saved graph files, newest first; leftovers of interrupted saves are removed. An encrypted index
 * reads sealed files and, once, a file in the clear written before it was encrypted; an index
 * in the clear reads only files in the clear.
 */
async function savedFiles(dir: string, uid: string, sealed: boolean): Promise<Array<{ name: string; generation: number; maxLabel: number; sealed: boolean }>> {
  const out = [];
  for (const name of await readdir(dir)) {
    const match = FILE_PATTERN.exec(name);
    const isSealed = match?.[4] === "enc";
    if (match && match[1] === uid && (sealed || !isSealed)) out.push({ name, generation: Number(match[2]), maxLabel: Number(match[3]), sealed: isSealed });
    else if (match || (name.startsWith("hnsw-") && name.endsWith(".tmp"))) await rm(join(dir, name), { force: true });
  }
  // Newest first; of two files for one generation (a crash while re-saving in the clear one sealed), the sealed one.
  return out.sort((a, b) => b.generation - a.generation || Number(b.sealed) - Number(a.sealed));
}

async function fsync(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
