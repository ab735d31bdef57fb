// SQL of the job queue. Every write by a worker is fenced by (id, locked_by, attempts): a worker
// that lost its lease (paused, partitioned) can no longer change a job another worker now runs.
// Payloads, results, progress and failure reasons are customer content: with an encryption
// handle they are sealed per account (sealed-text.ts), bound to the job id and the field, and
// the queue above never sees the difference (docs/decisions/0011-encryption-at-rest.md).
import { randomInt } from "node:crypto";
import { BasaltError } from "../spec/errors.ts";
import type { EnvelopeEncryption } from "../store/crypto/envelope-encryption.ts";
import { isSealedText, openText, sealText } from "../store/crypto/sealed-text.ts";
import type { Queryable, SqlValue } from "../store/db/database.ts";
import { JOB_STATES, type Job, type JobProgress, type JobState } from "./job.ts";

type Row = Record<string, unknown>;

/** Identifies one attempt of one job held by one worker. */
export interface Fence {
  id: string;
  /** The job's account, whose data key seals what the attempt writes. */
  accountId: string;
  workerId: string;
  attempt: number;
}

/** Fields of a new job. */
export interface NewJob {
  type: string;
  accountId: string;
  clientToken?: string;
  payload: unknown;
  maxAttempts: number;
  runAfter?: number;
}

/** The columns that hold customer content. */
type ContentField = "payload" | "result" | "progress" | "failure_reason";

