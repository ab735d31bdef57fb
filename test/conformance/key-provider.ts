// One conformance suite every master-key provider runs (STYLE.md §8): the local key file and a
// PKCS#11 token behave the same to envelope encryption and to `basalt keys`. Wrapping bound to
// the key and context, rotation, KMS's state rules and their notifications, a second instance
// (another process) seeing every change, and envelope encryption failing closed when a key
// stops being usable. Call it from a provider's test file.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, it } from "node:test";
import { BasaltError } from "../../src/spec/errors.ts";
import { parseHeader } from "../../src/store/crypto/ciphertext-format.ts";
import { EnvelopeEncryption } from "../../src/store/crypto/envelope-encryption.ts";
import { FileWrappedKeyStore } from "../../src/store/crypto/file-wrapped-key-store.ts";
import type { KeyAdmin } from "../../src/store/crypto/key-admin.ts";
import type { KeyProvider } from "../../src/store/crypto/key-provider.ts";

/** The cases, by the name a `skip` entry uses. */
export type KeyProviderCase =
  | "wrapUnwrap"
  | "rotate"
  | "states"
  | "secondInstance"
  | "concurrentUse"
  | "disabledFailsClosed"
  | "pendingDeletion"
  | "disabledElsewhere"
  | "purge"
  | "masterRotation"
  | "newPrimary"
  | "staleCache"
  | "rewrapFailures";

/** Fresh master keys for one case, and a way to open them again as another process would. */
export interface KeyProviderHarness {
  /** The provider under test, with one ENABLED primary key and nothing cached across instances. */
  keys: KeyAdmin;
  /** Another instance over the same keys (no state shared in memory); `now` sets its clock. */
  reopen(options?: { now?: () => Date }): Promise<KeyAdmin>;
  /** Releases every instance this harness opened. */
  close(): Promise<void>;
}

/** Options of {@link keyProviderConformance}. */
export interface KeyProviderConformanceOptions {
  /** A harness over fresh keys, for each case; the suite closes it. */
  open: () => Promise<KeyProviderHarness>;
  /** Cases that cannot hold for this provider, each with the reason written down. */
  skip?: Partial<Record<KeyProviderCase, string>>;
}

/** A KEY_UNAVAILABLE error, as the API answers it (AccessDeniedException). */
export const unavailable = (error: unknown) => error instanceof BasaltError && error.code === "KEY_UNAVAILABLE" && error.name === "AccessDeniedException";

/** Every envelope operation of `enc` refuses to run. */
export async function assertFailsClosed(enc: EnvelopeEncryption, sealed: Buffer, accountId = "acct"): Promise<void> {
  await assert.rejects(enc.encrypt(accountId, "new", "ctx"), unavailable);
  await assert.rejects(enc.decrypt(accountId, sealed, "ctx"), unavailable);
  await assert.rejects(enc.encryptStream(accountId, Readable.from(["x"]), "ctx"), unavailable);
  await assert.rejects(enc.decryptStream(accountId, Readable.from([sealed]), "ctx"), unavailable);
}

