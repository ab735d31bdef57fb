// RetrieveAndGenerate sessions on SQLite and PostgreSQL (a configured server, and always PGlite):
// turns come back in order, sessions expire after their TTL, another account's id is refused
// like an unknown one, a retried append adds nothing, and turn text is encrypted at rest.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { describeEachEngine } from "../../../test/conformance/engines.ts";
import { startPglite, type PgliteServer } from "../../../test/helpers/pglite.ts";
import { EnvelopeEncryption } from "../../store/crypto/envelope-encryption.ts";
import { FileWrappedKeyStore } from "../../store/crypto/file-wrapped-key-store.ts";
import { LocalKeyProvider } from "../../store/crypto/local-key-provider.ts";
import type { Database } from "../../store/db/database.ts";
import { migrate } from "../../store/db/migrate.ts";
import { openDatabase } from "../../store/db/open-database.ts";
import { DbRagSessionStore } from "./session-store.ts";

const ALICE = "111111111111";
const BOB = "222222222222";
const invalid = { name: "ValidationException", message: /Session with Id .* is not valid/ };

function sessionSuite(open: () => Promise<Database>): void {
  let db: Database;
  let keyDir: string;
  let encryption: EnvelopeEncryption;
  let now = 1_700_000_000_000;
  const store = (options: { ttlMs?: number; historyTurns?: number } = {}) => new DbRagSessionStore({ db, encryption, now: () => now, ...options });

  before(async () => {
    db = await open();
    await migrate(db);
    keyDir = mkdtempSync(join(tmpdir(), "basalt-session-keys-"));
    const keys = await LocalKeyProvider.open({ path: join(keyDir, "master.key"), reloadIntervalMs: 0 });
    encryption = new EnvelopeEncryption({ keys, store: new FileWrappedKeyStore(join(keyDir, "keys")) });
  });
  after(async () => {
    encryption.close();
    await db.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it("creates sessions with UUIDs and returns their turns oldest first", async () => {
    const sessions = store();
    const id = await sessions.create(ALICE);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(await sessions.open(ALICE, id), []);
    // Same millisecond on purpose: order must not depend on the clock moving.
    await sessions.append(ALICE, id, { question: "Where is the office?", answer: "In Lyon.", requestId: "r-b" });
    await sessions.append(ALICE, id, { question: "Since when?", answer: "Since 2019.", requestId: "r-a" });
    assert.deepEqual(await sessions.open(ALICE, id), [
      { question: "Where is the office?", answer: "In Lyon." },
      { question: "Since when?", answer: "Since 2019." },
    ]);
  });

  it("keeps only the most recent turns for the prompt", async () => {
    const sessions = store({ historyTurns: 2 });
    const id = await sessions.create(ALICE);
    for (let n = 1; n <= 4; n++) await sessions.append(ALICE, id, { question: `q${n}`, answer: `a${n}`, requestId: `r${n}` });
    assert.deepEqual((await sessions.open(ALICE, id)).map((t) => t.question), ["q3", "q4"]);
  });

  it("ignores a retried append of the same request", async () => {
    const sessions = store();
    const id = await sessions.create(ALICE);
    await sessions.append(ALICE, id, { question: "q", answer: "a", requestId: "same" });
    await sessions.append(ALICE, id, { question: "q", answer: "a", requestId: "same" });
    assert.equal((await sessions.open(ALICE, id)).length, 1);
  });

  it("refuses another account's session exactly like an unknown one", async () => {
    const sessions = store();
    const id = await sessions.create(ALICE);
    await assert.rejects(sessions.open(BOB, id), invalid);
    await assert.rejects(sessions.append(BOB, id, { question: "q", answer: "a", requestId: "x" }), invalid);
    await assert.rejects(sessions.open(ALICE, randomUUID()), invalid);
    assert.deepEqual(await sessions.open(ALICE, id), [], "Bob's attempt added nothing");
  });

  it("expires a session its TTL after its last use, and sweeps it", async () => {
    const sessions = store({ ttlMs: 1000 });
    const id = await sessions.create(ALICE);
    now += 900;
    await sessions.open(ALICE, id); // used: lives another 1000 ms
    now += 900;
    await sessions.append(ALICE, id, { question: "q", answer: "a", requestId: "r" });
    assert.equal((await sessions.open(ALICE, id)).length, 1);
    now += 1001;
    await assert.rejects(sessions.open(ALICE, id), invalid);
    now += 120_000;
    await sessions.create(ALICE); // sweeps expired sessions and their turns
    const rows = await db.query("SELECT session_id FROM kb_rag_session_turns WHERE session_id = $1", [id]);
    assert.equal(rows.length, 0);
  });

  it("stores turn text encrypted", async () => {
    const sessions = store();
    const id = await sessions.create(ALICE);
    const marker = `secret-${randomUUID()}`;
    await sessions.append(ALICE, id, { question: `What is ${marker}?`, answer: marker, requestId: "r" });
    const [row] = await db.query<{ content: Uint8Array }>("SELECT content FROM kb_rag_session_turns WHERE session_id = $1", [id]);
    assert.ok(row);
    assert.ok(!Buffer.from(row.content).includes(marker), "the marker is not in the stored bytes");
    assert.equal((await sessions.open(ALICE, id))[0]?.answer, marker);
  });
}

describeEachEngine("RetrieveAndGenerate sessions", (target) => sessionSuite(async () => openDatabase({ url: target.url() })));

describe("RetrieveAndGenerate sessions on PGlite", () => {
  let pglite: PgliteServer;
  before(async () => void (pglite = await startPglite()));
  // One connection: PGlite serves one backend (test/helpers/pglite.ts).
  sessionSuite(async () => openDatabase({ url: pglite.url, poolSize: 1 }));
  after(async () => pglite?.close());
});