/** Options of a {@link JobStore}. */
export interface JobStoreOptions {
  db: Queryable;
  /** Seals job content per account; without it content is stored as plain JSON and text (tests only). */
  encryption?: EnvelopeEncryption;
}

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** A Bedrock-style job id: ten upper-case letters and digits. */
export function newJobId(): string {
  let id = "";
  for (let i = 0; i < 10; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

const date = (value: unknown): Date | undefined => (value === null || value === undefined ? undefined : new Date(Number(value)));
const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

const FENCE = "id = $1 AND locked_by = $2 AND attempts = $3 AND state IN ('IN_PROGRESS', 'STOPPING')";
const fence = (f: Fence): SqlValue[] => [f.id, f.workerId, f.attempt];

const isKeyUnavailable = (error: unknown): error is BasaltError => error instanceof BasaltError && error.code === "KEY_UNAVAILABLE";

/** The jobs table: every statement of the queue, with job content sealed when encryption is given. */
export class JobStore {
  readonly #db: Queryable;
  readonly #encryption: EnvelopeEncryption | undefined;

  constructor(options: JobStoreOptions) {
    this.#db = options.db;
    this.#encryption = options.encryption;
  }

  /** Inserts a job unless one with the same client token exists; returns the stored one. */
  async insert(job: NewJob, now: number): Promise<{ job: Job; created: boolean }> {
    const id = newJobId();
    const payload = await this.#seal(job.accountId, id, "payload", JSON.stringify(job.payload ?? null));
    const inserted = await this.#db.query(
      `INSERT INTO jobs (id, type, account_id, client_token, state, payload, attempts, max_attempts, run_after, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'QUEUED', $5, 0, $6, $7, $8, $8)
       ON CONFLICT (account_id, type, client_token) DO NOTHING
       RETURNING *`,
      [id, job.type, job.accountId, job.clientToken ?? null, payload, job.maxAttempts, job.runAfter ?? now, now],
    );
    if (inserted[0]) return { job: await this.#toJob(inserted[0]), created: true };
    const [existing] = await this.#db.query("SELECT * FROM jobs WHERE account_id = $1 AND type = $2 AND client_token = $3", [
      job.accountId,
      job.type,
      job.clientToken ?? null,
    ]);
    if (!existing) throw new Error("A job insert was skipped as a duplicate, yet no job holds its client token.");
    return { job: await this.#toJob(existing), created: false };
  }

  /** One job of one account, or undefined (another account's job is not found either). */
  async find(accountId: string, id: string): Promise<Job | undefined> {
    const [row] = await this.#db.query("SELECT * FROM jobs WHERE id = $1 AND account_id = $2", [id, accountId]);
    return row ? this.#toJob(row) : undefined;
  }

  /** An account's jobs, newest first. */
  async list(options: { accountId: string; type?: string; limit: number }): Promise<Job[]> {
    const rows = options.type
      ? await this.#db.query("SELECT * FROM jobs WHERE account_id = $1 AND type = $2 ORDER BY created_at DESC, id LIMIT $3", [
          options.accountId,
          options.type,
          options.limit,
        ])
      : await this.#db.query("SELECT * FROM jobs WHERE account_id = $1 ORDER BY created_at DESC, id LIMIT $2", [options.accountId, options.limit]);
    return Promise.all(rows.map((row) => this.#toJob(row)));
  }

  /** Asks a job to stop: a queued one stops at once, a running one goes to STOPPING. */
  async requestStop(accountId: string, id: string, now: number): Promise<void> {
    await this.#db.execute(
      `UPDATE jobs SET
         state = CASE WHEN state = 'QUEUED' THEN 'STOPPED' ELSE 'STOPPING' END,
         finished_at = CASE WHEN state = 'QUEUED' THEN $3 ELSE finished_at END,
         updated_at = $3
       WHERE id = $1 AND account_id = $2 AND state IN ('QUEUED', 'IN_PROGRESS')`,
      [id, accountId, now],
    );
  }

  /**
   * Recovers jobs whose worker vanished (its lease ran out without a heartbeat): queued again
   * while attempts remain, otherwise FAILED with the reason; a STOPPING one becomes STOPPED.
   * The reason is Basalt's own words, not customer content, so it is written unsealed.
   */
  async recoverExpired(now: number): Promise<number> {
    const { changes } = await this.#db.execute(
      `UPDATE jobs SET
         state = CASE WHEN state = 'STOPPING' THEN 'STOPPED' WHEN attempts >= max_attempts THEN 'FAILED' ELSE 'QUEUED' END,
         failure_reason = CASE WHEN state = 'STOPPING' THEN failure_reason
           ELSE 'The worker running attempt ' || CAST(attempts AS TEXT) || ' of ' || CAST(max_attempts AS TEXT)
             || ' stopped responding (its lease expired without a heartbeat); the process was probably killed or lost.' END,
         finished_at = CASE WHEN state = 'STOPPING' OR attempts >= max_attempts THEN $1 ELSE finished_at END,
         locked_by = NULL, lease_expires_at = NULL, run_after = $1, updated_at = $1
       WHERE state IN ('IN_PROGRESS', 'STOPPING') AND lease_expires_at < $1`,
      [now],
    );
    return changes;
  }

  /**
   * Claims up to `limit` due jobs of the given types for `workerId`, each with a lease. A claimed
   * job whose content cannot be opened (its account's key is disabled, or the bytes were altered)
   * fails at once with the reason, instead of returning to the queue again and again.
   */
  async claim(options: { workerId: string; types: readonly string[]; limit: number; leaseMs: number; now: number }): Promise<Job[]> {
    if (options.types.length === 0 || options.limit <= 0) return [];
    const typeList = options.types.map((_, i) => `$${i + 5}`).join(", ");
    const params: SqlValue[] = [options.now, options.workerId, options.now + options.leaseMs, options.limit, ...options.types];
    const set = `state = 'IN_PROGRESS', locked_by = $2, lease_expires_at = $3, attempts = attempts + 1,
         started_at = COALESCE(started_at, $1), updated_at = $1`;
    const due = `SELECT id FROM jobs WHERE state = 'QUEUED' AND run_after <= $1 AND type IN (${typeList})
         ORDER BY run_after, created_at, id LIMIT $4`;
    // PostgreSQL: SKIP LOCKED lets several nodes claim at once, each passing over rows another
    // node's claim has locked. SQLite: the transaction holds the database's single write lock.
    const sql =
      this.#db.dialect === "postgres"
        ? `WITH next AS (${due} FOR UPDATE SKIP LOCKED) UPDATE jobs SET ${set} FROM next WHERE jobs.id = next.id RETURNING jobs.*`
        : `UPDATE jobs SET ${set} WHERE id IN (${due}) RETURNING *`;
    const rows = await this.#db.transaction((tx) => tx.query(sql, params));
    const jobs: Job[] = [];
    for (const row of rows) {
      try {
        jobs.push(await this.#toJob(row));
      } catch (error) {
        if (!(error instanceof BasaltError)) throw error;
        const f: Fence = { id: String(row.id), accountId: String(row.account_id), workerId: options.workerId, attempt: Number(row.attempts) };
        await this.#fail(f, { stored: `The job's stored data could not be read: ${error.message}`, now: options.now });
      }
    }
    return jobs.sort((a, b) => a.runAfter.getTime() - b.runAfter.getTime() || a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** Extends the lease; returns the job's state, or undefined when this worker no longer holds it. */
  async heartbeat(f: Fence, leaseUntil: number, now: number): Promise<JobState | undefined> {
    const [row] = await this.#db.query<{ state: JobState }>(
      `UPDATE jobs SET lease_expires_at = $4, updated_at = $5 WHERE ${FENCE} RETURNING state`,
      [...fence(f), leaseUntil, now],
    );
    return row?.state;
  }

  /** Stores progress; false when this worker no longer holds the job. Rejects with KEY_UNAVAILABLE when it cannot be sealed. */
  async saveProgress(f: Fence, progress: JobProgress, now: number): Promise<boolean> {
    const stored = await this.#seal(f.accountId, f.id, "progress", JSON.stringify(progress));
    const { changes } = await this.#db.execute(`UPDATE jobs SET progress = $4, updated_at = $5 WHERE ${FENCE}`, [...fence(f), stored, now]);
    return changes > 0;
  }

  /** Ends an attempt that returned: COMPLETE with its result, or FAILED when the result cannot be sealed. */
  async complete(f: Fence, result: unknown, now: number): Promise<boolean> {
    let stored: string;
    try {
      stored = await this.#seal(f.accountId, f.id, "result", JSON.stringify(result ?? null));
    } catch (error) {
      if (!isKeyUnavailable(error)) throw error;
      return this.#fail(f, { stored: `The job finished, but its result could not be stored: ${error.message}`, now });
    }
    const { changes } = await this.#db.execute(
      `UPDATE jobs SET state = 'COMPLETE', result = $4, failure_reason = NULL, locked_by = NULL, lease_expires_at = NULL,
         finished_at = $5, updated_at = $5 WHERE ${FENCE}`,
      [...fence(f), stored, now],
    );
    return changes > 0;
  }

  /**
   * Ends an attempt that threw: QUEUED again after `retryAt`, or FAILED when `retryAt` is
   * undefined; STOPPED instead of either when a stop was requested meanwhile.
   */
  async failAttempt(f: Fence, options: { reason: string; retryAt?: number; now: number }): Promise<boolean> {
    let stored: string;
    try {
      stored = await this.#seal(f.accountId, f.id, "failure_reason", options.reason);
    } catch (error) {
      // The handler's message may hold customer content, so it is dropped rather than stored in the clear.
      if (!isKeyUnavailable(error)) throw error;
      stored = `The attempt failed, and its reason could not be stored: ${error.message}`;
    }
    return this.#fail(f, { stored, retryAt: options.retryAt, now: options.now });
  }

  /** Ends an attempt that honoured a stop request. */
  async markStopped(f: Fence, now: number): Promise<boolean> {
    const { changes } = await this.#db.execute(
      `UPDATE jobs SET state = 'STOPPED', locked_by = NULL, lease_expires_at = NULL, finished_at = $4, updated_at = $4 WHERE ${FENCE}`,
      [...fence(f), now],
    );
    return changes > 0;
  }

  /** Hands a job back at shutdown without counting the interrupted attempt. */
  async release(f: Fence, now: number): Promise<boolean> {
    const { changes } = await this.#db.execute(
      `UPDATE jobs SET
         state = CASE WHEN state = 'STOPPING' THEN 'STOPPED' ELSE 'QUEUED' END,
         finished_at = CASE WHEN state = 'STOPPING' THEN $4 ELSE finished_at END,
         attempts = attempts - 1, run_after = $4, locked_by = NULL, lease_expires_at = NULL, updated_at = $4
       WHERE ${FENCE}`,
      [...fence(f), now],
    );
    return changes > 0;
  }

  /** Writes a failure whose reason is already in its stored form (sealed, or Basalt's own words). */
  async #fail(f: Fence, options: { stored: string; retryAt?: number; now: number }): Promise<boolean> {
    const retry = options.retryAt !== undefined;
    const { changes } = await this.#db.execute(
      `UPDATE jobs SET
         state = CASE WHEN state = 'STOPPING' THEN 'STOPPED' ELSE $4 END,
         finished_at = CASE WHEN state = 'STOPPING' OR $4 = 'FAILED' THEN $6 ELSE finished_at END,
         failure_reason = CASE WHEN state = 'STOPPING' THEN failure_reason ELSE $5 END,
         run_after = $7, locked_by = NULL, lease_expires_at = NULL, updated_at = $6
       WHERE ${FENCE}`,
      [...fence(f), retry ? "QUEUED" : "FAILED", options.stored, options.now, options.retryAt ?? options.now],
    );
    return changes > 0;
  }

  /** The stored form of a content field: sealed under the account's key, or the text itself without encryption. */
  async #seal(accountId: string, jobId: string, field: ContentField, plaintext: string): Promise<string> {
    if (!this.#encryption) return plaintext;
    return sealText(this.#encryption, { accountId, context: contentContext(jobId, field), plaintext });
  }

  /** Opens a stored content field; undefined stays undefined. */
  async #open(row: Row, field: ContentField): Promise<string | undefined> {
    const stored = text(row[field]);
    if (stored === undefined) return undefined;
    const sealed = isSealedText(stored);
    // Failure reasons Basalt writes itself (lease expiry, an unreadable job) are never sealed.
    if (!sealed && (!this.#encryption || field === "failure_reason")) return stored;
    if (!this.#encryption) {
      throw new BasaltError("KEY_UNAVAILABLE", `Job ${String(row.id)} is stored encrypted, but this job queue was opened without encryption; pass JobQueueOptions.encryption.`);
    }
    return openText(this.#encryption, { accountId: String(row.account_id), context: contentContext(String(row.id), field), sealed: stored });
  }

  async #toJob(row: Row): Promise<Job> {
    const state = row.state as JobState;
    if (!JOB_STATES.includes(state)) throw new Error(`Job ${String(row.id)} has an unknown state ${String(row.state)}`);
    const [payload, result, progress, failureReason] = await Promise.all((["payload", "result", "progress", "failure_reason"] as const).map((field) => this.#open(row, field)));
    const json = (value: string | undefined): unknown => (value === undefined ? undefined : JSON.parse(value));
    return {
      id: String(row.id),
      type: String(row.type),
      accountId: String(row.account_id),
      clientToken: (row.client_token as string | null) ?? undefined,
      state,
      payload: json(payload),
      result: json(result),
      progress: (json(progress) as JobProgress | undefined) ?? {},
      failureReason,
      attempts: Number(row.attempts),
      maxAttempts: Number(row.max_attempts),
      runAfter: date(row.run_after)!,
      lockedBy: (row.locked_by as string | null) ?? undefined,
      leaseExpiresAt: date(row.lease_expires_at),
      createdAt: date(row.created_at)!,
      updatedAt: date(row.updated_at)!,
      startedAt: date(row.started_at),
      finishedAt: date(row.finished_at),
    };
  }
}

/** The encryption context of one content field of one job: a sealed value moved to another job or field does not open. */
function contentContext(jobId: string, field: ContentField): string {
  return `basalt:job/${jobId}/${field}`;
}
