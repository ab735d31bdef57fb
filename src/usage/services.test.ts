// createUsageServices over a real SQLite database: budgets survive a restart (this month's
// recorded spend is replayed into the limiter) and S3 delivery follows objectStorage. Over
// PostgreSQL (when configured), two nodes' services share their quotas and seeded budgets.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { parseConfig } from "../config/loader.ts";
import { quotasConfigured } from "../quotas/quota-config.ts";
import { BasaltError } from "../spec/errors.ts";
import { S3ObjectStore } from "../store/objects/s3-object-store.ts";
import { migrate } from "../store/db/migrate.ts";
import { openDatabase } from "../store/db/open-database.ts";
import { createTestDatabase, PG_SKIP_REASON } from "../../test/helpers/postgres.ts";
import { parseUsd } from "./prices.ts";
import { bucketOpenerFromConfig, createUsageServices } from "./services.ts";

const dataDir = mkdtempSync(join(tmpdir(), "basalt-usage-services-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const logger = pino({ level: "silent" });

describe("usage services", () => {
  it("replays this month's recorded spend into the budgets at start, so a restart cannot reset a hard stop", async () => {
    const config = parseConfig({
      dataDir,
      quotas: { principals: { alice: { monthlyBudgetUsd: "1.00" } }, prices: { m: { inputPer1k: "0.01", outputPer1k: "0.01" } } },
    });
    const db = openDatabase({ dataDir });
    await migrate(db);
    const first = await createUsageServices({ config, db, logger, processMetrics: false, flushMs: { usage: 5 } });
    const now = new Date().toISOString();
    // $0.90 this month, and usage of an earlier month that must not count.
    await first.recorder.record({ timestamp: now, principal: "alice", model: "m", inputTokens: 60_000, outputTokens: 30_000, latencyMs: 1, outcome: "success" });
    await first.recorder.record({ timestamp: "2020-01-15T00:00:00.000Z", principal: "alice", model: "m", inputTokens: 1_000_000, outputTokens: 0, latencyMs: 1, outcome: "success" });
    await first.close();

    const second = await createUsageServices({ config, db, logger, processMetrics: false });
    assert.equal(second.limiter.budgetState({ kind: "principal", id: "alice" }).spent, parseUsd("0.90"));
    second.limiter.reserve({ model: "m", principal: "alice", inputTokens: 5_000, maxTokens: 5_000 }).settle({ inputTokens: 5_000, outputTokens: 5_000 }); // $0.10 fits, exactly
    assert.throws(
      () => second.limiter.reserve({ model: "m", principal: "alice", inputTokens: 5_000, maxTokens: 5_000 }),
      (error: unknown) => error instanceof BasaltError && error.code === "THROTTLED",
    );
    assert.equal(second.quotasActive, true);
    await second.close();
    await db.close();
  });

  it("is inactive without limits (prices alone limit nothing) and delivers to S3 only with S3 object storage", () => {
    assert.equal(quotasConfigured(undefined), false);
    assert.equal(quotasConfigured({ prices: { m: { inputPer1k: 1, outputPer1k: 1 } } }), false);
    assert.equal(quotasConfigured({ models: { m: { perPrincipal: { concurrentStreams: 1 } } } }), true);
    assert.equal(quotasConfigured({ accounts: { "111122223333": { monthlyBudgetUsd: 5 } } }), true);
    assert.equal(bucketOpenerFromConfig(parseConfig({ dataDir })), undefined);
    const open = bucketOpenerFromConfig(
      parseConfig({ dataDir, objectStorage: { type: "s3", bucket: "basalt-data", prefix: "basalt/", endpoint: "http://127.0.0.1:9", forcePathStyle: true } }),
    );
    assert.equal(typeof open, "function");
    // Same endpoint, the named bucket, and none of the data bucket's prefix.
    const store = open!("invocation-logs");
    assert.ok(store instanceof S3ObjectStore);
    assert.equal(store.bucket, "invocation-logs");
    assert.equal(store.prefix, "");
    void store.close();
  });

  it("on PostgreSQL shares quotas between two nodes' services, and seeds the budgets from recorded spend once", { skip: PG_SKIP_REASON }, async () => {
    const database = await createTestDatabase();
    const config = parseConfig({
      dataDir,
      quotas: { models: { m: { requestsPerMinute: 3 } }, principals: { alice: { monthlyBudgetUsd: "1.00" } }, prices: { m: { inputPer1k: "0.01", outputPer1k: "0.01" } } },
    });
    const dbs = [openDatabase({ url: database.url }), openDatabase({ url: database.url })];
    try {
      await migrate(dbs[0]!);
      const seeding = await createUsageServices({ config, db: dbs[0]!, logger, processMetrics: false, flushMs: { usage: 5 } });
      await seeding.recorder.record({ timestamp: new Date().toISOString(), principal: "alice", model: "m", inputTokens: 50_000, outputTokens: 0, latencyMs: 1, outcome: "success" });
      await seeding.close();
      const nodes = await Promise.all(dbs.map((db) => createUsageServices({ config, db, logger, processMetrics: false })));
      assert.ok(nodes.every((node) => node.sharedLimiter !== undefined));
      // $0.50 recorded, seeded once although both nodes replayed it.
      assert.deepEqual(await nodes[1]!.sharedLimiter!.budgetState({ kind: "principal", id: "alice" }), { spent: parseUsd("0.50"), reserved: 0n });
      for (const node of [0, 1, 0]) (await nodes[node]!.sharedLimiter!.reserve({ model: "m", principal: "bob", inputTokens: 1, maxTokens: 1 })).settle();
      await assert.rejects(nodes[1]!.sharedLimiter!.reserve({ model: "m", principal: "bob", inputTokens: 1, maxTokens: 1 }), { code: "THROTTLED" });
      await Promise.all(nodes.map((node) => node.close()));
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
      await database.drop();
    }
  });

  it("has no shared limiter on SQLite: one node keeps its quotas in memory", async () => {
    const db = openDatabase({ dataDir });
    await migrate(db);
    const services = await createUsageServices({ config: parseConfig({ dataDir, quotas: { models: { m: { requestsPerMinute: 3 } } } }), db, logger, processMetrics: false });
    assert.equal(services.sharedLimiter, undefined);
    await services.close();
    await db.close();
  });
});
