// Quotas at request admission: requests and tokens per minute (token buckets, see
// token-bucket.ts), concurrent streams and monthly budgets, for each model overall and for
// each principal on each model. Admission is synchronous — every scope is checked before any
// is charged — so on one event loop concurrent requests can never jointly pass a limit, and a
// refused request leaves no partial charge behind.
//
// State is in memory, per node. With several Basalt nodes behind a balancer each enforces
// its own copy: configure each node with the limits divided by the node count, until a
// shared store (e.g. the PostgreSQL metadata store, or Redis) holds the buckets.
import { BasaltError } from "../spec/errors.ts";
import { PriceTable, parseUsd, type Pico } from "../usage/prices.ts";
import { BudgetLedger, type BudgetOwner } from "./budget.ts";
import { modelLimits, principalModelLimits, type QuotaLimits, type QuotasConfig } from "./quota-config.ts";
import { TokenBucket } from "./token-bucket.ts";

const WINDOW_MS = 60_000;
/** Idle, full buckets are swept after this many admissions, bounding memory per principal. */
const SWEEP_EVERY = 1024;

/** Which limit refused a request. */
export type QuotaLimitKind = "requests" | "tokens" | "streams" | "budget";
/** Whose limit it was. */
export type QuotaScope = "model" | "principal" | "account";

/** Reported once per refused request (for metrics). */
export interface ThrottleEvent {
  model: string;
  principal: string;
  account?: string;
  limit: QuotaLimitKind;
  scope: QuotaScope;
  retryAfterSeconds: number;
}

/** What a request asks for at its start. */
export interface ReserveRequest {
  model: string;
  principal: string;
  account?: string;
  /** Input tokens as counted (or estimated) before the call. */
  inputTokens: number;
  /** The request's maxTokens, or the model's default when it gave none. */
  maxTokens: number;
  /** Takes a concurrent-stream slot until released. */
  stream?: boolean;
}

/** Actual token usage of a finished request. */
export interface SettleUsage {
  inputTokens: number;
  outputTokens: number;
}

/** Options of {@link QuotaLimiter}. */
export interface QuotaLimiterOptions {
  /** The `quotas` configuration; absent means no limits. */
  config?: QuotasConfig;
  /** Clock in ms; injectable so tests move time instead of waiting. */
  now?: () => number;
  onThrottle?: (event: ThrottleEvent) => void;
}

/** Per-scope state, for inspection and tests. */
export interface ScopeState {
  requestsAvailable?: number;
  tokensAvailable?: number;
  streamsInFlight: number;
}

interface BucketEntry {
  bucket: TokenBucket;
  /** Unsettled leases holding tokens of this bucket; a bucket with any is never swept. */
  leases: number;
}

interface SlotEntry {
  inFlight: number;
}

interface Refusal {
  waitMs: number;
  limit: QuotaLimitKind;
  scope: QuotaScope;
  message: string;
}

/** A request's admission: settle it once at the end (idempotent); release frees its stream slot early. */
export class QuotaLease {
  private released = false;
  private settledCost: Pico | undefined;
  private detach: (() => void) | undefined;

  /** @internal Built by {@link QuotaLimiter.reserve}. */
  constructor(
    private readonly limiter: QuotaLimiter,
    /** Tokens reserved (input + maxTokens). */
    readonly reservedTokens: number,
    private readonly holds: { tokens: BucketEntry[]; slots: SlotEntry[]; owners: BudgetOwner[]; cost: Pico; model: string },
  ) {}

  /** Frees the concurrent-stream slots (on finish, error or client abort). Safe to call any number of times. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const slot of this.holds.slots) slot.inFlight--;
    this.detach?.();
    this.detach = undefined;
  }

  /** Releases the slots when `signal` aborts (a client that went away). */
  bindSignal(signal: AbortSignal): this {
    if (this.released) return this;
    if (signal.aborted) {
      this.release();
      return this;
    }
    const onAbort = (): void => this.release();
    signal.addEventListener("abort", onAbort, { once: true });
    this.detach = () => signal.removeEventListener("abort", onAbort);
    return this;
  }

