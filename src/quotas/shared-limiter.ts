// Quotas shared by several Basalt nodes through the metadata database (PostgreSQL), with the
// semantics of the in-memory limiter (limiter.ts) exactly: the same token buckets, stream slots
// and budgets, all-or-nothing admission, the same refusals and retry hints. An admission is one
// short transaction that locks the rows of its scopes (in key order, so never a deadlock),
// checks every scope and charges them all; settle and release run after the response, in the
// background. Stream slots and budget reservations are rows that their node renews while it
// lives, so those of a node that died stop counting after `holdTtlMs`.
// docs/decisions/0020-multi-node-state.md weighs this against per-node slices.
import { randomBytes, randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Queryable } from "../store/db/database.ts";
import type { PriceTable, Pico } from "../usage/prices.ts";
import {
  LeaseBase,
  QuotaRules,
  REFUSAL_MESSAGES,
  STREAM_WAIT_MS,
  throttled,
  WINDOW_MS,
  worst,
  type AdmissionPlan,
  type QuotaLease,
  type QuotaScope,
  type Refusal,
  type ReserveRequest,
  type ScopeState,
  type SettleUsage,
  type ThrottleEvent,
} from "./admission.ts";
import { checkBudget, monthOf, type BudgetOwner } from "./budget.ts";
import { modelLimits, principalModelLimits, type QuotasConfig } from "./quota-config.ts";
import { sharedQuotaState as state, type NewHold } from "./shared-quota-state.ts";
import { TokenBucket } from "./token-bucket.ts";

/** Options of {@link SharedQuotaLimiter}. */
export interface SharedQuotaLimiterOptions {
  /** The metadata database every node shares (migrated). */
  db: Queryable;
  /** The `quotas` configuration; every node must be given the same. */
  config?: QuotasConfig;
  /** Clock in ms. Nodes' clocks must agree to well within a second (NTP), as for job leases. */
  now?: () => number;
  onThrottle?: (event: ThrottleEvent) => void;
  /** Names this node in its holds; host, pid and a random suffix by default. */
  nodeId?: string;
  /** How long a stream slot or budget reservation outlives its node's last renewal (default 30 s); renewed every third of it. */
  holdTtlMs?: number;
  /** Told about failed background writes (settle, release, renewal); the request they belong to is long answered. */
  onError?: (error: unknown) => void;
}

/** A token bucket a request charges. */
interface BucketCharge {
  key: string;
  limit: number;
  amount: number;
  scope: QuotaScope;
  kind: "requests" | "tokens";
}

/** What a shared lease settles and releases. */
interface Holding {
  leaseId: string;
  model: string;
  /** Tokens-per-minute buckets, whose reservation is replaced by actual usage at settle. */
  tokenBuckets: Array<{ key: string; limit: number }>;
  streamKeys: string[];
  owners: BudgetOwner[];
  /** Whether any hold row was written (streams or budgets). */
  holds: boolean;
}

const key = (...parts: string[]): string => JSON.stringify(parts);
const bucketKey = (kind: "r" | "t", parts: string[]) => key(kind, ...parts);
const streamKey = (parts: string[]) => key("s", ...parts);
/** Spend of an owner in a month; reservations are held under {@link reservationKey}, which no month changes. */
const spendKey = (owner: BudgetOwner, month: string) => key("b", owner.kind, owner.id, month);
const reservationKey = (owner: BudgetOwner) => key("b", owner.kind, owner.id);
/** Counters known to exist are not inserted again; the set is bounded. */
const KNOWN_LIMIT = 10_000;

/** A lease whose settle and release are written in the background. */
class SharedQuotaLease extends LeaseBase {
  constructor(
    private readonly limiter: SharedQuotaLimiter,
    reservedTokens: number,
    private readonly holding: Holding,
  ) {
    super(reservedTokens);
  }

  protected onRelease(): void {
    // A settled lease's stream slots went with its settlement.
    if (!this.settled && this.holding.streamKeys.length) this.limiter.releaseStreams(this.holding);
  }

  protected charge(usage?: SettleUsage): Pico {
    return this.limiter.settleLease(this.holding, this.reservedTokens, usage);
  }
}

