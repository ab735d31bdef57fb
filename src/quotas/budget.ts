// Monthly budgets (UTC calendar months) of principals and accounts, in exact pico-dollars.
// A request reserves its worst-case cost (input + maxTokens priced) at admission and settles
// the actual cost at the end, so concurrent requests cannot jointly overshoot a hard stop.
import { formatUsdShort, type Pico } from "../usage/prices.ts";

/** A budget holder: a principal or an account. */
export type BudgetOwner = { kind: "principal" | "account"; id: string };

interface Ledger {
  month: string;
  spent: Pico;
  reserved: Pico;
}

/** Why a budget refused a request. */
export interface BudgetRefusal {
  owner: BudgetOwner;
  /** Milliseconds until a retry can succeed: the next month, or 1 s when only in-flight reservations stand in the way. */
  waitMs: number;
  message: string;
}

/** The UTC month of a clock reading, as `YYYY-MM`. */
export function monthOf(now: number): string {
  return new Date(now).toISOString().slice(0, 7);
}

/** The start of the next UTC month, in ms. */
export function nextMonthStart(now: number): number {
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/**
 * Whether `cost` fits under `budget` beside this month's `spent` and `reserved`; the refusal
 * when it does not. The same rule for the in-memory ledger and the shared quota state.
 */
export function checkBudget(options: { owner: BudgetOwner; budget: Pico; spent: Pico; reserved: Pico; cost: Pico; now: number }): BudgetRefusal | undefined {
  const { owner, budget, spent, reserved, cost, now } = options;
  if (spent + reserved + cost <= budget) return undefined;
  const reset = nextMonthStart(now);
  if (spent + cost > budget) {
    return {
      owner,
      waitMs: reset - now,
      message: `The monthly budget of this ${owner.kind} (USD ${formatUsdShort(budget)}) does not cover this request; it resets at ${new Date(reset).toISOString()}. Lower maxTokens or ask for a larger budget.`,
    };
  }
  // Only reservations of requests still running stand in the way; they settle soon.
  return { owner, waitMs: 1000, message: `Requests in flight hold the rest of this ${owner.kind}'s monthly budget; retry shortly.` };
}

/** Spend and reservations against monthly budgets. */
export class BudgetLedger {
  private readonly ledgers = new Map<string, Ledger>();

  private ledger(owner: BudgetOwner, now: number): Ledger {
    const key = `${owner.kind}\u0000${owner.id}`;
    const month = monthOf(now);
    let ledger = this.ledgers.get(key);
    // A new month starts from zero; reservations still in flight carry over so their settle balances.
    if (!ledger || ledger.month !== month) {
      ledger = { month, spent: 0n, reserved: ledger?.reserved ?? 0n };
      this.ledgers.set(key, ledger);
    }
    return ledger;
  }

  /** Checks that `cost` fits under `budget` beside what is spent and reserved; undefined when it does. */
  check(options: { owner: BudgetOwner; budget: Pico; cost: Pico; now: number }): BudgetRefusal | undefined {
    const { spent, reserved } = this.ledger(options.owner, options.now);
    return checkBudget({ ...options, spent, reserved });
  }

  /** Reserves a worst-case cost. */
  reserve(owner: BudgetOwner, cost: Pico, now: number): void {
    this.ledger(owner, now).reserved += cost;
  }

  /** Replaces a reservation by the actual cost. */
  settle(options: { owner: BudgetOwner; reserved: Pico; actual: Pico; now: number }): void {
    const ledger = this.ledger(options.owner, options.now);
    ledger.reserved -= options.reserved;
    ledger.spent += options.actual;
  }

  /** Adds spend recorded elsewhere (e.g. replayed from the usage log at start); other months are ignored. */
  addSpend(options: { owner: BudgetOwner; cost: Pico; at: number; now: number }): void {
    if (monthOf(options.at) !== monthOf(options.now)) return;
    this.ledger(options.owner, options.now).spent += options.cost;
  }

  /** Spent and reserved pico-dollars of the current month. */
  state(owner: BudgetOwner, now: number): { spent: Pico; reserved: Pico } {
    const { spent, reserved } = this.ledger(owner, now);
    return { spent, reserved };
  }
}
