// The model-call guard with real usage services (SQLite in a temp directory): when it counts
// input tokens (only where a token quota or a priced budget needs them), that each call ends
// exactly once, and how an abandoned stream is charged. End-to-end behaviour through the live
// server is in test/quotas-usage.test.ts.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { parseConfig } from "../../config/loader.ts";
import type { ModelRegistry } from "../../models/registry.ts";
import type { ModelEntry } from "../../spec/catalog.ts";
import type { StreamPart } from "../../spec/model.ts";
import { ANONYMOUS } from "../../spec/principal.ts";
import { migrate } from "../../store/db/migrate.ts";
import { openDatabase } from "../../store/db/open-database.ts";
import type { UsageRecord } from "../../usage/recorder.ts";
import { createUsageServices } from "../../usage/services.ts";
import type { ApiDeps } from "../deps.ts";
import type { RequestContext } from "../protocol/http.ts";
import { beginModelCall, type ModelCallStart } from "./model-call-guard.ts";

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const entry = { id: "m", contextLength: 1000 } as ModelEntry;
const logger = pino({ level: "silent" });

/** Real services over a fresh SQLite database, with the given `quotas` key and a stopped quota clock. */
async function depsWith(quotas?: Record<string, unknown>): Promise<ApiDeps> {
  const dataDir = mkdtempSync(join(tmpdir(), "basalt-guard-"));
  dirs.push(dataDir);
  const config = parseConfig({ dataDir, ...(quotas ? { quotas } : {}) });
  const db = openDatabase({ dataDir });
  await migrate(db);
  const usage = await createUsageServices({ config, db, logger, flushMs: { usage: 5 }, processMetrics: false, now: () => Date.UTC(2025, 5, 15) });
  after(async () => {
    await usage.close();
    await db.close();
  });
  return { config, registry: {} as ModelRegistry, logger, usage };
}

/** The parts of a request context the guard reads. */
function context(): RequestContext & { abort(): void } {
  const controller = new AbortController();
  const res = new EventEmitter();
  return {
    requestId: `req-${Math.random().toString(36).slice(2)}`,
    principal: ANONYMOUS,
    signal: controller.signal,
    cancellation: controller.signal,
    res,
    abort: () => controller.abort(new Error("client went away")),
  } as unknown as RequestContext & { abort(): void };
}

function counted(): { start: (over?: Partial<ModelCallStart>) => ModelCallStart; calls: () => number } {
  let calls = 0;
  return {
    start: (over = {}) => ({ operation: "Converse", entry, maxTokens: 100, countInput: async () => (calls++, 42), ...over }),
    calls: () => calls,
  };
}

async function recordsOf(deps: ApiDeps): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  for await (const record of deps.usage!.recorder.query()) out.push(record);
  return out;
}

