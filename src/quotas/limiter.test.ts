import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { describe, it } from "node:test";
import { configSchema } from "../config/schema.ts";
import { BasaltError } from "../spec/errors.ts";
import { parseUsd } from "../usage/prices.ts";
import { QuotaLimiter, type QuotaLease, type ReserveRequest, type ThrottleEvent } from "./limiter.ts";
import type { QuotasConfig } from "./quota-config.ts";

/** A clock tests move by hand: behaviour, never real timings. */
function manualClock(start = Date.UTC(2025, 5, 15, 12)) {
  const clock = { t: start, now: () => clock.t, advance: (ms: number) => void (clock.t += ms) };
  return clock;
}

const req = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({ model: "m", principal: "alice", inputTokens: 0, maxTokens: 0, ...over });

function throttled(error: unknown): BasaltError {
  assert.ok(error instanceof BasaltError, `expected a BasaltError, got ${String(error)}`);
  assert.equal(error.code, "THROTTLED");
  assert.equal(error.httpStatus, 429);
  assert.equal(error.name, "ThrottlingException");
  assert.ok(error.retryAfterSeconds !== undefined && error.retryAfterSeconds > 0, "a retry hint");
  return error;
}

/** Runs `n` reservations concurrently, each settling after a turn of the event loop. */
async function storm(limiter: QuotaLimiter, n: number, make: (i: number) => ReserveRequest, usage?: { inputTokens: number; outputTokens: number }) {
  const results = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await tick(); // interleave the callers
      let lease: QuotaLease;
      try {
        lease = limiter.reserve(make(i));
      } catch (error) {
        return { ok: false as const, error };
      }
      await tick();
      lease.settle(usage);
      return { ok: true as const };
    }),
  );
  const errors = results.filter((r) => !r.ok).map((r) => (r as { error: unknown }).error);
  return { admitted: results.filter((r) => r.ok).length, errors };
}

describe("QuotaLimiter under concurrent load", () => {
  it("admits exactly the requests-per-minute limit; the rest get 429 with a retry hint, never 5xx", async () => {
    const clock = manualClock();
    const limiter = new QuotaLimiter({ config: { models: { m: { requestsPerMinute: 50 } } }, now: clock.now });
    const { admitted, errors } = await storm(limiter, 400, () => req());
    assert.equal(admitted, 50);
    assert.equal(errors.length, 350);
    for (const error of errors) assert.ok(throttled(error).httpStatus < 500);
    // 50 per minute refills one request every 1.2 s: the hint is 2 s (rounded up).
    assert.equal(throttled(errors[0]).retryAfterSeconds, 2);
    assert.equal(limiter.inspect("m", "alice").model.requestsAvailable, 0);
  });

  it("reserves input + maxTokens, refunds the unused part at settle, and the counters add up", async () => {
    const clock = manualClock();
    const limiter = new QuotaLimiter({ config: { models: { m: { tokensPerMinute: 10_000 } } }, now: clock.now });
    // Each reserves 100 + 400 = 500 tokens: 20 fit in 10,000.
    const first = await storm(limiter, 300, () => req({ inputTokens: 100, maxTokens: 400 }), { inputTokens: 100, outputTokens: 150 });
    assert.equal(first.admitted, 20);
    assert.equal(first.errors.length, 280);
    first.errors.forEach(throttled);
    // Settled at 250 each: 10,000 − 20 × 250 = 5,000 left, exactly.
    assert.equal(limiter.inspect("m", "alice").model.tokensAvailable, 5_000);
    const second = await storm(limiter, 100, () => req({ inputTokens: 100, maxTokens: 400 }));
    assert.equal(second.admitted, 10); // 5,000 / 500; settled without usage, so all refunded
    assert.equal(limiter.inspect("m", "alice").model.tokensAvailable, 5_000);
  });

  it("checks every scope before charging any: a refusal leaves no partial charge", async () => {
    const clock = manualClock();
    const config: QuotasConfig = { models: { m: { requestsPerMinute: 40, perPrincipal: { requestsPerMinute: 10 } } } };
    const limiter = new QuotaLimiter({ config, now: clock.now });
    const principals = ["p0", "p1", "p2", "p3", "p4"];
    const admittedBy = new Map<string, number>();
    const results = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        await tick();
        const principal = principals[i % principals.length]!;
        try {
          limiter.reserve(req({ principal })).settle();
          admittedBy.set(principal, (admittedBy.get(principal) ?? 0) + 1);
          return true;
        } catch (error) {
          throttled(error);
          return false;
        }
      }),
    );
    assert.equal(results.filter(Boolean).length, 40);
    for (const count of admittedBy.values()) assert.ok(count <= 10);
    assert.equal(limiter.inspect("m", "p0").model.requestsAvailable, 0);

    const other = new QuotaLimiter({ config: { models: { m: { requestsPerMinute: 100, perPrincipal: { requestsPerMinute: 5 } } } }, now: clock.now });
    const { admitted } = await storm(other, 20, () => req());
    assert.equal(admitted, 5);
    const state = other.inspect("m", "alice");
    assert.equal(state.principal.requestsAvailable, 0);
    assert.equal(state.model.requestsAvailable, 95, "refused requests did not charge the model bucket");
  });
});

