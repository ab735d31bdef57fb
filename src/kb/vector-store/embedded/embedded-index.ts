// The embedded vector store, Basalt's default: SQLite (chunks, vectors, metadata, FTS5) as the
// source of truth and an hnswlib graph in memory for nearest-neighbour search. Writes are
// serialised and durable when they resolve; searches run without waiting for them.
// The design and the measurements behind it: docs/decisions/0016-embedded-vector-store.md.
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { BasaltError, validation } from "../../../spec/errors.ts";
import { Mutex } from "../../../store/db/mutex.ts";
import { fuseHybrid } from "../fusion.ts";
import type { Metadata, MetadataFilter } from "../filter.ts";
import type { SearchHit, SearchQuery, StoredChunk, VectorIndex } from "../vector-store.ts";
import { chunkFileState, openChunkTable, type ChunkTable, type WriteResult } from "./chunk-table.ts";
import { HnswGraph, type GraphOrigin } from "./hnsw-graph.ts";
import { IndexKey, isKeyUnavailable, type IndexEncryption } from "./index-encryption.ts";
import { ftsMatchExpression, lexicalScore, type FtsTokenizer } from "./lexical-query.ts";
import { MetadataCatalog, type FilterSelection } from "./metadata-catalog.ts";
import { checkChunks, checkDocumentIds, checkQuery } from "./validate.ts";
import { blobToVector, cosineWithQuery, norm, similarityScore, TopK } from "./vector-math.ts";

/** Options of {@link openEmbeddedIndex}. */
export interface EmbeddedIndexOptions {
  /** The index's own directory (created when missing). */
  dir: string;
  dimensions: number;
  /** HNSW parameters; m and efConstruction are fixed when the index is created. */
  hnsw?: { m?: number; efConstruction?: number; efSearch?: number };
  /** FTS5 tokenizer of a new index (default `porter`; see decision 0016). */
  tokenizer?: FtsTokenizer;
  /**
   * Encrypts the index at rest under the account's envelope keys (decision 0025), and fails every
   * use closed while the key is unusable. Optional only so the store's mechanics can be tested
   * and benchmarked alone: the server always passes it. An index in the clear is encrypted on
   * its first open with this set.
   */
  encryption?: IndexEncryption;
}

/** Graph defaults (hnswlib's usual M and efConstruction; efSearch chosen in decision 0016). */
export const HNSW_DEFAULTS = { m: 16, efConstruction: 200, efSearch: 100 } as const;

/**
 * A filter admitting few chunks is answered by an exact scan of their vectors instead of the
 * graph: exact results, and faster than a graph walk that must skip most nodes. The graph's
 * filtered walk visits about ef·n/admitted nodes and the scan reads `admitted` vectors, so they
 * cost the same near admitted = √(ef·n); below that (and always below this floor) scan.
 */
export const EXACT_SCAN_FLOOR = 1_000;
/** Filter selections kept between writes. */
const SELECTION_CACHE_SIZE = 64;
/** Hybrid search fuses this many (or 4·k) hits from each side. */
export const HYBRID_DEPTH = 50;
/**
 * The graph is saved (besides on close) once it has this many unsaved changes and the last save
 * is a minute old, or 20 times as old as that save took: a crash then replays about a minute of
 * inserts, and a long ingestion spends at most 5 % of its time on saves whatever the index size.
 */
const SAVE_MIN_CHANGES = 1_000;
const SAVE_INTERVAL_MS = 60_000;

/** Directories open in this process: a second handle would keep a second, diverging graph. */
const openDirs = new Set<string>();