  /**
   * Replaces the reservation by actual usage: unused tokens go back to the buckets, usage
   * beyond the reservation is charged as debt, the actual cost goes to the budgets. Without
   * usage (a request that failed before the model produced anything) all tokens go back.
   * Only the first call counts; it returns the request's cost in pico-dollars.
   */
  settle(usage?: SettleUsage): Pico {
    if (this.settledCost !== undefined) return this.settledCost;
    this.release();
    const actual = usage ? usage.inputTokens + usage.outputTokens : 0;
    this.settledCost = this.limiter.settleLease({ ...this.holds, reservedTokens: this.reservedTokens, actualTokens: actual, usage });
    return this.settledCost;
  }

  /** Whether {@link settle} has run. */
  get settled(): boolean {
    return this.settledCost !== undefined;
  }
}

/** Admits or refuses requests against the configured quotas. */
export class QuotaLimiter {
  private readonly config: QuotasConfig;
  private readonly now: () => number;
  private readonly onThrottle?: (event: ThrottleEvent) => void;
  readonly prices: PriceTable;
  private readonly budgets = new Map<string, Pico>();
  private readonly ledger = new BudgetLedger();
  private readonly buckets = new Map<string, BucketEntry>();
  private readonly slots = new Map<string, SlotEntry>();
  private admissions = 0;

  constructor(options: QuotaLimiterOptions = {}) {
    this.config = options.config ?? {};
    this.now = options.now ?? Date.now;
    this.onThrottle = options.onThrottle;
    this.prices = new PriceTable(this.config.prices);
    for (const [id, entry] of Object.entries(this.config.principals ?? {})) {
      if (entry.monthlyBudgetUsd !== undefined) this.budgets.set(ownerKey({ kind: "principal", id }), parseUsd(entry.monthlyBudgetUsd));
    }
    for (const [id, entry] of Object.entries(this.config.accounts ?? {})) {
      if (entry.monthlyBudgetUsd !== undefined) this.budgets.set(ownerKey({ kind: "account", id }), parseUsd(entry.monthlyBudgetUsd));
    }
  }

