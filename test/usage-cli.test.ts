// `basalt usage` end to end: usage recorded in a data directory's database (by the recorder the
// server uses), reported by the real CLI in a child process with the configured price table.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { migrate } from "../src/store/db/migrate.ts";
import { openDatabase } from "../src/store/db/open-database.ts";
import { DbUsageRecorder } from "../src/usage/db-usage-recorder.ts";
import type { UsageRecord } from "../src/usage/recorder.ts";

const BIN = join(import.meta.dirname, "..", "bin", "basalt.js");
const SONNET = "anthropic.claude-3-5-sonnet";

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(BASALT_|AWS_)/.test(key)) env[key] = value;
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

describe("basalt usage", () => {
  const dir = mkdtempSync(join(tmpdir(), "basalt-usage-cli-"));
  const dataDir = join(dir, "data");
  const configFile = join(dir, "basalt.json");

  before(async () => {
    writeFileSync(configFile, JSON.stringify({ dataDir, quotas: { prices: { [SONNET]: { inputPer1k: "0.003", outputPer1k: "0.015" } } } }));
    const db = openDatabase({ dataDir });
    await migrate(db);
    const recorder = new DbUsageRecorder({ db });
    const rec = (i: number, over: Partial<UsageRecord>): UsageRecord => ({
      timestamp: new Date(Date.UTC(2025, 5, 10 + (i % 5), 12)).toISOString(),
      requestId: `r${i}`,
      principal: i % 2 ? "alice" : "bob",
      account: "111122223333",
      model: SONNET,
      inputTokens: 0,
      outputTokens: 0,
      latencyMs: 100,
      outcome: "success",
      ...over,
    });
    // 5M input and 2M output tokens on Sonnet in June, split over 100 requests and two principals.
    for (let i = 0; i < 100; i++) void recorder.record(rec(i, { inputTokens: 50_000, outputTokens: 20_000 }));
    // An unpriced model, and July usage outside the June period.
    void recorder.record(rec(100, { model: "mock.free", inputTokens: 10, outputTokens: 5 }));
    void recorder.record(rec(101, { timestamp: "2025-07-02T00:00:00.000Z", inputTokens: 1_000_000, outputTokens: 0 }));
    await recorder.close();
    await db.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the cost report: 5M input and 2M output tokens at $0.003 and $0.015 per 1K come to $45.00", async () => {
    const { code, stdout, stderr } = await runCli(["usage", "--config", configFile, "--from", "2025-06-01", "--to", "2025-06-30", "--by", "model"]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /2025-06-01 to 2025-07-01 \(exclusive\)/);
    assert.match(stdout, new RegExp(`${SONNET.replaceAll(".", "\\.")}\\s+100\\s+5,000,000\\s+2,000,000\\s+45\\.00\\n`));
    assert.match(stdout, /mock\.free\s+1\s+10\s+5\s+0\.00\*/);
    assert.match(stdout, /TOTAL\s+101\s+5,000,010\s+2,000,005\s+45\.00/);
    assert.match(stdout, /No price for mock\.free/);
  });

  it("groups by principal and prints JSON with exact amounts", async () => {
    const { code, stdout, stderr } = await runCli(["usage", "--data-dir", dataDir, "--config", configFile, "--to", "2025-06-30", "--by", "principal", "--json"]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as { rows: Array<{ principal: string; costUsd: string }>; total: { costUsd: string; costMicroUsd: number } };
    assert.deepEqual(report.rows.map((r) => [r.principal, r.costUsd]), [["alice", "22.500000"], ["bob", "22.500000"]]);
    assert.equal(report.total.costUsd, "45.000000");
    assert.equal(report.total.costMicroUsd, 45_000_000);
  });

  it("counts every period by default and explains bad input", async () => {
    const all = await runCli(["usage", "--config", configFile, "--json"]);
    assert.equal(JSON.parse(all.stdout).total.costUsd, "48.000000", "July's extra 1M input tokens add $3.00");
    const backwards = await runCli(["usage", "--config", configFile, "--from", "2025-07-01", "--to", "2025-06-01"]);
    assert.equal(backwards.code, 2);
    assert.match(backwards.stderr, /--from must be before --to/);
    const badDate = await runCli(["usage", "--config", configFile, "--from", "June"]);
    assert.notEqual(badDate.code, 0);
    assert.match(badDate.stderr, /expected a date/);
    const empty = await runCli(["usage", "--data-dir", join(dir, "nowhere")]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /No usage is recorded/);
  });
});