/** Opens (creating when needed) the embedded index in `options.dir`. */
export async function openEmbeddedIndex(options: EmbeddedIndexOptions): Promise<EmbeddedIndex> {
  const { dimensions } = options;
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 16_000) throw validation("dimensions", "must be an integer from 1 to 16000");
  const m = options.hnsw?.m ?? HNSW_DEFAULTS.m;
  const efConstruction = options.hnsw?.efConstruction ?? HNSW_DEFAULTS.efConstruction;
  const efSearch = options.hnsw?.efSearch ?? HNSW_DEFAULTS.efSearch;
  if (!Number.isInteger(m) || m < 2 || m > 100) throw validation("hnsw.m", "must be an integer from 2 to 100");
  if (!Number.isInteger(efConstruction) || efConstruction < 1) throw validation("hnsw.efConstruction", "must be a positive integer");
  if (!Number.isInteger(efSearch) || efSearch < 1) throw validation("hnsw.efSearch", "must be a positive integer");
  const dir = resolve(options.dir);
  if (openDirs.has(dir)) throw new BasaltError("CONFLICT", `The vector index at ${dir} is already open in this process; share that handle.`);
  openDirs.add(dir);
  let table: ChunkTable | undefined;
  try {
    // Chunks hold document text: owner-only, as the metadata store's files are.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, "chunks.sqlite");
    let indexKey: IndexKey | undefined;
    let key: Buffer | undefined;
    if (options.encryption) {
      // A key is made only for a new index or one still in the clear; an encrypted file without one stays unreadable.
      ({ indexKey, key } = await IndexKey.open({ dir, encryption: options.encryption, create: chunkFileState(path) !== "encrypted" }));
    }
    try {
      table = openChunkTable(path, { dimensions, m, efConstruction, tokenizer: options.tokenizer ?? "porter" }, { key });
    } finally {
      key?.fill(0);
    }
    const catalog = new MetadataCatalog();
    const metadata = new Map(table.metadataRows().map((row) => [row.id, row.json]));
    for (const row of table.labelRows()) catalog.add(row.label, row.meta_id, () => JSON.parse(metadata.get(row.meta_id) ?? "{}") as Metadata);
    const graph = await HnswGraph.open(dir, { dimensions, m: table.settings.m, efConstruction: table.settings.efConstruction }, table, indexKey);
    const index = new EmbeddedIndex({ dir, table, catalog, graph, efSearch, indexKey });
    // A replayed or rebuilt graph is saved at once, so the next open is a plain load; so is one
    // found in the clear in an encrypted index, so that it is in the clear no longer.
    if (graph.origin === "replayed" || graph.origin === "rebuilt" || graph.mustSave) await index.flush();
    return index;
  } catch (error) {
    table?.close();
    openDirs.delete(dir);
    throw error;
  }
}

interface Parts {
  dir: string;
  table: ChunkTable;
  catalog: MetadataCatalog;
  graph: HnswGraph;
  efSearch: number;
  indexKey: IndexKey | undefined;
}

interface Ranked {
  label: number;
  score: number;
}

/** The embedded {@link VectorIndex}. */
export class EmbeddedIndex implements VectorIndex {
  readonly dimensions: number;
  /** hnswlib's search breadth; a search uses at least max(efSearch, 2·k). Tunable (benchmarks sweep it). */
  efSearch: number;
  /** Filters admitting at most this many chunks are scanned exactly; undefined: max(1000, √(ef·n)). Tunable. */
  exactScanMax: number | undefined;
  readonly #dir: string;
  readonly #table: ChunkTable;
  readonly #catalog: MetadataCatalog;
  readonly #indexKey: IndexKey | undefined;
  #graph: HnswGraph;
  readonly #writes = new Mutex();
  #closed = false;
  #lastSave = performance.now();
  #lastSaveMs = 0;
  readonly #selections = new Map<string, FilterSelection>();

  constructor(parts: Parts) {
    this.#dir = parts.dir;
    this.#table = parts.table;
    this.#catalog = parts.catalog;
    this.#graph = parts.graph;
    this.#indexKey = parts.indexKey;
    this.efSearch = parts.efSearch;
    this.dimensions = parts.table.settings.dimensions;
  }

  /** How the graph was found when the index opened (for tests and logs). */
  get graphOrigin(): GraphOrigin {
    return this.#graph.origin;
  }