/** Admits or refuses requests against quotas whose state all nodes share in the metadata database. */
export class SharedQuotaLimiter {
  readonly nodeId: string;
  private readonly db: Queryable;
  private readonly rules: QuotaRules;
  private readonly now: () => number;
  private readonly onThrottle?: (event: ThrottleEvent) => void;
  private readonly onError: (error: unknown) => void;
  private readonly holdTtlMs: number;
  private readonly known = new Set<string>();
  /** Leases of this node whose holds are in the table and not yet settled: the ones renewal keeps alive. */
  private readonly open = new Set<string>();
  private readonly pending = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;

  constructor(options: SharedQuotaLimiterOptions) {
    this.db = options.db;
    this.rules = new QuotaRules(options.config);
    this.now = options.now ?? Date.now;
    this.onThrottle = options.onThrottle;
    this.onError = options.onError ?? ((error) => console.error("shared quotas:", error));
    this.holdTtlMs = options.holdTtlMs ?? 30_000;
    this.nodeId = options.nodeId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
    this.timer = setInterval(() => this.track(this.maintain()), Math.max(10, Math.floor(this.holdTtlMs / 3)));
    this.timer.unref();
  }

  /** The configured price table. */
  get prices(): PriceTable {
    return this.rules.prices;
  }

  /**
   * Admits a request or rejects: ThrottlingException (429 with a retry hint) when a limit is
   * reached now, ValidationException when the request alone exceeds a per-minute token quota.
   * A request that no limit or budget applies to touches no row.
   */
  async reserve(request: ReserveRequest): Promise<QuotaLease> {
    const now = this.now();
    const plan = this.rules.plan(request);
    const buckets: BucketCharge[] = [];
    const streams: Array<{ key: string; limit: number; scope: QuotaScope }> = [];
    for (const { scope, parts, limits } of plan.scopes) {
      if (limits.requestsPerMinute !== undefined) buckets.push({ key: bucketKey("r", parts), limit: limits.requestsPerMinute, amount: 1, scope, kind: "requests" });
      if (limits.tokensPerMinute !== undefined) buckets.push({ key: bucketKey("t", parts), limit: limits.tokensPerMinute, amount: plan.tokens, scope, kind: "tokens" });
      if (plan.stream && limits.concurrentStreams !== undefined) streams.push({ key: streamKey(parts), limit: limits.concurrentStreams, scope });
    }
    const holding: Holding = {
      leaseId: randomUUID(),
      model: plan.model,
      tokenBuckets: buckets.filter((b) => b.kind === "tokens").map(({ key, limit }) => ({ key, limit })),
      streamKeys: streams.map((s) => s.key),
      owners: plan.owners,
      holds: streams.length > 0 || plan.owners.length > 0,
    };
    if (buckets.length === 0 && !holding.holds) return new SharedQuotaLease(this, plan.tokens, holding);
    const month = monthOf(now);
    const counters = [
      ...buckets.map((b) => ({ key: b.key, level: b.limit * WINDOW_MS })),
      // A stream scope's row carries no level: it is the lock that orders its slot count.
      ...streams.map((s) => ({ key: s.key, level: 0 })),
      ...plan.owners.map((owner) => ({ key: spendKey(owner, month), level: 0n })),
    ];
    await this.ensure(counters, now);
    await this.db.transaction(async (tx) => {
      const rows = await state.lockCounters(tx, counters.map((c) => c.key));
      const holdKeys = [...holding.streamKeys, ...plan.owners.map(reservationKey)];
      const live = await state.liveHolds(tx, holdKeys, now);
      let refusal: Refusal | undefined;
      const charged: Array<{ key: string; level: number; updatedAt: number }> = [];
      for (const charge of buckets) {
        const row = rows.get(charge.key);
        const bucket = row
          ? TokenBucket.fromState({ limit: charge.limit, windowMs: WINDOW_MS, level: Number(row.level), updatedAt: row.updatedAt })
          : new TokenBucket({ limit: charge.limit, windowMs: WINDOW_MS, now });
        const waitMs = bucket.waitMs(charge.amount, now);
        if (waitMs > 0) refusal = worst(refusal, { waitMs, limit: charge.kind, scope: charge.scope, message: REFUSAL_MESSAGES[charge.kind] });
        bucket.take(charge.amount, now);
        charged.push({ key: charge.key, ...bucket.state() });
      }
      for (const stream of streams) {
        if ((live.get(stream.key)?.count ?? 0) >= stream.limit) refusal = worst(refusal, { waitMs: STREAM_WAIT_MS, limit: "streams", scope: stream.scope, message: REFUSAL_MESSAGES.streams });
      }
      refusal = worst(refusal, this.budgetRefusal(plan, { rows, live, month, now }));
      // Thrown inside the transaction: it rolls back, and a refusal leaves no charge anywhere.
      if (refusal) throw throttled(plan, refusal, this.onThrottle);
      await state.writeCounters(tx, charged);
      const holds: NewHold[] = [
        ...holding.streamKeys.map((scopeKey) => ({ scopeKey, amount: 1n })),
        ...plan.owners.map((owner) => ({ scopeKey: reservationKey(owner), amount: plan.cost })),
      ];
      await state.addHolds(tx, { leaseId: holding.leaseId, nodeId: this.nodeId, expiresAt: now + this.holdTtlMs, holds });
    });
    if (holding.holds) this.open.add(holding.leaseId);
    return new SharedQuotaLease(this, plan.tokens, holding);
  }

