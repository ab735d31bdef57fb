// Quotas at request admission: requests and tokens per minute (token buckets, see
// token-bucket.ts), concurrent streams and monthly budgets, for each model overall and for
// each principal on each model. Admission is synchronous — every scope is checked before any
// is charged — so on one event loop concurrent requests can never jointly pass a limit, and a
// refused request leaves no partial charge behind.
//
// State is in memory: this is the limiter of a single node (SQLite), at no I/O per request.
// Several nodes on PostgreSQL share their quota state through shared-limiter.ts instead.
import type { PriceTable, Pico } from "../usage/prices.ts";
import {
  LeaseBase,
  QuotaRules,
  REFUSAL_MESSAGES,
  STREAM_WAIT_MS,
  throttled,
  WINDOW_MS,
  worst,
  type QuotaLease,
  type Refusal,
  type ReserveRequest,
  type ScopeState,
  type SettleUsage,
  type ThrottleEvent,
} from "./admission.ts";
import { BudgetLedger, type BudgetOwner } from "./budget.ts";
import type { QuotasConfig } from "./quota-config.ts";
import { TokenBucket } from "./token-bucket.ts";

export type { QuotaLease, QuotaLimitKind, QuotaScope, ReserveRequest, ScopeState, SettleUsage, ThrottleEvent } from "./admission.ts";

/** Idle, full buckets are swept after this many admissions, bounding memory per principal. */
const SWEEP_EVERY = 1024;

/** Options of {@link QuotaLimiter}. */
export interface QuotaLimiterOptions {
  /** The `quotas` configuration; absent means no limits. */
  config?: QuotasConfig;
  /** Clock in ms; injectable so tests move time instead of waiting. */
  now?: () => number;
  onThrottle?: (event: ThrottleEvent) => void;
}

interface BucketEntry {
  bucket: TokenBucket;
  /** Unsettled leases holding tokens of this bucket; a bucket with any is never swept. */
  leases: number;
}

interface SlotEntry {
  inFlight: number;
}

/** A lease of the in-memory limiter: it holds the buckets and slots it charged. */
class LocalQuotaLease extends LeaseBase {
  /** @internal Built by {@link QuotaLimiter.reserve}. */
  constructor(
    private readonly limiter: QuotaLimiter,
    /** Tokens reserved (input + maxTokens). */
    reservedTokens: number,
    private readonly holds: { tokens: BucketEntry[]; slots: SlotEntry[]; owners: BudgetOwner[]; cost: Pico; model: string },
  ) {
    super(reservedTokens);
  }

  protected onRelease(): void {
    for (const slot of this.holds.slots) slot.inFlight--;
  }

  protected charge(usage?: SettleUsage): Pico {
    const actual = usage ? usage.inputTokens + usage.outputTokens : 0;
    return this.limiter.settleLease({ ...this.holds, reservedTokens: this.reservedTokens, actualTokens: actual, usage });
  }
}

/** Admits or refuses requests against the configured quotas, with state in this process. */
export class QuotaLimiter {
  private readonly rules: QuotaRules;
  private readonly now: () => number;
  private readonly onThrottle?: (event: ThrottleEvent) => void;
  private readonly ledger = new BudgetLedger();
  private readonly buckets = new Map<string, BucketEntry>();
  private readonly slots = new Map<string, SlotEntry>();
  private admissions = 0;

  constructor(options: QuotaLimiterOptions = {}) {
    this.rules = new QuotaRules(options.config);
    this.now = options.now ?? Date.now;
    this.onThrottle = options.onThrottle;
  }

  /** The configured price table. */
  get prices(): PriceTable {
    return this.rules.prices;
  }

