import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { objectStoreConformance } from "../../../test/conformance/object-store.ts";
import { createObjectStore } from "./create-object-store.ts";
import { LocalObjectStore } from "./local-object-store.ts";

const roots: string[] = [];
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "basalt-objects-"));
  roots.push(dir);
  return dir;
}

/** Every file under a directory, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1)).sort();
}

describe("LocalObjectStore", () => {
  objectStoreConformance({
    store: async () => new LocalObjectStore({ root: join(await tempDir(), "objects") }),
    multipartThresholdBytes: 64 * 1024,
  });

  it("refuses path traversal and writes nothing outside its root", async () => {
    const dir = await tempDir();
    const store = new LocalObjectStore({ root: join(dir, "objects") });
    for (const key of ["../escape", "a/../../escape", "/tmp/escape", "..\\escape", "a/%2e%2e/../escape"]) {
      await assert.rejects(store.put(key, "x"), { code: "VALIDATION" });
    }
    // Percent signs and dots are ordinary characters: these stay inside the root.
    await store.put("%2e%2e/%2f..%2fescape", "inside");
    await store.put("...", "three dots");
    assert.deepEqual(await readdir(dir), ["objects"]);
    assert.equal((await store.getBytes("%2e%2e/%2f..%2fescape")).toString(), "inside");
    assert.ok((await filesUnder(join(dir, "objects"))).every((f) => !f.split("/").some((part) => part === ".." || part === ".")));
  });

  it("names files in lowercase ASCII, so case and Unicode forms stay apart on any file system", async () => {
    const root = join(await tempDir(), "objects");
    const store = new LocalObjectStore({ root });
    const keys = ["Readme.md", "readme.md", "caf\u00e9", "cafe\u0301", "\u00c9t\u00e9/x"];
    for (const key of keys) await store.put(key, key);
    const files = await filesUnder(root);
    assert.ok(files.every((f) => /^[a-z0-9._%A-F/-]+$/.test(f)), files.join(", "));
    const folded = new Set(files.map((f) => f.toLowerCase().normalize("NFC")));
    assert.equal(folded.size, files.length, "no two files differ only by case or normalisation");
    for (const key of keys) assert.equal((await store.getBytes(key)).toString(), key);
  });

  it("stores keys whose segments are too long for a file name", async () => {
    const store = new LocalObjectStore({ root: join(await tempDir(), "objects") });
    const folder = "Ω".repeat(300);
    const keys = [`${folder}/${"n".repeat(400)}`, `${folder}/${"m".repeat(400)}`, `${folder}/short`, "a".repeat(1000)];
    for (const key of keys) await store.put(key, key);
    for (const key of keys) assert.equal((await store.getBytes(key)).toString(), key);
    const listed = (await store.list()).objects.map((o) => o.key);
    assert.deepEqual(listed, ["a".repeat(1000), `${folder}/${"m".repeat(400)}`, `${folder}/${"n".repeat(400)}`, `${folder}/short`]);
    assert.deepEqual((await store.list({ prefix: `${folder}/s` })).objects.map((o) => o.key), [`${folder}/short`]);
  });

  it("ignores leftovers of a crash: unfinished temp files and orphaned blobs", async () => {
    const root = join(await tempDir(), "objects");
    const store = new LocalObjectStore({ root });
    await store.put("docs/a.txt", "committed");
    await writeFile(join(root, "docs.d", "b.txt.0123456789abcdef.blob"), "never committed");
    await writeFile(join(root, "docs.d", "a.txt.fedcba9876543210.tmp"), "{half a sidecar");
    assert.deepEqual((await store.list()).objects.map((o) => o.key), ["docs/a.txt"]);
    assert.equal((await store.getBytes("docs/a.txt")).toString(), "committed");
    await assert.rejects(store.head("docs/b.txt"), { code: "NOT_FOUND" });
  });

  it("keeps one blob per object after overwrites and none after delete", async () => {
    const root = join(await tempDir(), "objects");
    const store = new LocalObjectStore({ root });
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.put("k/doc", `version ${i}`)));
    assert.deepEqual((await filesUnder(root)).filter((f) => f.endsWith(".blob")).length, 1);
    await store.delete("k/doc");
    assert.deepEqual(await readdir(root), [], "empty folders are removed too");
  });

  it("never shows a reader a mix of two writes", async () => {
    const store = new LocalObjectStore({ root: join(await tempDir(), "objects") });
    const bodies = Array.from({ length: 4 }, (_, i) => Buffer.alloc(256 * 1024, 0x61 + i));
    await store.put("race", bodies[0]!);
    let writing = true;
    const writers = (async () => {
      for (let round = 0; round < 10; round++) await Promise.all(bodies.map((body) => store.put("race", body)));
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const seen = await store.getBytes("race");
      assert.ok(bodies.some((body) => body.equals(seen)), "a read returns one whole version");
      reads++;
    }
    await writers;
    assert.ok(reads > 0);
  });

  it("is what the default configuration builds, under <dataDir>/objects", async () => {
    const dataDir = await tempDir();
    const store = createObjectStore({ dataDir, objectStorage: undefined });
    assert.ok(store instanceof LocalObjectStore);
    assert.equal(store.root, join(dataDir, "objects"));
    await store.put("x", "y");
    assert.deepEqual(await readdir(dataDir), ["objects"]);
  });
});