describe("QuotaLimiter refill and hints (injected clock)", () => {
  it("refills continuously and the retry hint is exact", () => {
    const clock = manualClock();
    const limiter = new QuotaLimiter({ config: { models: { m: { tokensPerMinute: 6_000 } } }, now: clock.now });
    limiter.reserve(req({ inputTokens: 1_000, maxTokens: 2_000 }));
    limiter.reserve(req({ inputTokens: 1_000, maxTokens: 2_000 }));
    // Empty; 3,000 tokens refill at 100/s: 30 s.
    const error = throttled(catchError(() => limiter.reserve(req({ inputTokens: 1_000, maxTokens: 2_000 }))));
    assert.equal(error.retryAfterSeconds, 30);
    assert.equal(error.message, "Too many tokens, please wait before trying again.");
    clock.advance(29_000);
    assert.equal(throttled(catchError(() => limiter.reserve(req({ inputTokens: 1_000, maxTokens: 2_000 })))).retryAfterSeconds, 1);
    clock.advance(1_000);
    limiter.reserve(req({ inputTokens: 1_000, maxTokens: 2_000 }));
    // Never above capacity, however long the pause.
    clock.advance(3_600_000);
    assert.equal(limiter.inspect("m", "alice").model.tokensAvailable, 6_000);
  });

  it("charges usage beyond the reservation as debt that delays the next request", () => {
    const clock = manualClock();
    const limiter = new QuotaLimiter({ config: { models: { m: { tokensPerMinute: 1_000 } } }, now: clock.now });
    const lease = limiter.reserve(req({ inputTokens: 100, maxTokens: 100 }));
    assert.equal(lease.settle({ inputTokens: 100, outputTokens: 1_100 }), 0n);
    assert.equal(limiter.inspect("m", "alice").model.tokensAvailable, -200);
    const error = throttled(catchError(() => limiter.reserve(req({ inputTokens: 10, maxTokens: 0 }))));
    assert.equal(error.retryAfterSeconds, 13); // 210 tokens at 1,000/min = 12.6 s
  });

  it("answers ValidationException (400) when one request alone exceeds a tokens-per-minute quota", () => {
    const limiter = new QuotaLimiter({ config: { models: { m: { perPrincipal: { tokensPerMinute: 1_000 } } } } });
    const error = catchError(() => limiter.reserve(req({ inputTokens: 500, maxTokens: 600 })));
    assert.ok(error instanceof BasaltError);
    assert.equal(error.code, "VALIDATION");
    assert.equal(error.httpStatus, 400);
    assert.match(error.message, /1100 tokens.*1000 tokens per minute/);
  });

  it("applies `*` entries and lets the most specific entry win per field", () => {
    const clock = manualClock();
    const config: QuotasConfig = {
      models: { "*": { requestsPerMinute: 3, perPrincipal: { requestsPerMinute: 2 } } },
      principals: { bob: { models: { m: { requestsPerMinute: 1 } } } },
    };
    const limiter = new QuotaLimiter({ config, now: clock.now });
    limiter.reserve(req({ principal: "bob" }));
    throttled(catchError(() => limiter.reserve(req({ principal: "bob" }))));
    limiter.reserve(req({ principal: "alice" }));
    limiter.reserve(req({ principal: "alice" }));
    const error = throttled(catchError(() => limiter.reserve(req({ principal: "carol" }))));
    assert.equal(error.message, "Too many requests, please wait before trying again.");
    limiter.reserve(req({ model: "other", principal: "carol" }));
  });

  it("reports each refusal once to onThrottle, naming the binding limit", () => {
    const events: ThrottleEvent[] = [];
    const clock = manualClock();
    const limiter = new QuotaLimiter({ config: { models: { m: { perPrincipal: { requestsPerMinute: 1 } } } }, now: clock.now, onThrottle: (e) => events.push(e) });
    limiter.reserve(req({ account: "111122223333" }));
    catchError(() => limiter.reserve(req({ account: "111122223333" })));
    assert.deepEqual(events, [{ model: "m", principal: "alice", account: "111122223333", limit: "requests", scope: "principal", retryAfterSeconds: 60 }]);
  });

  it("sweeps idle state of many principals but never a bucket a reservation still holds", () => {
    const clock = manualClock();
    const limiter = new QuotaLimiter({ config: { models: { m: { perPrincipal: { tokensPerMinute: 1_000 } } } }, now: clock.now });
    const held = limiter.reserve(req({ principal: "holder", inputTokens: 100, maxTokens: 900 }));
    for (let i = 0; i < 3_000; i++) limiter.reserve(req({ principal: `p${i}`, inputTokens: 10, maxTokens: 0 })).settle({ inputTokens: 10, outputTokens: 0 });
    clock.advance(120_000); // everyone refilled
    for (let i = 0; i < 3_000; i++) limiter.reserve(req({ principal: `q${i}`, inputTokens: 10, maxTokens: 0 })).settle();
    assert.equal(limiter.inspect("m", "p0").principal.tokensAvailable, undefined, "swept");
    // The holder's bucket survived the sweep, so its settle lands where later requests look.
    held.settle({ inputTokens: 100, outputTokens: 400 });
    assert.equal(limiter.inspect("m", "holder").principal.tokensAvailable, 1_000);
    limiter.reserve(req({ principal: "holder", inputTokens: 100, maxTokens: 900 }));
    throttled(catchError(() => limiter.reserve(req({ principal: "holder", inputTokens: 1, maxTokens: 0 }))));
  });

  it("admits everything when no quotas are configured", async () => {
    const { admitted } = await storm(new QuotaLimiter(), 500, () => req({ inputTokens: 1e6, maxTokens: 1e6, stream: true }));
    assert.equal(admitted, 500);
  });
});

