// Embedded SQLite through better-sqlite3: one synchronous connection per Database, wrapped in an
// async lock so a transaction that awaits between statements is never interleaved with others.
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3-multiple-ciphers";
import type { Database, ExecuteResult, Queryable, SqlValue } from "./database.ts";
import { Mutex } from "./mutex.ts";
import { ScopeTracker, type Connection } from "./transaction-scope.ts";

/** Options of {@link openSqlite}. */
export interface SqliteOptions {
  path: string;
  busyTimeoutMs?: number;
  synchronous?: "FULL" | "NORMAL";
}

type Statement = BetterSqlite3.Statement<Record<string, unknown>, Record<string, unknown>>;

// Prepared statements are reused; a service issues a bounded set of distinct SQL strings.
const STATEMENT_CACHE_SIZE = 256;

/**
 * SQLite binds `$1` natively as a named parameter called "1", so PostgreSQL-style SQL runs
 * unchanged: only the values move from an array into an object keyed by position.
 */
function bindings(params: readonly SqlValue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  params.forEach((value, i) => {
    out[i + 1] =
      value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
      : value === undefined ? null
      : value;
  });
  return out;
}

class SqliteDatabase implements Database {
  readonly dialect = "sqlite" as const;
  readonly #lock = new Mutex();
  readonly #scopes = new ScopeTracker();
  readonly #statements = new Map<string, Statement>();
  readonly #connection: Connection;

  constructor(
    private readonly db: BetterSqlite3.Database,
    readonly location: string,
  ) {
    this.#connection = {
      all: async (sql, params) => this.#all(sql, params),
      run: async (sql, params) => this.#run(sql, params),
      script: async (sql) => void this.db.exec(sql),
    };
  }

  #prepare(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.delete(this.#statements.keys().next().value!);
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #all(sql: string, params: readonly SqlValue[]): Record<string, unknown>[] {
    const statement = this.#prepare(sql);
    const bound = bindings(params);
    if (statement.reader) return statement.all(bound) as Record<string, unknown>[];
    statement.run(bound);
    return [];
  }

  #run(sql: string, params: readonly SqlValue[]): ExecuteResult {
    const statement = this.#prepare(sql);
    const bound = bindings(params);
    // RETURNING makes a write a "reader"; its changes are the rows it returned.
    if (statement.reader) return { changes: statement.all(bound).length };
    return { changes: statement.run(bound).changes };
  }

  query<T extends object = Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const scope = this.#scopes.active();
    if (scope) return scope.query<T>(sql, params);
    return this.#lock.run(() => this.#all(sql, params) as T[]);
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<ExecuteResult> {
    const scope = this.#scopes.active();
    if (scope) return scope.execute(sql, params);
    return this.#lock.run(() => this.#run(sql, params));
  }

  script(sql: string): Promise<void> {
    const scope = this.#scopes.active();
    if (scope) return scope.script(sql);
    return this.#lock.run(() => void this.db.exec(sql));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const scope = this.#scopes.active();
    if (scope) return scope.transaction(fn);
    // IMMEDIATE takes the write lock at BEGIN: a deferred transaction that later upgrades can
    // fail with SQLITE_BUSY at once (no busy_timeout wait) when another process writes meanwhile.
    return this.#lock.run(() =>
      this.#scopes.top({ dialect: this.dialect, connection: this.#connection, begin: "BEGIN IMMEDIATE", fn }),
    );
  }

  async close(): Promise<void> {
    await this.#lock.run(() => {
      if (this.db.open) this.db.close();
    });
  }
}

/** Opens (creating when missing) an SQLite database file with Basalt's pragmas. */
export function openSqlite(options: SqliteOptions): Database {
  mkdirSync(dirname(options.path), { recursive: true });
  const isNew = !existsSync(options.path);
  const db = new BetterSqlite3(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
  // The metadata may name tenants and hold job payloads: readable by Basalt's user only.
  // SQLite gives the -wal and -shm files the same permissions as the database file.
  if (isNew) chmodSync(options.path, 0o600);
  // WAL lets readers run while a writer commits, and a crash mid-commit leaves the file intact.
  db.pragma("journal_mode = WAL");
  // FULL syncs the WAL at every commit, so an acknowledged write (a created job, a client token)
  // survives power loss too; NORMAL is crash-safe for the process but may lose the last commits.
  db.pragma(`synchronous = ${options.synchronous ?? "FULL"}`);
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  db.pragma("foreign_keys = ON");
  return new SqliteDatabase(db, `sqlite:${options.path}`);
}
