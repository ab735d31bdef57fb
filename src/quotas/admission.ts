// What a request asks of which quotas, decided the same way by the in-memory limiter (one node)
// and the shared one (several nodes, shared-limiter.ts): the scopes whose limits apply, the
// tokens it reserves, its worst-case cost and the budgets that pay for it; and, when something
// does not fit, the one ThrottlingException to throw.
import { BasaltError } from "../spec/errors.ts";
import { PriceTable, parseUsd, type Pico } from "../usage/prices.ts";
import type { BudgetOwner } from "./budget.ts";
import { modelLimits, principalModelLimits, type QuotaLimits, type QuotasConfig } from "./quota-config.ts";
import type { Cancellation } from "../spec/model.ts";

/** Every per-minute quota is a token bucket over this window. */
export const WINDOW_MS = 60_000;

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

/** Per-scope state, for inspection and tests. */
export interface ScopeState {
  requestsAvailable?: number;
  tokensAvailable?: number;
  streamsInFlight: number;
}

/** A request's admission: settle it once at the end (idempotent); release frees its stream slot early. */
export interface QuotaLease {
  /** Tokens reserved (input + maxTokens). */
  readonly reservedTokens: number;
  /** Frees the concurrent-stream slots (on finish, error or client abort). Safe to call any number of times. */
  release(): void;
  /** Releases the slots when `signal` aborts (a client that went away). */
  bindSignal(signal: Cancellation): this;
  /**
   * Replaces the reservation by actual usage: unused tokens go back to the buckets, usage
   * beyond the reservation is charged as debt, the actual cost goes to the budgets. Without
   * usage (a request that failed before the model produced anything) all tokens go back.
   * Only the first call counts; it returns the request's cost in pico-dollars.
   */
  settle(usage?: SettleUsage): Pico;
  /** Whether {@link settle} has run. */
  readonly settled: boolean;
}

/**
 * What every limiter's lease shares: release at most once (also when a bound signal aborts), and
 * settle at most once, charging first and then releasing. A limiter supplies the two actions.
 */
export abstract class LeaseBase implements QuotaLease {
  #released = false;
  #detach: (() => void) | undefined;
  #settledCost: Pico | undefined;

  constructor(readonly reservedTokens: number) {}

