// The metadata store's one data-access interface. SQL is written once, PostgreSQL-style, with
// `$1`, `$2`… placeholders; both engines run it (docs/decisions/0007-metadata-store.md).

/** Which engine a database runs on; code branches on it only where SQL truly differs. */
export type Dialect = "sqlite" | "postgres";

/**
 * A value bound to a `$n` placeholder. No booleans or dates: SQLite has neither type, so flags
 * are INTEGER 0/1 and times BIGINT epoch milliseconds on both engines.
 */
export type SqlValue = string | number | bigint | null | Uint8Array;

/** What a statement without result rows reports. */
export interface ExecuteResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/** Statements available inside and outside a transaction. */
export interface Queryable {
  readonly dialect: Dialect;
  /** Runs one statement and returns its rows (empty for statements without rows). */
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs one statement and returns how many rows it changed. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<ExecuteResult>;
  /** Runs several `;`-separated statements without parameters (migrations). */
  script(sql: string): Promise<void>;
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws.
   * Nested calls (on the handle given to `fn`, or on the outer database from inside `fn`)
   * become savepoints of the enclosing transaction, so they never deadlock or commit early.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

/** An open database: SQLite file or PostgreSQL pool. */
export interface Database extends Queryable {
  /** Where it points, with any password removed (safe to log). */
  readonly location: string;
  /** Waits for running statements and closes every connection. */
  close(): Promise<void>;
}

/** Options of {@link openDatabase}. */
export interface DatabaseOptions {
  /**
   * `postgres://…` or `postgresql://…` selects PostgreSQL; `sqlite:<path>` an SQLite file at
   * that path; none means SQLite at `<dataDir>/basalt.db`.
   */
  url?: string;
  /** Basalt's data directory (required for the default SQLite file). */
  dataDir?: string;
  /** PostgreSQL: connections in the pool (default 10). */
  poolSize?: number;
  /** SQLite: how long a statement waits for another process's write lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /** SQLite: FULL (default) survives power loss; NORMAL only process crashes, but commits faster. */
  synchronous?: "FULL" | "NORMAL";
  /** Called with errors of idle PostgreSQL connections (server restart, network), which would otherwise crash the process. */
  onIdleError?: (error: Error) => void;
}
