// Model invocation logging configurations in the metadata database (table
// invocation_logging_configs, migration 0003), one per account. Every model call asks whether
// its account logs, so answers are cached (and peek() answers without a promise); the short TTL
// bounds how long another node's change takes to apply here, and this node's own apply at once.
import type { Database } from "../store/db/database.ts";
import type { LoggingConfig, LoggingConfigStore } from "./invocation-logging-config.ts";

/** Options of {@link DbLoggingConfigStore}. */
export interface DbLoggingConfigStoreOptions {
  db: Database;
  /** How long an answer is reused (default 5000 ms). */
  ttlMs?: number;
  now?: () => number;
}

interface Cached {
  config: LoggingConfig | undefined;
  at: number;
}

/** Per-account logging configurations, persisted in the database and cached in memory. */
export class DbLoggingConfigStore implements LoggingConfigStore {
  private readonly db: Database;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, Cached>();

  constructor(options: DbLoggingConfigStoreOptions) {
    this.db = options.db;
    this.ttlMs = options.ttlMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  peek(accountId: string): LoggingConfig | null | undefined {
    const cached = this.cache.get(accountId);
    if (!cached || this.now() - cached.at >= this.ttlMs) return undefined;
    return cached.config ?? null;
  }

  async get(accountId: string): Promise<LoggingConfig | undefined> {
    const now = this.now();
    const cached = this.cache.get(accountId);
    if (cached && now - cached.at < this.ttlMs) return cached.config;
    const rows = await this.db.query<{ config: string }>("SELECT config FROM invocation_logging_configs WHERE account_id = $1", [accountId]);
    const config = rows[0] ? (JSON.parse(rows[0].config) as LoggingConfig) : undefined;
    this.cache.set(accountId, { config, at: now });
    return config;
  }

  async put(accountId: string, config: LoggingConfig): Promise<void> {
    await this.db.execute(
      "INSERT INTO invocation_logging_configs (account_id, config, updated_at) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at",
      [accountId, JSON.stringify(config), Date.now()],
    );
    this.cache.set(accountId, { config, at: this.now() });
  }

  async delete(accountId: string): Promise<void> {
    await this.db.execute("DELETE FROM invocation_logging_configs WHERE account_id = $1", [accountId]);
    this.cache.set(accountId, { config: undefined, at: this.now() });
  }
}
