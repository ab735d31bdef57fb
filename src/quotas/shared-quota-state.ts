// The SQL of quota state shared by several nodes (migration 0006): counters, one row per key
// (a token bucket's level and refill time, a stream scope's lock row, a budget's spend this
// month), and holds, what admitted requests keep until they end (stream slots, budget
// reservations), renewed by their node and expiring when it dies. Levels and amounts that can
// pass 2^53 (pico-dollars) are read as text and handled as bigints.
import type { Queryable, SqlValue } from "../store/db/database.ts";

/** A counter as stored. */
export interface CounterRow {
  level: bigint;
  updatedAt: number;
}

/** Live holds of one scope. */
export interface HoldTotals {
  count: number;
  total: bigint;
}

/** One hold to insert. */
export interface NewHold {
  scopeKey: string;
  amount: bigint;
}

const placeholders = (count: number, from = 1) => Array.from({ length: count }, (_, i) => `$${i + from}`).join(", ");

/** Row access for the shared limiter; every method takes the handle it runs on (the database or a transaction). */
export const sharedQuotaState = {
  /**
   * Creates the counters that do not exist yet, with their initial levels. In key order, so that
   * two nodes creating overlapping sets never wait on each other in opposite orders.
   */
  async ensureCounters(db: Queryable, rows: Array<{ key: string; level: number | bigint }>, now: number): Promise<void> {
    if (rows.length === 0) return;
    const sorted = [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const values = sorted.map((_, i) => `($${i * 2 + 1}, $${i * 2 + 2}, $${sorted.length * 2 + 1})`).join(", ");
    const params: SqlValue[] = sorted.flatMap((row) => [row.key, row.level]);
    await db.execute(`INSERT INTO quota_counters (key, level, updated_at) VALUES ${values} ON CONFLICT (key) DO NOTHING`, [...params, now]);
  },

  /** Reads counters inside a transaction, locking their rows on PostgreSQL (SQLite's transaction holds the whole database). */
  async lockCounters(tx: Queryable, keys: readonly string[]): Promise<Map<string, CounterRow>> {
    const out = new Map<string, CounterRow>();
    if (keys.length === 0) return out;
    const lock = tx.dialect === "postgres" ? " FOR UPDATE" : "";
    // In key order: every node locks in the same order, so two admissions cannot deadlock.
    const rows = await tx.query<{ key: string; level: string; updated_at: number }>(
      `SELECT key, CAST(level AS TEXT) AS level, updated_at FROM quota_counters WHERE key IN (${placeholders(keys.length)}) ORDER BY key${lock}`,
      keys,
    );
    for (const row of rows) out.set(row.key, { level: BigInt(row.level), updatedAt: Number(row.updated_at) });
    return out;
  },

  /** Reads counters without locking (inspection). */
  async readCounters(db: Queryable, keys: readonly string[]): Promise<Map<string, CounterRow>> {
    const out = new Map<string, CounterRow>();
    if (keys.length === 0) return out;
    const rows = await db.query<{ key: string; level: string; updated_at: number }>(
      `SELECT key, CAST(level AS TEXT) AS level, updated_at FROM quota_counters WHERE key IN (${placeholders(keys.length)})`,
      keys,
    );
    for (const row of rows) out.set(row.key, { level: BigInt(row.level), updatedAt: Number(row.updated_at) });
    return out;
  },

  /** Sets counters' levels and refill times, in one statement. */
  async writeCounters(tx: Queryable, rows: Array<{ key: string; level: number; updatedAt: number }>): Promise<void> {
    if (rows.length === 0) return;
    const levels = rows.map((_, i) => `WHEN $${i * 3 + 1} THEN CAST($${i * 3 + 2} AS BIGINT)`).join(" ");
    const times = rows.map((_, i) => `WHEN $${i * 3 + 1} THEN CAST($${i * 3 + 3} AS BIGINT)`).join(" ");
    const keys = rows.map((_, i) => `$${i * 3 + 1}`).join(", ");
    await tx.execute(
      `UPDATE quota_counters SET level = CASE key ${levels} END, updated_at = CASE key ${times} END WHERE key IN (${keys})`,
      rows.flatMap((row) => [row.key, Math.round(row.level), row.updatedAt]),
    );
  },

  /** Adds `amount` to a counter, creating it at `amount` when absent (budget spend of a new month). */
  async addToCounter(db: Queryable, key: string, amount: bigint, now: number): Promise<void> {
    await db.execute(
      `INSERT INTO quota_counters (key, level, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET level = quota_counters.level + excluded.level, updated_at = excluded.updated_at`,
      [key, amount, now],
    );
  },

  /** Count and sum of the unexpired holds of each scope. */
  async liveHolds(tx: Queryable, scopeKeys: readonly string[], now: number): Promise<Map<string, HoldTotals>> {
    const out = new Map<string, HoldTotals>();
    if (scopeKeys.length === 0) return out;
    const rows = await tx.query<{ scope_key: string; n: number; total: string }>(
      `SELECT scope_key, COUNT(*) AS n, CAST(SUM(amount) AS TEXT) AS total FROM quota_holds
       WHERE scope_key IN (${placeholders(scopeKeys.length, 2)}) AND expires_at > $1 GROUP BY scope_key`,
      [now, ...scopeKeys],
    );
    for (const row of rows) out.set(row.scope_key, { count: Number(row.n), total: BigInt(row.total) });
    return out;
  },

  /** Records what one admitted request holds. */
  async addHolds(tx: Queryable, options: { leaseId: string; nodeId: string; expiresAt: number; holds: NewHold[] }): Promise<void> {
    if (options.holds.length === 0) return;
    const values = options.holds.map((_, i) => `($1, $${i * 2 + 4}, $${i * 2 + 5}, $2, $3)`).join(", ");
    await tx.execute(`INSERT INTO quota_holds (lease_id, scope_key, amount, node_id, expires_at) VALUES ${values}`, [
      options.leaseId,
      options.nodeId,
      options.expiresAt,
      ...options.holds.flatMap((hold) => [hold.scopeKey, hold.amount]),
    ]);
  },

  /** Drops a request's holds: all of them, or those of the given scopes. */
  async deleteHolds(db: Queryable, leaseId: string, scopeKeys?: readonly string[]): Promise<void> {
    if (scopeKeys === undefined) {
      await db.execute("DELETE FROM quota_holds WHERE lease_id = $1", [leaseId]);
    } else if (scopeKeys.length > 0) {
      await db.execute(`DELETE FROM quota_holds WHERE lease_id = $1 AND scope_key IN (${placeholders(scopeKeys.length, 2)})`, [leaseId, ...scopeKeys]);
    }
  },

  /** Extends the holds of the given leases (a living node's open ones); returns how many rows. */
  async renewHolds(db: Queryable, leaseIds: readonly string[], expiresAt: number): Promise<number> {
    let changes = 0;
    for (let at = 0; at < leaseIds.length; at += 500) {
      const batch = leaseIds.slice(at, at + 500);
      changes += (await db.execute(`UPDATE quota_holds SET expires_at = $1 WHERE lease_id IN (${placeholders(batch.length, 2)})`, [expiresAt, ...batch])).changes;
    }
    return changes;
  },

  /** Deletes holds that expired (their node died or lost the database); returns how many. */
  async sweepHolds(db: Queryable, now: number): Promise<number> {
    return (await db.execute("DELETE FROM quota_holds WHERE expires_at <= $1", [now])).changes;
  },
};
