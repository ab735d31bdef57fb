// The cost report behind `basalt usage`: usage records aggregated by model and principal over
// a period, priced exactly (bigint pico-dollars, see prices.ts) and rendered as a table or JSON.
// Every record's tokens count, whatever its outcome: a stream cut short still used them.
import { formatUsd, formatUsdShort, picoToMicro, type Pico, type PriceTable } from "./prices.ts";
import { matches, type UsageRecord } from "./recorder.ts";

/** A dimension to group by. */
export type CostGroupKey = "model" | "principal" | "account";

/** Options of {@link buildCostReport}. */
export interface CostReportOptions {
  records: AsyncIterable<UsageRecord> | Iterable<UsageRecord>;
  prices: PriceTable;
  from?: Date;
  to?: Date;
  /** Default (and when empty): model, then principal. */
  groupBy?: CostGroupKey[];
}

/** One group's totals. */
export interface CostRow {
  group: Partial<Record<CostGroupKey, string>>;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cost: Pico;
  /** False when the model has no price (it then costs 0). */
  priced: boolean;
}

/** An aggregated, priced report. */
export interface CostReport {
  from?: Date;
  to?: Date;
  groupBy: CostGroupKey[];
  rows: CostRow[];
  total: Omit<CostRow, "group" | "priced">;
  /** Models seen without a price: their cost is shown as 0. */
  unpricedModels: string[];
}

/** Aggregates and prices usage records. */
export async function buildCostReport(options: CostReportOptions): Promise<CostReport> {
  const groupBy: CostGroupKey[] = options.groupBy?.length ? options.groupBy : ["model", "principal"];
  const query = { from: options.from, to: options.to };
  const groups = new Map<string, CostRow & { perModel: Map<string, { input: number; output: number }> }>();
  for await (const record of options.records) {
    if (!matches(record, query)) continue;
    const group: CostRow["group"] = {};
    for (const key of groupBy) group[key] = record[key] ?? "-";
    const id = JSON.stringify(groupBy.map((key) => group[key]));
    let row = groups.get(id);
    if (!row) {
      row = { group, requests: 0, inputTokens: 0, outputTokens: 0, cost: 0n, priced: true, perModel: new Map() };
      groups.set(id, row);
    }
    row.requests++;
    row.inputTokens += record.inputTokens;
    row.outputTokens += record.outputTokens;
    // Price per model even when not grouping by model: groups may mix models of different prices.
    const tokens = row.perModel.get(record.model) ?? { input: 0, output: 0 };
    tokens.input += record.inputTokens;
    tokens.output += record.outputTokens;
    row.perModel.set(record.model, tokens);
  }
  const unpriced = new Set<string>();
  const rows: CostRow[] = [];
  const total = { requests: 0, inputTokens: 0, outputTokens: 0, cost: 0n };
  for (const row of groups.values()) {
    let cost = 0n;
    let priced = true;
    for (const [model, tokens] of row.perModel) {
      if (!options.prices.has(model)) {
        priced = false;
        unpriced.add(model);
      }
      cost += options.prices.costOf(model, { inputTokens: tokens.input, outputTokens: tokens.output });
    }
    rows.push({ group: row.group, requests: row.requests, inputTokens: row.inputTokens, outputTokens: row.outputTokens, cost, priced });
    total.requests += row.requests;
    total.inputTokens += row.inputTokens;
    total.outputTokens += row.outputTokens;
    total.cost += cost;
  }
  // Most expensive first; ties by group name, so the output is stable.
  rows.sort((a, b) => (b.cost > a.cost ? 1 : b.cost < a.cost ? -1 : JSON.stringify(a.group).localeCompare(JSON.stringify(b.group))));
  return { from: options.from, to: options.to, groupBy, rows, total, unpricedModels: [...unpriced].sort() };
}

/** The report as JSON-ready data: costs as exact decimal strings and micro-dollar integers. */
export function costReportJson(report: CostReport): Record<string, unknown> {
  const money = (cost: Pico) => ({ costUsd: formatUsd(cost), costMicroUsd: picoToMicro(cost) });
  return {
    currency: "USD",
    from: report.from?.toISOString() ?? null,
    to: report.to?.toISOString() ?? null,
    groupBy: report.groupBy,
    rows: report.rows.map((row) => ({ ...row.group, requests: row.requests, inputTokens: row.inputTokens, outputTokens: row.outputTokens, ...money(row.cost), priced: row.priced })),
    total: { requests: report.total.requests, inputTokens: report.total.inputTokens, outputTokens: report.total.outputTokens, ...money(report.total.cost) },
    unpricedModels: report.unpricedModels,
  };
}

const count = (n: number) => n.toLocaleString("en-US");

/** The report as an aligned plain-text table with a total line; numbers right-aligned. */
export function renderCostTable(report: CostReport): string {
  const header = [...report.groupBy.map((key) => key.toUpperCase()), "REQUESTS", "INPUT TOKENS", "OUTPUT TOKENS", "COST (USD)"];
  const numeric = header.map((_, i) => i >= report.groupBy.length);
  const rows = report.rows.map((row) => [
    ...report.groupBy.map((key) => row.group[key] ?? "-"),
    count(row.requests),
    count(row.inputTokens),
    count(row.outputTokens),
    row.priced ? formatUsdShort(row.cost) : `${formatUsdShort(row.cost)}*`,
  ]);
  const totalRow = ["TOTAL", ...report.groupBy.slice(1).map(() => ""), count(report.total.requests), count(report.total.inputTokens), count(report.total.outputTokens), formatUsdShort(report.total.cost)];
  const all = [header, ...rows, totalRow];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const body = rows.length ? rows.map(line) : ["(no usage in this period)"];
  const notes = report.unpricedModels.length ? [`* No price for ${report.unpricedModels.join(", ")}: counted as 0; add a price under quotas.prices.`] : [];
  return [line(header), ...body, rule, line(totalRow), ...notes].join("\n") + "\n";
}