/** Registers the conformance cases in the current describe block. */
export function keyProviderConformance(options: KeyProviderConformanceOptions): void {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  interface CaseContext {
    harness: KeyProviderHarness;
    keys: KeyAdmin;
    /** Wrapped data keys in a fresh directory. */
    store: FileWrappedKeyStore;
    /** Envelope encryption over `keys` (or `over`) and `store`, without a shared cache. */
    open(over?: KeyProvider): EnvelopeEncryption;
  }

  const test = (name: KeyProviderCase, title: string, body: (c: CaseContext) => Promise<void>): void => {
    it(`conformance: ${title}`, { skip: options.skip?.[name] ?? false }, async () => {
      const harness = await options.open();
      const dir = await mkdtemp(join(tmpdir(), "basalt-key-conf-"));
      dirs.push(dir);
      const store = new FileWrappedKeyStore(join(dir, "keys"));
      const opened: EnvelopeEncryption[] = [];
      const open = (over: KeyProvider = harness.keys) => {
        const enc = new EnvelopeEncryption({ keys: over, store });
        opened.push(enc);
        return enc;
      };
      try {
        await body({ harness, keys: harness.keys, store, open });
      } finally {
        for (const enc of opened) enc.close();
        await harness.close();
      }
    });
  };

  test("wrapUnwrap", "wraps and unwraps, bound to the key and the context", async ({ keys }) => {
    const keyId = await keys.primaryKeyId();
    const other = await keys.createKey();
    const dataKey = randomBytes(32);
    const context = { "basalt:account": "111122223333", "basalt:data-key-version": "1" };
    const wrapped = await keys.wrap(keyId, dataKey, context);
    assert.equal(wrapped.indexOf(dataKey), -1);
    assert.deepEqual(await keys.unwrap(keyId, wrapped, { ...context }), dataKey);
    assert.notDeepEqual(await keys.wrap(keyId, dataKey, context), wrapped, "each wrap uses a fresh IV");
    await assert.rejects(keys.unwrap(keyId, wrapped, { ...context, "basalt:account": "999999999999" }), unavailable);
    await assert.rejects(keys.unwrap(keyId, wrapped, { "basalt:account": "111122223333" }), unavailable);
    await assert.rejects(keys.unwrap(keyId, wrapped, { ...context, extra: "x" }), /did not authenticate/);
    await assert.rejects(keys.unwrap(other.keyId, wrapped, context), unavailable);
    await assert.rejects(keys.unwrap("no-such-key", wrapped, context), /does not exist/);
    await assert.rejects(keys.describe("no-such-key"), /does not exist/);
    await assert.rejects(keys.unwrap(keyId, wrapped.subarray(0, 10), context), /malformed/);
    const flipped = Buffer.from(wrapped);
    flipped[flipped.length - 1]! ^= 1;
    await assert.rejects(keys.unwrap(keyId, flipped, context), /did not authenticate/);
    const future = Buffer.from(wrapped);
    future.writeUInt32BE(9, 1);
    await assert.rejects(keys.unwrap(keyId, future, context), /Version 9 .* no longer exists/);
  });

  test("rotate", "rotates to a new current version while older versions keep unwrapping", async ({ keys }) => {
    const keyId = await keys.primaryKeyId();
    const wrappedV1 = await keys.wrap(keyId, Buffer.alloc(32, 7), {});
    assert.equal((await keys.rotate(keyId)).currentVersion, 2);
    assert.equal((await keys.describe(keyId)).currentVersion, 2);
    const wrappedV2 = await keys.wrap(keyId, Buffer.alloc(32, 7), {});
    assert.equal(wrappedV1.readUInt32BE(1), 1);
    assert.equal(wrappedV2.readUInt32BE(1), 2);
    assert.deepEqual(await keys.unwrap(keyId, wrappedV1, {}), Buffer.alloc(32, 7));
    assert.deepEqual(await keys.unwrap(keyId, wrappedV2, {}), Buffer.alloc(32, 7));
  });

  test("states", "follows KMS state rules and tells watchers about changes", async ({ keys }) => {
    const keyId = await keys.primaryKeyId();
    assert.deepEqual(await keys.describe(keyId), { keyId, state: "ENABLED", currentVersion: 1 });
    const seen: string[] = [];
    const stop = keys.watch!((id, state) => seen.push(`${id === keyId ? "primary" : id}:${state}`));
    assert.equal((await keys.disableKey(keyId)).state, "DISABLED");
    await assert.rejects(keys.wrap(keyId, randomBytes(32), {}), /disabled/);
    await assert.rejects(keys.rotate(keyId), unavailable);
    await keys.enableKey(keyId);
    await assert.rejects(keys.scheduleKeyDeletion(keyId, 3), /7 to 30 days/);
    await assert.rejects(keys.scheduleKeyDeletion(keyId, 31), /7 to 30 days/);
    const scheduled = await keys.scheduleKeyDeletion(keyId, 7);
    assert.equal(scheduled.state, "PENDING_DELETION");
    assert.ok(scheduled.deletionDate && Date.parse(scheduled.deletionDate) > Date.now() + 6 * 86_400_000);
    assert.equal((await keys.disableKey(keyId)).state, "PENDING_DELETION", "disabling does not cancel a deletion");
    await assert.rejects(keys.enableKey(keyId), /cancel the deletion/);
    await assert.rejects(keys.wrap(keyId, randomBytes(32), {}), /pending deletion/);
    const cancelled = await keys.cancelKeyDeletion(keyId);
    assert.deepEqual(cancelled, { keyId, state: "DISABLED", currentVersion: 1 });
    stop();
    await keys.enableKey(keyId);
    assert.deepEqual(seen, ["primary:DISABLED", "primary:ENABLED", "primary:PENDING_DELETION", "primary:DISABLED"]);
    const second = await keys.createKey();
    assert.equal(second.state, "ENABLED");
    await keys.disableKey(second.keyId);
    await assert.rejects(keys.setPrimaryKey(second.keyId), /disabled/);
    assert.deepEqual((await keys.listKeys()).map((k) => [k.keyId === keyId, k.state]), [[true, "ENABLED"], [false, "DISABLED"]]);
    await keys.enableKey(second.keyId);
    await keys.setPrimaryKey(second.keyId);
    assert.equal(await keys.primaryKeyId(), second.keyId);
    assert.deepEqual((await keys.listKeys()).map((k) => k.keyId), [second.keyId, keyId]);
  });

  test("secondInstance", "a second instance (another process) sees the keys and every state change", async ({ harness, keys }) => {
    const keyId = await keys.primaryKeyId();
    const other = await harness.reopen();
    assert.equal(await other.primaryKeyId(), keyId, "opening again does not make another primary key");
    assert.equal((await other.listKeys()).length, 1);
    const wrapped = await keys.wrap(keyId, Buffer.alloc(32, 1), { a: "b" });
    assert.deepEqual(await other.unwrap(keyId, wrapped, { a: "b" }), Buffer.alloc(32, 1));
    await keys.disableKey(keyId);
    assert.equal((await other.describe(keyId)).state, "DISABLED");
    await assert.rejects(other.unwrap(keyId, wrapped, { a: "b" }), unavailable);
    const heard: string[] = [];
    const stop = keys.watch!((id, state) => heard.push(`${id === keyId ? "primary" : id}:${state}`));
    await other.enableKey(keyId);
    assert.equal((await keys.describe(keyId)).state, "ENABLED");
    stop();
    assert.deepEqual(heard, ["primary:ENABLED"], "a change made elsewhere is told to watchers once it is read");
    await other.rotate(keyId);
    assert.equal((await keys.describe(keyId)).currentVersion, 2);
    assert.equal((await keys.wrap(keyId, Buffer.alloc(32, 1), {})).readUInt32BE(1), 2);
    const created = await other.createKey({ primary: true });
    assert.equal(await keys.primaryKeyId(), created.keyId);
  });

  test("concurrentUse", "serves many wraps and unwraps at once", async ({ keys }) => {
    const keyId = await keys.primaryKeyId();
    const dataKeys = Array.from({ length: 24 }, () => randomBytes(32));
    const wrapped = await Promise.all(dataKeys.map((k, i) => keys.wrap(keyId, k, { i: String(i) })));
    const [unwrapped, described] = await Promise.all([Promise.all(wrapped.map((w, i) => keys.unwrap(keyId, w, { i: String(i) }))), Promise.all(wrapped.map(() => keys.describe(keyId)))]);
    assert.deepEqual(unwrapped, dataKeys);
    assert.ok(described.every((d) => d.state === "ENABLED"));
  });

  test("disabledFailsClosed", "a disabled master key stops reads and writes at once, cached keys included; enabling restores both", async ({ keys, open }) => {
    const enc = open();
    const sealed = await enc.encrypt("acct", "hello", "ctx");
    assert.ok(enc.cachedKeyCount > 0);
    const primary = await keys.primaryKeyId();
    await keys.disableKey(primary);
    assert.equal(enc.cachedKeyCount, 0, "disabling clears the unwrapped keys from memory");
    await assertFailsClosed(enc, sealed);
    await assert.rejects(enc.decrypt("acct", sealed, "ctx"), /is disabled/);
    await keys.enableKey(primary);
    assert.equal((await enc.decrypt("acct", sealed, "ctx")).toString(), "hello");
    assert.equal((await enc.decrypt("acct", await enc.encrypt("acct", "again", "ctx"), "ctx")).toString(), "again");
  });

  test("pendingDeletion", "a key pending deletion fails closed; cancelling leaves it disabled until enabled", async ({ keys, open }) => {
    const enc = open();
    const sealed = await enc.encrypt("acct", "hello", "ctx");
    const primary = await keys.primaryKeyId();
    assert.equal((await keys.scheduleKeyDeletion(primary, 7)).state, "PENDING_DELETION");
    await assertFailsClosed(enc, sealed);
    await assert.rejects(enc.decrypt("acct", sealed, "ctx"), /pending deletion/);
    assert.equal((await keys.cancelKeyDeletion(primary)).state, "DISABLED");
    await assertFailsClosed(enc, sealed);
    await keys.enableKey(primary);
    assert.equal((await enc.decrypt("acct", sealed, "ctx")).toString(), "hello");
  });

  test("disabledElsewhere", "a key disabled by another process (an admin command) fails closed here too", async ({ harness, open }) => {
    const enc = open();
    const sealed = await enc.encrypt("acct", "hello", "ctx");
    const admin = await harness.reopen();
    const primary = await admin.primaryKeyId();
    await admin.disableKey(primary);
    await assertFailsClosed(enc, sealed);
    await admin.enableKey(primary);
    assert.equal((await enc.decrypt("acct", sealed, "ctx")).toString(), "hello");
  });

  test("purge", "destroys a key once its waiting period is over, never before, never the primary", async ({ harness, keys, open }) => {
    const enc = open();
    const sealed = await enc.encrypt("acct", "hello", "ctx");
    const old = await keys.primaryKeyId();
    assert.deepEqual(await keys.purgeDeletedKeys(), []);
    await keys.createKey({ primary: true });
    await keys.scheduleKeyDeletion(old, 7);
    assert.deepEqual(await keys.purgeDeletedKeys(), [], "not before the deletion date");
    const later = await harness.reopen({ now: () => new Date(Date.now() + 8 * 86_400_000) });
    const primary = await later.primaryKeyId();
    await later.scheduleKeyDeletion(primary, 7);
    const muchLater = await harness.reopen({ now: () => new Date(Date.now() + 16 * 86_400_000) });
    assert.deepEqual(await muchLater.purgeDeletedKeys(), [old], "the primary stays, even past its date");
    await assert.rejects(enc.decrypt("acct", sealed, "ctx"), /does not exist/);
    await assert.rejects(keys.describe(old), /does not exist/);
    assert.deepEqual((await keys.listKeys()).map((k) => k.keyId), [primary]);
  });

  test("masterRotation", "master rotation re-wraps every data key under the new version", async ({ keys, store, open }) => {
    const enc = open();
    const a = await enc.encrypt("acct-a", "alpha", "ctx");
    const b = await enc.encrypt("acct-b", "beta", "ctx");
    await enc.rotateDataKey("acct-b");
    const before = (await store.get("acct-a", 1))!.wrapped;
    assert.deepEqual(await enc.rotateMasterKey(), { rewrapped: 3, failed: [] });
    const rewrapped = (await store.get("acct-a", 1))!.wrapped;
    assert.notDeepEqual(rewrapped, before);
    assert.equal(rewrapped.readUInt32BE(1), 2, "the data key is now wrapped under version 2");
    assert.equal((await keys.describe(await keys.primaryKeyId())).currentVersion, 2);
    const fresh = open();
    assert.equal((await fresh.decrypt("acct-a", a, "ctx")).toString(), "alpha");
    assert.equal((await fresh.decrypt("acct-b", b, "ctx")).toString(), "beta");
  });

  test("newPrimary", "moves data keys to a new primary key; the old key can then be disabled", async ({ keys, open }) => {
    const enc = open();
    const old = await keys.primaryKeyId();
    const sealed = await enc.encrypt("acct", "moved", "ctx");
    const next = await keys.createKey({ primary: true });
    assert.deepEqual(await enc.rewrapDataKeys(), { rewrapped: 1, failed: [] });
    await keys.disableKey(old);
    assert.equal((await open().decrypt("acct", sealed, "ctx")).toString(), "moved");
    assert.equal(parseHeader(await enc.encrypt("acct", "x", "ctx"), true)!.header.masterKeyId, next.keyId);
  });

  test("staleCache", "a process whose cache predates another's re-wrap keeps working once the old key is disabled", async ({ keys, open }) => {
    // Like a key service, this provider cannot push state changes, so nothing clears enc's cache.
    const silent: KeyProvider = {
      primaryKeyId: () => keys.primaryKeyId(),
      describe: (id) => keys.describe(id),
      wrap: (id, key, context) => keys.wrap(id, key, context),
      unwrap: (id, wrapped, context) => keys.unwrap(id, wrapped, context),
      rotate: (id) => keys.rotate(id),
    };
    const enc = open(silent);
    const sealed = await enc.encrypt("acct", "cached", "ctx");
    const old = await keys.primaryKeyId();
    await keys.createKey({ primary: true });
    await open().rewrapDataKeys(); // "another process": enc's cache still says `old`
    await keys.disableKey(old);
    assert.equal(enc.cachedKeyCount, 1);
    assert.equal((await enc.decrypt("acct", sealed, "ctx")).toString(), "cached");
    // Its cache now holds the key under the new primary; disabling that one still fails closed at once.
    await keys.disableKey(await keys.primaryKeyId());
    await assertFailsClosed(enc, sealed);
  });

  test("rewrapFailures", "reports data keys it cannot re-wrap and leaves them as they were", async ({ keys, store, open }) => {
    const enc = open();
    await enc.encrypt("acct", "x", "ctx");
    const old = await keys.primaryKeyId();
    const before = (await store.get("acct", 1))!.wrapped;
    await keys.createKey({ primary: true });
    await keys.disableKey(old);
    const report = await enc.rewrapDataKeys();
    assert.equal(report.rewrapped, 0);
    assert.equal(report.failed.length, 1);
    assert.match(report.failed[0]!.reason, /disabled/);
    assert.deepEqual((await store.get("acct", 1))!.wrapped, before);
  });
}
