// Builds the quota, usage, metrics and invocation-logging services the server hands to its
// model-calling handlers, from the configuration and the open (migrated) metadata database.
import { join } from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config/schema.ts";
import { QuotaLimiter } from "../quotas/limiter.ts";
import { SharedQuotaLimiter } from "../quotas/shared-limiter.ts";
import { quotasConfigured } from "../quotas/quota-config.ts";
import type { EnvelopeEncryption } from "../store/crypto/envelope-encryption.ts";
import { openEncryption } from "../store/crypto/open-encryption.ts";
import type { Database } from "../store/db/database.ts";
import { createObjectStore } from "../store/objects/create-object-store.ts";
import { DbLoggingConfigStore } from "./db-logging-config-store.ts";
import { DbUsageRecorder } from "./db-usage-recorder.ts";
import { FileInvocationLogSink } from "./invocation-log-files.ts";
import { InvocationLogWriter } from "./invocation-log-writer.ts";
import type { LoggingConfigStore } from "./invocation-logging-config.ts";
import { UsageMetrics } from "./metrics.ts";
import { ObjectStoreLogSink, type BucketStoreOpener } from "./object-store-log-sink.ts";
import { DeferredWork } from "../util/deferred-work.ts";
import type { UsageRecorder } from "./recorder.ts";

/** Basalt's bearer API keys (`basalt_<id>_<secret><check>`): the public id stays, the secret goes. */
const BASALT_API_KEY = /\b(basalt_[a-z2-7]{12}_)[A-Za-z0-9_-]{43,}/g;

/** Invocation logging: per-account configurations and the writer that honours them. */
export interface InvocationLogging {
  configs: LoggingConfigStore;
  writer: InvocationLogWriter;
}

/** The services behind quotas, usage, `/metrics` and invocation logs. */
export interface UsageServices {
  /** The in-memory limiter: admission on one node (SQLite), at no I/O per request. */
  limiter: QuotaLimiter;
  /**
   * Present when the metadata database is PostgreSQL (several nodes): quota state shared by all
   * of them, so admission must go through it (`await sharedLimiter.reserve(…)`) instead of `limiter`.
   */
  sharedLimiter?: SharedQuotaLimiter;
  /** False when the configuration limits nothing: model calls then skip admission entirely. */
  quotasActive: boolean;
  recorder: UsageRecorder;
  metrics: UsageMetrics;
  invocationLogs: InvocationLogging;
  /** The region invocation log records name (the node's configured region). */
  region: string;
  logger: Logger;
  /** Where model calls queue their usage records, metrics and invocation logs (drained before `/metrics` renders). */
  deferred: DeferredWork;
  /** Writes pending usage and log records and releases the S3 clients; the database stays open. */
  close(): Promise<void>;
}

/** Options of {@link createUsageServices}. */
export interface UsageServicesOptions {
  config: Config;
  /** The metadata database, already migrated. */
  db: Database;
  /** Opens a store on a named bucket for S3 log delivery; by default from `objectStorage` when it is S3. */
  objects?: BucketStoreOpener;
  logger: Logger;
  /**
   * Seals the invocation logs written to the data directory; the server passes its own. When
   * omitted, one is opened on the data directory's key file and closed with the services.
   */
  encryption?: EnvelopeEncryption;
  /** Another usage store (e.g. a JsonlUsageRecorder); the database by default. */
  recorder?: UsageRecorder;
  /** Tuning for tests: batch delays of the usage recorder and the S3 log sink. */
  flushMs?: { usage?: number; s3Logs?: number };
  /** Export process and runtime metrics too (default true). */
  processMetrics?: boolean;
  /** The quota clock in ms; tests fix it so that buckets do not refill between assertions. */
  now?: () => number;
  /** The server's queue of deferred bookkeeping (shared with its access log); a new one by default. */
  deferred?: DeferredWork;
}

/**
 * S3 log delivery needs an S3-compatible endpoint: the one `objectStorage` names, with its
 * credentials, on the bucket the logging configuration names. With local object storage there
 * is none, and records go to the data directory (docs/decisions/0012).
 */
