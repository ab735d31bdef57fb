// SQL of the job queue. Every write by a worker is fenced by (id, locked_by, attempts): a worker
// that lost its lease (paused, partitioned) can no longer change a job another worker now runs.
import { randomInt } from "node:crypto";
import type { Queryable, SqlValue } from "../store/db/database.ts";
import { JOB_STATES, type Job, type JobProgress, type JobState } from "./job.ts";

type Row = Record<string, unknown>;

/** Identifies one attempt of one job held by one worker. */
export interface Fence {
  id: string;
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

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** A Bedrock-style job id: ten upper-case letters and digits. */
export function newJobId(): string {
  let id = "";
  for (let i = 0; i < 10; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

const date = (value: unknown): Date | undefined => (value === null || value === undefined ? undefined : new Date(Number(value)));
const json = (value: unknown): unknown => (typeof value === "string" ? JSON.parse(value) : undefined);

function toJob(row: Row): Job {
  const state = row.state as JobState;
  if (!JOB_STATES.includes(state)) throw new Error(`Job ${String(row.id)} has an unknown state ${String(row.state)}`);
  return {
    id: String(row.id),
    type: String(row.type),
    accountId: String(row.account_id),
    clientToken: (row.client_token as string | null) ?? undefined,
    state,
    payload: json(row.payload),
    result: json(row.result),
    progress: (json(row.progress) as JobProgress | undefined) ?? {},
    failureReason: (row.failure_reason as string | null) ?? undefined,
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

const FENCE = "id = $1 AND locked_by = $2 AND attempts = $3 AND state IN ('IN_PROGRESS', 'STOPPING')";
const fence = (f: Fence): SqlValue[] => [f.id, f.workerId, f.attempt];

/** Inserts a job unless one with the same client token exists; returns the stored one. */
export async function insertJob(db: Queryable, job: NewJob, now: number): Promise<{ job: Job; created: boolean }> {
  const inserted = await db.query(
    `INSERT INTO jobs (id, type, account_id, client_token, state, payload, attempts, max_attempts, run_after, created_at, updated_at)
     VALUES ($1, $2, $3, $4, 'QUEUED', $5, 0, $6, $7, $8, $8)
     ON CONFLICT (account_id, type, client_token) DO NOTHING
     RETURNING *`,
    [newJobId(), job.type, job.accountId, job.clientToken ?? null, JSON.stringify(job.payload ?? null), job.maxAttempts, job.runAfter ?? now, now],
  );
  if (inserted[0]) return { job: toJob(inserted[0]), created: true };
  const [existing] = await db.query("SELECT * FROM jobs WHERE account_id = $1 AND type = $2 AND client_token = $3", [
    job.accountId,
    job.type,
    job.clientToken ?? null,
  ]);
  if (!existing) throw new Error("A job insert was skipped as a duplicate, yet no job holds its client token.");
  return { job: toJob(existing), created: false };
}

/** One job of one account, or undefined (another account's job is not found either). */
export async function findJob(db: Queryable, accountId: string, id: string): Promise<Job | undefined> {
  const [row] = await db.query("SELECT * FROM jobs WHERE id = $1 AND account_id = $2", [id, accountId]);
  return row ? toJob(row) : undefined;
}

/** An account's jobs, newest first. */
export async function listJobs(db: Queryable, options: { accountId: string; type?: string; limit: number }): Promise<Job[]> {
  const rows = options.type
    ? await db.query("SELECT * FROM jobs WHERE account_id = $1 AND type = $2 ORDER BY created_at DESC, id LIMIT $3", [
        options.accountId,
        options.type,
        options.limit,
      ])
    : await db.query("SELECT * FROM jobs WHERE account_id = $1 ORDER BY created_at DESC, id LIMIT $2", [options.accountId, options.limit]);
  return rows.map(toJob);
}

/** Asks a job to stop: a queued one stops at once, a running one goes to STOPPING. */
export async function requestStop(db: Queryable, accountId: string, id: string, now: number): Promise<void> {
  await db.execute(
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
 */
export async function recoverExpired(db: Queryable, now: number): Promise<number> {
  const { changes } = await db.execute(
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

/** Claims up to `limit` due jobs of the given types for `workerId`, each with a lease. */
export async function claimJobs(
  db: Queryable,
  options: { workerId: string; types: readonly string[]; limit: number; leaseMs: number; now: number },
): Promise<Job[]> {
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
    db.dialect === "postgres"
      ? `WITH next AS (${due} FOR UPDATE SKIP LOCKED) UPDATE jobs SET ${set} FROM next WHERE jobs.id = next.id RETURNING jobs.*`
      : `UPDATE jobs SET ${set} WHERE id IN (${due}) RETURNING *`;
  const rows = await db.transaction((tx) => tx.query(sql, params));
  return rows.map(toJob).sort((a, b) => a.runAfter.getTime() - b.runAfter.getTime() || a.createdAt.getTime() - b.createdAt.getTime());
}

/** Extends the lease; returns the job's state, or undefined when this worker no longer holds it. */
export async function heartbeat(db: Queryable, f: Fence, leaseUntil: number, now: number): Promise<JobState | undefined> {
  const [row] = await db.query<{ state: JobState }>(
    `UPDATE jobs SET lease_expires_at = $4, updated_at = $5 WHERE ${FENCE} RETURNING state`,
    [...fence(f), leaseUntil, now],
  );
  return row?.state;
}

/** Stores progress; false when this worker no longer holds the job. */
export async function saveProgress(db: Queryable, f: Fence, progress: JobProgress, now: number): Promise<boolean> {
  const { changes } = await db.execute(`UPDATE jobs SET progress = $4, updated_at = $5 WHERE ${FENCE}`, [...fence(f), JSON.stringify(progress), now]);
  return changes > 0;
}

/** Ends an attempt that returned: COMPLETE with its result. */
export async function completeJob(db: Queryable, f: Fence, result: unknown, now: number): Promise<boolean> {
  const { changes } = await db.execute(
    `UPDATE jobs SET state = 'COMPLETE', result = $4, failure_reason = NULL, locked_by = NULL, lease_expires_at = NULL,
       finished_at = $5, updated_at = $5 WHERE ${FENCE}`,
    [...fence(f), JSON.stringify(result ?? null), now],
  );
  return changes > 0;
}

/**
 * Ends an attempt that threw: QUEUED again after `retryAt`, or FAILED when `retryAt` is
 * undefined; STOPPED instead of either when a stop was requested meanwhile.
 */
export async function failAttempt(db: Queryable, f: Fence, options: { reason: string; retryAt?: number; now: number }): Promise<boolean> {
  const retry = options.retryAt !== undefined;
  const { changes } = await db.execute(
    `UPDATE jobs SET
       state = CASE WHEN state = 'STOPPING' THEN 'STOPPED' ELSE $4 END,
       finished_at = CASE WHEN state = 'STOPPING' OR $4 = 'FAILED' THEN $6 ELSE finished_at END,
       failure_reason = CASE WHEN state = 'STOPPING' THEN failure_reason ELSE $5 END,
       run_after = $7, locked_by = NULL, lease_expires_at = NULL, updated_at = $6
     WHERE ${FENCE}`,
    [...fence(f), retry ? "QUEUED" : "FAILED", options.reason, options.now, options.retryAt ?? options.now],
  );
  return changes > 0;
}

/** Ends an attempt that honoured a stop request. */
export async function markStopped(db: Queryable, f: Fence, now: number): Promise<boolean> {
  const { changes } = await db.execute(
    `UPDATE jobs SET state = 'STOPPED', locked_by = NULL, lease_expires_at = NULL, finished_at = $4, updated_at = $4 WHERE ${FENCE}`,
    [...fence(f), now],
  );
  return changes > 0;
}

/** Hands a job back at shutdown without counting the interrupted attempt. */
export async function releaseJob(db: Queryable, f: Fence, now: number): Promise<boolean> {
  const { changes } = await db.execute(
    `UPDATE jobs SET
       state = CASE WHEN state = 'STOPPING' THEN 'STOPPED' ELSE 'QUEUED' END,
       finished_at = CASE WHEN state = 'STOPPING' THEN $4 ELSE finished_at END,
       attempts = attempts - 1, run_after = $4, locked_by = NULL, lease_expires_at = NULL, updated_at = $4
     WHERE ${FENCE}`,
    [...fence(f), now],
  );
  return changes > 0;
}
