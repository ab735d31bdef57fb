// The embedded vector store: the shared conformance suite, plus what only it promises —
// crash recovery of its graph file, persistence, and recall against exact search. Indexes are
// encrypted, as the server opens them; index-encryption.test.ts covers the encryption itself.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { vectorStoreConformance } from "../../../../test/conformance/vector-store.ts";
import { seededRandom } from "../../../util/seeded-random.ts";
import { BasaltError } from "../../../spec/errors.ts";
import { matchesFilter, parseMetadataFilter } from "../filter.ts";
import type { StoredChunk, VectorIndex } from "../vector-store.ts";
import { CRASH_BATCH, CRASH_DIMENSIONS, crashBatch } from "./crash-writer.fixture.ts";
import { openEmbeddedIndex, type EmbeddedIndex, type EmbeddedIndexOptions } from "./embedded-index.ts";
import { indexEncryption, testEncryption } from "./index-encryption.fixture.ts";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "basalt-vectors-"));
  roots.push(dir);
  return dir;
}

const keyDir = await tempDir();
const { encryption } = await testEncryption(keyDir);
after(() => encryption.close());

/** Opens an encrypted index, as the server does. */
function openIndex(options: Omit<EmbeddedIndexOptions, "encryption">): Promise<EmbeddedIndex> {
  return openEmbeddedIndex({ ...options, encryption: indexEncryption(encryption) });
}

const dirs = new WeakMap<VectorIndex, { dir: string; dimensions: number }>();

describe("embedded vector index", () => {
  vectorStoreConformance({
    open: async (dimensions) => {
      const dir = join(await tempDir(), "index");
      const index = await openIndex({ dir, dimensions });
      dirs.set(index, { dir, dimensions });
      return index;
    },
    reopen: async (closed) => {
      const where = dirs.get(closed)!;
      const index: EmbeddedIndex = await openIndex(where);
      dirs.set(index, where);
      return index;
    },
  });
});

/** Ids of the `k` nearest by exact cosine. */
function exactTop(vectors: readonly Float32Array[], query: Float32Array, k: number): number[] {
  const cos = (a: Float32Array, b: Float32Array): number => {
    let dot = 0, na = 0, nb = 0;
    for (let i = 0; i < a.length; i++) {
      dot += a[i]! * b[i]!;
      na += a[i]! * a[i]!;
      nb += b[i]! * b[i]!;
    }
    return dot / Math.sqrt(na * nb);
  };
  return vectors.map((v, i) => ({ i, s: cos(v, query) })).sort((a, b) => b.s - a.s).slice(0, k).map((e) => e.i);
}

/** Clustered unit-ish vectors, like embeddings of related passages. */
function clustered(count: number, dimensions: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: 20 }, () => Float32Array.from({ length: dimensions }, gaussian));
  return Array.from({ length: count }, () => {
    const centre = centres[Math.floor(random() * centres.length)]!;
    return centre.map((x) => x + 0.8 * gaussian());
  });
}

function chunksOf(vectors: readonly Float32Array[], prefix = "doc"): StoredChunk[] {
  return vectors.map((vector, i) => ({
    id: `${prefix}-${i % 100}#${i}`,
    documentId: `${prefix}-${i % 100}`,
    dataSourceId: "ds",
    text: `chunk ${i}`,
    sourceUri: `file:///${prefix}-${i % 100}`,
    metadata: { i },
    vector,
  }));
}

async function graphFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.startsWith("hnsw-")).sort();
}

/** Checks every chunk is found by its own vector and no other chunk hides it. */
async function assertSelfRetrieval(index: VectorIndex, chunks: readonly StoredChunk[]): Promise<void> {
  for (const c of chunks) {
    const hit = await index.search({ mode: "SEMANTIC", vector: c.vector, k: 1 });
    assert.equal(hit[0]?.chunk.id, c.id);
  }
}

