// Compiles a validated metadata filter (filter.ts) to a parameterised SQL condition over a
// jsonb expression, with exactly the semantics of `matchesFilter`: a missing key fails every
// positive comparison and passes notEquals / notIn; numbers compare numerically, also against
// strings (JavaScript's Number(), emulated below); listContains looks into arrays only;
// stringContains into strings and string arrays. Keys and values are always parameters.
import { isLogicalFilter, type ComparisonFilter, type MetadataFilter } from "../filter.ts";

/** Collects parameter values; `add` returns the placeholder (`$3`) for a value. */
export class SqlParams {
  readonly values: unknown[] = [];
  readonly #memo = new Map<string, string>();

  constructor(initial: readonly unknown[] = []) {
    this.values.push(...initial);
  }

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** One placeholder shared by every use of a constant. */
  shared(name: string, value: unknown): string {
    let placeholder = this.#memo.get(name);
    if (!placeholder) this.#memo.set(name, (placeholder = this.add(value)));
    return placeholder;
  }
}

type Scalar = string | number | boolean;

// ECMAScript's StrWhiteSpaceChar: what Number() trims before parsing.
const JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff";
// Where a numeric string rounds to ±Infinity (half-way above the largest double; ties go to
// even, which is Infinity) and where it rounds to 0 (half the smallest subnormal): exactly
// 2^1024 - 2^970 and 2^-1075, as decimals.
const OVERFLOW = (2n ** 1024n - 2n ** 970n).toString();
const UNDERFLOW = `0.${(5n ** 1075n).toString().padStart(1075, "0")}`;
// Strings longer than this, or with exponents beyond ±999, count as NaN (this keeps numeric's
// input within its limits). JavaScript gives ±Infinity for most of them, never equal to a
// finite filter value; it differs only for ones it reads as 0 ("1e-5000"), as decision 0017
// records.
export const MAX_NUMERIC_STRING = 1000;

function toDouble(numericExpr: string): string {
  return `(SELECT CASE WHEN abs(n) >= ${OVERFLOW}::numeric THEN NULL WHEN abs(n) <= ${UNDERFLOW}::numeric THEN 0::float8 ELSE n::float8 END FROM (SELECT ${numericExpr} AS n) AS js_numeric)`;
}

/**
 * SQL for JavaScript's `Number(text)` as a float8, NULL where JavaScript gives NaN or ±Infinity
 * (neither equals a finite filter value). `text` is evaluated once.
 */
export function jsNumberSql(text: string, params: SqlParams): string {
  const ws = params.shared("js-whitespace", JS_WHITESPACE);
  // 0x / 0o / 0b literals: an exact (numeric) Horner evaluation, so that long ones round once,
  // as in JavaScript.
  const radix =
    "(WITH RECURSIVE h(i, v) AS (SELECT 0, 0::numeric UNION ALL SELECT i + 1, v * (CASE lower(substr(s, 2, 1)) WHEN 'x' THEN 16 WHEN 'o' THEN 8 ELSE 2 END) " +
    "+ (strpos('0123456789abcdef', lower(substr(s, i + 3, 1))) - 1) FROM h WHERE i < length(s) - 2) SELECT v FROM h ORDER BY i DESC LIMIT 1)";
  return `(SELECT CASE
    WHEN s = '' THEN 0::float8
    WHEN length(s) > ${MAX_NUMERIC_STRING} THEN NULL
    WHEN s ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?0*[0-9]{1,3})?$' THEN ${toDouble("s::numeric")}
    WHEN s ~ '^0([xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)$' THEN ${toDouble(radix)}
    ELSE NULL END FROM (SELECT btrim(${text}, ${ws}::text) AS s) AS js_number)`;
}

