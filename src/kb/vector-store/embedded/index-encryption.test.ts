// Encryption at rest of the embedded index (decision 0025): nothing stored is readable in the
// index's files, the key is bound to its index and account, an unusable master key fails every
// use closed until it is enabled again, key rotation keeps the index readable, and an index
// written in the clear by an earlier version is encrypted on its first open.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BasaltError } from "../../../spec/errors.ts";
import { parseHeader } from "../../../store/crypto/ciphertext-format.ts";
import { scanForMarker } from "../../../store/crypto/at-rest-scan.fixture.ts";
import type { StoredChunk } from "../vector-store.ts";
import { openEmbeddedIndex, type EmbeddedIndex } from "./embedded-index.ts";
import { INDEX_KEY_FILE } from "./index-encryption.ts";
import { indexEncryption, TEST_ACCOUNT, testEncryption } from "./index-encryption.fixture.ts";

const roots: string[] = [];
after(() => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "basalt-vector-crypto-"));
  roots.push(dir);
  return dir;
}

const DIMENSIONS = 8;

/** `count` chunks over two documents; the text, metadata and ids of chunk 0 hold `marker`. */
function chunks(marker: string, count = 40): StoredChunk[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `s3://docs/${i % 2 ? "other" : marker}.txt#${i}`,
    documentId: `s3://docs/${i % 2 ? "other" : marker}.txt`,
    dataSourceId: "ds",
    text: i === 0 ? `The launch code is ${marker}.` : `filler passage ${i} about nothing`,
    sourceUri: `s3://docs/${i % 2 ? "other" : marker}.txt`,
    metadata: i === 0 ? { topic: marker } : { topic: "filler" },
    vector: Float32Array.from({ length: DIMENSIONS }, (_, d) => Math.sin(i * 7 + d * 3)),
  }));
}

const isKeyUnavailable = (pattern: RegExp) => (error: unknown) =>
  error instanceof BasaltError && error.code === "KEY_UNAVAILABLE" && error.name === "AccessDeniedException" && pattern.test(error.message);

