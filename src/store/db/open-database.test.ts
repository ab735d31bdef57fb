// Engine selection, SQLite's pragmas and file mode, and the `database` configuration key.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseConfig } from "../../config/loader.ts";
import { databaseOptionsFromConfig, openDatabase } from "./open-database.ts";

describe("openDatabase", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "basalt-open-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("defaults to SQLite at <dataDir>/basalt.db in WAL mode, FULL sync, foreign keys on, owner-only", async () => {
    const db = openDatabase({ dataDir: join(dataDir, "nested") });
    try {
      assert.equal(db.dialect, "sqlite");
      assert.equal(db.location, `sqlite:${join(dataDir, "nested", "basalt.db")}`);
      const pragma = async (name: string) => Object.values((await db.query(`PRAGMA ${name}`))[0]!)[0];
      assert.equal(await pragma("journal_mode"), "wal");
      assert.equal(await pragma("synchronous"), 2, "FULL");
      assert.equal(await pragma("foreign_keys"), 1);
      assert.equal(await pragma("busy_timeout"), 5000);
      assert.equal(statSync(join(dataDir, "nested", "basalt.db")).mode & 0o777, 0o600);
    } finally {
      await db.close();
    }
  });

  it("takes sqlite:<path> and the NORMAL sync option", async () => {
    const db = openDatabase({ url: `sqlite:${join(dataDir, "other.db")}`, synchronous: "NORMAL" });
    assert.equal((await db.query<{ synchronous: number }>("PRAGMA synchronous"))[0]!.synchronous, 1);
    await db.close();
  });

  it("selects PostgreSQL for postgres:// URLs and never shows the password", async () => {
    // The pool connects lazily, so no server is needed to open and close it.
    const db = openDatabase({ url: "postgresql://basalt:s3cret@127.0.0.1:1/basalt" });
    assert.equal(db.dialect, "postgres");
    assert.doesNotMatch(db.location, /s3cret/);
    await db.close();
  });

  it("refuses other URL schemes", () => {
    assert.throws(() => openDatabase({ url: "mysql://localhost/basalt" }), /must start with postgres/);
  });
});

describe("database configuration", () => {
  it("is optional and accepts postgres URLs, sqlite: paths and secret references", () => {
    assert.equal(parseConfig({}).database, undefined);
    assert.equal(parseConfig({ database: { url: "postgres://db.internal/basalt" } }).database?.url, "postgres://db.internal/basalt");
    assert.throws(() => parseConfig({ database: { url: "http://db.internal" } }), /database\.url/);
    assert.throws(() => parseConfig({ database: { uri: "postgres://x" } }), /database/);
  });

  it("resolves a secret reference to the URL and defaults to the data directory", () => {
    process.env.BASALT_TEST_DATABASE_URL = "postgres://u:p@db.internal/basalt";
    try {
      const config = parseConfig({ dataDir: "/srv/basalt", database: { url: "env::BASALT_TEST_DATABASE_URL" } });
      assert.deepEqual(databaseOptionsFromConfig(config), { dataDir: "/srv/basalt", url: "postgres://u:p@db.internal/basalt" });
      assert.deepEqual(databaseOptionsFromConfig(parseConfig({ dataDir: "/srv/basalt" })), { dataDir: "/srv/basalt", url: undefined });
    } finally {
      delete process.env.BASALT_TEST_DATABASE_URL;
    }
  });
});
