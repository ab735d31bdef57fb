// Ingestion jobs: each one IS a job of the durable queue (type `kb.ingestion`), tied to its data
// source by a row of kb_ingestion_jobs. This module starts, reads, lists and stops them, mapping
// the queue's state, progress counters and result to Bedrock's IngestionJob shape. The sync
// itself is the handler registered on the queue for INGESTION_JOB_TYPE.
import type { JobQueue } from "../../jobs/job-queue.ts";
import type { Job } from "../../jobs/job.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { Database, Queryable, SqlValue } from "../../store/db/database.ts";
import { lockDataSource } from "./data-sources.ts";
import { findKnowledgeBase } from "./knowledge-bases.ts";
import { dataSourceNotFound, DEFAULT_PAGE_SIZE, knowledgeBaseNotFound, type PageRequest } from "./knowledge-base-store.ts";
import { decodePageToken, encodePageToken } from "../../store/paging.ts";
import type { DataSourceRef, Page } from "./records.ts";

/** The queue's job type of a data-source sync. */
export const INGESTION_JOB_TYPE = "kb.ingestion";

/** The payload of an ingestion job: which data source to sync (the job carries the account). */
export interface IngestionJobPayload {
  knowledgeBaseId: string;
  dataSourceId: string;
}

/** What the ingestion handler returns: per-document failures, reported as the job's failureReasons. */
export interface IngestionJobResult {
  failureReasons?: string[];
}

/**
 * Bedrock's statistics, by name: the handler reports them as its progress `counters` under
 * exactly these keys, and every job reports each (0 until counted).
 */
export const INGESTION_STATISTICS = [
  "numberOfDocumentsScanned",
  "numberOfMetadataDocumentsScanned",
  "numberOfNewDocumentsIndexed",
  "numberOfModifiedDocumentsIndexed",
  "numberOfMetadataDocumentsModified",
  "numberOfDocumentsDeleted",
  "numberOfDocumentsFailed",
] as const;
/** One statistic name. */
export type IngestionStatistic = (typeof INGESTION_STATISTICS)[number];
/** Reported only once a handler counts it (newer SDKs know it, older ones ignore it). */
const OPTIONAL_STATISTICS = ["numberOfDocumentsSkipped"] as const;

/** Bedrock's ingestion-job statuses. */
export const INGESTION_JOB_STATUSES = ["STARTING", "IN_PROGRESS", "COMPLETE", "FAILED", "STOPPING", "STOPPED"] as const;
/** An ingestion job's status. */
export type IngestionJobStatus = (typeof INGESTION_JOB_STATUSES)[number];

/** An ingestion job as Bedrock describes it. */
export interface IngestionJob {
  ingestionJobId: string;
  knowledgeBaseId: string;
  dataSourceId: string;
  description?: string;
  status: IngestionJobStatus;
  statistics: Record<string, number>;
  failureReasons: string[];
  /** When StartIngestionJob accepted it. */
  startedAt: Date;
  updatedAt: Date;
}

/** ListIngestionJobs' filter and sort, besides paging. */
export interface IngestionJobListRequest extends PageRequest {
  /** Only jobs in one of these statuses (Bedrock's `STATUS EQ` filter). */
  statuses?: readonly IngestionJobStatus[];
  sortBy?: { attribute: "STATUS" | "STARTED_AT"; order: "ASCENDING" | "DESCENDING" };
}

// Bedrock caps failureReasons at 2048 entries of 2048 characters.
const MAX_REASONS = 2048;
const MAX_REASON_LENGTH = 2048;

/**
 * The Bedrock status of a queue job: QUEUED is STARTING before the first attempt and
 * IN_PROGRESS while it waits to retry a failed attempt; the other states share their names.
 */
export function ingestionJobStatus(job: Pick<Job, "state" | "attempts">): IngestionJobStatus {
  if (job.state === "QUEUED") return job.attempts === 0 ? "STARTING" : "IN_PROGRESS";
  return job.state;
}