/** JavaScript's Number() of a filter value, or undefined where it is NaN or infinite. */
function finiteNumber(value: string): number | undefined {
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Whether a jsonb element is `same` (filter.ts) as any of `values`: numbers compare
 * numerically (a string element through Number(), a string value likewise), booleans equal
 * only booleans, strings compare exactly. Never NULL.
 */
function sameAsAnySql(element: string, values: readonly Scalar[], params: SqlParams): string {
  const numbers = values.filter((v): v is number => typeof v === "number");
  const strings = values.filter((v): v is string => typeof v === "string");
  const booleans = values.filter((v): v is boolean => typeof v === "boolean");
  // A number element equals a number value, or a string value whose Number() it is.
  const numeric = [...numbers, ...strings.map(finiteNumber).filter((n): n is number => n !== undefined)];
  const branches: string[] = [];
  if (numeric.length > 0) branches.push(`WHEN 'number' THEN (${element})::float8 = ANY(${params.add(numeric)}::float8[])`);
  const stringTests: string[] = [];
  if (strings.length > 0) stringTests.push(`(${element} #>> '{}') = ANY(${params.add(strings)}::text[])`);
  if (numbers.length > 0) stringTests.push(`coalesce(${jsNumberSql(`(${element} #>> '{}')`, params)} = ANY(${params.add(numbers)}::float8[]), false)`);
  if (stringTests.length > 0) branches.push(`WHEN 'string' THEN (${stringTests.join(" OR ")})`);
  if (booleans.length > 0) branches.push(`WHEN 'boolean' THEN (${element})::boolean = ANY(${params.add(booleans)}::boolean[])`);
  return `(CASE jsonb_typeof(${element}) ${branches.join(" ")} ELSE false END)`;
}

/** Whether `same(x, value)` can only hold for a JSON value equal to `value` itself. */
function matchesOnlyItself(value: Scalar): boolean {
  return typeof value === "boolean" || (typeof value === "string" && finiteNumber(value) === undefined);
}

function comparisonSql(filter: ComparisonFilter, column: string, params: SqlParams): string {
  // The key's placeholder is made on first use: PostgreSQL refuses a parameter no statement uses.
  let key: string | undefined;
  const attrSql = () => `(${column} -> ${(key ??= params.add(filter.key))}::text)`;
  // Containment (`{"k": v}`) can use a GIN index on the column; used only where it is exact.
  // Below the top level jsonb's @> never matches a scalar against an array or back, so
  // `{"k": "x"}` does not match `{"k": ["x"]}`, as equals must not.
  const contains = (json: unknown) => `(${column} @> ${params.add(JSON.stringify({ [filter.key]: json }))}::jsonb)`;
  // A missing key (NULL) and an array fall to the ELSE false of sameAsAnySql.
  const anyOf = (values: Scalar[]) => (values.length === 1 && matchesOnlyItself(values[0]!) ? contains(values[0]) : sameAsAnySql(attrSql(), values, params));
  const value = filter.value;
  if (filter.op === "equals" || filter.op === "notEquals" || filter.op === "in" || filter.op === "notIn") {
    const values = filter.op === "equals" || filter.op === "notEquals" ? [value as Scalar] : (value as Scalar[]);
    // notEquals and notIn are the exact negations: true for a missing key and for arrays.
    return filter.op === "equals" || filter.op === "in" ? anyOf(values) : `(NOT ${anyOf(values)})`;
  }
  if (filter.op === "listContains" && matchesOnlyItself(value as Scalar)) return contains([value]);
  const attr = attrSql();
  const type = `jsonb_typeof(${attr})`;
  const numeric = (op: string) => `(CASE WHEN ${type} = 'number' THEN (${attr})::float8 ${op} ${params.add(value)}::float8 ELSE false END)`;
  switch (filter.op) {
    case "greaterThan":
      return numeric(">");
    case "greaterThanOrEquals":
      return numeric(">=");
    case "lessThan":
      return numeric("<");
    case "lessThanOrEquals":
      return numeric("<=");
    case "startsWith":
      return `(CASE WHEN ${type} = 'string' THEN starts_with(${attr} #>> '{}', ${params.add(value)}::text) ELSE false END)`;
    case "listContains":
      return `(CASE WHEN ${type} = 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements(${attr}) AS list_item(v) WHERE ${sameAsAnySql("list_item.v", [value as Scalar], params)}) ELSE false END)`;
    case "stringContains": {
      const needle = params.add(value);
      return `(CASE ${type} WHEN 'string' THEN strpos(${attr} #>> '{}', ${needle}::text) > 0 WHEN 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements(${attr}) AS list_item(v) WHERE jsonb_typeof(list_item.v) = 'string' AND strpos(list_item.v #>> '{}', ${needle}::text) > 0) ELSE false END)`;
    }
  }
}

/**
 * A SQL condition equivalent to `matchesFilter(metadata, filter)`, where `column` is a SQL
 * expression of type jsonb holding the metadata. Values are appended to `params`.
 */
export function compileFilter(filter: MetadataFilter, column: string, params: SqlParams): string {
  if (isLogicalFilter(filter)) {
    const joiner = filter.op === "andAll" ? " AND " : " OR ";
    return `(${filter.filters.map((f) => compileFilter(f, column, params)).join(joiner)})`;
  }
  return comparisonSql(filter, column, params);
}