describe("QuotaLimiter concurrent streams", () => {
  const config: QuotasConfig = { models: { m: { perPrincipal: { concurrentStreams: 2 } } } };

  it("holds a slot per stream and releases it once, however often release is called", () => {
    const limiter = new QuotaLimiter({ config });
    const a = limiter.reserve(req({ stream: true }));
    limiter.reserve(req({ stream: true }));
    limiter.reserve(req({ stream: false })); // not a stream: no slot
    const error = throttled(catchError(() => limiter.reserve(req({ stream: true }))));
    assert.equal(error.retryAfterSeconds, 1);
    a.release();
    a.release();
    a.settle();
    assert.equal(limiter.inspect("m", "alice").principal.streamsInFlight, 1);
    limiter.reserve(req({ stream: true }));
    throttled(catchError(() => limiter.reserve(req({ stream: true }))));
  });

  it("releases on error (settle in finally) and on client abort, and still settles tokens after an abort", async () => {
    const clock = manualClock();
    const limiter = new QuotaLimiter({ config: { models: { m: { tokensPerMinute: 1_000, perPrincipal: { concurrentStreams: 1 } } } }, now: clock.now });
    const failing = async () => {
      const lease = limiter.reserve(req({ stream: true, inputTokens: 10, maxTokens: 90 }));
      try {
        await tick();
        throw new Error("model crashed");
      } finally {
        lease.settle();
      }
    };
    await assert.rejects(failing(), /model crashed/);
    assert.equal(limiter.inspect("m", "alice").principal.streamsInFlight, 0);
    assert.equal(limiter.inspect("m", "alice").model.tokensAvailable, 1_000);

    const controller = new AbortController();
    const lease = limiter.reserve(req({ stream: true, inputTokens: 10, maxTokens: 90 })).bindSignal(controller.signal);
    throttled(catchError(() => limiter.reserve(req({ stream: true }))));
    controller.abort();
    assert.equal(limiter.inspect("m", "alice").principal.streamsInFlight, 0);
    limiter.reserve(req({ stream: true })).settle();
    // The aborted stream produced 30 tokens before the client left; settle still charges them.
    lease.settle({ inputTokens: 10, outputTokens: 20 });
    lease.settle({ inputTokens: 10, outputTokens: 999 }); // ignored: settle is idempotent
    assert.equal(limiter.inspect("m", "alice").model.tokensAvailable, 970);
    assert.equal(limiter.inspect("m", "alice").principal.streamsInFlight, 0);
  });

  it("a lease bound to an already-aborted signal frees its slot at once", () => {
    const limiter = new QuotaLimiter({ config });
    limiter.reserve(req({ stream: true })).bindSignal(AbortSignal.abort());
    assert.equal(limiter.inspect("m", "alice").principal.streamsInFlight, 0);
  });
});

