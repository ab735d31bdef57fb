// Usage records in the metadata database (table usage_records, migration 0003). Records are
// batched: a request only queues its record, and one transaction per batch writes them, so an
// SQLite commit (an fsync under synchronous=FULL) is paid per batch, not per request. A crash
// loses at most the last `flushMs` of records; usage is accounting, not billing truth.
// Statements have fixed sizes (CHUNK rows, then single rows): preparing a 500-row INSERT takes
// ~100 ms of SQLite's time on the event loop, and a new size per batch would pay it every time.
import { randomUUID } from "node:crypto";
import type { Database, SqlValue } from "../store/db/database.ts";
import type { UsageOutcome, UsageQuery, UsageRecord, UsageRecorder } from "./recorder.ts";

/** Options of {@link DbUsageRecorder}. */
export interface DbUsageRecorderOptions {
  db: Database;
  /** Longest a record waits before its batch is written (default 1000 ms). */
  flushMs?: number;
  /** A batch is written at once when it reaches this many records (default 200: a write of ~1 ms). */
  maxBatch?: number;
  /** Rows read per page when querying (default 1000). */
  pageSize?: number;
}

const COLUMNS = ["request_id", "at", "account_id", "principal", "model", "operation", "input_tokens", "output_tokens", "latency_ms", "outcome", "error_name"] as const;
/** Rows per multi-row INSERT: cheap to prepare, and few statements per batch. */
const CHUNK = 25;

function insertSql(rows: number): string {
  const width = COLUMNS.length;
  const tuples = Array.from({ length: rows }, (_, r) => `(${COLUMNS.map((_c, c) => `$${r * width + c + 1}`).join(", ")})`);
  return `INSERT INTO usage_records (${COLUMNS.join(", ")}) VALUES ${tuples.join(", ")}`;
}

const INSERT_CHUNK = insertSql(CHUNK);
const INSERT_ONE = insertSql(1);

interface Row {
  request_id: string;
  at: number;
  account_id: string | null;
  principal: string;
  model: string;
  operation: string | null;
  input_tokens: number;
  output_tokens: number;
  latency_ms: number;
  outcome: string;
  error_name: string | null;
}

interface Batch {
  rows: SqlValue[][];
  done: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function toRecord(row: Row): UsageRecord {
  const record: UsageRecord = {
    timestamp: new Date(Number(row.at)).toISOString(),
    requestId: row.request_id,
    principal: row.principal,
    model: row.model,
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    latencyMs: Number(row.latency_ms),
    outcome: row.outcome as UsageOutcome,
  };
  if (row.account_id !== null) record.account = row.account_id;
  if (row.operation !== null) record.operation = row.operation;
  if (row.error_name !== null) record.errorName = row.error_name;
  return record;
}

/** Stores usage records in the metadata database, written in batches. */
export class DbUsageRecorder implements UsageRecorder {
  private readonly db: Database;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly pageSize: number;
  private batch: Batch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(options: DbUsageRecorderOptions) {
    this.db = options.db;
    this.flushMs = options.flushMs ?? 1000;
    this.maxBatch = options.maxBatch ?? 200;
    this.pageSize = options.pageSize ?? 1000;
  }

  /** Queues a record; resolves once its batch is committed. */
  record(record: UsageRecord): Promise<void> {
    let batch = this.batch;
    if (!batch) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      batch = this.batch = { rows: [], done, resolve, reject };
      // Not unref'd: a process awaiting a record stays up until its batch is written.
      this.timer = setTimeout(() => this.flush(), this.flushMs);
    }
    batch.rows.push([
      record.requestId ?? randomUUID(),
      Date.parse(record.timestamp),
      record.account ?? null,
      record.principal,
      record.model,
      record.operation ?? null,
      record.inputTokens,
      record.outputTokens,
      Math.round(record.latencyMs),
      record.outcome,
      record.errorName ?? null,
    ]);
    if (batch.rows.length >= this.maxBatch) this.flush();
    return batch.done;
  }

  /** Writes the pending batch now; resolves when everything queued so far is written. */
  flush(): Promise<void> {
    const batch = this.batch;
    if (batch) {
      this.batch = undefined;
      clearTimeout(this.timer);
      // Batches are written one after another, so close() can wait on the last one.
      this.writing = this.writing.then(() => this.insert(batch.rows).then(batch.resolve, batch.reject));
    }
    return this.writing;
  }

  private async insert(rows: SqlValue[][]): Promise<void> {
    await this.db.transaction(async (tx) => {
      let at = 0;
      for (; at + CHUNK <= rows.length; at += CHUNK) await tx.execute(INSERT_CHUNK, rows.slice(at, at + CHUNK).flat());
      for (; at < rows.length; at++) await tx.execute(INSERT_ONE, rows[at]!);
    });
  }

  /** Reads records in time order, one page at a time (keyset pagination on (at, request_id)). */
  async *query(query: UsageQuery = {}): AsyncIterable<UsageRecord> {
    await this.flush();
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (sql: string, value: SqlValue) => {
      params.push(value);
      where.push(sql.replace("?", `$${params.length}`));
    };
    if (query.from) add("at >= ?", query.from.getTime());
    if (query.to) add("at < ?", query.to.getTime());
    if (query.model !== undefined) add("model = ?", query.model);
    if (query.principal !== undefined) add("principal = ?", query.principal);
    if (query.account !== undefined) add("account_id = ?", query.account);
    let after: { at: number; requestId: string } | undefined;
    for (;;) {
      const page = [...where];
      const pageParams = [...params];
      if (after) {
        pageParams.push(after.at, after.at, after.requestId);
        const n = pageParams.length;
        page.push(`(at > $${n - 2} OR (at = $${n - 1} AND request_id > $${n}))`);
      }
      const sql = `SELECT ${COLUMNS.join(", ")} FROM usage_records${page.length ? ` WHERE ${page.join(" AND ")}` : ""} ORDER BY at, request_id LIMIT ${this.pageSize}`;
      const rows = await this.db.query<Row>(sql, pageParams);
      for (const row of rows) yield toRecord(row);
      if (rows.length < this.pageSize) return;
      const last = rows[rows.length - 1]!;
      after = { at: Number(last.at), requestId: last.request_id };
    }
  }

  /** Writes what is pending; the database itself stays open (its owner closes it). */
  async close(): Promise<void> {
    await this.flush();
  }
}
