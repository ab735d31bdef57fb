// Wrapped data keys in the metadata database, on SQLite and PostgreSQL: the key store contract
// (versions, exclusive inserts under a race, replace never creates), content sealed on one node
// opening on another, master-key rotation over it, and the one-time import of a node's key files.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { describeEachEngine } from "../../../test/conformance/engines.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { Database } from "../db/database.ts";
import { migrate } from "../db/migrate.ts";
import { openDatabase } from "../db/open-database.ts";
import { DbWrappedKeyStore } from "./db-wrapped-key-store.ts";
import { EnvelopeEncryption } from "./envelope-encryption.ts";
import { FileWrappedKeyStore } from "./file-wrapped-key-store.ts";
import { LocalKeyProvider } from "./local-key-provider.ts";
import type { WrappedDataKey } from "./wrapped-key-store.ts";

let accounts = 0;
const account = () => `acct-${++accounts}-${randomBytes(3).toString("hex")}`;
const record = (accountId: string, version: number): WrappedDataKey => ({
  accountId,
  version,
  keyId: randomBytes(8).toString("hex"),
  masterKeyId: "mk",
  wrapped: randomBytes(65),
  createdAt: new Date().toISOString(),
});

describeEachEngine("DbWrappedKeyStore", (target) => {
  let db: Database;
  let other: Database;
  let dir: string;
  let keys: LocalKeyProvider;

  before(async () => {
    db = openDatabase({ url: target.url() });
    other = target.dialect === "postgres" ? openDatabase({ url: target.url() }) : db;
    await migrate(db);
    dir = mkdtempSync(join(tmpdir(), "basalt-dbkeys-"));
    // The master key file every node mounts.
    keys = await LocalKeyProvider.open({ path: join(dir, "master.key"), reloadIntervalMs: 0 });
  });
  after(async () => {
    if (other !== db) await other.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores versions, returns the newest by default, lists them, and lets one of racing inserts win", async () => {
    const store = new DbWrappedKeyStore({ db });
    const a = account();
    assert.equal(await store.get(a), undefined);
    const [v1, v2] = [record(a, 1), record(a, 2)];
    await store.insert(v2);
    await store.insert(v1);
    assert.deepEqual(await store.get(a), v2);
    assert.deepEqual(await store.get(a, 1), v1);
    const listed: string[] = [];
    for await (const ref of store.list()) if (ref.accountId === a) listed.push(`${ref.version}`);
    assert.deepEqual(listed, ["1", "2"]);
    const racer = account();
    const stores = [store, new DbWrappedKeyStore({ db: other })];
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => stores[i % 2]!.insert(record(racer, 1))));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) if (r.status === "rejected") assert.equal((r.reason as BasaltError).code, "CONFLICT");
    const rewrapped = { ...v1, masterKeyId: "mk-2", wrapped: randomBytes(65) };
    await store.replace(rewrapped);
    assert.deepEqual(await store.get(a, 1), rewrapped);
    await assert.rejects(store.replace(record(a, 3)), (e: unknown) => e instanceof BasaltError && e.code === "KEY_UNAVAILABLE");
  });

  it("content sealed on one node opens on another, and survives a master-key rotation done by either", async () => {
    const nodeA = new EnvelopeEncryption({ keys, store: new DbWrappedKeyStore({ db }) });
    const nodeB = new EnvelopeEncryption({ keys, store: new DbWrappedKeyStore({ db: other }) });
    const a = account();
    const sealed = await nodeA.encrypt(a, "written on node A", "ctx");
    assert.equal((await nodeB.decrypt(a, sealed, "ctx")).toString(), "written on node A");
    const report = await nodeB.rotateMasterKey();
    // The first case's made-up records (master key "mk") cannot be re-wrapped; this account's key is.
    assert.deepEqual(report.failed.filter((f) => f.accountId === a), []);
    assert.ok(report.rewrapped >= 1);
    nodeA.clearCache();
    assert.equal((await nodeA.decrypt(a, sealed, "ctx")).toString(), "written on node A");
    nodeA.close();
    nodeB.close();
  });

  it("imports a node's key files once, so what it sealed before stays readable, and reports a conflicting key", async () => {
    const a = account();
    const files = new FileWrappedKeyStore(join(dir, `keys-${a}`));
    const before = new EnvelopeEncryption({ keys, store: files });
    const sealed = await before.encrypt(a, "sealed while keys were files", "ctx");
    before.close();
    // Another node already holds a different version 1 for a second account.
    const b = account();
    await new DbWrappedKeyStore({ db }).insert(record(b, 1));
    await files.insert(record(b, 1));
    const conflicts: string[] = [];
    const shared = new DbWrappedKeyStore({ db, importFrom: files, onConflict: (ref) => conflicts.push(`${ref.accountId}/${ref.version}`) });
    const after = new EnvelopeEncryption({ keys, store: shared });
    assert.equal((await after.decrypt(a, sealed, "ctx")).toString(), "sealed while keys were files");
    // The other node, reading the database only, opens it too.
    const elsewhere = new EnvelopeEncryption({ keys, store: new DbWrappedKeyStore({ db: other }) });
    assert.equal((await elsewhere.decrypt(a, sealed, "ctx")).toString(), "sealed while keys were files");
    assert.deepEqual(conflicts, [`${b}/1`]);
    after.close();
    elsewhere.close();
  });
});