  /**
   * Admits a request or throws: ThrottlingException (429, retryAfterSeconds from the bucket
   * state) when a limit is reached now; ValidationException when the request alone reserves
   * more tokens than a per-minute quota, since no retry could ever admit it.
   */
  reserve(request: ReserveRequest): QuotaLease {
    const now = this.now();
    const plan = this.rules.plan(request);
    const { tokens } = plan;
    let refusal: Refusal | undefined;
    const requestBuckets: BucketEntry[] = [];
    const tokenBuckets: BucketEntry[] = [];
    const slots: SlotEntry[] = [];
    for (const { scope, parts, limits } of plan.scopes) {
      const key = parts.join("\u0000");
      if (limits.requestsPerMinute !== undefined) {
        const entry = this.bucket(`${key}\u0000r`, limits.requestsPerMinute, now);
        const waitMs = entry.bucket.waitMs(1, now);
        if (waitMs > 0) refusal = worst(refusal, { waitMs, limit: "requests", scope, message: REFUSAL_MESSAGES.requests });
        requestBuckets.push(entry);
      }
      if (limits.tokensPerMinute !== undefined) {
        const entry = this.bucket(`${key}\u0000t`, limits.tokensPerMinute, now);
        const waitMs = entry.bucket.waitMs(tokens, now);
        if (waitMs > 0) refusal = worst(refusal, { waitMs, limit: "tokens", scope, message: REFUSAL_MESSAGES.tokens });
        tokenBuckets.push(entry);
      }
      if (plan.stream && limits.concurrentStreams !== undefined) {
        const slot = this.slot(key);
        if (slot.inFlight >= limits.concurrentStreams) refusal = worst(refusal, { waitMs: STREAM_WAIT_MS, limit: "streams", scope, message: REFUSAL_MESSAGES.streams });
        slots.push(slot);
      }
    }
    for (const owner of plan.owners) {
      const budgetRefusal = this.ledger.check({ owner, budget: this.rules.budgetOf(owner)!, cost: plan.cost, now });
      if (budgetRefusal) refusal = worst(refusal, { waitMs: budgetRefusal.waitMs, limit: "budget", scope: owner.kind, message: budgetRefusal.message });
    }
    if (refusal) throw throttled(plan, refusal, this.onThrottle);
    // Everything fits: charge every scope at once.
    for (const entry of requestBuckets) entry.bucket.take(1, now);
    for (const entry of tokenBuckets) {
      entry.bucket.take(tokens, now);
      entry.leases++;
    }
    for (const slot of slots) slot.inFlight++;
    for (const owner of plan.owners) this.ledger.reserve(owner, plan.cost, now);
    if (++this.admissions % SWEEP_EVERY === 0) this.sweep(now);
    return new LocalQuotaLease(this, tokens, { tokens: tokenBuckets, slots, owners: plan.owners, cost: plan.cost, model: plan.model });
  }

  /** @internal The accounting half of {@link LocalQuotaLease.settle}. */
  settleLease(options: { tokens: BucketEntry[]; owners: BudgetOwner[]; cost: Pico; model: string; reservedTokens: number; actualTokens: number; usage?: SettleUsage }): Pico {
    const now = this.now();
    const unused = options.reservedTokens - options.actualTokens;
    for (const entry of options.tokens) {
      if (unused >= 0) entry.bucket.refund(unused, now);
      else entry.bucket.take(-unused, now);
      entry.leases--;
    }
    const actual = options.usage ? this.rules.prices.costOf(options.model, options.usage) : 0n;
    for (const owner of options.owners) this.ledger.settle({ owner, reserved: options.cost, actual, now });
    return actual;
  }

  /** Counts spend recorded before this limiter existed (replayed usage) against the current month's budgets. */
  addSpend(options: { model: string; principal: string; account?: string; usage: SettleUsage; at: number }): void {
    const cost = this.rules.prices.costOf(options.model, options.usage);
    for (const owner of this.rules.owners(options.principal, options.account)) this.ledger.addSpend({ owner, cost, at: options.at, now: this.now() });
  }

  /** The state of a model's and a principal's buckets (undefined where no limit applies). */
  inspect(model: string, principal: string): { model: ScopeState; principal: ScopeState } {
    const now = this.now();
    const state = (key: string): ScopeState => ({
      requestsAvailable: this.buckets.get(`${key}\u0000r`)?.bucket.available(now),
      tokensAvailable: this.buckets.get(`${key}\u0000t`)?.bucket.available(now),
      streamsInFlight: this.slots.get(key)?.inFlight ?? 0,
    });
    return { model: state(`m\u0000${model}`), principal: state(`p\u0000${model}\u0000${principal}`) };
  }

  /** Spent and reserved pico-dollars of a budget owner this month. */
  budgetState(owner: BudgetOwner): { spent: Pico; reserved: Pico } {
    return this.ledger.state(owner, this.now());
  }

  private bucket(key: string, limit: number, now: number): BucketEntry {
    let entry = this.buckets.get(key);
    if (!entry) {
      entry = { bucket: new TokenBucket({ limit, windowMs: WINDOW_MS, now }), leases: 0 };
      this.buckets.set(key, entry);
    }
    return entry;
  }

  private slot(key: string): SlotEntry {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { inFlight: 0 };
      this.slots.set(key, slot);
    }
    return slot;
  }

  /** Drops state that carries no information: full buckets without leases, empty slots. */
  private sweep(now: number): void {
    for (const [key, entry] of this.buckets) if (entry.leases === 0 && entry.bucket.full(now)) this.buckets.delete(key);
    for (const [key, slot] of this.slots) if (slot.inFlight === 0) this.slots.delete(key);
  }
}
