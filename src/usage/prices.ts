// Exact money arithmetic for prices, costs and budgets. Amounts are bigint pico-dollars
// (1e-12 USD): a price per 1K tokens with up to 9 decimals times a token count is then an
// exact integer (tokens × USD-per-1K × 1e9), so 5M tokens at $0.003 is exactly $15, with no
// float drift however many records are summed. Rounding happens once, when formatting.

/** A USD amount in pico-dollars (1e-12 USD). */
export type Pico = bigint;

const PICO_PER_USD = 1_000_000_000_000n;
const PICO_PER_MICRO = 1_000_000n;

/** Parses a USD amount (number or decimal string, ≤ 9 decimals) into pico-dollars. */
export function parseUsd(value: number | string): Pico {
  // toFixed(9) recovers the intended decimal of any number with ≤ 9 decimals: the binary
  // error of such a literal is far below 1e-9.
  const text = typeof value === "number" ? value.toFixed(9) : value.trim();
  const match = /^(\d+)(?:\.(\d{1,9})\d*)?$/.exec(text);
  if (!match) throw new RangeError(`Not a USD amount: ${String(value)}`);
  const whole = BigInt(match[1]!);
  const fraction = BigInt((match[2] ?? "").padEnd(9, "0"));
  return whole * PICO_PER_USD + fraction * 1000n;
}

/** Pico-dollars rounded half up to whole micro-dollars (a safe JSON number up to $9e9). */
export function picoToMicro(pico: Pico): number {
  const sign = pico < 0n ? -1n : 1n;
  const abs = pico * sign;
  return Number(sign * ((abs + PICO_PER_MICRO / 2n) / PICO_PER_MICRO));
}

/** Formats pico-dollars as a decimal USD string, rounded half up to `decimals` (default 6). */
export function formatUsd(pico: Pico, decimals = 6): string {
  const unit = 10n ** BigInt(12 - decimals);
  const negative = pico < 0n;
  const rounded = ((negative ? -pico : pico) + unit / 2n) / unit;
  const digits = rounded.toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals);
  return `${negative && rounded !== 0n ? "-" : ""}${whole}${decimals > 0 ? `.${fraction}` : ""}`;
}

/** Formats for people: at least cents, more digits only where they are not zero ("45.00", "0.00025"). */
export function formatUsdShort(pico: Pico): string {
  const full = formatUsd(pico, 6);
  const [whole, fraction = ""] = full.split(".");
  return `${whole}.${fraction.replace(/0+$/, "").padEnd(2, "0")}`;
}

/** Prices of one model, scaled so that a token count times a price is exact pico-dollars. */
export interface ModelPrice {
  /** USD per 1K input tokens × 1e9 (so tokens × this = pico-dollars). */
  inputNanoPer1k: bigint;
  /** USD per 1K output tokens × 1e9. */
  outputNanoPer1k: bigint;
}

/** Token counts to price. */
export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
}

/** A price table as written in the configuration: USD per 1K tokens by model id (`*` for any other). */
export type PriceTableConfig = Record<string, { inputPer1k: number | string; outputPer1k: number | string }>;

/** The price table: exact costs of token counts by model. Models without a price (and no `*`) cost nothing. */
export class PriceTable {
  private readonly prices = new Map<string, ModelPrice>();

  constructor(config: PriceTableConfig = {}) {
    for (const [model, price] of Object.entries(config)) {
      // parseUsd gives pico per USD-per-1K; divide by 1000 to get USD-per-1K × 1e9.
      this.prices.set(model, { inputNanoPer1k: parseUsd(price.inputPer1k) / 1000n, outputNanoPer1k: parseUsd(price.outputPer1k) / 1000n });
    }
  }

  /** The price of a model, falling back to `*`; undefined when neither is listed. */
  priceOf(model: string): ModelPrice | undefined {
    return this.prices.get(model) ?? this.prices.get("*");
  }

  /** Whether the model has a price (its own or `*`). */
  has(model: string): boolean {
    return this.priceOf(model) !== undefined;
  }

  /** The exact cost of token counts on a model, in pico-dollars. */
  costOf(model: string, tokens: TokenCounts): Pico {
    const price = this.priceOf(model);
    if (!price) return 0n;
    return BigInt(tokens.inputTokens) * price.inputNanoPer1k + BigInt(tokens.outputTokens) * price.outputNanoPer1k;
  }
}