  /** Frees what the lease holds while it runs (stream slots); called once. */
  protected abstract onRelease(): void;
  /** Replaces the reservation by actual usage and returns the cost; called once. */
  protected abstract charge(usage?: SettleUsage): Pico;

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#detach?.();
    this.#detach = undefined;
    this.onRelease();
  }

  bindSignal(signal: Cancellation): this {
    if (this.#released) return this;
    if (signal.aborted) {
      this.release();
      return this;
    }
    const onAbort = (): void => this.release();
    signal.addEventListener("abort", onAbort, { once: true });
    this.#detach = () => signal.removeEventListener("abort", onAbort);
    return this;
  }

  settle(usage?: SettleUsage): Pico {
    if (this.#settledCost !== undefined) return this.#settledCost;
    this.#settledCost = this.charge(usage);
    this.release();
    return this.#settledCost;
  }

  get settled(): boolean {
    return this.#settledCost !== undefined;
  }
}

/** One scope of a request and its limits; `parts` name it (model; or model and principal). */
export interface ScopeLimits {
  scope: "model" | "principal";
  parts: string[];
  limits: QuotaLimits;
}

/** Everything admission needs to know about a request. */
export interface AdmissionPlan {
  model: string;
  principal: string;
  account?: string;
  inputTokens: number;
  maxTokens: number;
  /** Reserved: input + maxTokens. */
  tokens: number;
  scopes: ScopeLimits[];
  /** Budgets that pay for the request. */
  owners: BudgetOwner[];
  /** Worst-case cost (input + maxTokens priced); 0 without budgets. */
  cost: Pico;
  stream: boolean;
}

/** Why a scope refuses a request. */
export interface Refusal {
  waitMs: number;
  limit: QuotaLimitKind;
  scope: QuotaScope;
  message: string;
}

/** The messages of refusals, as Bedrock words them. */
export const REFUSAL_MESSAGES = {
  requests: "Too many requests, please wait before trying again.",
  tokens: "Too many tokens, please wait before trying again.",
  streams: "Too many concurrent streams, please wait before trying again.",
} as const;

/** No bucket tells when a stream ends; a second is a fair first hint. */
export const STREAM_WAIT_MS = 1000;

/** The configured quotas, budgets and prices, and the planning of each request against them. */
export class QuotaRules {
  readonly config: QuotasConfig;
  readonly prices: PriceTable;
  private readonly budgets = new Map<string, Pico>();

  constructor(config: QuotasConfig = {}) {
    this.config = config;
    this.prices = new PriceTable(config.prices);
    for (const [id, entry] of Object.entries(config.principals ?? {})) {
      if (entry.monthlyBudgetUsd !== undefined) this.budgets.set(ownerKey({ kind: "principal", id }), parseUsd(entry.monthlyBudgetUsd));
    }
    for (const [id, entry] of Object.entries(config.accounts ?? {})) {
      if (entry.monthlyBudgetUsd !== undefined) this.budgets.set(ownerKey({ kind: "account", id }), parseUsd(entry.monthlyBudgetUsd));
    }
  }

  /**
   * Plans a request; throws ValidationException when it alone reserves more tokens than a
   * per-minute quota, since no retry could ever admit it (and the AWS SDK would retry a 429).
   */
  plan(request: ReserveRequest): AdmissionPlan {
    const { model, principal, account } = request;
    const inputTokens = Math.max(0, request.inputTokens);
    const maxTokens = Math.max(0, request.maxTokens);
    const tokens = inputTokens + maxTokens;
    const scopes: ScopeLimits[] = [
      { scope: "model", parts: ["m", model], limits: modelLimits(this.config, model) },
      { scope: "principal", parts: ["p", model, principal], limits: principalModelLimits(this.config, model, principal) },
    ];
    for (const { scope, limits } of scopes) {
      if (limits.tokensPerMinute !== undefined && tokens > limits.tokensPerMinute) {
        throw new BasaltError(
          "VALIDATION",
          `This request reserves ${tokens} tokens (input plus maxTokens), more than the ${scope === "model" ? "model's" : "principal's"} quota of ${limits.tokensPerMinute} tokens per minute. Lower maxTokens or shorten the input.`,
        );
      }
    }
    const owners = this.owners(principal, account);
    const cost = owners.length ? this.prices.costOf(model, { inputTokens, outputTokens: maxTokens }) : 0n;
    return { model, principal, account, inputTokens, maxTokens, tokens, scopes, owners, cost, stream: request.stream === true };
  }

  /** The monthly budget of an owner, in pico-dollars (undefined: none). */
  budgetOf(owner: BudgetOwner): Pico | undefined {
    return this.budgets.get(ownerKey(owner));
  }

  /** Whether any budget is configured. */
  get hasBudgets(): boolean {
    return this.budgets.size > 0;
  }

  /** The budgets a principal's request pays into: its own and its account's, where configured. */
  owners(principal: string, account: string | undefined): BudgetOwner[] {
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
}

/** Keeps the refusal that asks for the longest wait. */
export function worst(current: Refusal | undefined, next: Refusal | undefined): Refusal | undefined {
  if (!next) return current;
  return !current || next.waitMs > current.waitMs ? next : current;
}

/** The ThrottlingException (429, retry hint) of a refused plan; reports it to `onThrottle` first. */
export function throttled(plan: AdmissionPlan, refusal: Refusal, onThrottle?: (event: ThrottleEvent) => void): BasaltError {
  const retryAfterSeconds = Math.max(1, Math.ceil(refusal.waitMs / 1000));
  const { model, principal, account } = plan;
  const event: ThrottleEvent = { model, principal, ...(account === undefined ? {} : { account }), limit: refusal.limit, scope: refusal.scope, retryAfterSeconds };
  onThrottle?.(event);
  return new BasaltError("THROTTLED", refusal.message, { retryAfterSeconds, cause: event });
}

function ownerKey(owner: BudgetOwner): string {
  return `${owner.kind}\u0000${owner.id}`;
}
