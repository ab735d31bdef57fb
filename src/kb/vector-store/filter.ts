// Bedrock's Retrieve metadata filter grammar: its type, validation with exact field paths, and
// an in-memory matcher. Stores that filter natively (SQL) compile the same validated tree.
import { validation } from "../../spec/errors.ts";

/** A metadata attribute's value, as Bedrock's `.metadata.json` sidecars allow. */
export type MetadataValue = string | number | boolean | string[];
/** A chunk's filterable metadata. */
export type Metadata = Record<string, MetadataValue>;

export type ComparisonOperator =
  | "equals"
  | "notEquals"
  | "greaterThan"
  | "greaterThanOrEquals"
  | "lessThan"
  | "lessThanOrEquals"
  | "in"
  | "notIn"
  | "startsWith"
  | "listContains"
  | "stringContains";

export const COMPARISON_OPERATORS: readonly ComparisonOperator[] = [
  "equals",
  "notEquals",
  "greaterThan",
  "greaterThanOrEquals",
  "lessThan",
  "lessThanOrEquals",
  "in",
  "notIn",
  "startsWith",
  "listContains",
  "stringContains",
];

/** A validated filter: one comparison, or a conjunction / disjunction of filters. */
export type MetadataFilter = ComparisonFilter | LogicalFilter;
/** One attribute compared with a value. */
export interface ComparisonFilter {
  op: ComparisonOperator;
  key: string;
  value: string | number | boolean | Array<string | number | boolean>;
}
/** All (andAll) or any (orAll) of several filters. */
export interface LogicalFilter {
  op: "andAll" | "orAll";
  filters: MetadataFilter[];
}

/** Whether a filter combines others. */
export function isLogicalFilter(filter: MetadataFilter): filter is LogicalFilter {
  return filter.op === "andAll" || filter.op === "orAll";
}

const invalid = validation;

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value)) || typeof value === "boolean";
}

/**
 * Validates a filter as it arrives on the wire (`{"andAll":[{"equals":{"key":"year","value":2020}},…]}`)
 * and returns the typed tree. Errors name the offending path, e.g. `filter.andAll[1].in.value`.
 */
export function parseMetadataFilter(input: unknown, path = "retrievalConfiguration.vectorSearchConfiguration.filter", depth = 0): MetadataFilter {
  if (depth > 5) throw invalid(path, "filters nest at most 5 levels deep");
  if (!input || typeof input !== "object" || Array.isArray(input)) throw invalid(path, "must be an object with exactly one operator");
  const entries = Object.entries(input as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== null);
  if (entries.length !== 1) throw invalid(path, `must set exactly one operator, got ${entries.length}`);
  const [op, body] = entries[0]!;
  const at = `${path}.${op}`;
  if (op === "andAll" || op === "orAll") {
    if (!Array.isArray(body) || body.length < 2) throw invalid(at, "must list at least 2 filters");
    if (body.length > 5) throw invalid(at, "must list at most 5 filters");
    return { op, filters: body.map((f, i) => parseMetadataFilter(f, `${at}[${i}]`, depth + 1)) };
  }
  if (!(COMPARISON_OPERATORS as readonly string[]).includes(op)) throw invalid(path, `unknown operator '${op}'; expected one of ${[...COMPARISON_OPERATORS, "andAll", "orAll"].join(", ")}`);
  if (!body || typeof body !== "object" || Array.isArray(body)) throw invalid(at, "must be an object with key and value");
  const { key, value } = body as { key?: unknown; value?: unknown };
  if (typeof key !== "string" || key.length === 0 || key.length > 100) throw invalid(`${at}.key`, "must be a string of 1 to 100 characters");
  const operator = op as ComparisonOperator;
  switch (operator) {
    case "in":
    case "notIn":
      if (!Array.isArray(value) || value.length === 0 || !value.every(isScalar)) throw invalid(`${at}.value`, "must be a non-empty list of strings, numbers or booleans");
      return { op: operator, key, value };
    case "greaterThan":
    case "greaterThanOrEquals":
    case "lessThan":
    case "lessThanOrEquals":
      if (typeof value !== "number" || !Number.isFinite(value)) throw invalid(`${at}.value`, "must be a number");
      return { op: operator, key, value };
    case "startsWith":
    case "stringContains":
      if (typeof value !== "string") throw invalid(`${at}.value`, "must be a string");
      return { op: operator, key, value };
    case "listContains":
      if (!isScalar(value)) throw invalid(`${at}.value`, "must be a string, number or boolean");
      return { op: operator, key, value };
    default:
      if (!isScalar(value)) throw invalid(`${at}.value`, "must be a string, number or boolean");
      return { op: operator, key, value };
  }
}

/** Loose equality as Bedrock's stores apply it: numbers compare numerically, the rest exactly. */
function same(a: string | number | boolean, b: string | number | boolean): boolean {
  if (typeof a === "number" || typeof b === "number") return Number(a) === Number(b) && typeof a !== "boolean" && typeof b !== "boolean";
  return a === b;
}

/**
 * Whether metadata matches a filter. A missing attribute fails every positive comparison and
 * passes `notEquals` and `notIn` (as a `must_not` does in OpenSearch).
 */
export function matchesFilter(metadata: Metadata, filter: MetadataFilter): boolean {
  if (isLogicalFilter(filter)) {
    return filter.op === "andAll" ? filter.filters.every((f) => matchesFilter(metadata, f)) : filter.filters.some((f) => matchesFilter(metadata, f));
  }
  const { key, value } = filter;
  const actual = metadata[key];
  if (actual === undefined) return filter.op === "notEquals" || filter.op === "notIn";
  const values = Array.isArray(actual) ? actual : [actual];
  switch (filter.op) {
    case "equals":
      return !Array.isArray(actual) && same(actual, value as string | number | boolean);
    case "notEquals":
      return Array.isArray(actual) || !same(actual, value as string | number | boolean);
    case "greaterThan":
      return typeof actual === "number" && actual > (value as number);
    case "greaterThanOrEquals":
      return typeof actual === "number" && actual >= (value as number);
    case "lessThan":
      return typeof actual === "number" && actual < (value as number);
    case "lessThanOrEquals":
      return typeof actual === "number" && actual <= (value as number);
    case "in":
      return !Array.isArray(actual) && (value as Array<string | number | boolean>).some((v) => same(actual, v));
    case "notIn":
      return Array.isArray(actual) || !(value as Array<string | number | boolean>).some((v) => same(actual, v));
    case "startsWith":
      return typeof actual === "string" && actual.startsWith(value as string);
    case "listContains":
      return Array.isArray(actual) && actual.some((v) => same(v, value as string | number | boolean));
    case "stringContains":
      return values.some((v) => typeof v === "string" && v.includes(value as string));
  }
}
