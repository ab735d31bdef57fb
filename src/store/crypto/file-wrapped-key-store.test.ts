// The file-backed wrapped-key store: versions, exclusive inserts, replace, listing, odd account
// ids kept inside the store's folder, and records that do not belong where they lie.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BasaltError } from "../../spec/errors.ts";
import { FileWrappedKeyStore } from "./file-wrapped-key-store.ts";
import type { WrappedDataKey } from "./wrapped-key-store.ts";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function newStore(): Promise<{ store: FileWrappedKeyStore; dir: string }> {
  const root = await mkdtemp(join(tmpdir(), "basalt-wks-"));
  dirs.push(root);
  const dir = join(root, "keys");
  return { store: new FileWrappedKeyStore(dir), dir };
}

function record(accountId: string, version: number): WrappedDataKey {
  return { accountId, version, keyId: randomBytes(8).toString("hex"), masterKeyId: "mk", wrapped: randomBytes(65), createdAt: new Date().toISOString() };
}

describe("FileWrappedKeyStore", () => {
  it("stores versions, returns the newest by default, and lists everything", async () => {
    const { store } = await newStore();
    assert.equal(await store.get("a"), undefined);
    const [a1, a2, b1] = [record("a", 1), record("a", 2), record("b", 1)];
    for (const r of [a1, b1, a2]) await store.insert(r);
    assert.deepEqual(await store.get("a"), a2);
    assert.deepEqual(await store.get("a", 1), a1);
    assert.equal(await store.get("a", 3), undefined);
    const all: string[] = [];
    for await (const r of store.list()) all.push(`${r.accountId}/${r.version}`);
    assert.deepEqual(all.sort(), ["a/1", "a/2", "b/1"]);
  });

  it("refuses to insert a version twice, even when writers race", async () => {
    const { store } = await newStore();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => store.insert(record("a", 1))));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) if (r.status === "rejected") assert.equal((r.reason as BasaltError).code, "CONFLICT");
  });

  it("replaces an existing version's wrapping but never creates one", async () => {
    const { store } = await newStore();
    const a1 = record("a", 1);
    await store.insert(a1);
    const rewrapped = { ...a1, masterKeyId: "mk-2", wrapped: randomBytes(65) };
    await store.replace(rewrapped);
    assert.deepEqual(await store.get("a", 1), rewrapped);
    await assert.rejects(store.replace(record("a", 2)), (e: unknown) => e instanceof BasaltError && e.code === "KEY_UNAVAILABLE");
  });

  it("keeps odd account ids inside its folder and reads them back", async () => {
    const { store, dir } = await newStore();
    for (const id of ["../escape", "a/b", ".", "ünï", "%41"]) {
      await store.insert(record(id, 1));
      assert.equal((await store.get(id))!.accountId, id);
    }
    const folders = await readdir(dir);
    assert.ok(folders.every((f) => /^[A-Za-z0-9_%-]+$/.test(f)), folders.join(" "));
    const listed: string[] = [];
    for await (const r of store.list()) listed.push(r.accountId);
    assert.deepEqual(listed.sort(), ["%41", ".", "../escape", "a/b", "ünï"].sort());
    await assert.rejects(store.get(""), (e: unknown) => e instanceof BasaltError && e.code === "VALIDATION");
  });

  it("rejects a record that is corrupt or lies in another account's place", async () => {
    const { store, dir } = await newStore();
    await store.insert(record("a", 1));
    await store.insert(record("b", 1));
    const unavailable = (e: unknown) => e instanceof BasaltError && e.code === "KEY_UNAVAILABLE";
    await writeFile(join(dir, "b", "1.json"), await readFile(join(dir, "a", "1.json")));
    await assert.rejects(store.get("b", 1), unavailable);
    await writeFile(join(dir, "a", "1.json"), "{ torn");
    await assert.rejects(store.get("a"), unavailable);
  });
});
