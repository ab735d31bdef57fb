// Quotas shared by several nodes, on SQLite and PostgreSQL: two SharedQuotaLimiter instances
// (two nodes, each with its own connection pool on PostgreSQL) on one database behave as one
// limiter — requests, tokens, streams and budgets are counted across both, under concurrent load
// every refusal is a 429 with a retry hint and never a 5xx, a dead node's slots expire, and a
// scripted sequence gets exactly the answers the in-memory limiter gives.
import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { after, afterEach, before, it } from "node:test";
import { describeEachEngine } from "../../test/conformance/engines.ts";
import { BasaltError } from "../spec/errors.ts";
import type { Database } from "../store/db/database.ts";
import { migrate } from "../store/db/migrate.ts";
import { openDatabase } from "../store/db/open-database.ts";
import { parseUsd } from "../usage/prices.ts";
import type { QuotaLease, ReserveRequest } from "./admission.ts";
import { QuotaLimiter } from "./limiter.ts";
import type { QuotasConfig } from "./quota-config.ts";
import { SharedQuotaLimiter, type SharedQuotaLimiterOptions } from "./shared-limiter.ts";

const req = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({ model: "m", principal: "alice", inputTokens: 0, maxTokens: 0, ...over });

function throttled(error: unknown): BasaltError {
  assert.ok(error instanceof BasaltError, `expected a BasaltError, got ${String(error)}`);
  assert.equal(error.code, "THROTTLED", error.message);
  assert.equal(error.httpStatus, 429);
  assert.ok(error.retryAfterSeconds !== undefined && error.retryAfterSeconds > 0, "a retry hint");
  return error;
}

async function refusal(promise: Promise<unknown>): Promise<BasaltError> {
  try {
    await promise;
  } catch (error) {
    return throttled(error);
  }
  assert.fail("expected a ThrottlingException");
}

