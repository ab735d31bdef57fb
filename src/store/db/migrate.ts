// Schema migrations: numbered SQL files applied in order, each in its own transaction together
// with its row in schema_migrations, so a crash leaves a migration either wholly applied or not.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Database, Dialect, Queryable } from "./database.ts";

/** One schema change. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Where Basalt's own migrations live. */
export const MIGRATIONS_DIR = join(import.meta.dirname, "migrations");

// Any fixed number works; it only has to differ from other advisory locks on the same server.
const MIGRATION_LOCK_KEY = 0x62617361; // "basa"

const FILE_NAME = /^(\d+)-([a-z0-9-]+?)(?:\.(sqlite|postgres))?\.sql$/;

/**
 * Reads `NNNN-name.sql` files from `dir`. Where the engines' SQL truly differs, a migration may
 * instead come as `NNNN-name.sqlite.sql` plus `NNNN-name.postgres.sql`.
 */
export function loadMigrations(dialect: Dialect, dir = MIGRATIONS_DIR): Migration[] {
  const chosen = new Map<number, { name: string; file: string; specific: boolean }>();
  for (const file of readdirSync(dir).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) continue;
    const [, digits, name, variant] = match as unknown as [string, string, string, string | undefined];
    if (variant && variant !== dialect) continue;
    const version = Number(digits);
    const seen = chosen.get(version);
    if (seen && seen.name !== name) throw new Error(`Two migrations share version ${version}: ${seen.file} and ${file}`);
    if (!seen || (variant && !seen.specific)) chosen.set(version, { name, file, specific: Boolean(variant) });
  }
  return [...chosen.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, { name, file }]) => ({ version, name, sql: readFileSync(join(dir, file), "utf8") }));
}

// Two PostgreSQL nodes starting at once queue on this lock; the second then finds the
// migration recorded and skips it. (Concurrent CREATE TABLE IF NOT EXISTS can otherwise fail.)
async function lock(tx: Queryable): Promise<void> {
  if (tx.dialect === "postgres") await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
}

async function appliedVersions(tx: Queryable): Promise<Map<number, string>> {
  const rows = await tx.query<{ version: number; name: string }>("SELECT version, name FROM schema_migrations");
  return new Map(rows.map((row) => [Number(row.version), row.name]));
}

/** Applies pending migrations (Basalt's own unless given) and returns the versions it applied. */
export async function migrate(db: Database, migrations: Migration[] = loadMigrations(db.dialect)): Promise<number[]> {
  const initial = await db.transaction(async (tx) => {
    await lock(tx);
    await tx.script(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    );
    return appliedVersions(tx);
  });
  for (const migration of migrations) {
    const name = initial.get(migration.version);
    if (name !== undefined && name !== migration.name) {
      throw new Error(`Migration ${migration.version} was applied as "${name}" but the code has "${migration.name}"; renumber one of them.`);
    }
  }
  const applied: number[] = [];
  for (const migration of migrations) {
    if (initial.has(migration.version)) continue;
    const ran = await db.transaction(async (tx) => {
      await lock(tx);
      // Re-read under the lock: another node may have applied it since the first look.
      if ((await appliedVersions(tx)).has(migration.version)) return false;
      await tx.script(migration.sql);
      await tx.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
        migration.version,
        migration.name,
        Date.now(),
      ]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}
