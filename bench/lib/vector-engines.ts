// The engines the vector-search benchmark measures, behind one small shape: build over a block
// of unit vectors, then answer top-k queries at a given search breadth (ef). Basalt's embedded
// index is measured through its public VectorIndex API, hydration of the hits included.
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3-multiple-ciphers";
import hnswlib from "hnswlib-node";
import { embeddedIndexEncryption } from "../../src/kb/ingestion/indexes.ts";
import { openEmbeddedIndex, type EmbeddedIndex } from "../../src/kb/vector-store/embedded/embedded-index.ts";
import { EnvelopeEncryption } from "../../src/store/crypto/envelope-encryption.ts";
import { FileWrappedKeyStore } from "../../src/store/crypto/file-wrapped-key-store.ts";
import { LocalKeyProvider } from "../../src/store/crypto/local-key-provider.ts";
import { blobToVector } from "../../src/kb/vector-store/embedded/vector-math.ts";
import type { StoredChunk } from "../../src/kb/vector-store/vector-store.ts";
import { TsHnsw } from "./vector-ts-hnsw.ts";

/** A built engine. */
export interface BuiltEngine {
  /** Top-k row numbers for a query at search breadth `ef`. */
  search(query: Float32Array, k: number, ef: number): Promise<number[]> | number[];
  /** The ef the engine really uses for this k and ef. */
  effectiveEf(k: number, ef: number): number;
  /** Bytes on disk after the build, where the engine persists. */
  diskBytes?: number;
  close(): Promise<void>;
}

/** An engine to build. */
export interface Engine {
  name: string;
  build(options: { data: Float32Array; dimensions: number; m: number; efConstruction: number; progress: (done: number) => void; dir?: string }): Promise<BuiltEngine>;
}

const row = (data: Float32Array, d: number, i: number): Float32Array => data.subarray(i * d, (i + 1) * d);

/** hnswlib-node used directly: HierarchicalNSW, cosine space, same seed as Basalt's. */
export const rawHnswlib: Engine = {
  name: "hnswlib-node 3.0.0",
  async build({ data, dimensions, m, efConstruction, progress }) {
    const n = data.length / dimensions;
    const index = new hnswlib.HierarchicalNSW("cosine", dimensions);
    index.initIndex(n, m, efConstruction, 100);
    for (let i = 0; i < n; i++) {
      index.addPoint(Array.from(row(data, dimensions, i)), i);
      if (i % 10_000 === 9_999) progress(i + 1);
    }
    return {
      search(query, k, ef) {
        index.setEf(ef);
        return index.searchKnn(Array.from(query), k).neighbors;
      },
      effectiveEf: (k, ef) => Math.max(k, ef),
      async close() {},
    };
  },
};

/**
 * Basalt's embedded index (SQLite + FTS5 + hnswlib graph), built through upsert in batches of
 * 1,000 chunks, encrypted at rest as the server opens it (decision 0025; a local master key).
 */