describe("embedded vector index: recall, recovery and ownership", () => {
  it("finds the exact top 10 at least 95% of the time on a few thousand vectors", async () => {
    const vectors = clustered(4000, 48, 21);
    const index = await openIndex({ dir: join(await tempDir(), "recall"), dimensions: 48 });
    try {
      const chunks = chunksOf(vectors);
      for (let i = 0; i < chunks.length; i += 1000) await index.upsert(chunks.slice(i, i + 1000));
      const queries = clustered(100, 48, 22);
      let found = 0;
      for (const query of queries) {
        const exact = new Set(exactTop(vectors, query, 10).map((i) => chunks[i]!.id));
        const hits = await index.search({ mode: "SEMANTIC", vector: query, k: 10 });
        found += hits.filter((h) => exact.has(h.chunk.id)).length;
      }
      const recall = found / (queries.length * 10);
      assert.ok(recall >= 0.95, `recall@10 ${recall}`);
      // A broad filter (half the chunks) goes through the graph and keeps its recall.
      const even = parseMetadataFilter({ in: { key: "i", value: Array.from({ length: 100 }, (_, i) => i * 2) } });
      const odd = parseMetadataFilter({ greaterThanOrEquals: { key: "i", value: 1500 } });
      for (const filter of [even, odd]) {
        let filteredFound = 0;
        const admitted = chunks.filter((c) => matchesFilter(c.metadata, filter));
        for (const query of queries.slice(0, 30)) {
          const exact = new Set(exactTop(admitted.map((c) => c.vector), query, 10).map((i) => admitted[i]!.id));
          const hits = await index.search({ mode: "SEMANTIC", vector: query, k: 10, filter });
          assert.equal(hits.length, 10);
          filteredFound += hits.filter((h) => exact.has(h.chunk.id)).length;
        }
        assert.ok(filteredFound / 300 >= 0.95, `filtered recall@10 ${filteredFound / 300}`);
      }
    } finally {
      await index.drop();
    }
  });

  it("loads its saved graph on reopen and rebuilds it when the file is missing or corrupt", async () => {
    const dir = join(await tempDir(), "files");
    const chunks = chunksOf(clustered(600, 16, 31));
    let index = await openIndex({ dir, dimensions: 16 });
    assert.equal(index.graphOrigin, "new");
    await index.upsert(chunks);
    await index.deleteDocuments(["doc-7"]);
    const live = chunks.filter((c) => c.documentId !== "doc-7");
    await index.close();
    assert.equal((await graphFiles(dir)).length, 1, "close saves one graph file");
    index = await openIndex({ dir, dimensions: 16 });
    assert.equal(index.graphOrigin, "loaded");
    await assertSelfRetrieval(index, live.slice(0, 50));
    await index.close();

    const [file] = await graphFiles(dir);
    await writeFile(join(dir, file!), (await readFile(join(dir, file!))).subarray(0, 5000));
    index = await openIndex({ dir, dimensions: 16 });
    assert.equal(index.graphOrigin, "rebuilt", "a truncated file is not trusted");
    assert.equal(await index.count(), live.length);
    await assertSelfRetrieval(index, live);
    assert.deepEqual(await index.search({ mode: "SEMANTIC", vector: chunks.find((c) => c.documentId === "doc-7")!.vector, k: 600, filter: parseMetadataFilter({ equals: { key: "i", value: 7 } }) }), []);
    await index.close();

    for (const f of await graphFiles(dir)) await rm(join(dir, f));
    index = await openIndex({ dir, dimensions: 16 });
    assert.equal(index.graphOrigin, "rebuilt", "a missing file is rebuilt from SQLite");
    assert.equal((await index.search({ mode: "SEMANTIC", vector: live[0]!.vector, k: 1000 })).length, live.length, "no deleted chunk comes back, none is missing");
    await index.close();
    assert.equal((await graphFiles(dir)).length, 1);
  });

  it("replays the writes after a stale graph file, and refuses one older than its kept tombstones", async () => {
    const dir = join(await tempDir(), "stale");
    const first = chunksOf(clustered(300, 16, 41), "first");
    const second = chunksOf(clustered(300, 16, 42), "second");
    let index = await openIndex({ dir, dimensions: 16 });
    await index.upsert(first);
    await index.flush();
    const [old] = await graphFiles(dir);
    const oldBytes = await readFile(join(dir, old!));
    await index.upsert(second);
    await index.deleteDocuments(["first-1", "first-2"]);
    await index.close();
    const live = [...first, ...second].filter((c) => c.documentId !== "first-1" && c.documentId !== "first-2");

    // The old file back in place, as if the last save had not happened: its deletes were purged.
    for (const f of await graphFiles(dir)) await rm(join(dir, f));
    await writeFile(join(dir, old!), oldBytes);
    index = await openIndex({ dir, dimensions: 16 });
    assert.equal(index.graphOrigin, "rebuilt");
    assert.equal((await index.search({ mode: "SEMANTIC", vector: live[0]!.vector, k: 1000 })).length, live.length);
    await assertSelfRetrieval(index, live.slice(0, 100));
    await index.close();
  });

  it("recovers from kill -9 mid-ingestion: every committed chunk once, nothing deleted comes back", async () => {
    const dir = join(await tempDir(), "crash");
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./crash-writer.fixture.ts", import.meta.url)), dir, keyDir], { stdio: ["ignore", "pipe", "inherit"] });
    let committed = -1;
    let conflict: unknown;
    await new Promise<void>((resolvePromise, reject) => {
      child.on("error", reject);
      child.on("exit", (code, signal) => (signal === "SIGKILL" ? resolvePromise() : reject(new Error(`writer exited with ${code}`))));
      let buffered = "";
      let probing = false;
      child.stdout!.on("data", (data: Buffer) => {
        buffered += data.toString();
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const line of lines) committed = Number(line.split(" ")[1]);
        if (committed >= 8 && !probing) {
          probing = true;
          // While the writer lives, another process cannot open the index.
          openIndex({ dir, dimensions: CRASH_DIMENSIONS }).then(
            (index) => index.close().then(() => child.kill("SIGKILL")),
            (error: unknown) => {
              conflict = error;
              child.kill("SIGKILL");
            },
          );
        }
      });
    });
    assert.ok(conflict instanceof BasaltError && conflict.code === "CONFLICT", `a second process is refused, got ${String(conflict)}`);
    const index = await openIndex({ dir, dimensions: CRASH_DIMENSIONS });
    try {
      assert.ok(index.graphOrigin === "replayed", `the graph saved after batch 4 is replayed, got ${index.graphOrigin}`);
      const count = await index.count();
      const batches = count / CRASH_BATCH + 1; // doc-2 was deleted
      assert.ok(Number.isInteger(batches) && batches - 1 >= committed, `whole batches only: ${count} chunks, ${committed} reported`);
      assert.deepEqual(await index.chunkIds("doc-2"), []);
      for (let b = 0; b < batches; b++) {
        if (b === 2) continue;
        const expected = crashBatch(b);
        assert.equal((await index.chunkIds(`doc-${b}`)).length, CRASH_BATCH, `batch ${b}`);
        await assertSelfRetrieval(index, expected.slice(0, 5));
      }
      const replaced = await index.search({ mode: "SEMANTIC", vector: crashBatch(1)[0]!.vector, k: 1 });
      assert.match(replaced[0]!.chunk.text, /replaced$/);
      const all = await index.search({ mode: "SEMANTIC", vector: crashBatch(0)[0]!.vector, k: 10_000 });
      assert.equal(all.length, count, "the graph holds each live chunk once");
      assert.equal(new Set(all.map((h) => h.chunk.id)).size, count);
      assert.ok(all.every((h) => h.chunk.documentId !== "doc-2"));
    } finally {
      await index.drop();
    }
  });

  it("leaves no file descriptor open after close, nor after drop", { skip: process.platform !== "linux" && "counts /proc/self/fd" }, async () => {
    const dir = join(await tempDir(), "handles");
    const openFds = async (): Promise<number> => (await readdir("/proc/self/fd")).length;
    const before = await openFds();
    const index = await openIndex({ dir, dimensions: 8 });
    await index.upsert(chunksOf(clustered(50, 8, 51)));
    assert.ok((await openFds()) > before, "the database is open");
    await index.close();
    assert.equal(await openFds(), before);
    const again = await openIndex({ dir, dimensions: 8 });
    assert.equal(again.graphOrigin, "loaded");
    await again.drop();
    assert.equal(await openFds(), before);
  });

  it("refuses a second handle in one process and a reopen with other dimensions", async () => {
    const dir = join(await tempDir(), "owner");
    const index = await openIndex({ dir, dimensions: 8 });
    await assert.rejects(openIndex({ dir, dimensions: 8 }), { code: "CONFLICT" });
    await index.close();
    await assert.rejects(openIndex({ dir, dimensions: 9 }), (error: unknown) => error instanceof BasaltError && error.code === "VALIDATION" && /8-dimension/.test(error.message));
    const again = await openIndex({ dir, dimensions: 8 });
    await assert.rejects(index.count(), /closed/, "the closed handle stays closed");
    assert.equal(await again.count(), 0);
    await again.drop();
    await assert.rejects(readdir(dir), { code: "ENOENT" });
  });
});
