// Rotation of master and data keys, and failing closed, where a key file or the wrapped-key store
// is involved: material retired or a key file edited away by hand, a wrapped key missing or
// corrupt. What every master-key provider must do (states, re-wrapping, other processes) is the
// shared suite in test/conformance/key-provider.ts, run by each provider's test file.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseHeader } from "./ciphertext-format.ts";
import { EnvelopeEncryption } from "./envelope-encryption.ts";
import { FileWrappedKeyStore } from "./file-wrapped-key-store.ts";
import { LocalKeyProvider } from "./local-key-provider.ts";
import { assertFailsClosed, unavailable } from "../../../test/conformance/key-provider.ts";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function setup() {
  const dataDir = await mkdtemp(join(tmpdir(), "basalt-keys-"));
  dirs.push(dataDir);
  const keyFile = join(dataDir, "master.key");
  const keys = await LocalKeyProvider.open({ path: keyFile, reloadIntervalMs: 0 });
  const store = new FileWrappedKeyStore(join(dataDir, "keys"));
  const open = () => new EnvelopeEncryption({ keys, store });
  return { dataDir, keyFile, keys, store, enc: open(), open };
}


describe("data key rotation", () => {
  it("new writes use the new version; every old version still decrypts", async () => {
    const { enc, open } = await setup();
    const v1 = await enc.encrypt("acct", "written under v1", "ctx");
    assert.equal(await enc.rotateDataKey("acct"), 2);
    const v2 = await enc.encrypt("acct", "written under v2", "ctx");
    assert.equal(await enc.rotateDataKey("acct"), 3);
    assert.equal(parseHeader(v1, true)!.header.dataKeyVersion, 1);
    assert.equal(parseHeader(v2, true)!.header.dataKeyVersion, 2);
    assert.equal(parseHeader(await enc.encrypt("acct", "v3", "ctx"), true)!.header.dataKeyVersion, 3);
    const fresh = open(); // nothing cached: everything comes from the store
    assert.equal((await fresh.decrypt("acct", v1, "ctx")).toString(), "written under v1");
    assert.equal((await fresh.decrypt("acct", v2, "ctx")).toString(), "written under v2");
    assert.equal(parseHeader(await fresh.encrypt("acct", "x", "ctx"), true)!.header.dataKeyVersion, 3);
  });
});

describe("master key rotation", () => {
  it("re-wraps data keys under the new version, so the old material can be retired", async () => {
    const { enc, keys, keyFile, store, open } = await setup();
    const a = await enc.encrypt("acct-a", "alpha", "ctx");
    const b = await enc.encrypt("acct-b", "beta", "ctx");
    await enc.rotateDataKey("acct-b");
    const before = (await store.get("acct-a", 1))!.wrapped;
    const report = await enc.rotateMasterKey();
    assert.deepEqual(report, { rewrapped: 3, failed: [] });
    const after = (await store.get("acct-a", 1))!.wrapped;
    assert.notDeepEqual(after, before);
    const primary = await keys.primaryKeyId();
    assert.equal((await keys.describe(primary)).currentVersion, 2);
    // Retire version 1 of the master key by hand: content is still readable, so no data key needs it.
    const file = JSON.parse(await readFile(keyFile, "utf8"));
    file.keys[0].versions = file.keys[0].versions.filter((v: { version: number }) => v.version !== 1);
    await writeFile(keyFile, JSON.stringify(file));
    const fresh = open();
    assert.equal((await fresh.decrypt("acct-a", a, "ctx")).toString(), "alpha");
    assert.equal((await fresh.decrypt("acct-b", b, "ctx")).toString(), "beta");
  });

  it("goes on past a corrupt data key and reports it", async () => {
    const { enc, dataDir } = await setup();
    await enc.encrypt("broken", "x", "ctx");
    const sealed = await enc.encrypt("healthy", "fine", "ctx");
    await writeFile(join(dataDir, "keys", "broken", "1.json"), "garbage");
    const report = await enc.rewrapDataKeys();
    assert.equal(report.rewrapped, 1);
    assert.deepEqual(report.failed.map((f) => [f.accountId, f.version]), [["broken", 1]]);
    assert.equal((await enc.decrypt("healthy", sealed, "ctx")).toString(), "fine");
  });
});

describe("failing closed", () => {
  it("a key file that is gone or corrupt makes content unreadable until it is back", async () => {
    const { enc, keyFile } = await setup();
    const sealed = await enc.encrypt("acct", "hello", "ctx");
    const text = await readFile(keyFile, "utf8");
    await writeFile(keyFile, "{ not json");
    await assertFailsClosed(enc, sealed);
    await unlink(keyFile);
    await assertFailsClosed(enc, sealed);
    await writeFile(keyFile, text);
    assert.equal((await enc.decrypt("acct", sealed, "ctx")).toString(), "hello");
  });

  it("a missing or corrupt wrapped data key fails closed; nothing falls back to plaintext", async () => {
    const { enc, dataDir, open } = await setup();
    const sealed = await enc.encrypt("acct", "hello", "ctx");
    const path = join(dataDir, "keys", "acct", "1.json");
    const record = JSON.parse(await readFile(path, "utf8"));
    const wrapped = Buffer.from(record.wrapped, "base64");
    wrapped[wrapped.length - 1]! ^= 1;
    await writeFile(path, JSON.stringify({ ...record, wrapped: wrapped.toString("base64") }));
    await assertFailsClosed(open(), sealed);
    await writeFile(path, "garbage");
    await assertFailsClosed(open(), sealed);
    await unlink(path);
    const fresh = open();
    await assert.rejects(fresh.decrypt("acct", sealed, "ctx"), /missing from the key store/);
    // New writes get a new key; the old content stays unreadable rather than decrypting wrongly.
    await fresh.encrypt("acct", "new", "ctx");
    await assert.rejects(fresh.decrypt("acct", sealed, "ctx"), /not the key this content was written with/);
  });

  it("a wrapped data key copied to another account does not unwrap there", async () => {
    const { enc, dataDir, open } = await setup();
    const sealed = await enc.encrypt("victim", "hello", "ctx");
    const record = JSON.parse(await readFile(join(dataDir, "keys", "victim", "1.json"), "utf8"));
    await enc.encrypt("thief", "x", "ctx"); // creates the thief's folder and key
    await writeFile(join(dataDir, "keys", "thief", "1.json"), JSON.stringify({ ...record, accountId: "thief" }));
    await assert.rejects(open().decrypt("thief", sealed, "ctx"), unavailable);
  });
});