  /** @internal Prices the request and writes its settlement in the background; returns its cost. */
  settleLease(holding: Holding, reservedTokens: number, usage: SettleUsage | undefined): Pico {
    const actual = usage ? this.rules.prices.costOf(holding.model, usage) : 0n;
    const unused = reservedTokens - (usage ? usage.inputTokens + usage.outputTokens : 0);
    // No longer renewed: should the settlement fail to be written, its holds still expire.
    this.open.delete(holding.leaseId);
    if (holding.tokenBuckets.length || holding.holds) this.track(this.writeSettlement(holding, unused, actual));
    return actual;
  }

  /** @internal Frees a lease's stream slots in the background. */
  releaseStreams(holding: Holding): void {
    this.track(state.deleteHolds(this.db, holding.leaseId, holding.streamKeys));
  }

  /** Counts spend recorded before this limiter existed against this month's budgets, unless another node already did. */
  async seedSpend(records: AsyncIterable<{ model: string; principal: string; account?: string; usage: SettleUsage; at: number }>): Promise<void> {
    if (!this.rules.hasBudgets) return;
    const now = this.now();
    const month = monthOf(now);
    const spent = new Map<string, bigint>();
    for await (const record of records) {
      if (monthOf(record.at) !== month) continue;
      const cost = this.rules.prices.costOf(record.model, record.usage);
      for (const owner of this.rules.owners(record.principal, record.account)) spent.set(spendKey(owner, month), (spent.get(spendKey(owner, month)) ?? 0n) + cost);
    }
    // Inserted only where absent: a month another node has counted is not counted twice.
    await state.ensureCounters(this.db, [...spent].map(([key, level]) => ({ key, level })), now);
  }

  /** The shared state of a model's and a principal's scopes (undefined where no limit applies). */
  async inspect(model: string, principal: string): Promise<{ model: ScopeState; principal: ScopeState }> {
    const now = this.now();
    const scopes = [
      { parts: ["m", model], limits: modelLimits(this.rules.config, model) },
      { parts: ["p", model, principal], limits: principalModelLimits(this.rules.config, model, principal) },
    ];
    const keys = scopes.flatMap(({ parts }) => [bucketKey("r", parts), bucketKey("t", parts)]);
    const rows = await state.readCounters(this.db, keys);
    const live = await state.liveHolds(this.db, scopes.map(({ parts }) => streamKey(parts)), now);
    const available = (k: string, limit: number | undefined) => {
      if (limit === undefined) return undefined;
      const row = rows.get(k);
      if (!row) return limit;
      return TokenBucket.fromState({ limit, windowMs: WINDOW_MS, level: Number(row.level), updatedAt: row.updatedAt }).available(now);
    };
    const [m, p] = scopes.map(({ parts, limits }) => ({
      requestsAvailable: available(bucketKey("r", parts), limits.requestsPerMinute),
      tokensAvailable: available(bucketKey("t", parts), limits.tokensPerMinute),
      streamsInFlight: live.get(streamKey(parts))?.count ?? 0,
    }));
    return { model: m!, principal: p! };
  }

