// The SigV4 replay guard shared by several Basalt nodes: accepted signatures are rows of the
// metadata database (migration 0006), so a request replayed to another node behind the balancer
// is refused too. One statement per check: insert the signature's hash unless a row for it is
// still unexpired, which the primary key decides atomically, whichever node asks first.
// docs/decisions/0020-multi-node-state.md.
import { createHash } from "node:crypto";
import type { Queryable } from "../store/db/database.ts";
import { ReplayCache, type ReplayGuard } from "./replay-cache.ts";

/** Options of {@link DbReplayCache}. */
export interface DbReplayCacheOptions {
  db: Queryable;
  now?: () => number;
  /** Expired rows are deleted at most this often (default 60 s), by whichever check comes next. */
  sweepIntervalMs?: number;
  /** Told about a failed sweep (the check itself fails closed by rejecting). */
  onError?: (error: unknown) => void;
}

/** A {@link ReplayGuard} on the metadata database. */
export class DbReplayCache implements ReplayGuard {
  private readonly db: Queryable;
  private readonly now: () => number;
  private readonly sweepIntervalMs: number;
  private readonly onError: (error: unknown) => void;
  private nextSweep = 0;
  private sweeping: Promise<void> | undefined;

  constructor(options: DbReplayCacheOptions) {
    this.db = options.db;
    this.now = options.now ?? Date.now;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.onError = options.onError ?? (() => {});
  }

  async checkAndRecord(signature: string, expiresAtMs: number): Promise<boolean> {
    const now = this.now();
    if (now >= this.nextSweep && !this.sweeping) {
      this.nextSweep = now + this.sweepIntervalMs;
      this.sweeping = this.sweep(now)
        .then(() => undefined, this.onError)
        .finally(() => (this.sweeping = undefined));
    }
    // Hashed: the table only has to recognise a signature, never to show one.
    const hash = createHash("sha256").update(signature).digest("hex");
    // A row that has expired is taken over (as the in-memory cache forgets it); an unexpired
    // one makes the statement change nothing and return no row: a replay.
    const rows = await this.db.query(
      `INSERT INTO sigv4_replay (signature_hash, expires_at) VALUES ($1, $2)
       ON CONFLICT (signature_hash) DO UPDATE SET expires_at = excluded.expires_at WHERE sigv4_replay.expires_at <= $3
       RETURNING signature_hash`,
      [hash, expiresAtMs, now],
    );
    return rows.length === 0;
  }

  /** Deletes the rows that expired by `now`; returns how many. */
  async sweep(now = this.now()): Promise<number> {
    return (await this.db.execute("DELETE FROM sigv4_replay WHERE expires_at <= $1", [now])).changes;
  }

  /** Waits for a sweep under way, so the database can close after it. */
  async close(): Promise<void> {
    await this.sweeping;
  }
}

/**
 * The replay guard for a deployment: shared rows when the metadata database is PostgreSQL
 * (several nodes), the in-memory cache on SQLite (one node, no I/O per request).
 */
export function replayGuardFor(db: Queryable, options: Omit<DbReplayCacheOptions, "db"> = {}): ReplayGuard & { close?(): Promise<void> } {
  return db.dialect === "postgres" ? new DbReplayCache({ ...options, db }) : new ReplayCache({ now: options.now });
}
