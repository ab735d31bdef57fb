// Delivers invocation log records to S3 buckets through the ObjectStore interface, in Bedrock's
// layout: `<keyPrefix>/AWSLogs/<account>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/
// <time>_<id>.json.gz`, each object gzipped JSON Lines. Records are batched per destination
// and hour: one PUT per batch rather than per invocation, as Bedrock delivers too. The objects
// are plaintext, as Bedrock's are: the bucket is the user's own, and encrypting it at rest is
// the bucket's business (server-side encryption), so the user's tools can read what lands there.
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { ObjectStore } from "../store/objects/object-store.ts";
import type { InvocationLogRecord, InvocationLogSink, LogDestination } from "./invocation-log-writer.ts";

const gzipAsync = promisify(gzip);

/** Opens an object store on a named bucket (same endpoint and credentials, another bucket). */
export type BucketStoreOpener = (bucketName: string) => ObjectStore;

/** Options of {@link ObjectStoreLogSink}. */
export interface ObjectStoreLogSinkOptions {
  open: BucketStoreOpener;
  /** Longest a record waits before its batch is written (default 5000 ms). */
  flushMs?: number;
  /** A batch is written at once when it reaches this many records (default 1000). */
  maxBatch?: number;
}

interface Batch {
  bucket: string;
  prefix: string;
  /** The first record, which names the object (account, region, hour). */
  first: InvocationLogRecord;
  lines: string[];
  waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
  timer: NodeJS.Timeout;
}

/** The key of one delivered object, Bedrock's layout under an optional prefix. */
export function invocationLogKey(options: { keyPrefix?: string; record: InvocationLogRecord; id: string }): string {
  const { record } = options;
  const [date, time] = record.timestamp.split("T") as [string, string];
  const [year, month, day] = date.split("-");
  const prefix = options.keyPrefix ? (options.keyPrefix.endsWith("/") ? options.keyPrefix : `${options.keyPrefix}/`) : "";
  const stamp = `${date.replaceAll("-", "")}T${time.slice(0, 8).replaceAll(":", "")}Z`;
  return `${prefix}AWSLogs/${record.accountId}/BedrockModelInvocationLogs/${record.region}/${year}/${month}/${day}/${time.slice(0, 2)}/${stamp}_${options.id}.json.gz`;
}

/** Batches records per bucket, prefix, account, region and hour, and PUTs each batch as one object. */
export class ObjectStoreLogSink implements InvocationLogSink {
  private readonly open: BucketStoreOpener;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly stores = new Map<string, ObjectStore>();
  private readonly batches = new Map<string, Batch>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: ObjectStoreLogSinkOptions) {
    this.open = options.open;
    this.flushMs = options.flushMs ?? 5000;
    this.maxBatch = options.maxBatch ?? 1000;
  }

  write(record: InvocationLogRecord, destination: LogDestination): Promise<void> {
    if (destination.kind !== "s3") return Promise.reject(new Error("ObjectStoreLogSink delivers only to S3 destinations"));
    const prefix = destination.keyPrefix ?? "";
    const key = [destination.bucketName, prefix, record.accountId, record.region, record.timestamp.slice(0, 13)].join("\u0000");
    let batch = this.batches.get(key);
    if (!batch) {
      // Not unref'd: pending records keep the process up until delivered (close() flushes at once).
      const timer = setTimeout(() => this.flushBatch(key), this.flushMs);
      batch = { bucket: destination.bucketName, prefix, lines: [], waiters: [], timer, first: record };
      this.batches.set(key, batch);
    }
    batch.lines.push(`${JSON.stringify(record)}\n`);
    const done = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    if (batch.lines.length >= this.maxBatch) this.flushBatch(key);
    return done;
  }

  /** Writes every pending batch now and waits for all deliveries. */
  async flush(): Promise<void> {
    for (const key of [...this.batches.keys()]) this.flushBatch(key);
    await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    await this.flush();
    await Promise.all([...this.stores.values()].map((store) => store.close()));
    this.stores.clear();
  }

  private flushBatch(key: string): void {
    const batch = this.batches.get(key);
    if (!batch) return;
    this.batches.delete(key);
    clearTimeout(batch.timer);
    const delivery = this.deliver(batch).then(
      () => batch.waiters.forEach((w) => w.resolve()),
      (error: unknown) => batch.waiters.forEach((w) => w.reject(error)),
    );
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async deliver(batch: Batch): Promise<void> {
    let store = this.stores.get(batch.bucket);
    if (!store) {
      store = this.open(batch.bucket);
      this.stores.set(batch.bucket, store);
    }
    const body = await gzipAsync(Buffer.from(batch.lines.join(""), "utf8"));
    const key = invocationLogKey({ keyPrefix: batch.prefix, record: batch.first, id: randomUUID() });
    await store.put(key, body, { contentType: "application/gzip" });
  }
}