  async upsert(chunks: readonly StoredChunk[]): Promise<void> {
    const batch = checkChunks(chunks, this.dimensions);
    if (batch.length === 0) return;
    await this.#write(() => this.#table.write({ upserts: batch }));
  }

  async deleteDocuments(documentIds: readonly string[]): Promise<number> {
    const ids = checkDocumentIds(documentIds);
    if (ids.length === 0) return 0;
    const result = await this.#write(() => this.#table.write({ deleteDocuments: ids }));
    return result.removed.length;
  }

  async chunkIds(documentId: string): Promise<string[]> {
    await this.#assertUsable();
    return this.#table.chunkIds(documentId);
  }

  async count(): Promise<number> {
    await this.#assertUsable();
    return this.#catalog.size;
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    checkQuery(query, this.dimensions);
    await this.#assertUsable();
    const selection = query.filter ? this.#select(query.filter) : undefined;
    if (this.#catalog.size === 0 || selection?.count === 0) return [];
    let ranked: Ranked[];
    if (query.mode === "SEMANTIC") ranked = this.#semantic(query.vector!, query.k, selection);
    else if (query.mode === "LEXICAL") ranked = this.#lexical(query.text!, query.k, selection);
    else {
      const depth = Math.max(HYBRID_DEPTH, 4 * query.k);
      const semantic = this.#semantic(query.vector!, depth, selection);
      const lexical = this.#lexical(query.text!, depth, selection);
      const scored = (hits: Ranked[]) => hits.map((h) => ({ id: String(h.label), score: h.score }));
      ranked = fuseHybrid(scored(semantic), scored(lexical))
        .slice(0, query.k)
        .map((h) => ({ label: Number(h.id), score: h.score }));
    }
    const chunks = this.#table.hydrate(ranked.map((r) => r.label));
    return ranked.flatMap((r) => {
      const chunk = chunks.get(r.label);
      return chunk ? [{ chunk, score: r.score }] : [];
    });
  }

  /** Saves the graph now if it has unsaved changes (close does this too). */
  async flush(): Promise<void> {
    await this.#writes.run(() => this.#save());
  }

  async close(): Promise<void> {
    await this.#writes.run(async () => {
      if (this.#closed) return;
      try {
        await this.#save();
      } catch (error) {
        // A graph that cannot be sealed now (its key was disabled) is replayed or rebuilt from
        // SQLite at the next open, as after a crash; the handle closes either way.
        if (!isKeyUnavailable(error)) throw error;
      } finally {
        this.#table.close();
        this.#closed = true;
        openDirs.delete(this.#dir);
      }
    });
  }

  async drop(): Promise<void> {
    await this.#writes.run(async () => {
      if (!this.#closed) {
        this.#table.close();
        this.#closed = true;
        openDirs.delete(this.#dir);
      } else if (openDirs.has(this.#dir)) {
        throw new BasaltError("CONFLICT", `The vector index at ${this.#dir} was opened again; drop it through that handle.`);
      }
      await rm(this.#dir, { recursive: true, force: true });
    });
  }

  /** The chunks a filter admits; repeated filters (a tenant's, say) are answered from a cache until the next write. */
  #select(filter: MetadataFilter): FilterSelection {
    const key = JSON.stringify(filter);
    let selection = this.#selections.get(key);
    if (selection) {
      // Most recently used last, so the oldest goes first when the cache is full.
      this.#selections.delete(key);
    } else {
      selection = this.#catalog.select(filter);
      if (this.#selections.size >= SELECTION_CACHE_SIZE) this.#selections.delete(this.#selections.keys().next().value!);
    }
    this.#selections.set(key, selection);
    return selection;
  }

  #assertOpen(): void {
    if (this.#closed) throw new BasaltError("INTERNAL", `The vector index at ${this.#dir} is closed.`);
  }

  /** Open, and for an encrypted index, its key usable right now: KEY_UNAVAILABLE otherwise (fail closed). */
  async #assertUsable(): Promise<void> {
    this.#assertOpen();
    await this.#indexKey?.check();
    // The check awaited: a close may have happened meanwhile.
    this.#assertOpen();
  }

  /** Commits a write to SQLite, then mirrors it in memory; saves the graph when enough changed. */
  async #write(commit: () => WriteResult): Promise<WriteResult> {
    return this.#writes.run(async () => {
      await this.#assertUsable();
      const result = commit();
      this.#selections.clear();
      for (const row of result.removed) this.#catalog.remove(row.label);
      for (const row of result.added) this.#catalog.add(row.label, row.metaId, () => JSON.parse(row.metadataJson) as Metadata);
      try {
        this.#graph.remove(result.removed.map((r) => r.label));
        this.#graph.add(result.added);
      } catch {
        // The commit stands; a graph that failed to follow it is rebuilt from SQLite.
        this.#graph = await HnswGraph.open(this.#dir, this.#graph.parameters, this.#table, this.#indexKey);
      }
      const sinceSave = performance.now() - this.#lastSave;
      if (this.#graph.unsaved >= SAVE_MIN_CHANGES && sinceSave >= Math.max(SAVE_INTERVAL_MS, 20 * this.#lastSaveMs)) {
        // The write is committed whatever happens to this save. If its key was disabled since the
        // check above, the graph stays unsaved (as after a crash) and the next use fails closed.
        await this.#save().catch((error: unknown) => {
          if (!isKeyUnavailable(error)) throw error;
        });
      }
      return result;
    });
  }

  async #save(): Promise<void> {
    if (this.#closed || (this.#graph.unsaved === 0 && this.#graph.savedGeneration === this.#table.generation && !this.#graph.mustSave)) return;
    const generation = this.#table.generation;
    const started = performance.now();
    await this.#graph.save(this.#table.uid, generation, this.#table.maxLabel());
    this.#table.purgeTombstones(generation);
    this.#lastSave = performance.now();
    this.#lastSaveMs = this.#lastSave - started;
  }

  /**
   * Nearest chunks by cosine. With a filter: an exact scan of the admitted chunks when they are
   * few, else the graph restricted to them; if the graph finds fewer than it should, exact again.
   */
  #semantic(vector: Float32Array, k: number, selection?: FilterSelection): Ranked[] {
    const ef = Math.max(this.efSearch, 2 * k);
    if (!selection) return this.#graph.search(vector, k, ef).map((h) => ({ label: h.label, score: similarityScore(h.cosine) }));
    const want = Math.min(k, selection.count);
    const exactScanMax = this.exactScanMax ?? Math.max(EXACT_SCAN_FLOOR, Math.sqrt(ef * this.#catalog.size));
    if (selection.count <= exactScanMax) return this.#exact(vector, want, selection);
    const hits = this.#graph.search(vector, want, ef, this.#catalog.admits(selection));
    if (hits.length < want) return this.#exact(vector, want, selection);
    return hits.map((h) => ({ label: h.label, score: similarityScore(h.cosine) }));
  }

  #exact(vector: Float32Array, k: number, selection: FilterSelection): Ranked[] {
    const top = new TopK(k);
    const queryNorm = norm(vector);
    for (const row of this.#table.vectorsForMeta(selection.metaIds)) top.push(row.label, cosineWithQuery(blobToVector(row.vector), vector, queryNorm));
    return top.sorted().map((h) => ({ label: h.label, score: similarityScore(h.score) }));
  }

  /** Chunks by BM25 over FTS5; with a filter, the best-ranked admitted ones. */
  #lexical(text: string, k: number, selection?: FilterSelection): Ranked[] {
    const match = ftsMatchExpression(text);
    if (!match) return [];
    if (!selection) return this.#table.lexicalTop(match, k).map((r) => ({ label: r.label, score: lexicalScore(r.rank) }));
    const admits = this.#catalog.admits(selection);
    const out: Ranked[] = [];
    for (const row of this.#table.lexical(match)) {
      if (!admits(row.label)) continue;
      out.push({ label: row.label, score: lexicalScore(row.rank) });
      if (out.length >= k) break;
    }
    return out;
  }
}