describe("QuotaLimiter budgets", () => {
  const prices = { m: { inputPer1k: "0.003", outputPer1k: "0.015" } };

  it("reserves worst-case cost so concurrent requests cannot overshoot, then settles actual cost", async () => {
    const clock = manualClock();
    const limiter = new QuotaLimiter({ config: { prices, principals: { alice: { monthlyBudgetUsd: 1 } } }, now: clock.now });
    // Worst case of each: 1K input at $0.003 + 1K output at $0.015 = $0.018; 55 fit in $1.
    const { admitted, errors } = await storm(limiter, 200, () => req({ inputTokens: 1_000, maxTokens: 1_000 }), { inputTokens: 1_000, outputTokens: 0 });
    assert.equal(admitted, 55);
    for (const error of errors) assert.equal(throttled(error).retryAfterSeconds, 1, "in-flight reservations: retry shortly");
    assert.deepEqual(limiter.budgetState({ kind: "principal", id: "alice" }), { spent: parseUsd("0.165"), reserved: 0n });
  });

  it("stops a principal over budget until the next month, with the hint to match", () => {
    const clock = manualClock(Date.UTC(2025, 5, 30, 23, 0, 0));
    const limiter = new QuotaLimiter({ config: { prices, principals: { alice: { monthlyBudgetUsd: "0.10" } } }, now: clock.now });
    limiter.reserve(req({ inputTokens: 0, maxTokens: 1_000 })).settle({ inputTokens: 0, outputTokens: 7_000 }); // $0.105: over
    const error = throttled(catchError(() => limiter.reserve(req({ inputTokens: 1, maxTokens: 1 }))));
    assert.equal(error.retryAfterSeconds, 3_600);
    assert.match(error.message, /monthly budget.*resets at 2025-07-01T00:00:00.000Z/);
    limiter.reserve(req({ principal: "bob", inputTokens: 1, maxTokens: 1 })); // others are unaffected
    clock.advance(3_600_000);
    limiter.reserve(req({ inputTokens: 1, maxTokens: 1 }));
  });

  it("shares an account budget across its principals and counts replayed spend", () => {
    const clock = manualClock();
    const limiter = new QuotaLimiter({ config: { prices, accounts: { "111122223333": { monthlyBudgetUsd: "45" } } }, now: clock.now });
    limiter.addSpend({ model: "m", principal: "alice", account: "111122223333", usage: { inputTokens: 5_000_000, outputTokens: 1_000_000 }, at: clock.t - 1000 }); // $30
    limiter.addSpend({ model: "m", principal: "alice", account: "111122223333", usage: { inputTokens: 5_000_000, outputTokens: 2_000_000 }, at: Date.UTC(2025, 4, 1) }); // last month: ignored
    limiter.reserve(req({ principal: "bob", account: "111122223333", inputTokens: 0, maxTokens: 1_000_000 })).settle({ inputTokens: 0, outputTokens: 1_000_000 }); // $15
    const error = throttled(catchError(() => limiter.reserve(req({ principal: "carol", account: "111122223333", inputTokens: 1, maxTokens: 0 }))));
    assert.ok(error.retryAfterSeconds! > 86_400);
    limiter.reserve(req({ principal: "carol", account: "444455556666", inputTokens: 1, maxTokens: 0 }));
  });
});

describe("quotas configuration", () => {
  it("is optional (no limits) and parses into what the limiter takes", () => {
    assert.equal(configSchema.parse({}).quotas, undefined);
    const config = configSchema.parse({
      quotas: {
        models: { m: { requestsPerMinute: 1, perPrincipal: { tokensPerMinute: 100 } } },
        principals: { alice: { monthlyBudgetUsd: "12.50", models: { "*": { concurrentStreams: 2 } } } },
        accounts: { "111122223333": { monthlyBudgetUsd: 100 } },
        prices: { m: { inputPer1k: 0.003, outputPer1k: "0.015" } },
      },
    });
    const quotas: QuotasConfig | undefined = config.quotas;
    const limiter = new QuotaLimiter({ config: quotas });
    limiter.reserve(req());
    throttled(catchError(() => limiter.reserve(req())));
    assert.equal(limiter.prices.costOf("m", { inputTokens: 1000, outputTokens: 1000 }), parseUsd("0.018"));
  });

  it("rejects invalid entries with their path", () => {
    const bad = configSchema.safeParse({ quotas: { models: { m: { requestsPerMinute: -1 } }, prices: { m: { inputPer1k: "three", outputPer1k: 1 } } } });
    assert.equal(bad.success, false);
    const paths = bad.error!.issues.map((i) => i.path.join("."));
    assert.ok(paths.includes("quotas.models.m.requestsPerMinute"));
    assert.ok(paths.includes("quotas.prices.m.inputPer1k"));
    assert.equal(configSchema.safeParse({ quotas: { models: { m: { rpm: 1 } } } }).success, false, "unknown keys are typos");
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail("expected an error");
}
