// The database-backed usage recorder and logging configuration store, on SQLite and PostgreSQL
// (migration 0003 applied by the real migrate()).
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { describeEachEngine } from "../../test/conformance/engines.ts";
import type { Database } from "../store/db/database.ts";
import { migrate } from "../store/db/migrate.ts";
import { openDatabase } from "../store/db/open-database.ts";
import { buildCostReport } from "./cost-report.ts";
import { DbLoggingConfigStore } from "./db-logging-config-store.ts";
import { DbUsageRecorder } from "./db-usage-recorder.ts";
import { formatUsd, PriceTable } from "./prices.ts";
import type { UsageRecord } from "./recorder.ts";

const rec = (i: number, over: Partial<UsageRecord> = {}): UsageRecord => ({
  timestamp: new Date(Date.UTC(2025, 5, 1 + (i % 3), 12, 0, i % 60, i % 1000)).toISOString(),
  requestId: `r${String(i).padStart(4, "0")}`,
  principal: i % 2 ? "alice" : "bob",
  account: "111122223333",
  model: i % 5 ? "m" : "n",
  operation: "Converse",
  inputTokens: 10,
  outputTokens: 5,
  latencyMs: 120,
  outcome: "success",
  ...over,
});

async function collect(iterable: AsyncIterable<UsageRecord>): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  for await (const record of iterable) out.push(record);
  return out;
}

describeEachEngine("usage recorder and logging configurations", (target) => {
  let db: Database;
  before(async () => {
    db = openDatabase({ url: target.url() });
    await migrate(db);
  });
  after(async () => db.close());

  it("keeps every record of a concurrent burst, batched, and reads them back by period, model, principal and account", async () => {
    await db.execute("DELETE FROM usage_records");
    // A small page size makes the query walk several keyset pages.
    const recorder = new DbUsageRecorder({ db, flushMs: 10, maxBatch: 64, pageSize: 37 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => recorder.record(rec(i, i === 7 ? { errorName: "ThrottlingException", outcome: "throttled", account: undefined } : {}))));
    const all = await collect(recorder.query());
    assert.equal(all.length, 300);
    assert.equal(new Set(all.map((r) => r.requestId)).size, 300);
    assert.deepEqual(all.map((r) => r.timestamp), [...all.map((r) => r.timestamp)].sort(), "in time order");
    assert.deepEqual(all.find((r) => r.requestId === "r0001"), rec(1), "a record reads back exactly as written");
    const seventh = all.find((r) => r.requestId === "r0007")!;
    assert.equal(seventh.errorName, "ThrottlingException");
    assert.equal(seventh.account, undefined);
    const june2 = await collect(recorder.query({ from: new Date("2025-06-02T00:00:00Z"), to: new Date("2025-06-03T00:00:00Z") }));
    assert.equal(june2.length, 100);
    assert.equal((await collect(recorder.query({ model: "n", principal: "bob" }))).length, 30);
    assert.equal((await collect(recorder.query({ account: "999" }))).length, 0);
    await recorder.close();
  });

  it("writes a pending batch on close, whatever its size (fixed-size statements plus single rows)", async () => {
    await db.execute("DELETE FROM usage_records");
    const recorder = new DbUsageRecorder({ db, flushMs: 60_000, maxBatch: 1000 });
    for (let i = 0; i < 63; i++) void recorder.record(rec(i));
    await recorder.close();
    assert.equal((await collect(new DbUsageRecorder({ db }).query())).length, 63);
  });

  it("feeds the cost report: 5M input and 2M output tokens at $0.003 and $0.015 per 1K are $45.00", async () => {
    await db.execute("DELETE FROM usage_records");
    const recorder = new DbUsageRecorder({ db, flushMs: 5 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => recorder.record(rec(i, { inputTokens: 50_000, outputTokens: 20_000 }))));
    const report = await buildCostReport({ records: recorder.query(), prices: new PriceTable({ "*": { inputPer1k: 0.003, outputPer1k: 0.015 } }) });
    assert.equal(formatUsd(report.total.cost), "45.000000");
  });

  it("persists logging configurations per account: Get after Put, other accounts unaffected, gone after Delete", async () => {
    const store = new DbLoggingConfigStore({ db });
    assert.equal(await store.get("111122223333"), undefined, "off by default");
    await store.put("111122223333", { textDataDeliveryEnabled: true, s3Config: { bucketName: "logs", keyPrefix: "p/" } });
    await store.put("111122223333", { textDataDeliveryEnabled: false });
    // A second store is another node (or a restart): it reads the database, not this cache.
    const other = new DbLoggingConfigStore({ db });
    assert.deepEqual(await other.get("111122223333"), { textDataDeliveryEnabled: false });
    assert.equal(await other.get("444455556666"), undefined);
    await store.delete("111122223333");
    assert.equal(await store.get("111122223333"), undefined);
    assert.equal(await new DbLoggingConfigStore({ db }).get("111122223333"), undefined);
  });

  it("reuses a cached answer within its TTL and reads the database again after it", async () => {
    let now = 1_000;
    const reader = new DbLoggingConfigStore({ db, ttlMs: 5_000, now: () => now });
    const writer = new DbLoggingConfigStore({ db });
    assert.equal(await reader.get("777788889999"), undefined);
    await writer.put("777788889999", { textDataDeliveryEnabled: true });
    assert.equal(await reader.get("777788889999"), undefined, "cached");
    now += 5_000;
    assert.deepEqual(await reader.get("777788889999"), { textDataDeliveryEnabled: true });
    await writer.delete("777788889999");
  });
});
