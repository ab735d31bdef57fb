// Per-request usage records behind a deliberately small interface (record, query, close), so
// the SQL metadata store can provide a recorder later without touching callers. Two
// implementations here: in memory (tests, short-lived tools) and JSON Lines files per UTC day.
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { BasaltError } from "../spec/errors.ts";
import { JsonlAppender } from "./jsonl-appender.ts";

/** How a request ended. */
export type UsageOutcome = "success" | "client_error" | "server_error" | "throttled" | "aborted";

/** One request's usage. */
export interface UsageRecord {
  /** ISO 8601, UTC. */
  timestamp: string;
  requestId?: string;
  principal: string;
  account?: string;
  model: string;
  /** Bedrock operation name (Converse, InvokeModel, …) or the OpenAI route. */
  operation?: string;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  outcome: UsageOutcome;
  /** Bedrock exception name, when the request failed. */
  errorName?: string;
}

/** Which records to read back; bounds are inclusive of `from`, exclusive of `to`. */
export interface UsageQuery {
  from?: Date;
  to?: Date;
  model?: string;
  principal?: string;
  account?: string;
}

/** Stores usage records and reads them back. */
export interface UsageRecorder {
  record(record: UsageRecord): Promise<void>;
  query(query?: UsageQuery): AsyncIterable<UsageRecord>;
  /** Waits for pending writes. */
  close(): Promise<void>;
}

/** The outcome of a request from its error (none: success); `aborted` when the client went away. */
export function outcomeOf(error: BasaltError | undefined, aborted = false): UsageOutcome {
  if (aborted) return "aborted";
  if (!error) return "success";
  if (error.code === "THROTTLED") return "throttled";
  return error.kind.fault === "server" ? "server_error" : "client_error";
}

/** Whether a record matches a query. */
export function matches(record: UsageRecord, query: UsageQuery): boolean {
  const at = Date.parse(record.timestamp);
  if (query.from && at < query.from.getTime()) return false;
  if (query.to && at >= query.to.getTime()) return false;
  if (query.model !== undefined && record.model !== query.model) return false;
  if (query.principal !== undefined && record.principal !== query.principal) return false;
  if (query.account !== undefined && record.account !== query.account) return false;
  return true;
}

/** Keeps records in memory; unbounded, so for tests and short-lived processes. */
export class MemoryUsageRecorder implements UsageRecorder {
  readonly records: UsageRecord[] = [];

  async record(record: UsageRecord): Promise<void> {
    this.records.push(record);
  }

  async *query(query: UsageQuery = {}): AsyncIterable<UsageRecord> {
    for (const record of this.records) if (matches(record, query)) yield record;
  }

  async close(): Promise<void> {}
}

const FILE = /^usage-(\d{4}-\d{2}-\d{2})\.jsonl$/;

/** Appends records to `<dir>/usage-YYYY-MM-DD.jsonl` (UTC day of the record); reads skip torn lines. */
export class JsonlUsageRecorder implements UsageRecorder {
  private readonly appender = new JsonlAppender();

  constructor(readonly dir: string) {}

  record(record: UsageRecord): Promise<void> {
    return this.appender.append(join(this.dir, `usage-${record.timestamp.slice(0, 10)}.jsonl`), record);
  }

  async *query(query: UsageQuery = {}): AsyncIterable<UsageRecord> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    const fromDay = query.from?.toISOString().slice(0, 10);
    const toDay = query.to?.toISOString().slice(0, 10);
    const days = names
      .map((name) => FILE.exec(name)?.[1])
      .filter((day): day is string => day !== undefined && (!fromDay || day >= fromDay) && (!toDay || day <= toDay))
      .sort();
    for (const day of days) {
      const lines = createInterface({ input: createReadStream(join(this.dir, `usage-${day}.jsonl`), "utf8"), crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line) continue;
        let record: UsageRecord;
        try {
          record = JSON.parse(line) as UsageRecord;
        } catch {
          continue; // a line torn by a crash mid-write; the rest of the file is still good
        }
        if (matches(record, query)) yield record;
      }
    }
  }

  close(): Promise<void> {
    return this.appender.flush();
  }
}