  /**
   * Admits a request or throws: ThrottlingException (429, retryAfterSeconds from the bucket
   * state) when a limit is reached now; ValidationException when the request alone reserves
   * more tokens than a per-minute quota, since no retry could ever admit it.
   */
  reserve(request: ReserveRequest): QuotaLease {
    const now = this.now();
    const { model, principal, account } = request;
    const inputTokens = Math.max(0, request.inputTokens);
    const maxTokens = Math.max(0, request.maxTokens);
    const tokens = inputTokens + maxTokens;
    const scopes: Array<{ scope: QuotaScope; key: string; limits: QuotaLimits }> = [
      { scope: "model", key: `m\u0000${model}`, limits: modelLimits(this.config, model) },
      { scope: "principal", key: `p\u0000${model}\u0000${principal}`, limits: principalModelLimits(this.config, model, principal) },
    ];
    let worst: Refusal | undefined;
    const refuse = (refusal: Refusal): void => {
      if (!worst || refusal.waitMs > worst.waitMs) worst = refusal;
    };
    const requestBuckets: BucketEntry[] = [];
    const tokenBuckets: BucketEntry[] = [];
    const slots: SlotEntry[] = [];
    for (const { scope, key, limits } of scopes) {
      if (limits.tokensPerMinute !== undefined && tokens > limits.tokensPerMinute) {
        throw new BasaltError(
          "VALIDATION",
          `This request reserves ${tokens} tokens (input plus maxTokens), more than the ${scope === "model" ? "model's" : "principal's"} quota of ${limits.tokensPerMinute} tokens per minute. Lower maxTokens or shorten the input.`,
        );
      }
      if (limits.requestsPerMinute !== undefined) {
        const entry = this.bucket(`${key}\u0000r`, limits.requestsPerMinute, now);
        const waitMs = entry.bucket.waitMs(1, now);
        if (waitMs > 0) refuse({ waitMs, limit: "requests", scope, message: "Too many requests, please wait before trying again." });
        requestBuckets.push(entry);
      }
      if (limits.tokensPerMinute !== undefined) {
        const entry = this.bucket(`${key}\u0000t`, limits.tokensPerMinute, now);
        const waitMs = entry.bucket.waitMs(tokens, now);
        if (waitMs > 0) refuse({ waitMs, limit: "tokens", scope, message: "Too many tokens, please wait before trying again." });
        tokenBuckets.push(entry);
      }
      if (request.stream && limits.concurrentStreams !== undefined) {
        const slot = this.slot(key);
        // No bucket tells when a stream ends; a second is a fair first hint.
        if (slot.inFlight >= limits.concurrentStreams) refuse({ waitMs: 1000, limit: "streams", scope, message: "Too many concurrent streams, please wait before trying again." });
        slots.push(slot);
      }
    }
    const owners = this.owners(principal, account);
    const cost = owners.length ? this.prices.costOf(model, { inputTokens, outputTokens: maxTokens }) : 0n;
    for (const owner of owners) {
      const refusal = this.ledger.check({ owner, budget: this.budgets.get(ownerKey(owner))!, cost, now });
      if (refusal) refuse({ waitMs: refusal.waitMs, limit: "budget", scope: owner.kind, message: refusal.message });
    }
    if (worst) {
      const retryAfterSeconds = Math.max(1, Math.ceil(worst.waitMs / 1000));
      const event: ThrottleEvent = { model, principal, ...(account === undefined ? {} : { account }), limit: worst.limit, scope: worst.scope, retryAfterSeconds };
      this.onThrottle?.(event);
      throw new BasaltError("THROTTLED", worst.message, { retryAfterSeconds, cause: event });
    }
    // Everything fits: charge every scope at once.
    for (const entry of requestBuckets) entry.bucket.take(1, now);
    for (const entry of tokenBuckets) {
      entry.bucket.take(tokens, now);
      entry.leases++;
    }
    for (const slot of slots) slot.inFlight++;
    for (const owner of owners) this.ledger.reserve(owner, cost, now);
    if (++this.admissions % SWEEP_EVERY === 0) this.sweep(now);
    return new QuotaLease(this, tokens, { tokens: tokenBuckets, slots, owners, cost, model });
  }

  /** @internal The accounting half of {@link QuotaLease.settle}. */
  settleLease(options: { tokens: BucketEntry[]; owners: BudgetOwner[]; cost: Pico; model: string; reservedTokens: number; actualTokens: number; usage?: SettleUsage }): Pico {
    const now = this.now();
    const unused = options.reservedTokens - options.actualTokens;
    for (const entry of options.tokens) {
      if (unused >= 0) entry.bucket.refund(unused, now);
      else entry.bucket.take(-unused, now);
      entry.leases--;
    }
    const actual = options.usage ? this.prices.costOf(options.model, options.usage) : 0n;
    for (const owner of options.owners) this.ledger.settle({ owner, reserved: options.cost, actual, now });
    return actual;
  }

  /** Counts spend recorded before this limiter existed (replayed usage) against the current month's budgets. */
  addSpend(options: { model: string; principal: string; account?: string; usage: SettleUsage; at: number }): void {
    const cost = this.prices.costOf(options.model, options.usage);
    for (const owner of this.owners(options.principal, options.account)) this.ledger.addSpend({ owner, cost, at: options.at, now: this.now() });
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

  private owners(principal: string, account: string | undefined): BudgetOwner[] {
    const owners: BudgetOwner[] = [];
    if (this.budgets.size === 0) return owners;
    const own: BudgetOwner = { kind: "principal", id: principal };
    if (this.budgets.has(ownerKey(own))) owners.push(own);
    if (account !== undefined) {
      const acc: BudgetOwner = { kind: "account", id: account };
      if (this.budgets.has(ownerKey(acc))) owners.push(acc);
    }
    return owners;
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

function ownerKey(owner: BudgetOwner): string {
  return `${owner.kind}\u0000${owner.id}`;
}