export const basaltEmbedded: Engine = {
  name: "Basalt embedded",
  async build({ data, dimensions, m, efConstruction, progress, dir: parent }) {
    const n = data.length / dimensions;
    const dir = mkdtempSync(join(parent ?? tmpdir(), "basalt-vector-bench-"));
    const keys = await LocalKeyProvider.open({ path: join(dir, "master.key") });
    const encryption = new EnvelopeEncryption({ keys, store: new FileWrappedKeyStore(join(dir, "keys")) });
    const index: EmbeddedIndex = await openEmbeddedIndex({
      dir: join(dir, "index"),
      dimensions,
      hnsw: { m, efConstruction },
      encryption: embeddedIndexEncryption(encryption, "111122223333", "BENCHKB001"),
    });
    const batch = 1_000;
    for (let start = 0; start < n; start += batch) {
      const chunks: StoredChunk[] = [];
      for (let i = start; i < Math.min(n, start + batch); i++) {
        const documentId = `s3://bench/doc-${Math.floor(i / 10)}.txt`;
        chunks.push({ id: `${documentId}#${i}`, documentId, dataSourceId: "bench", text: `passage ${i} of document ${Math.floor(i / 10)}`, sourceUri: documentId, metadata: { "x-amz-bedrock-kb-source-uri": documentId }, vector: row(data, dimensions, i) });
      }
      await index.upsert(chunks);
      if ((start + batch) % 10_000 === 0) progress(start + batch);
    }
    await index.flush();
    const diskBytes = readdirSync(join(dir, "index")).reduce((sum, f) => sum + statSync(join(dir, "index", f)).size, 0);
    return {
      async search(query, k, ef) {
        index.efSearch = ef;
        const hits = await index.search({ mode: "SEMANTIC", vector: query, k });
        return hits.map((h) => Number(h.chunk.id.slice(h.chunk.id.lastIndexOf("#") + 1)));
      },
      effectiveEf: (k, ef) => Math.max(ef, 2 * k),
      diskBytes,
      async close() {
        await index.drop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** The hand-written TypeScript HNSW (design candidate only). */
export const typescriptHnsw: Engine = {
  name: "TypeScript HNSW",
  async build({ data, dimensions, m, efConstruction, progress }) {
    const n = data.length / dimensions;
    const index = new TsHnsw({ dimensions, capacity: n, m, efConstruction });
    for (let i = 0; i < n; i++) {
      index.add(row(data, dimensions, i));
      if (i % 10_000 === 9_999) progress(i + 1);
    }
    return {
      search(query, k, ef) {
        index.ef = ef;
        return index.search(query, k);
      },
      effectiveEf: (k, ef) => Math.max(k, ef),
      async close() {},
    };
  },
};

/** Exact search: a scan of a Float32Array in memory (design candidate; ef is ignored). */
export const flatScan: Engine = {
  name: "flat scan (Float32Array)",
  async build({ data, dimensions }) {
    const n = data.length / dimensions;
    return {
      search(query, k) {
        const best = new Float64Array(k).fill(-Infinity);
        const rows = new Int32Array(k).fill(-1);
        for (let r = 0; r < n; r++) {
          const base = r * dimensions;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          let j = 0;
          for (; j + 3 < dimensions; j += 4) {
            s0 += data[base + j]! * query[j]!;
            s1 += data[base + j + 1]! * query[j + 1]!;
            s2 += data[base + j + 2]! * query[j + 2]!;
            s3 += data[base + j + 3]! * query[j + 3]!;
          }
          for (; j < dimensions; j++) s0 += data[base + j]! * query[j]!;
          const s = s0 + s1 + s2 + s3;
          if (s <= best[0]!) continue;
          let p = 0;
          while (p + 1 < k && best[p + 1]! < s) {
            best[p] = best[p + 1]!;
            rows[p] = rows[p + 1]!;
            p++;
          }
          best[p] = s;
          rows[p] = r;
        }
        return Array.from(rows).reverse();
      },
      effectiveEf: () => 0,
      async close() {},
    };
  },
};

/** Exact search as a plain SQL store would do it: every vector BLOB read from SQLite per query (design candidate). */
export const sqliteScan: Engine = {
  name: "SQLite BLOB scan",
  async build({ data, dimensions, dir: parent }) {
    const n = data.length / dimensions;
    const dir = mkdtempSync(join(parent ?? tmpdir(), "basalt-vector-bench-"));
    const db = new BetterSqlite3(join(dir, "scan.sqlite"));
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE v (label INTEGER PRIMARY KEY, vector BLOB NOT NULL)");
    const insert = db.prepare("INSERT INTO v (label, vector) VALUES (?, ?)");
    db.transaction(() => {
      for (let i = 0; i < n; i++) insert.run(i, Buffer.from(data.buffer, i * dimensions * 4, dimensions * 4));
    })();
    const scan = db.prepare("SELECT label, vector FROM v");
    const top = flatTop(dimensions);
    return {
      search(query, k) {
        return top(scan.iterate() as Iterable<{ label: number; vector: Buffer }>, query, k);
      },
      effectiveEf: () => 0,
      async close() {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

function flatTop(dimensions: number) {
  return (rows: Iterable<{ label: number; vector: Buffer }>, query: Float32Array, k: number): number[] => {
    const best = new Float64Array(k).fill(-Infinity);
    const labels = new Int32Array(k).fill(-1);
    for (const { label, vector } of rows) {
      const v = blobToVector(vector);
      let s = 0;
      for (let j = 0; j < dimensions; j++) s += v[j]! * query[j]!;
      if (s <= best[0]!) continue;
      let p = 0;
      while (p + 1 < k && best[p + 1]! < s) {
        best[p] = best[p + 1]!;
        labels[p] = labels[p + 1]!;
        p++;
      }
      best[p] = s;
      labels[p] = label;
    }
    return Array.from(labels).reverse();
  };
}

/** Total size of the files under a directory. */
export function directoryBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
}
