// The quota configuration as the limiter reads it, and the rule that picks the limits of a
// scope. Structurally the `quotas` key of config/schema.ts, with every part optional so a
// caller (or a test) may write only what it needs.
import type { PriceTableConfig } from "../usage/prices.ts";

/** Limits of one scope; an absent field is unlimited. */
export interface QuotaLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  concurrentStreams?: number;
}

/** The `quotas` configuration key. Keys `*` apply to every model not listed by name. */
export interface QuotasConfig {
  /** Limits on a model overall; `perPrincipal` applies to each principal on that model. */
  models?: Record<string, QuotaLimits & { perPrincipal?: QuotaLimits }>;
  /** Per-model limits of one principal (winning over `perPrincipal`) and its monthly budget. */
  principals?: Record<string, { models?: Record<string, QuotaLimits>; monthlyBudgetUsd?: number | string }>;
  /** Monthly budgets of accounts, shared by all their principals. */
  accounts?: Record<string, { monthlyBudgetUsd?: number | string }>;
  /** USD per 1K input and output tokens by model id. */
  prices?: PriceTableConfig;
}

const FIELDS = ["requestsPerMinute", "tokensPerMinute", "concurrentStreams"] as const;

/** Merges limits field by field, later arguments winning where they set a field. */
function merge(...layers: Array<QuotaLimits | undefined>): QuotaLimits {
  const out: QuotaLimits = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const field of FIELDS) if (layer[field] !== undefined) out[field] = layer[field];
  }
  return out;
}

/** Limits on a model overall: `models[model]` over `models["*"]`. */
export function modelLimits(config: QuotasConfig, model: string): QuotaLimits {
  const models = config.models ?? {};
  return merge(strip(models["*"]), strip(models[model]));
}

/** Limits of one principal on one model, most specific entry winning per field. */
export function principalModelLimits(config: QuotasConfig, model: string, principal: string): QuotaLimits {
  const models = config.models ?? {};
  const own = config.principals?.[principal]?.models ?? {};
  return merge(models["*"]?.perPrincipal, models[model]?.perPrincipal, own["*"], own[model]);
}

/** Whether limits set anything at all. */
export function hasLimits(limits: QuotaLimits): boolean {
  return FIELDS.some((field) => limits[field] !== undefined);
}

function strip(entry: (QuotaLimits & { perPrincipal?: QuotaLimits }) | undefined): QuotaLimits | undefined {
  if (!entry) return undefined;
  const { perPrincipal: _ignored, ...limits } = entry;
  return limits;
}

/** Whether a configuration limits anything at all (prices alone do not): without, admission can be skipped. */
export function quotasConfigured(config: QuotasConfig | undefined): boolean {
  if (!config) return false;
  const limited = (limits: QuotaLimits | undefined) => limits !== undefined && hasLimits(limits);
  if (Object.values(config.models ?? {}).some((entry) => limited(strip(entry)) || limited(entry.perPrincipal))) return true;
  for (const entry of Object.values(config.principals ?? {})) {
    if (entry.monthlyBudgetUsd !== undefined || Object.values(entry.models ?? {}).some(limited)) return true;
  }
  return Object.values(config.accounts ?? {}).some((entry) => entry.monthlyBudgetUsd !== undefined);
}

/**
 * Whether admitting a call needs its input tokens counted: a tokens-per-minute limit applies to
 * the model or to the principal on it, or a budget of the principal or account prices the call.
 * Counting may tokenize the whole prompt, so every other call skips it.
 */
export function inputCountNeeded(config: QuotasConfig, options: { model: string; principal: string; account?: string; priced: boolean }): boolean {
  const { model, principal, account } = options;
  if (modelLimits(config, model).tokensPerMinute !== undefined) return true;
  if (principalModelLimits(config, model, principal).tokensPerMinute !== undefined) return true;
  if (!options.priced) return false;
  if (config.principals?.[principal]?.monthlyBudgetUsd !== undefined) return true;
  return account !== undefined && config.accounts?.[account]?.monthlyBudgetUsd !== undefined;
}
