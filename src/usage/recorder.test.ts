import assert from "node:assert/strict";
import { appendFile, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BasaltError } from "../spec/errors.ts";
import { buildCostReport } from "./cost-report.ts";
import { formatUsd, PriceTable } from "./prices.ts";
import { JsonlUsageRecorder, MemoryUsageRecorder, outcomeOf, type UsageRecord, type UsageRecorder } from "./recorder.ts";

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "basalt-usage-"));
  dirs.push(dir);
  return dir;
}

const rec = (i: number, over: Partial<UsageRecord> = {}): UsageRecord => ({
  timestamp: new Date(Date.UTC(2025, 5, 1 + (i % 3), 12, 0, i % 60)).toISOString(),
  requestId: `r${i}`,
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

/** One suite for every recorder, as each future implementation (SQL) should run it. */
function recorderSuite(name: string, make: () => Promise<UsageRecorder>): void {
  describe(`${name} (usage recorder conformance)`, () => {
    it("keeps every record of a concurrent burst and reads them back by period, model and principal", async () => {
      const recorder = await make();
      await Promise.all(Array.from({ length: 300 }, (_, i) => recorder.record(rec(i))));
      await recorder.close();
      const all = await collect(recorder.query());
      assert.equal(all.length, 300);
      assert.deepEqual(new Set(all.map((r) => r.requestId)).size, 300);
      const june2 = await collect(recorder.query({ from: new Date("2025-06-02T00:00:00Z"), to: new Date("2025-06-03T00:00:00Z") }));
      assert.equal(june2.length, 100);
      assert.ok(june2.every((r) => r.timestamp.startsWith("2025-06-02")));
      assert.equal((await collect(recorder.query({ model: "n", principal: "bob" }))).length, 30);
      assert.equal((await collect(recorder.query({ account: "999" }))).length, 0);
    });

    it("feeds the cost report", async () => {
      const recorder = await make();
      for (let i = 0; i < 100; i++) await recorder.record(rec(i, { inputTokens: 50_000, outputTokens: 20_000 }));
      const report = await buildCostReport({ records: recorder.query(), prices: new PriceTable({ "*": { inputPer1k: 0.003, outputPer1k: 0.015 } }) });
      assert.equal(formatUsd(report.total.cost), "45.000000");
    });
  });
}

recorderSuite("MemoryUsageRecorder", async () => new MemoryUsageRecorder());
recorderSuite("JsonlUsageRecorder", async () => new JsonlUsageRecorder(await tempDir()));

describe("JsonlUsageRecorder files", () => {
  it("writes one JSON line per record in a file per UTC day, and skips a line torn by a crash", async () => {
    const dir = await tempDir();
    const recorder = new JsonlUsageRecorder(dir);
    await recorder.record(rec(0));
    await recorder.record(rec(1));
    assert.deepEqual((await readdir(dir)).sort(), ["usage-2025-06-01.jsonl", "usage-2025-06-02.jsonl"]);
    const line = (await readFile(join(dir, "usage-2025-06-01.jsonl"), "utf8")).trimEnd();
    assert.deepEqual(JSON.parse(line), rec(0));
    await appendFile(join(dir, "usage-2025-06-01.jsonl"), '{"timestamp":"2025-06-01T1');
    await appendFile(join(dir, "usage-2025-06-01.jsonl"), `\n${JSON.stringify(rec(3))}\n`);
    assert.deepEqual((await collect(recorder.query())).map((r) => r.requestId), ["r0", "r3", "r1"]);
    assert.deepEqual(await collect(new JsonlUsageRecorder(join(dir, "missing")).query()), []);
  });
});

describe("outcomeOf", () => {
  it("classifies a request by its error", () => {
    assert.equal(outcomeOf(undefined), "success");
    assert.equal(outcomeOf(new BasaltError("THROTTLED", "x")), "throttled");
    assert.equal(outcomeOf(new BasaltError("VALIDATION", "x")), "client_error");
    assert.equal(outcomeOf(new BasaltError("INTERNAL", "x")), "server_error");
    assert.equal(outcomeOf(new BasaltError("VALIDATION", "x"), true), "aborted");
  });
});
