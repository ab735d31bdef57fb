// PostgreSQL through a `pg` pool: statements outside a transaction take any pooled connection;
// a transaction holds one connection from BEGIN to COMMIT.
import pg from "pg";
import type { Database, ExecuteResult, Queryable, SqlValue } from "./database.ts";
import { ScopeTracker, type Connection } from "./transaction-scope.ts";

/** Options of {@link openPostgres}. */
export interface PostgresOptions {
  url: string;
  poolSize?: number;
  onIdleError?: (error: Error) => void;
}

const INT8_OID = 20;

// BIGINT columns hold epoch milliseconds and counters, far below 2^53, so they come back as
// numbers (as on SQLite) rather than pg's default strings. Set per pool, not on pg's globals.
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary" ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/** The URL with its password masked, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://(unparseable url)";
  }
}

function connectionOf(client: pg.Pool | pg.PoolClient): Connection {
  return {
    async all(sql, params) {
      return (await client.query(sql, params as unknown[])).rows as Record<string, unknown>[];
    },
    async run(sql, params) {
      return { changes: (await client.query(sql, params as unknown[])).rowCount ?? 0 };
    },
    async script(sql) {
      // Without parameters pg uses the simple query protocol, which accepts several statements.
      await client.query(sql);
    },
  };
}

class PostgresDatabase implements Database {
  readonly dialect = "postgres" as const;
  readonly #scopes = new ScopeTracker();
  readonly #pooled: Connection;

  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {
    this.#pooled = connectionOf(pool);
  }

  query<T extends object = Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const scope = this.#scopes.active();
    if (scope) return scope.query<T>(sql, params);
    return this.#pooled.all(sql, params) as Promise<T[]>;
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<ExecuteResult> {
    const scope = this.#scopes.active();
    if (scope) return scope.execute(sql, params);
    return this.#pooled.run(sql, params);
  }

  script(sql: string): Promise<void> {
    const scope = this.#scopes.active();
    if (scope) return scope.script(sql);
    return this.#pooled.script(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const scope = this.#scopes.active();
    if (scope) return scope.transaction(fn);
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      return await this.#scopes.top({
        dialect: this.dialect,
        connection: connectionOf(client),
        begin: "BEGIN",
        fn,
        onRollbackError: (error) => (broken = error),
      });
    } finally {
      // A connection whose ROLLBACK failed may still be inside a transaction: destroy it.
      client.release(broken === undefined ? undefined : (broken as Error));
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Opens a connection pool to PostgreSQL (connections are made on first use). */
export function openPostgres(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    types,
    application_name: "basalt",
  });
  // An idle client's error (server restart, network cut) is emitted on the pool; unhandled,
  // it would crash the process. The pool drops that client and connects anew on next use.
  pool.on("error", (error) => options.onIdleError?.(error));
  return new PostgresDatabase(pool, redactUrl(options.url));
}
