import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildCostReport, costReportJson, renderCostTable } from "./cost-report.ts";
import { formatUsd, formatUsdShort, parseUsd, picoToMicro, PriceTable } from "./prices.ts";
import type { UsageRecord } from "./recorder.ts";

const prices = new PriceTable({
  "anthropic.claude-3-5-sonnet": { inputPer1k: 0.003, outputPer1k: 0.015 },
  "amazon.titan-embed-text-v2:0": { inputPer1k: "0.00002", outputPer1k: "0" },
});

const rec = (over: Partial<UsageRecord>): UsageRecord => ({
  timestamp: "2025-06-10T12:00:00.000Z",
  principal: "alice",
  model: "anthropic.claude-3-5-sonnet",
  inputTokens: 0,
  outputTokens: 0,
  latencyMs: 100,
  outcome: "success",
  ...over,
});

describe("prices", () => {
  it("parses and formats USD exactly", () => {
    assert.equal(parseUsd("0.003"), 3_000_000_000n);
    assert.equal(parseUsd(0.1), 100_000_000_000n);
    assert.equal(parseUsd(12), 12_000_000_000_000n);
    assert.equal(parseUsd("0.000000001"), 1_000n);
    assert.throws(() => parseUsd("-1"), RangeError);
    assert.throws(() => parseUsd("1e3"), RangeError);
    assert.equal(formatUsd(parseUsd("45")), "45.000000");
    assert.equal(formatUsd(1_500_000n), "0.000002"); // 1.5 micro-dollars rounds half up
    assert.equal(formatUsd(parseUsd("1234.5678"), 2), "1234.57");
    assert.equal(formatUsdShort(parseUsd("45")), "45.00");
    assert.equal(formatUsdShort(parseUsd("0.00025")), "0.00025");
    assert.equal(picoToMicro(parseUsd("45")), 45_000_000);
  });

  it("prices 5M input and 2M output tokens at $0.003 and $0.015 per 1K at exactly $45.00", () => {
    const cost = prices.costOf("anthropic.claude-3-5-sonnet", { inputTokens: 5_000_000, outputTokens: 2_000_000 });
    assert.equal(cost, parseUsd("45"));
    assert.equal(formatUsdShort(cost), "45.00");
  });

  it("falls back to `*`, and an unlisted model costs nothing", () => {
    assert.equal(prices.costOf("unknown", { inputTokens: 1000, outputTokens: 1000 }), 0n);
    const withDefault = new PriceTable({ "*": { inputPer1k: "0.001", outputPer1k: "0.002" } });
    assert.equal(withDefault.costOf("anything", { inputTokens: 1000, outputTokens: 1000 }), parseUsd("0.003"));
  });
});

describe("cost report", () => {
  it("aggregates by model and principal, prices exactly, and renders the $45.00 example", async () => {
    // The example split over 7 requests of uneven size: sums must still be exact.
    const records = [
      rec({ inputTokens: 1_000_000, outputTokens: 500_000 }),
      rec({ inputTokens: 1_500_000, outputTokens: 250_000 }),
      rec({ inputTokens: 2_499_999, outputTokens: 1_249_999 }),
      rec({ inputTokens: 1, outputTokens: 1 }),
      rec({ principal: "bob", inputTokens: 3_000 }),
      rec({ principal: "bob", model: "amazon.titan-embed-text-v2:0", inputTokens: 10_000 }),
      rec({ principal: "bob", model: "local.llama", inputTokens: 50, outputTokens: 50 }),
    ];
    const report = await buildCostReport({ records, prices });
    const json = costReportJson(report) as { rows: Array<Record<string, unknown>>; total: Record<string, unknown>; unpricedModels: string[] };
    assert.deepEqual(json.rows[0], {
      model: "anthropic.claude-3-5-sonnet",
      principal: "alice",
      requests: 4,
      inputTokens: 5_000_000,
      outputTokens: 2_000_000,
      costUsd: "45.000000",
      costMicroUsd: 45_000_000,
      priced: true,
    });
    assert.equal(json.rows[1]!.costUsd, "0.009000"); // bob: 3K input at $0.003
    assert.equal(json.rows[2]!.costUsd, "0.000200"); // 10K embedding tokens at $0.00002
    assert.deepEqual(json.unpricedModels, ["local.llama"]);
    assert.deepEqual(json.total, { requests: 7, inputTokens: 5_013_050, outputTokens: 2_000_050, costUsd: "45.009200", costMicroUsd: 45_009_200 });
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(json)));

    const table = renderCostTable(report);
    const lines = table.trimEnd().split("\n");
    assert.match(lines[0]!, /^MODEL\s+PRINCIPAL\s+REQUESTS\s+INPUT TOKENS\s+OUTPUT TOKENS\s+COST \(USD\)$/);
    assert.match(lines[1]!, /^anthropic\.claude-3-5-sonnet\s+alice\s+4\s+5,000,000\s+2,000,000\s+45\.00$/);
    assert.match(table, /local\.llama\s+bob\s+1\s+50\s+50\s+0\.00\*$/m);
    assert.match(table, /TOTAL\s+7\s+5,013,050\s+2,000,050\s+45\.0092/);
    assert.match(table, /\* No price for local\.llama/);
    // Numbers are right-aligned: every data line ends at the same column as the header.
    const width = lines[0]!.length;
    for (const line of lines.slice(1, 4)) assert.equal(line.length, width);
  });

  it("never drifts: ten thousand tiny costs sum exactly", async () => {
    const records = Array.from({ length: 10_000 }, () => rec({ model: "amazon.titan-embed-text-v2:0", inputTokens: 7 }));
    const report = await buildCostReport({ records, prices, groupBy: ["model"] });
    // 70,000 tokens × $0.00002 / 1K = $0.0014 exactly (float summing 1.4e-7 would not be).
    assert.equal(report.total.cost, parseUsd("0.0014"));
    assert.notEqual(Array.from({ length: 10_000 }, () => (7 * 0.00002) / 1000).reduce((a, b) => a + b, 0), 0.0014);
  });

  it("filters by period and groups by any dimension, pricing mixed models per model", async () => {
    const records = [
      rec({ timestamp: "2025-05-31T23:59:59.999Z", inputTokens: 1_000_000 }),
      rec({ timestamp: "2025-06-01T00:00:00.000Z", account: "1111", inputTokens: 1_000 }),
      rec({ timestamp: "2025-06-15T00:00:00.000Z", account: "1111", model: "amazon.titan-embed-text-v2:0", inputTokens: 1_000 }),
      rec({ timestamp: "2025-07-01T00:00:00.000Z", inputTokens: 1_000_000 }),
    ];
    const report = await buildCostReport({ records, prices, from: new Date("2025-06-01T00:00:00Z"), to: new Date("2025-07-01T00:00:00Z"), groupBy: ["account"] });
    assert.equal(report.rows.length, 1);
    assert.deepEqual(report.rows[0]!.group, { account: "1111" });
    assert.equal(report.rows[0]!.requests, 2);
    assert.equal(formatUsd(report.rows[0]!.cost), "0.003020");
    const json = costReportJson(report);
    assert.equal(json.from, "2025-06-01T00:00:00.000Z");
    const empty = renderCostTable(await buildCostReport({ records: [], prices }));
    assert.match(empty, /no usage in this period/);
  });
});
