// Runs a store suite once per database engine: SQLite in a temporary directory, and PostgreSQL
// in a fresh database of its own (skipped, with the reason, when no server is configured).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import type { Dialect } from "../../src/store/db/database.ts";
import { createTestDatabase, PG_SKIP_REASON, type TestPostgresDatabase } from "../helpers/postgres.ts";

/** Where a suite's databases live; `url` is valid once the suite's `before` hooks ran. */
export interface EngineTarget {
  dialect: Dialect;
  url(): string;
}

/** Registers `suite` in one describe block per engine. */
export function describeEachEngine(title: string, suite: (target: EngineTarget) => void): void {
  describe(`${title} on SQLite`, () => {
    let dir = "";
    before(() => void (dir = mkdtempSync(join(tmpdir(), "basalt-db-"))));
    suite({ dialect: "sqlite", url: () => `sqlite:${join(dir, "basalt.db")}` });
    // After the suite's own hooks (they run in registration order), which close its connections.
    after(() => rmSync(dir, { recursive: true, force: true }));
  });
  describe(`${title} on PostgreSQL`, { skip: PG_SKIP_REASON }, () => {
    let database: TestPostgresDatabase | undefined;
    before(async () => void (database = await createTestDatabase()));
    suite({ dialect: "postgres", url: () => database!.url });
    after(async () => database?.drop());
  });
}
