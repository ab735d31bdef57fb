// Job content encrypted at rest, on SQLite and PostgreSQL: payloads, progress, results and
// failure reasons holding a unique marker are not findable in the stored rows (nor, on SQLite,
// in any byte of the database's files), while the queue's callers see them unchanged; a
// disabled master key makes jobs unreadable with AccessDeniedException (KEY_UNAVAILABLE).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, afterEach, before, it } from "node:test";
import { describeEachEngine } from "../../test/conformance/engines.ts";
import { waitFor, waitForFinal } from "../../test/conformance/job-queue.ts";
import { BasaltError } from "../spec/errors.ts";
import { holdsMarker, scanForMarker } from "../store/crypto/at-rest-scan.fixture.ts";
import { DbWrappedKeyStore } from "../store/crypto/db-wrapped-key-store.ts";
import { EnvelopeEncryption } from "../store/crypto/envelope-encryption.ts";
import { FileWrappedKeyStore } from "../store/crypto/file-wrapped-key-store.ts";
import { LocalKeyProvider } from "../store/crypto/local-key-provider.ts";
import type { Database } from "../store/db/database.ts";
import { migrate } from "../store/db/migrate.ts";
import { openDatabase } from "../store/db/open-database.ts";
import { JobQueue, type JobQueueOptions } from "./job-queue.ts";

const ACCOUNT = "111122223333";
const unavailable = (error: unknown) => error instanceof BasaltError && error.code === "KEY_UNAVAILABLE" && error.name === "AccessDeniedException";