  /** Spent and reserved pico-dollars of a budget owner this month, over all nodes. */
  async budgetState(owner: BudgetOwner): Promise<{ spent: Pico; reserved: Pico }> {
    const now = this.now();
    const spent = (await state.readCounters(this.db, [spendKey(owner, monthOf(now))])).values().next().value?.level ?? 0n;
    const reserved = (await state.liveHolds(this.db, [reservationKey(owner)], now)).get(reservationKey(owner))?.total ?? 0n;
    return { spent, reserved };
  }

  /** Waits for every settle and release written so far. */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** Stops renewing this node's holds and waits for pending writes; close the database after. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Renews the holds of this node's open leases and sweeps everyone's expired ones; the timer runs it, tests may too. */
  async maintain(): Promise<void> {
    const now = this.now();
    await state.renewHolds(this.db, [...this.open], now + this.holdTtlMs);
    await state.sweepHolds(this.db, now);
  }

  private budgetRefusal(plan: AdmissionPlan, options: { rows: Map<string, { level: bigint }>; live: Map<string, { total: bigint }>; month: string; now: number }): Refusal | undefined {
    let refusal: Refusal | undefined;
    for (const owner of plan.owners) {
      const spent = options.rows.get(spendKey(owner, options.month))?.level ?? 0n;
      const reserved = options.live.get(reservationKey(owner))?.total ?? 0n;
      const found = checkBudget({ owner, budget: this.rules.budgetOf(owner)!, spent, reserved, cost: plan.cost, now: options.now });
      if (found) refusal = worst(refusal, { waitMs: found.waitMs, limit: "budget", scope: owner.kind, message: found.message });
    }
    return refusal;
  }

  private async writeSettlement(holding: Holding, unused: number, actual: Pico): Promise<void> {
    const now = this.now();
    const month = monthOf(now);
    const refund = holding.tokenBuckets.length > 0 && unused !== 0;
    const spendKeys = actual > 0n ? holding.owners.map((owner) => spendKey(owner, month)) : [];
    await this.db.transaction(async (tx) => {
      // Every row this touches is locked first, in key order as admission locks them: no deadlock.
      const rows = await state.lockCounters(tx, [...(refund ? holding.tokenBuckets.map((b) => b.key) : []), ...spendKeys]);
      if (refund) {
        const levels = holding.tokenBuckets.flatMap(({ key, limit }) => {
          const row = rows.get(key);
          if (!row) return [];
          const bucket = TokenBucket.fromState({ limit, windowMs: WINDOW_MS, level: Number(row.level), updatedAt: row.updatedAt });
          // Unused tokens go back; usage beyond the reservation becomes debt.
          if (unused > 0) bucket.refund(unused, now);
          else bucket.take(-unused, now);
          return [{ key, ...bucket.state() }];
        });
        await state.writeCounters(tx, levels);
      }
      for (const key of spendKeys) await state.addToCounter(tx, key, actual, now);
      if (holding.holds) await state.deleteHolds(tx, holding.leaseId);
    });
  }

  /** Inserts the counters this node has not seen yet. */
  private async ensure(counters: Array<{ key: string; level: number | bigint }>, now: number): Promise<void> {
    const unknown = counters.filter((c) => !this.known.has(c.key));
    if (unknown.length === 0) return;
    await state.ensureCounters(this.db, unknown, now);
    if (this.known.size + unknown.length > KNOWN_LIMIT) this.known.clear();
    for (const c of unknown) this.known.add(c.key);
  }

  private track(work: Promise<unknown>): void {
    const settled: Promise<void> = work.then(
      () => undefined,
      (error: unknown) => this.onError(error),
    );
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
  }
}