export function bucketOpenerFromConfig(config: Pick<Config, "dataDir" | "objectStorage">): BucketStoreOpener | undefined {
  const storage = config.objectStorage;
  if (storage?.type !== "s3") return undefined;
  const { prefix: _ownPrefix, ...endpoint } = storage;
  return (bucket) => createObjectStore({ dataDir: config.dataDir, objectStorage: { ...endpoint, bucket } });
}

/**
 * Budgets survive restarts: this month's recorded spend is replayed into the limiter, and seeds
 * the shared budgets when no node has counted this month yet.
 */
async function replaySpend(limiter: QuotaLimiter, shared: SharedQuotaLimiter | undefined, recorder: UsageRecorder, config: Config): Promise<void> {
  const quotas = config.quotas;
  const budgeted = Object.values(quotas?.principals ?? {}).some((p) => p.monthlyBudgetUsd !== undefined) || Object.values(quotas?.accounts ?? {}).some((a) => a.monthlyBudgetUsd !== undefined);
  if (!budgeted) return;
  const now = new Date();
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const spend: Array<{ model: string; principal: string; account?: string; usage: { inputTokens: number; outputTokens: number }; at: number }> = [];
  for await (const record of recorder.query({ from })) {
    const entry = { model: record.model, principal: record.principal, account: record.account, usage: record, at: Date.parse(record.timestamp) };
    limiter.addSpend(entry);
    if (shared) spend.push(entry);
  }
  await shared?.seedSpend((async function* () {
    yield* spend;
  })());
}

/** The recorder as the services expose it: a query first runs the bookkeeping still queued, so it sees every ended call. */
function drainingRecorder(recorder: UsageRecorder, deferred: DeferredWork): UsageRecorder {
  return {
    record: (record) => recorder.record(record),
    query(query) {
      deferred.drain();
      return recorder.query(query);
    },
    close: () => recorder.close(),
  };
}

/** Creates the usage services; close them on shutdown before closing the database. */
export async function createUsageServices(options: UsageServicesOptions): Promise<UsageServices> {
  const { config, db, logger } = options;
  const metrics = new UsageMetrics({ processMetrics: options.processMetrics });
  const onThrottle = (event: Parameters<UsageMetrics["throttled"]>[0]) => metrics.throttled(event);
  const limiter = new QuotaLimiter({ config: config.quotas, now: options.now, onThrottle });
  // Several nodes share one PostgreSQL database; their quota state must be shared too (docs/decisions/0020).
  const sharedLimiter =
    db.dialect === "postgres" && quotasConfigured(config.quotas)
      ? new SharedQuotaLimiter({ db, config: config.quotas, now: options.now, onThrottle, onError: (err) => logger.warn({ err }, "could not write shared quota state") })
      : undefined;
  const deferred = options.deferred ?? new DeferredWork({ onError: (err) => logger.warn({ err }, "deferred bookkeeping failed") });
  const recorder = drainingRecorder(options.recorder ?? new DbUsageRecorder({ db, flushMs: options.flushMs?.usage }), deferred);
  await replaySpend(limiter, sharedLimiter, recorder, config);
  const configs = new DbLoggingConfigStore({ db });
  const open = options.objects ?? bucketOpenerFromConfig(config);
  const s3Sink = open ? new ObjectStoreLogSink({ open, flushMs: options.flushMs?.s3Logs }) : undefined;
  const ownEncryption = options.encryption ? undefined : await openEncryption({ dataDir: config.dataDir, keyProvider: config.encryption.keyProvider, db });
  const encryption = options.encryption ?? ownEncryption!;
  const writer = new InvocationLogWriter({
    configs,
    fileSink: new FileInvocationLogSink({ dir: join(config.dataDir, "invocation-logs"), encryption }),
    s3Sink,
    redactPatterns: [BASALT_API_KEY],
  });
  let closing: Promise<void> | undefined;
  return {
    limiter,
    ...(sharedLimiter ? { sharedLimiter } : {}),
    quotasActive: quotasConfigured(config.quotas),
    recorder,
    metrics,
    invocationLogs: { configs, writer },
    region: config.region,
    logger,
    deferred,
    close() {
      deferred.drain();
      closing ??= Promise.all([recorder.close(), writer.close(), sharedLimiter?.close()]).then(() => ownEncryption?.close());
      return closing;
    },
  };
}
