// The shared SigV4 replay guard, on SQLite and PostgreSQL: two nodes (each its own guard and, on
// PostgreSQL, its own connection pool) refuse a signature the other accepted, exactly one of
// many concurrent uses wins, rows expire with the skew window and are swept, and a request
// signed by the AWS SDK's signer is accepted by one node's verifier and refused by the other's.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { describeEachEngine } from "../../test/conformance/engines.ts";
import type { Database } from "../store/db/database.ts";
import { migrate } from "../store/db/migrate.ts";
import { openDatabase } from "../store/db/open-database.ts";
import { DbReplayCache, replayGuardFor } from "./db-replay-cache.ts";
import { ReplayCache } from "./replay-cache.ts";
import { SigV4Verifier, type AuthRequest } from "./sigv4.ts";

const KEY = { accessKeyId: "BKIATESTTESTTEST0001", secretAccessKey: "s3cr3t/KEY+with/symbols0123456789abcdefgh" };

async function signed(at: number): Promise<AuthRequest> {
  const signer = new SignatureV4({ credentials: KEY, region: "us-east-1", service: "bedrock", sha256: Hash.bind(null, "sha256") });
  const path = "/model/mock.echo/converse";
  const body = JSON.stringify({ messages: [{ role: "user", content: [{ text: "Hello" }] }] });
  const request = { method: "POST", protocol: "http:", hostname: "127.0.0.1", port: 8080, path, query: {}, headers: { host: "127.0.0.1:8080", "content-type": "application/json" }, body };
  const out = await signer.sign(request as never, { signingDate: new Date(at), unsignableHeaders: new Set<string>() });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(out.headers)) headers[name.toLowerCase()] = String(value);
  return { method: "POST", url: path, headers, body: Buffer.from(body) };
}

describeEachEngine("shared SigV4 replay guard", (target) => {
  let db: Database;
  let other: Database; // the second node's connections (SQLite: one handle per process, see database.ts)
  let now = Date.UTC(2026, 0, 5, 12, 0, 0);
  const clock = () => now;

  before(async () => {
    db = openDatabase({ url: target.url() });
    other = target.dialect === "postgres" ? openDatabase({ url: target.url() }) : db;
    await migrate(db);
  });
  after(async () => {
    if (other !== db) await other.close();
    await db.close();
  });

  it("a signature one node accepted is a replay on the other, until it expires", async () => {
    const a = new DbReplayCache({ db, now: clock });
    const b = new DbReplayCache({ db: other, now: clock });
    assert.equal(await a.checkAndRecord("sig-1", now + 1000), false);
    assert.equal(await b.checkAndRecord("sig-1", now + 1000), true);
    assert.equal(await a.checkAndRecord("sig-1", now + 1000), true);
    assert.equal(await b.checkAndRecord("sig-2", now + 1000), false);
    now += 1000; // expired: remembered no longer, as the in-memory cache forgets it
    assert.equal(await b.checkAndRecord("sig-1", now + 1000), false);
    assert.equal(await a.checkAndRecord("sig-1", now + 1000), true);
    await Promise.all([a.close(), b.close()]);
  });

  it("exactly one of many concurrent uses of a signature wins, across nodes", async () => {
    const nodes = [new DbReplayCache({ db, now: clock }), new DbReplayCache({ db: other, now: clock })];
    for (let round = 0; round < 5; round++) {
      const outcomes = await Promise.all(Array.from({ length: 16 }, (_, i) => nodes[i % 2]!.checkAndRecord(`race-${round}`, now + 60_000)));
      assert.equal(outcomes.filter((replay) => !replay).length, 1, `round ${round}: ${outcomes.join(",")}`);
    }
  });

  it("stores only hashes, and sweeps expired rows", async () => {
    const guard = new DbReplayCache({ db, now: clock, sweepIntervalMs: 1 });
    await guard.checkAndRecord("plain-signature-abc", now + 10);
    await guard.checkAndRecord("long-lived", now + 1_000_000);
    const stored = await db.query<{ signature_hash: string }>("SELECT signature_hash FROM sigv4_replay");
    assert.ok(stored.every((row) => /^[0-9a-f]{64}$/.test(row.signature_hash)));
    now += 100;
    assert.ok((await guard.sweep()) >= 1);
    const left = await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM sigv4_replay WHERE expires_at <= $1", [now]);
    assert.equal(Number(left[0]!.n), 0);
    assert.equal(await guard.checkAndRecord("long-lived", now + 1_000_000), true, "unexpired rows stay");
    await guard.close();
  });

  it("behind two verifiers, a request signed by the AWS SDK is accepted once and refused as replayed on the other node", async () => {
    const verifier = (database: Database) =>
      new SigV4Verifier({ region: "us-east-1", lookupSecret: () => KEY.secretAccessKey, now: clock, replayGuard: replayGuardFor(database, { now: clock }) });
    const [first, second] = [verifier(db), verifier(other)];
    const request = await signed(now);
    if (target.dialect === "sqlite") {
      // One node on SQLite keeps the in-memory cache: no I/O per request.
      assert.ok(replayGuardFor(db) instanceof ReplayCache);
      return;
    }
    assert.equal((await first.verify(request)).ok, true);
    const replayed = await second.verify(request);
    assert.equal(replayed.ok, false);
    if (!replayed.ok) assert.deepEqual([replayed.reason, replayed.error.name], ["replayed", "InvalidSignatureException"]);
    assert.equal((await second.verify(await signed(now + 1000))).ok, true, "a fresh signature passes");
  });
});