describeEachEngine("job content encrypted at rest", (target) => {
  let db: Database;
  let keyDir: string;
  let keys: LocalKeyProvider;
  let encryption: EnvelopeEncryption;
  const queues: JobQueue[] = [];
  const queue = (options: Partial<JobQueueOptions> = {}) => {
    const q = new JobQueue({ db, encryption, pollIntervalMs: 20, leaseMs: 2000, retryBaseMs: 50, onError: (e) => assert.fail(String(e)), ...options });
    queues.push(q);
    return q;
  };
  /** Every content column of every job row, as stored. */
  const storedContent = async () =>
    (await db.query<Record<string, string | null>>("SELECT payload, result, progress, failure_reason FROM jobs")).flatMap((row) => Object.values(row).filter((v): v is string => v !== null));

  before(async () => {
    db = openDatabase({ url: target.url() });
    await migrate(db);
    keyDir = mkdtempSync(join(tmpdir(), "basalt-job-keys-"));
    keys = await LocalKeyProvider.open({ path: join(keyDir, "master.key"), reloadIntervalMs: 0 });
    encryption = new EnvelopeEncryption({ keys, store: new FileWrappedKeyStore(join(keyDir, "keys")) });
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.close({ graceMs: 0 })));
    for (const key of await keys.listKeys()) if (key.state === "DISABLED") await keys.enableKey(key.keyId);
  });
  after(async () => {
    encryption.close();
    await db.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it("payload, progress, result and failure reason are sealed in the table and read back unchanged", async () => {
    const marker = `job-marker-${randomUUID()}`;
    const q = queue();
    q.register<{ secret: string }, { summary: string }>("enc-ok", async ({ payload, progress }) => {
      await progress({ completed: 1, total: 2, message: `reading ${payload.secret}` });
      return { summary: `done with ${payload.secret}` };
    });
    q.register<{ secret: string }, never>("enc-fail", async ({ payload }) => {
      throw new BasaltError("VALIDATION", `cannot parse ${payload.secret}`);
    });
    q.start();
    const ok = (await q.create({ type: "enc-ok", accountId: ACCOUNT, payload: { secret: marker }, clientToken: "tok-1" })).job;
    const bad = (await q.create({ type: "enc-fail", accountId: ACCOUNT, payload: { secret: marker } })).job;
    const done = await waitForFinal(q, ok);
    const failed = await waitForFinal(q, bad);
    assert.deepEqual([done.state, done.payload, done.result, done.progress], ["COMPLETE", { secret: marker }, { summary: `done with ${marker}` }, { completed: 1, total: 2, message: `reading ${marker}` }]);
    assert.deepEqual([failed.state, failed.failureReason], ["FAILED", `cannot parse ${marker}`]);
    // Idempotency still compares the decrypted payloads.
    assert.equal((await q.create({ type: "enc-ok", accountId: ACCOUNT, payload: { secret: marker }, clientToken: "tok-1" })).created, false);
    await assert.rejects(q.create({ type: "enc-ok", accountId: ACCOUNT, payload: { secret: "other" }, clientToken: "tok-1" }), { code: "CONFLICT" });
    assert.deepEqual((await q.list(ACCOUNT)).map((j) => j.payload), [{ secret: marker }, { secret: marker }]);

    const stored = await storedContent();
    assert.ok(stored.length >= 5, `content columns: ${stored.length}`);
    assert.ok(stored.every((value) => value.startsWith("bslt:")), "every content value is sealed");
    assert.ok(!stored.some((value) => holdsMarker(value, marker)), "the marker is in no stored value");

    // The control: a queue without encryption stores the marker where the same checks find it.
    const plainMarker = `plain-marker-${randomUUID()}`;
    await queue({ encryption: undefined }).create({ type: "enc-plain", accountId: ACCOUNT, payload: { secret: plainMarker } });
    assert.ok((await storedContent()).some((value) => holdsMarker(value, plainMarker)));
    if (target.dialect === "sqlite") {
      // Every byte of the database's files: main file, write-ahead log and shared memory.
      const dir = dirname(target.url().slice("sqlite:".length));
      const scan = await scanForMarker(dir, marker);
      assert.deepEqual(scan.hits, []);
      assert.ok(scan.filesScanned >= 2 && scan.bytesScanned > 0);
      assert.ok((await scanForMarker(dir, plainMarker)).hits.length > 0, "the scan finds what was stored in the clear");
    }
    await db.execute("DELETE FROM jobs WHERE type = 'enc-plain'");
  });

  it("a disabled master key fails reads closed, fails a claimed job with the reason, and re-enabling restores access", async () => {
    const q = queue();
    const created = (await q.create({ type: "enc-later", accountId: ACCOUNT, payload: { n: 1 } })).job;
    const primary = await keys.primaryKeyId();
    await keys.disableKey(primary);
    await assert.rejects(q.get(ACCOUNT, created.id), unavailable);
    await assert.rejects(q.list(ACCOUNT), unavailable);
    await assert.rejects(q.create({ type: "enc-later", accountId: ACCOUNT, payload: { n: 2 } }), unavailable);
    // A worker that claims the job cannot open its payload: the job fails at once, with the reason, never running.
    let ran = false;
    q.register("enc-later", async () => void (ran = true));
    q.start();
    const row = await waitFor(
      () => db.query<{ state: string; failure_reason: string | null }>("SELECT state, failure_reason FROM jobs WHERE id = $1", [created.id]),
      (rows) => rows[0]?.state === "FAILED",
    );
    assert.match(row[0]!.failure_reason!, /stored data could not be read: .*disabled/);
    assert.equal(ran, false);
    await keys.enableKey(primary);
    const failed = (await q.get(ACCOUNT, created.id))!;
    assert.deepEqual([failed.state, failed.payload], ["FAILED", { n: 1 }]);
    assert.match(failed.failureReason!, /disabled/);
  });

  it("sealed content does not open under another job, and a queue without encryption refuses it", async () => {
    const q = queue();
    const a = (await q.create({ type: "enc-move", accountId: ACCOUNT, payload: { owner: "a" } })).job;
    const b = (await q.create({ type: "enc-move", accountId: ACCOUNT, payload: { owner: "b" } })).job;
    await db.execute("UPDATE jobs SET payload = (SELECT payload FROM jobs WHERE id = $1) WHERE id = $2", [a.id, b.id]);
    await assert.rejects(q.get(ACCOUNT, b.id), (e: unknown) => e instanceof BasaltError && e.code === "INTERNAL" && /integrity/.test(e.message));
    assert.deepEqual((await q.get(ACCOUNT, a.id))!.payload, { owner: "a" });
    await assert.rejects(queue({ encryption: undefined }).get(ACCOUNT, a.id), (e: unknown) => unavailable(e) && /without encryption/.test((e as Error).message));
    await db.execute("DELETE FROM jobs WHERE type = 'enc-move'");
  });

  it("a job sealed on one node runs on another when the nodes share wrapped keys through the database", async () => {
    const node = (store: ConstructorParameters<typeof EnvelopeEncryption>[0]["store"]) => new EnvelopeEncryption({ keys, store });
    const [sealing, running] = [node(new DbWrappedKeyStore({ db })), node(new DbWrappedKeyStore({ db }))];
    // Keys kept in each node's own directory would not do: the other node makes a key of its own.
    const isolated = node(new FileWrappedKeyStore(join(keyDir, "other-node-keys")));
    const account = `acct-${randomUUID().slice(0, 8)}`;
    const created = (await queue({ encryption: sealing }).create({ type: "enc-nodes", accountId: account, payload: { step: "sealed on A" } })).job;
    await assert.rejects(queue({ encryption: isolated }).get(account, created.id), unavailable);
    const worker = queue({ encryption: running });
    worker.register<{ step: string }, string>("enc-nodes", async ({ payload }) => `${payload.step}, run on B`);
    worker.start();
    assert.equal((await waitForFinal(worker, created)).result, "sealed on A, run on B");
    for (const enc of [sealing, running, isolated]) enc.close();
  });
});