describe("embedded index encryption", () => {
  it("keeps chunk text, metadata, ids and vectors out of every file (database, WAL, graph), open or closed", async () => {
    const { encryption } = await testEncryption(await tempDir());
    const marker = `basalt-marker-${randomUUID()}`;
    const stored = chunks(marker);
    const dir = join(await tempDir(), "index");
    const index = await openEmbeddedIndex({ dir, dimensions: DIMENSIONS, encryption: indexEncryption(encryption) });
    await index.upsert(stored);
    await index.flush();
    await index.upsert([{ ...stored[0]!, id: `${marker}#late`, text: `late ${marker}` }]);
    assert.ok((await index.search({ mode: "LEXICAL", text: marker, k: 2 })).some((h) => h.chunk.text === stored[0]!.text), "the marker is searchable");
    // Open: the WAL holds the last write, the graph file the first.
    const files = await readdir(dir);
    assert.ok(files.includes("chunks.sqlite-wal") && files.some((f) => f.endsWith(".enc")), files.join(", "));
    assert.deepEqual((await scanForMarker(dir, marker)).hits, []);
    // Vectors (embeddings can be inverted to text): the database stores them raw, the graph
    // normalised; no file holds the raw bytes, and the graph file is in Basalt's sealed format.
    const vectorBytes = Buffer.from(stored[3]!.vector.buffer);
    for (const file of await readdir(dir)) assert.equal((await readFile(join(dir, file))).includes(vectorBytes), false, file);
    const graphFile = files.find((f) => f.endsWith(".enc"))!;
    assert.equal((await readFile(join(dir, graphFile))).subarray(0, 4).toString(), "BSLT");
    await index.close();
    assert.deepEqual((await scanForMarker(dir, marker)).hits, []);

    // The control: the same content in an index in the clear is found, so the scan reads what it must.
    const plainDir = join(await tempDir(), "plain");
    const plain = await openEmbeddedIndex({ dir: plainDir, dimensions: DIMENSIONS });
    await plain.upsert(stored);
    await plain.close();
    assert.ok((await scanForMarker(plainDir, marker)).hits.includes("chunks.sqlite"), "the marker is found in the clear");
    assert.ok((await readFile(join(plainDir, "chunks.sqlite"))).includes(vectorBytes), "the vector is found in the clear");
    encryption.close();
  });

  it("opens only with its own key: another index's key, another account, no encryption and a lost key file all fail", async () => {
    const { encryption } = await testEncryption(await tempDir());
    const root = await tempDir();
    const make = async (name: string, resource = "test-index"): Promise<string> => {
      const dir = join(root, name);
      const index = await openEmbeddedIndex({ dir, dimensions: DIMENSIONS, encryption: indexEncryption(encryption, resource) });
      await index.upsert(chunks(name, 4));
      await index.close();
      return dir;
    };
    const a = await make("a");
    const b = await make("b");
    // B's key file in A: a valid key, just not A's (AEGIS's tag refuses every page).
    await copyFile(join(b, INDEX_KEY_FILE), join(a, INDEX_KEY_FILE));
    await assert.rejects(openEmbeddedIndex({ dir: a, dimensions: DIMENSIONS, encryption: indexEncryption(encryption) }), (error: unknown) => error instanceof BasaltError && error.code === "INTERNAL" && /does not open with its key/.test(error.message));
    // The key is bound to its index's name and account.
    await assert.rejects(openEmbeddedIndex({ dir: b, dimensions: DIMENSIONS, encryption: indexEncryption(encryption, "renamed") }), { code: "INTERNAL" });
    await assert.rejects(openEmbeddedIndex({ dir: b, dimensions: DIMENSIONS, encryption: { ...indexEncryption(encryption), accountId: "210987654321" } }), { code: "KEY_UNAVAILABLE" });
    await assert.rejects(openEmbeddedIndex({ dir: b, dimensions: DIMENSIONS }), (error: unknown) => error instanceof BasaltError && /is encrypted/.test(error.message));
    await rm(join(b, INDEX_KEY_FILE));
    await assert.rejects(openEmbeddedIndex({ dir: b, dimensions: DIMENSIONS, encryption: indexEncryption(encryption) }), isKeyUnavailable(/lost its key file/));
    assert.ok((await readdir(b)).includes("chunks.sqlite"), "a failed open never replaces the data");
    encryption.close();
  });

  it("fails every use closed while the master key is disabled or pending deletion, and works again once it is enabled", async () => {
    const { encryption, keys } = await testEncryption(await tempDir());
    const dir = join(await tempDir(), "index");
    const options = { dir, dimensions: DIMENSIONS, encryption: indexEncryption(encryption) };
    const stored = chunks("gate");
    let index: EmbeddedIndex = await openEmbeddedIndex(options);
    await index.upsert(stored.slice(0, 20));
    const query = { mode: "SEMANTIC" as const, vector: stored[0]!.vector, k: 3 };
    const before = await index.search(query);
    const primary = await keys.primaryKeyId();

    await keys.disableKey(primary);
    await assert.rejects(index.search(query), isKeyUnavailable(/disabled/));
    await assert.rejects(index.upsert(stored.slice(20)), isKeyUnavailable(/disabled/));
    await assert.rejects(index.deleteDocuments(["s3://docs/other.txt"]), isKeyUnavailable(/disabled/));
    await assert.rejects(index.chunkIds(stored[0]!.documentId), isKeyUnavailable(/disabled/));
    // Closing still works (the unsaved graph is replayed from SQLite later); opening does not.
    await index.close();
    await assert.rejects(openEmbeddedIndex(options), isKeyUnavailable(/disabled/));
    await keys.enableKey(primary);
    index = await openEmbeddedIndex(options);
    assert.equal(index.graphOrigin, "rebuilt", "the graph that could not be sealed at close is rebuilt from SQLite");
    assert.deepEqual(await index.search(query), before);

    await keys.scheduleKeyDeletion(primary, 7);
    await assert.rejects(index.search(query), isKeyUnavailable(/pending deletion/));
    await keys.cancelKeyDeletion(primary);
    await keys.enableKey(primary);
    await index.upsert(stored.slice(20));
    assert.equal(await index.count(), stored.length);
    await index.close();
    encryption.close();
  });

  it("stays readable through data key and master key rotation, and moves its key to the newest data key", async () => {
    const { encryption } = await testEncryption(await tempDir());
    const dir = join(await tempDir(), "index");
    const options = { dir, dimensions: DIMENSIONS, encryption: indexEncryption(encryption) };
    const stored = chunks("rotation");
    let index = await openEmbeddedIndex(options);
    await index.upsert(stored);
    await index.close();
    const version = async () => parseHeader(await readFile(join(dir, INDEX_KEY_FILE)), true)!.header.dataKeyVersion;
    assert.equal(await version(), 1);

    assert.equal(await encryption.rotateDataKey(TEST_ACCOUNT), 2);
    const report = await encryption.rotateMasterKey();
    assert.deepEqual(report.failed, []);
    index = await openEmbeddedIndex(options);
    assert.equal(index.graphOrigin, "loaded", "the graph sealed under data key 1 still opens");
    assert.equal(await version(), 2, "the index key is now sealed under data key 2");
    assert.equal((await index.search({ mode: "SEMANTIC", vector: stored[5]!.vector, k: 1 }))[0]?.chunk.id, stored[5]!.id);
    await index.close();
    encryption.close();
  });

  it("encrypts an index written in the clear on its first open, deleted chunks included, keeping its graph", async () => {
    const { encryption } = await testEncryption(await tempDir());
    const marker = `basalt-marker-${randomUUID()}`;
    const stored = chunks(marker);
    const dir = join(await tempDir(), "index");
    const plain = await openEmbeddedIndex({ dir, dimensions: DIMENSIONS });
    await plain.upsert(stored);
    await plain.flush();
    // A deleted document's text lingers in free pages of a file in the clear; the WAL holds it too.
    await plain.deleteDocuments([stored[0]!.documentId]);
    await plain.close();
    assert.ok((await scanForMarker(dir, marker)).hits.length > 0, "the control: the old index shows the marker");
    assert.ok((await readdir(dir)).some((f) => f.endsWith(".bin")), "a graph file in the clear");
    // A copy left by an interrupted earlier attempt is ignored and replaced.
    await writeFile(join(dir, "chunks.sqlite.encrypting"), "torn");

    const options = { dir, dimensions: DIMENSIONS, encryption: indexEncryption(encryption) };
    let index = await openEmbeddedIndex(options);
    assert.equal(index.graphOrigin, "loaded", "the graph in the clear is loaded, not rebuilt");
    const files = await readdir(dir);
    assert.ok(files.some((f) => f.endsWith(".enc")) && !files.some((f) => f.endsWith(".bin") || f.includes("encrypting")), files.join(", "));
    assert.deepEqual((await scanForMarker(dir, marker)).hits, []);
    const live = stored.filter((c) => c.documentId !== stored[0]!.documentId);
    assert.equal(await index.count(), live.length);
    assert.equal((await index.search({ mode: "SEMANTIC", vector: live[3]!.vector, k: 1 }))[0]?.chunk.id, live[3]!.id);
    await index.close();

    index = await openEmbeddedIndex(options);
    assert.equal(index.graphOrigin, "loaded");
    assert.equal((await index.search({ mode: "LEXICAL", text: "filler passage 7", k: 1 }))[0]?.chunk.id, stored[7]!.id);
    await index.close();
    await assert.rejects(openEmbeddedIndex({ dir, dimensions: DIMENSIONS }), /is encrypted/);
    encryption.close();
  });
});