describeEachEngine("shared quotas across two nodes", (target) => {
  let db: Database;
  let other: Database; // the second node's connections (SQLite: one handle per process, see database.ts)
  let clock = Date.UTC(2025, 5, 15, 12);
  let models = 0;
  const limiters: SharedQuotaLimiter[] = [];
  /** Two nodes with one configuration; each test uses its own model name, so state never carries over. */
  const nodes = (config: (model: string) => QuotasConfig, options: Partial<SharedQuotaLimiterOptions> = {}) => {
    const model = `model-${++models}`;
    const make = (database: Database, nodeId: string) => {
      const limiter = new SharedQuotaLimiter({ db: database, config: config(model), now: () => clock, nodeId, onError: (e) => assert.fail(String(e)), ...options });
      limiters.push(limiter);
      return limiter;
    };
    return { model, a: make(db, "node-a"), b: make(other, "node-b") };
  };

  before(async () => {
    db = openDatabase({ url: target.url(), poolSize: 6 });
    other = target.dialect === "postgres" ? openDatabase({ url: target.url(), poolSize: 6 }) : db;
    await migrate(db);
  });
  afterEach(async () => {
    await Promise.all(limiters.splice(0).map((limiter) => limiter.close()));
  });
  after(async () => {
    if (other !== db) await other.close();
    await db.close();
  });

  it("admits exactly the requests-per-minute limit across both nodes under concurrent load; the rest get 429, never 5xx", async () => {
    const { model, a, b } = nodes((m) => ({ models: { [m]: { requestsPerMinute: 30, perPrincipal: { requestsPerMinute: 20 } } } }));
    const outcomes = await Promise.all(
      Array.from({ length: 120 }, async (_, i) => {
        await tick();
        const principal = i % 3 === 0 ? "bob" : "alice";
        try {
          (await (i % 2 ? a : b).reserve(req({ model, principal }))).settle();
          return principal;
        } catch (error) {
          throttled(error);
          return undefined;
        }
      }),
    );
    const admitted = outcomes.filter((p) => p !== undefined);
    assert.equal(admitted.length, 30);
    assert.ok(admitted.filter((p) => p === "alice").length <= 20);
    assert.equal((await a.inspect(model, "alice")).model.requestsAvailable, 0);
    assert.equal((await b.inspect(model, "bob")).model.requestsAvailable, 0);
    // 30 per minute refill one request every 2 s: the hint says so (dave's own bucket is full).
    assert.equal((await refusal(b.reserve(req({ model, principal: "dave" })))).retryAfterSeconds, 2);
    clock += 2_000;
    await a.reserve(req({ model, principal: "carol" }));
  });

  it("reserves input + maxTokens, refunds the unused part at settle, and the counters add up across nodes", async () => {
    const { model, a, b } = nodes((m) => ({ models: { [m]: { tokensPerMinute: 10_000 } } }));
    const leases: QuotaLease[] = [];
    for (let i = 0; i < 20; i++) leases.push(await (i % 2 ? a : b).reserve(req({ model, inputTokens: 100, maxTokens: 400 })));
    await refusal(a.reserve(req({ model, inputTokens: 100, maxTokens: 400 })));
    for (const lease of leases) lease.settle({ inputTokens: 100, outputTokens: 150 });
    await Promise.all([a.flush(), b.flush()]);
    // Settled at 250 each: 10,000 − 20 × 250 = 5,000 left, exactly, seen from either node.
    assert.equal((await a.inspect(model, "alice")).model.tokensAvailable, 5_000);
    assert.equal((await b.inspect(model, "alice")).model.tokensAvailable, 5_000);
    // Usage beyond the reservation is debt on the shared bucket.
    (await b.reserve(req({ model, inputTokens: 100, maxTokens: 100 }))).settle({ inputTokens: 100, outputTokens: 5_100 });
    await b.flush();
    assert.equal((await a.inspect(model, "alice")).model.tokensAvailable, -200);
    assert.equal((await refusal(a.reserve(req({ model, inputTokens: 10 })))).retryAfterSeconds, 2); // 210 tokens at 10,000/min: 1.26 s
  });

  it("counts concurrent streams across nodes; a released slot is free on the other node", async () => {
    const { model, a, b } = nodes((m) => ({ models: { [m]: { perPrincipal: { concurrentStreams: 2 } } } }));
    const first = await a.reserve(req({ model, stream: true }));
    await b.reserve(req({ model, stream: true }));
    const error = await refusal(a.reserve(req({ model, stream: true })));
    assert.equal(error.retryAfterSeconds, 1);
    assert.equal(error.message, "Too many concurrent streams, please wait before trying again.");
    await b.reserve(req({ model, principal: "bob", stream: true })); // another principal's slots
    await b.reserve(req({ model })); // not a stream
    const aborted = new AbortController();
    first.bindSignal(aborted.signal);
    aborted.abort(); // the client went away: the slot is freed before the stream unwinds
    await a.flush();
    assert.equal((await b.inspect(model, "alice")).principal.streamsInFlight, 1);
    await b.reserve(req({ model, stream: true }));
  });

  it("a dead node's stream slots stop counting once its holds expire; a living node's are renewed", async () => {
    const { model, a, b } = nodes((m) => ({ models: { [m]: { concurrentStreams: 1 } } }), { holdTtlMs: 1_000 });
    await a.reserve(req({ model, stream: true }));
    clock += 600;
    await a.maintain(); // alive: its hold now lasts until 1,600 ms after the start
    clock += 600;
    await refusal(b.reserve(req({ model, stream: true })));
    await a.close(); // the node dies: nothing settles, nothing renews
    clock += 1_100;
    await b.maintain();
    await b.reserve(req({ model, stream: true }));
    assert.equal((await b.inspect(model, "x")).model.streamsInFlight, 1);
  });

  it("shares budgets: in-flight reservations and settled spend on either node count on both", async () => {
    const prices = (m: string) => ({ [m]: { inputPer1k: "0.01", outputPer1k: "0.01" } });
    const { model, a, b } = nodes((m) => ({ prices: prices(m), principals: { alice: { monthlyBudgetUsd: "1.00" } }, accounts: { acct: { monthlyBudgetUsd: "100" } } }));
    const owner = { kind: "principal" as const, id: "alice" };
    // Worst case $0.60 each: the second does not fit beside the first's reservation, so retry shortly.
    const lease = await a.reserve(req({ model, account: "acct", inputTokens: 10_000, maxTokens: 50_000 }));
    assert.deepEqual(await b.budgetState(owner), { spent: 0n, reserved: parseUsd("0.60") });
    const inFlight = await refusal(b.reserve(req({ model, account: "acct", inputTokens: 10_000, maxTokens: 50_000 })));
    assert.equal(inFlight.retryAfterSeconds, 1);
    assert.equal(lease.settle({ inputTokens: 10_000, outputTokens: 20_000 }), parseUsd("0.30"));
    await a.flush();
    assert.deepEqual(await b.budgetState(owner), { spent: parseUsd("0.30"), reserved: 0n });
    assert.deepEqual(await b.budgetState({ kind: "account", id: "acct" }), { spent: parseUsd("0.30"), reserved: 0n });
    (await b.reserve(req({ model, inputTokens: 10_000, maxTokens: 60_000 }))).settle({ inputTokens: 10_000, outputTokens: 60_000 }); // $0.70: exactly the rest
    await b.flush();
    const spentOut = await refusal(a.reserve(req({ model, inputTokens: 1 })));
    assert.match(spentOut.message, /monthly budget of this principal \(USD 1\.00\)/);
    assert.ok(spentOut.retryAfterSeconds! > 24 * 3600, "the budget resets next month");
  });

  it("seeds this month's recorded spend once, however many nodes start", async () => {
    const config = (m: string) => ({ prices: { [m]: { inputPer1k: "0.01", outputPer1k: "0" } }, principals: { [`seeded-${m}`]: { monthlyBudgetUsd: "5" } } });
    const { model, a, b } = nodes(config);
    const principal = `seeded-${model}`;
    async function* records() {
      yield { model, principal, usage: { inputTokens: 100_000, outputTokens: 0 }, at: clock - 1000 }; // $1.00 this month
      yield { model, principal, usage: { inputTokens: 900_000, outputTokens: 0 }, at: Date.UTC(2020, 0, 1) }; // another month
    }
    await a.seedSpend(records());
    await b.seedSpend(records());
    assert.deepEqual(await a.budgetState({ kind: "principal", id: principal }), { spent: parseUsd("1.00"), reserved: 0n });
  });

  it("answers a request that alone exceeds a quota with ValidationException, and one that nothing limits without touching the database", async () => {
    const { model, a } = nodes((m) => ({ models: { [m]: { tokensPerMinute: 1_000 } } }));
    await assert.rejects(a.reserve(req({ model, inputTokens: 600, maxTokens: 600 })), { code: "VALIDATION", httpStatus: 400 });
    const count = async () => Number((await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM quota_counters"))[0]!.n);
    const before = await count();
    const lease = await a.reserve(req({ model: "unlimited-model", inputTokens: 5 }));
    assert.equal(lease.settle({ inputTokens: 5, outputTokens: 5 }), 0n);
    await a.flush();
    assert.equal(await count(), before);
  });

  it("gives the answers of the in-memory limiter, step for step, on a scripted sequence", async () => {
    const config = (m: string): QuotasConfig => ({ models: { [m]: { requestsPerMinute: 5, tokensPerMinute: 3_000, perPrincipal: { tokensPerMinute: 2_000, concurrentStreams: 1 } } } });
    const { model, a, b } = nodes(config);
    const local = new QuotaLimiter({ config: config(model), now: () => clock });
    type Step = { at: number; node: 0 | 1; request: Partial<ReserveRequest>; settle?: { inputTokens: number; outputTokens: number } };
    const script: Step[] = [
      { at: 0, node: 0, request: { inputTokens: 500, maxTokens: 500 }, settle: { inputTokens: 500, outputTokens: 100 } },
      { at: 0, node: 1, request: { inputTokens: 500, maxTokens: 1_000, principal: "bob", stream: true } },
      { at: 100, node: 0, request: { principal: "bob", stream: true } },
      { at: 200, node: 1, request: { inputTokens: 1_500, maxTokens: 400 } },
      { at: 300, node: 0, request: { inputTokens: 900, maxTokens: 100 } },
      { at: 5_000, node: 1, request: { inputTokens: 100, maxTokens: 100 }, settle: { inputTokens: 100, outputTokens: 700 } },
      { at: 9_000, node: 0, request: {} },
      { at: 9_000, node: 1, request: {} },
      { at: 30_000, node: 0, request: { inputTokens: 1_000, maxTokens: 500 } },
    ];
    const start = clock;
    const outcome = async (run: () => Promise<QuotaLease> | QuotaLease, step: Step) => {
      try {
        const lease = await run();
        if (step.settle) lease.settle(step.settle);
        return "admitted";
      } catch (error) {
        return `refused ${throttled(error).retryAfterSeconds}s`;
      }
    };
    const shared: string[] = [];
    const expected: string[] = [];
    for (const step of script) {
      clock = start + step.at;
      const request = req({ model, ...step.request });
      expected.push(await outcome(() => local.reserve(request), step));
      shared.push(await outcome(() => [a, b][step.node]!.reserve(request), step));
      await Promise.all([a.flush(), b.flush()]);
    }
    assert.deepEqual(shared, expected);
    assert.ok(expected.includes("admitted") && expected.some((o) => o.startsWith("refused")), expected.join(", "));
  });
});