describe("model-call guard", () => {
  it("does nothing without usage services: no counting, the stream passes through untouched", async () => {
    const { start, calls } = counted();
    const call = await beginModelCall({ config: parseConfig({}), registry: {} as ModelRegistry, logger }, context(), start());
    const source: AsyncIterable<StreamPart> = { [Symbol.asyncIterator]: () => [][Symbol.iterator]() as never };
    assert.equal(call.observe(source), source);
    call.succeed({ inputTokens: 1, outputTokens: 1 });
    assert.equal(calls(), 0);
  });

  it("counts input tokens only where a token quota or a priced budget applies", async () => {
    const cases: Array<[Record<string, unknown> | undefined, number]> = [
      [undefined, 0],
      [{ models: { m: { requestsPerMinute: 100, concurrentStreams: 5 } } }, 0],
      [{ models: { other: { tokensPerMinute: 100_000 } } }, 0],
      [{ models: { m: { tokensPerMinute: 100_000 } } }, 1],
      [{ models: { "*": { perPrincipal: { tokensPerMinute: 100_000 } } } }, 1],
      [{ principals: { anonymous: { monthlyBudgetUsd: 10 } } }, 0], // no price: the call costs nothing
      [{ principals: { anonymous: { monthlyBudgetUsd: 10 } }, prices: { m: { inputPer1k: 1, outputPer1k: 1 } } }, 1],
      [{ accounts: { "000000000000": { monthlyBudgetUsd: 10 } }, prices: { "*": { inputPer1k: 1, outputPer1k: 1 } } }, 1],
    ];
    for (const [quotas, expected] of cases) {
      const deps = await depsWith(quotas);
      const { start, calls } = counted();
      const call = await beginModelCall(deps, context(), start());
      call.succeed({ inputTokens: 42, outputTokens: 7 });
      assert.equal(calls(), expected, JSON.stringify(quotas));
    }
  });

  it("ends a call once, whichever way it ends first, and settles the reservation", async () => {
    const deps = await depsWith({ models: { m: { tokensPerMinute: 1000 } } });
    const { start } = counted();
    const call = await beginModelCall(deps, context(), start());
    assert.equal(deps.usage!.limiter.inspect("m", "anonymous").model.tokensAvailable, 1000 - 142);
    call.succeed({ inputTokens: 42, outputTokens: 8 });
    call.fail(new Error("late"));
    call.succeed({ inputTokens: 1, outputTokens: 1 });
    assert.equal(deps.usage!.limiter.inspect("m", "anonymous").model.tokensAvailable, 1000 - 50);
    const records = await recordsOf(deps);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.outcome, "success");
    assert.deepEqual([records[0]!.inputTokens, records[0]!.outputTokens], [42, 8]);
  });

  it("settles a call whose handler threw before succeed or fail when the response closes", async () => {
    const deps = await depsWith({ models: { m: { tokensPerMinute: 1000 } } });
    const { start } = counted();
    const ctx = context();
    await beginModelCall(deps, ctx, start());
    assert.equal(deps.usage!.limiter.inspect("m", "anonymous").model.tokensAvailable, 1000 - 142);
    (ctx.res as unknown as EventEmitter).emit("close");
    assert.equal(deps.usage!.limiter.inspect("m", "anonymous").model.tokensAvailable, 1000, "the reservation is refunded");
    const records = await recordsOf(deps);
    assert.equal(records.length, 1);
    assert.notEqual(records[0]!.outcome, "success");
  });

  it("reserves the default output when maxTokens is absent, capped by the context length", async () => {
    const deps = await depsWith({ models: { m: { tokensPerMinute: 5000 } } });
    const { start } = counted();
    await beginModelCall(deps, context(), start({ maxTokens: undefined }));
    assert.equal(deps.usage!.limiter.inspect("m", "anonymous").model.tokensAvailable, 5000 - 42 - 1000);
  });

  it("charges an abandoned stream its input and the output sent so far, and frees its slot", async () => {
    const deps = await depsWith({ models: { m: { concurrentStreams: 1 } } });
    const { start, calls } = counted();
    const ctx = context();
    const call = await beginModelCall(deps, ctx, start({ stream: true }));
    async function* model(): AsyncGenerator<StreamPart> {
      yield { type: "text-start", id: "t" };
      yield { type: "text-delta", id: "t", delta: "x".repeat(40) };
      yield { type: "text-delta", id: "t", delta: "never read" };
    }
    const iterator = call.observe(model())[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    assert.equal(deps.usage!.limiter.inspect("m", "anonymous").model.streamsInFlight, 1);
    ctx.abort();
    assert.equal(deps.usage!.limiter.inspect("m", "anonymous").model.streamsInFlight, 0, "freed at the abort");
    await iterator.return!(undefined);
    let records: UsageRecord[] = [];
    for (let i = 0; i < 100 && records.length === 0; i++) records = await recordsOf(deps);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.outcome, "aborted");
    assert.equal(records[0]!.outputTokens, 10, "40 characters at 4 per token");
    assert.equal(records[0]!.inputTokens, 42, "counted after the abort, since admission did not need it");
    assert.equal(calls(), 1);
  });
});
