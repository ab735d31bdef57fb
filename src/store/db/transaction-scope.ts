// Transactions shared by both engines: a scope runs statements on one connection, and nested
// transactions become savepoints. An AsyncLocalStorage remembers the open scope so that code
// calling the outer Database from inside a transaction joins it instead of deadlocking (SQLite)
// or escaping it on another pooled connection (PostgreSQL). On Node 20 an enabled
// AsyncLocalStorage installs promise hooks that slow every promise in the process, so the
// storage is enabled only while a transaction is open and disabled again when the last one ends.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Dialect, ExecuteResult, Queryable, SqlValue } from "./database.ts";
import { Mutex } from "./mutex.ts";

/** One connection, as the engines expose it to a scope. */
export interface Connection {
  all(sql: string, params: readonly SqlValue[]): Promise<Record<string, unknown>[]>;
  run(sql: string, params: readonly SqlValue[]): Promise<ExecuteResult>;
  script(sql: string): Promise<void>;
}

/** An open transaction or savepoint; stale once its function has settled. */
export class TransactionScope implements Queryable {
  open = true;
  // Sibling savepoints started in parallel (Promise.all) would roll back each other's work.
  readonly #nested = new Mutex();

  constructor(
    readonly dialect: Dialect,
    private readonly connection: Connection,
    private readonly tracker: ScopeTracker,
    readonly parent?: TransactionScope,
    private readonly depth = 0,
  ) {}

  query<T extends object = Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    this.#assertOpen();
    return this.connection.all(sql, params) as Promise<T[]>;
  }

  execute(sql: string, params: readonly SqlValue[] = []): Promise<ExecuteResult> {
    this.#assertOpen();
    return this.connection.run(sql, params);
  }

  script(sql: string): Promise<void> {
    this.#assertOpen();
    return this.connection.script(sql);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#assertOpen();
    return this.#nested.run(async () => {
      const name = `basalt_sp_${this.depth + 1}`;
      await this.connection.run(`SAVEPOINT ${name}`, []);
      const child = new TransactionScope(this.dialect, this.connection, this.tracker, this, this.depth + 1);
      try {
        const result = await this.tracker.run(child, () => fn(child));
        await this.connection.run(`RELEASE SAVEPOINT ${name}`, []);
        return result;
      } catch (error) {
        await this.connection.run(`ROLLBACK TO SAVEPOINT ${name}`, []);
        await this.connection.run(`RELEASE SAVEPOINT ${name}`, []);
        throw error;
      } finally {
        child.open = false;
      }
    });
  }

  #assertOpen(): void {
    if (!this.open) throw new Error("This transaction has already ended; use the database, not a stale transaction handle.");
  }
}

/** Remembers which scope the current async context runs in, per database. */
export class ScopeTracker {
  readonly #storage = new AsyncLocalStorage<TransactionScope>();
  /** Top-level transactions open on this database right now. */
  #open = 0;

  run<T>(scope: TransactionScope, fn: () => Promise<T>): Promise<T> {
    return this.#storage.run(scope, fn);
  }

  /** The innermost scope still open here, if any (timers started inside a finished one fall back). */
  active(): TransactionScope | undefined {
    let scope = this.#storage.getStore();
    while (scope && !scope.open) scope = scope.parent;
    return scope;
  }

  /** Runs `fn` in a fresh top-level transaction on `connection`, with BEGIN/COMMIT/ROLLBACK as given. */
  async top<T>(options: {
    dialect: Dialect;
    connection: Connection;
    begin: string;
    fn: (tx: Queryable) => Promise<T>;
    /** Told when ROLLBACK itself failed: the connection is then unusable. */
    onRollbackError?: (error: unknown) => void;
  }): Promise<T> {
    const { connection } = options;
    this.#open++;
    try {
      await connection.run(options.begin, []);
      const scope = new TransactionScope(options.dialect, connection, this);
      try {
        const result = await this.run(scope, () => options.fn(scope));
        await connection.run("COMMIT", []);
        return result;
      } catch (error) {
        // The caller's error matters more than a failed ROLLBACK, which is reported aside.
        await connection.run("ROLLBACK", []).catch((rollbackError: unknown) => options.onRollbackError?.(rollbackError));
        throw error;
      } finally {
        scope.open = false;
      }
    } finally {
      // No transaction left: switch the hooks off (the next run() switches them on again).
      if (--this.#open === 0) this.#storage.disable();
    }
  }
}