const FINAL_STATUSES: ReadonlySet<IngestionJobStatus> = new Set(["COMPLETE", "FAILED", "STOPPED"]);

// The same mapping in SQL, for filtering and sorting by status.
const STATUS_SQL = "CASE WHEN j.state = 'QUEUED' AND j.attempts = 0 THEN 'STARTING' WHEN j.state = 'QUEUED' THEN 'IN_PROGRESS' ELSE j.state END";
const ACTIVE_STATES = "('QUEUED', 'IN_PROGRESS', 'STOPPING')";

/** Where an ingestion job belongs, as kb_ingestion_jobs records it. */
interface JobLink {
  jobId: string;
  knowledgeBaseId: string;
  dataSourceId: string;
  description?: string;
}

/** Maps a queue job and its link to Bedrock's IngestionJob. */
export function toIngestionJob(job: Job, link: Omit<JobLink, "jobId">): IngestionJob {
  const counters = job.progress.counters ?? {};
  const statistics: Record<string, number> = {};
  for (const name of INGESTION_STATISTICS) statistics[name] = Math.max(0, Math.trunc(counters[name] ?? 0));
  for (const name of OPTIONAL_STATISTICS) if (typeof counters[name] === "number") statistics[name] = Math.max(0, Math.trunc(counters[name]));
  const result = job.result as IngestionJobResult | null | undefined;
  const reasons = Array.isArray(result?.failureReasons) ? result.failureReasons.filter((r): r is string => typeof r === "string") : [];
  if (job.state === "FAILED" && job.failureReason) reasons.push(job.failureReason);
  const out: IngestionJob = {
    ingestionJobId: job.id,
    knowledgeBaseId: link.knowledgeBaseId,
    dataSourceId: link.dataSourceId,
    status: ingestionJobStatus(job),
    statistics,
    failureReasons: reasons.slice(0, MAX_REASONS).map((r) => r.slice(0, MAX_REASON_LENGTH)),
    startedAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
  if (link.description !== undefined) out.description = link.description;
  return out;
}

/** Options of {@link IngestionJobs}. */
export interface IngestionJobsOptions {
  /** The database the queue runs on: a job and its link are written in one transaction. */
  db: Database;
  queue: JobQueue;
}

/** Start, read, list and stop ingestion jobs of data sources. */
export class IngestionJobs {
  readonly db: Database;
  readonly queue: JobQueue;

  constructor(options: IngestionJobsOptions) {
    this.db = options.db;
    this.queue = options.queue;
  }

  /**
   * Starts a sync of the data source, or returns the job its client token started. A data
   * source runs one job at a time: while one is STARTING, IN_PROGRESS or STOPPING, another is
   * a ConflictException, as on Bedrock.
   */
  async start(ref: DataSourceRef, options: { clientToken?: string; description?: string } = {}): Promise<{ job: IngestionJob; created: boolean }> {
    return this.db.transaction(async (tx) => {
      if (!(await lockDataSource(tx, ref))) throw await this.missing(tx, ref);
      // Runs inside this transaction (the database joins the open scope): a refused start leaves no job behind.
      const { job, created } = await this.queue.create<IngestionJobPayload>({
        type: INGESTION_JOB_TYPE,
        accountId: ref.accountId,
        payload: { knowledgeBaseId: ref.knowledgeBaseId, dataSourceId: ref.dataSourceId },
        clientToken: options.clientToken,
      });
      if (!created) {
        const link = await findLink(tx, ref, job.id);
        if (!link) throw new Error(`Ingestion job ${job.id} exists without its data-source link.`);
        return { job: toIngestionJob(job, link), created: false };
      }
      const [running] = await activeJobIds(tx, ref);
      if (running !== undefined) {
        throw new BasaltError(
          "CONFLICT",
          `Data source ${ref.dataSourceId} already has an ingestion job in progress (${running}); wait for it to finish or stop it before starting another.`,
        );
      }
      const link: JobLink = { jobId: job.id, knowledgeBaseId: ref.knowledgeBaseId, dataSourceId: ref.dataSourceId, description: options.description };
      await tx.execute(
        "INSERT INTO kb_ingestion_jobs (job_id, account_id, knowledge_base_id, data_source_id, description, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        [job.id, ref.accountId, ref.knowledgeBaseId, ref.dataSourceId, options.description ?? null, job.createdAt.getTime()],
      );
      return { job: toIngestionJob(job, link), created: true };
    });
  }

  /** An ingestion job of the data source, or ResourceNotFoundException. */
  async get(ref: DataSourceRef, ingestionJobId: string): Promise<IngestionJob> {
    const link = await findLink(this.db, ref, ingestionJobId);
    const job = link && (await this.queue.get(ref.accountId, ingestionJobId));
    if (!link || !job) throw await this.jobMissing(ref, ingestionJobId);
    return toIngestionJob(job, link);
  }

  /** One page of the data source's ingestion jobs (newest first unless `sortBy` says otherwise). */
  async list(ref: DataSourceRef, request: IngestionJobListRequest = {}): Promise<Page<IngestionJob>> {
    if (!(await lockFreeExists(this.db, ref))) throw await this.missing(this.db, ref);
    const sort = request.sortBy ?? { attribute: "STARTED_AT", order: "DESCENDING" };
    // An empty filter filters nothing out.
    const statuses = request.statuses && request.statuses.length > 0 ? [...new Set(request.statuses)].sort() : undefined;
    const scope = `jobs:${ref.dataSourceId}:${sort.attribute}:${sort.order}:${statuses?.join(",") ?? ""}`;
    const keyType = sort.attribute === "STATUS" ? "string" : "number";
    const after = request.nextToken === undefined ? undefined : decodePageToken(scope, request.nextToken, [keyType, "string"]);
    const limit = request.maxResults ?? DEFAULT_PAGE_SIZE;

    const key = sort.attribute === "STATUS" ? STATUS_SQL : "i.created_at";
    const [cmp, dir] = sort.order === "ASCENDING" ? [">", "ASC"] : ["<", "DESC"];
    const params: SqlValue[] = [ref.accountId, ref.knowledgeBaseId, ref.dataSourceId];
    let where = "i.account_id = $1 AND i.knowledge_base_id = $2 AND i.data_source_id = $3";
    if (statuses) {
      where += ` AND ${STATUS_SQL} IN (${statuses.map((_, n) => `$${params.length + n + 1}`).join(", ")})`;
      params.push(...statuses);
    }
    if (after) {
      const k = `$${params.length + 1}`;
      const id = `$${params.length + 2}`;
      where += ` AND (${key} ${cmp} ${k} OR (${key} = ${k} AND i.job_id ${cmp} ${id}))`;
      params.push(after[0]!, after[1]!);
    }
    params.push(limit + 1);
    const rows = await this.db.query<{ job_id: string; description: string | null; sort_key: string | number }>(
      `SELECT i.job_id, i.description, ${key} AS sort_key FROM kb_ingestion_jobs i JOIN jobs j ON j.id = i.job_id
       WHERE ${where} ORDER BY sort_key ${dir}, i.job_id ${dir} LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, limit);
    // One read per job through the queue's own API, rather than a second mapping of its rows.
    const jobs = await Promise.all(page.map((row) => this.queue.get(ref.accountId, row.job_id)));
    const items = page.flatMap((row, i) => {
      const job = jobs[i];
      return job ? [toIngestionJob(job, { knowledgeBaseId: ref.knowledgeBaseId, dataSourceId: ref.dataSourceId, description: row.description ?? undefined })] : [];
    });
    if (rows.length <= limit) return { items };
    const last = page[page.length - 1]!;
    const lastKey = keyType === "number" ? Number(last.sort_key) : String(last.sort_key);
    return { items, nextToken: encodePageToken(scope, [lastKey, last.job_id]) };
  }

  /**
   * Stops a job: a STARTING one becomes STOPPED at once, an IN_PROGRESS one STOPPING until its
   * handler honours the signal. A job that already ended is a ConflictException.
   */
  async stop(ref: DataSourceRef, ingestionJobId: string): Promise<IngestionJob> {
    const current = await this.get(ref, ingestionJobId);
    if (FINAL_STATUSES.has(current.status)) {
      throw new BasaltError("CONFLICT", `Ingestion job ${ingestionJobId} has already ended (${current.status}); only a running job can be stopped.`);
    }
    const job = await this.queue.stopJob(ref.accountId, ingestionJobId);
    if (!job) throw await this.jobMissing(ref, ingestionJobId);
    return toIngestionJob(job, current);
  }

  /** Ids of the jobs still running (STARTING, IN_PROGRESS or STOPPING) for a data source, or for every data source of a knowledge base. */
  async running(accountId: string, knowledgeBaseId: string, dataSourceId?: string): Promise<string[]> {
    return activeJobIds(this.db, { accountId, knowledgeBaseId, dataSourceId });
  }

  private async missing(db: Queryable, ref: DataSourceRef): Promise<BasaltError> {
    return (await findKnowledgeBase(db, ref.accountId, ref.knowledgeBaseId)) ? dataSourceNotFound(ref) : knowledgeBaseNotFound(ref.knowledgeBaseId);
  }

  private async jobMissing(ref: DataSourceRef, ingestionJobId: string): Promise<BasaltError> {
    if (!(await lockFreeExists(this.db, ref))) return this.missing(this.db, ref);
    return new BasaltError("NOT_FOUND", `Ingestion job ${ingestionJobId} does not exist in data source ${ref.dataSourceId}.`);
  }
}

async function findLink(db: Queryable, ref: DataSourceRef, jobId: string): Promise<JobLink | undefined> {
  const [row] = await db.query<{ description: string | null }>(
    "SELECT description FROM kb_ingestion_jobs WHERE job_id = $1 AND account_id = $2 AND knowledge_base_id = $3 AND data_source_id = $4",
    [jobId, ref.accountId, ref.knowledgeBaseId, ref.dataSourceId],
  );
  if (!row) return undefined;
  const link: JobLink = { jobId, knowledgeBaseId: ref.knowledgeBaseId, dataSourceId: ref.dataSourceId };
  if (row.description !== null) link.description = row.description;
  return link;
}

async function activeJobIds(db: Queryable, ref: { accountId: string; knowledgeBaseId: string; dataSourceId?: string }): Promise<string[]> {
  const params: SqlValue[] = [ref.accountId, ref.knowledgeBaseId];
  let sql = `SELECT i.job_id FROM kb_ingestion_jobs i JOIN jobs j ON j.id = i.job_id
     WHERE i.account_id = $1 AND i.knowledge_base_id = $2 AND j.state IN ${ACTIVE_STATES}`;
  if (ref.dataSourceId !== undefined) {
    sql += " AND i.data_source_id = $3";
    params.push(ref.dataSourceId);
  }
  const rows = await db.query<{ job_id: string }>(`${sql} ORDER BY i.created_at, i.job_id`, params);
  return rows.map((r) => r.job_id);
}

/** Whether the data source exists (a plain read, no lock). */
async function lockFreeExists(db: Queryable, ref: DataSourceRef): Promise<boolean> {
  const rows = await db.query("SELECT 1 AS found FROM kb_data_sources WHERE account_id = $1 AND knowledge_base_id = $2 AND id = $3", [
    ref.accountId,
    ref.knowledgeBaseId,
    ref.dataSourceId,
  ]);
  return rows.length > 0;
}
