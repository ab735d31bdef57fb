// One conformance suite every metadata-database engine runs (STYLE.md §8): the same SQL, the
// same answers, the same transaction guarantees on SQLite and PostgreSQL.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { Database, Queryable } from "../../src/store/db/database.ts";
import { migrate, type Migration } from "../../src/store/db/migrate.ts";
import { openDatabase } from "../../src/store/db/open-database.ts";
import type { EngineTarget } from "./engines.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const count = async (db: Queryable, table: string) => Number((await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);

/** Registers the database cases in the current describe block. */
export function databaseConformance(target: EngineTarget): void {
  let db: Database;
  // A second node: its own pool on PostgreSQL. On SQLite a process opens one Database per file
  // (better-sqlite3 waits for another connection's lock synchronously, stalling the event
  // loop), so the "second node" there is the same instance, and the mutex is what is tested.
  let other: Database;

  before(async () => {
    db = openDatabase({ url: target.url(), poolSize: 4 });
    other = target.dialect === "postgres" ? openDatabase({ url: target.url(), poolSize: 4 }) : db;
    await db.script(`
      CREATE TABLE items (id TEXT PRIMARY KEY, n INTEGER NOT NULL, big BIGINT, note TEXT, data BLOB_TYPE);
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `.replace("BLOB_TYPE", target.dialect === "postgres" ? "BYTEA" : "BLOB"));
  });
  after(async () => {
    if (other !== db) await other.close();
    await db.close();
  });

  it("conformance: reports its dialect and a location without a password", () => {
    assert.equal(db.dialect, target.dialect);
    assert.doesNotMatch(db.location, /basalt_test@|:basalt_test@/);
  });

  it("conformance: inserts, reads, updates and deletes with $n placeholders", async () => {
    const blob = Buffer.from([0, 1, 2, 255]);
    const inserted = await db.execute("INSERT INTO items (id, n, big, note, data) VALUES ($1, $2, $3, $4, $5)", ["a", 1, 1_700_000_000_123, null, blob]);
    assert.equal(inserted.changes, 1);
    await db.execute("INSERT INTO items (id, n, big, note) VALUES ($1, $2, $3, $4)", ["b", 2, 5n, "it's $1, not a parameter"]);
    const rows = await db.query<{ id: string; n: number; big: number; note: string | null; data: Buffer | null }>(
      "SELECT id, n, big, note, data FROM items WHERE n >= $1 ORDER BY id",
      [1],
    );
    assert.deepEqual(
      rows.map((r) => ({ ...r, data: r.data ? [...r.data] : null })),
      [
        { id: "a", n: 1, big: 1_700_000_000_123, note: null, data: [0, 1, 2, 255] },
        { id: "b", n: 2, big: 5, note: "it's $1, not a parameter", data: null },
      ],
    );
    // A repeated placeholder, and a `$1` inside a string literal left alone.
    const [row] = await db.query<{ id: string; lit: string }>("SELECT id, '$1' AS lit FROM items WHERE id = $1 OR (id = $1 AND n = $2)", ["b", 2]);
    assert.deepEqual(row, { id: "b", lit: "$1" });
    assert.equal((await db.execute("UPDATE items SET n = n + $1 WHERE id IN ($2, $3)", [10, "a", "b"])).changes, 2);
    const returned = await db.query<{ id: string; n: number }>("UPDATE items SET n = $1 WHERE id = $2 RETURNING id, n", [7, "a"]);
    assert.deepEqual(returned, [{ id: "a", n: 7 }]);
    assert.equal((await db.execute("DELETE FROM items WHERE id = $1", ["nope"])).changes, 0);
    assert.equal((await db.execute("DELETE FROM items", [])).changes, 2);
    assert.equal(await count(db, "items"), 0);
  });

  it("conformance: binds ten or more parameters in order", async () => {
    const values = Array.from({ length: 12 }, (_, i) => `v${i + 1}`);
    const select = values.map((_, i) => `CAST($${i + 1} AS TEXT) AS c${i + 1}`).join(", ");
    const [row] = await db.query<Record<string, string>>(`SELECT ${select}`, values);
    assert.deepEqual(Object.values(row!), values);
  });

  it("conformance: a statement error rejects with the engine's error, and a unique key holds", async () => {
    await db.execute("INSERT INTO items (id, n) VALUES ($1, $2)", ["dup", 1]);
    await assert.rejects(db.execute("INSERT INTO items (id, n) VALUES ($1, $2)", ["dup", 2]), /unique|duplicate/i);
    await assert.rejects(db.query("SELECT * FROM no_such_table"));
    await db.execute("DELETE FROM items");
  });

  it("conformance: foreign keys are enforced", async () => {
    await db.script("CREATE TABLE parents (id TEXT PRIMARY KEY); CREATE TABLE children (id TEXT PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parents (id) ON DELETE CASCADE);");
    await assert.rejects(db.execute("INSERT INTO children (id, parent_id) VALUES ($1, $2)", ["c", "nobody"]), /foreign key/i);
    await db.execute("INSERT INTO parents (id) VALUES ($1)", ["p"]);
    await db.execute("INSERT INTO children (id, parent_id) VALUES ($1, $2)", ["c", "p"]);
    await db.execute("DELETE FROM parents WHERE id = $1", ["p"]);
    assert.equal(await count(db, "children"), 0, "ON DELETE CASCADE ran");
  });

  it("conformance: a transaction commits when its function resolves", async () => {
    const result = await db.transaction(async (tx) => {
      await tx.execute("INSERT INTO items (id, n) VALUES ($1, $2)", ["t1", 1]);
      await tx.execute("INSERT INTO items (id, n) VALUES ($1, $2)", ["t2", 2]);
      return (await tx.query<{ n: number }>("SELECT COUNT(*) AS n FROM items"))[0]!.n;
    });
    assert.equal(Number(result), 2);
    assert.equal(await count(db, "items"), 2);
    await db.execute("DELETE FROM items");
  });

  it("conformance: a transaction rolls back every statement when its function throws", async () => {
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.execute("INSERT INTO items (id, n) VALUES ($1, $2)", ["r1", 1]);
        await tx.execute("INSERT INTO items (id, n) VALUES ($1, $2)", ["r1", 2]); // duplicate key
      }),
      /unique|duplicate/i,
    );
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.execute("INSERT INTO items (id, n) VALUES ($1, $2)", ["r2", 1]);
        throw new Error("changed my mind");
      }),
      /changed my mind/,
    );
    assert.equal(await count(db, "items"), 0);
  });

  it("conformance: nested transactions are savepoints; an inner failure leaves the outer usable", async () => {
    await db.transaction(async (tx) => {
      await tx.execute("INSERT INTO items (id, n) VALUES ($1, $2)", ["outer", 1]);
      await assert.rejects(
        tx.transaction(async (inner) => {
          await inner.execute("INSERT INTO items (id, n) VALUES ($1, $2)", ["inner", 1]);
          await inner.execute("INSERT INTO items (id, n) VALUES ($1, $2)", ["outer", 2]); // duplicate key
        }),
      );
      // The outer database called from inside joins this transaction instead of deadlocking.
      await db.transaction(async (nested) => nested.execute("INSERT INTO items (id, n) VALUES ($1, $2)", ["joined", 1]));
      assert.equal(await count(db, "items"), 2);
    });
    const ids = (await db.query<{ id: string }>("SELECT id FROM items ORDER BY id")).map((r) => r.id);
    assert.deepEqual(ids, ["joined", "outer"]);
    await db.execute("DELETE FROM items");
  });

  it("conformance: a transaction handle is unusable once its transaction ended", async () => {
    let leaked: Queryable | undefined;
    await db.transaction(async (tx) => void (leaked = tx));
    await assert.rejects(async () => leaked!.query("SELECT 1"), /already ended/);
    // Work started inside a transaction but run after it ended goes to the database itself.
    let late: Promise<unknown> | undefined;
    await db.transaction(async () => {
      late = sleep(20).then(() => db.execute("INSERT INTO items (id, n) VALUES ($1, $2)", ["late", 1]));
    });
    await late;
    assert.equal(await count(db, "items"), 1);
    await db.execute("DELETE FROM items");
  });

  it("conformance: uncommitted writes are never seen outside their transaction", async () => {
    let inserted!: () => void;
    const insertedNow = new Promise<void>((resolve) => (inserted = resolve));
    const aborted = db.transaction(async (tx) => {
      await tx.execute("INSERT INTO items (id, n) VALUES ($1, $2)", ["ghost", 1]);
      inserted();
      await sleep(50);
      throw new Error("roll back");
    });
    // Handled at once: under load the rollback may come before the count below returns.
    const outcome = aborted.then(() => "committed", (error: Error) => error.message);
    await insertedNow;
    // PostgreSQL answers at once from its snapshot; SQLite waits for the transaction to end.
    assert.equal(await count(other, "items"), 0);
    assert.equal(await outcome, "roll back");
    assert.equal(await count(db, "items"), 0);
  });

  it("conformance: concurrent transactions from two nodes never lose an update", async () => {
    await db.execute("INSERT INTO counters (name, value) VALUES ($1, $2)", ["hits", 0]);
    await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        (i % 2 ? db : other).transaction(async (tx) => {
          await tx.execute("UPDATE counters SET value = value + 1 WHERE name = $1", ["hits"]);
          await sleep(1);
          await tx.execute("INSERT INTO items (id, n) VALUES ($1, $2)", [`c${i}`, i]);
        }),
      ),
    );
    const [row] = await db.query<{ value: number }>("SELECT value FROM counters WHERE name = $1", ["hits"]);
    assert.equal(row!.value, 24);
    assert.equal(await count(db, "items"), 24);
    await db.execute("DELETE FROM items");
  });

  it("conformance: migrations apply once, record themselves, and are idempotent", async () => {
    const first = await migrate(db);
    assert.ok(first.includes(1), "Basalt's first migration is applied to a fresh database");
    assert.deepEqual(await migrate(db), [], "a second run applies nothing");
    const rows = await db.query<{ version: number; name: string }>("SELECT version, name FROM schema_migrations ORDER BY version");
    assert.deepEqual(rows[0], { version: 1, name: "jobs" });
    assert.equal(await count(db, "jobs"), 0);
  });

  it("conformance: two nodes migrating at once apply each migration exactly once", async () => {
    const migrations: Migration[] = [
      { version: 9001, name: "conformance-a", sql: "CREATE TABLE conformance_a (id INTEGER PRIMARY KEY); INSERT INTO conformance_a (id) VALUES (1);" },
      { version: 9002, name: "conformance-b", sql: "CREATE TABLE conformance_b (id INTEGER PRIMARY KEY);" },
    ];
    const [a, b] = await Promise.all([migrate(db, migrations), migrate(other, migrations)]);
    assert.deepEqual([...a, ...b].sort(), [9001, 9002]);
    assert.equal(await count(db, "conformance_a"), 1);
  });

  it("conformance: a failing migration is rolled back whole and not recorded", async () => {
    const broken: Migration = { version: 9003, name: "broken", sql: "CREATE TABLE half_done (id INTEGER); SELECT * FROM no_such_table;" };
    await assert.rejects(migrate(db, [broken]));
    assert.equal((await db.query("SELECT 1 FROM schema_migrations WHERE version = $1", [9003])).length, 0);
    await db.script("CREATE TABLE half_done (id INTEGER)"); // would fail had the first statement survived
  });

  it("conformance: a migration renamed under an applied version is refused", async () => {
    await assert.rejects(migrate(db, [{ version: 9001, name: "something-else", sql: "SELECT 1" }]), /renumber/);
  });
}
