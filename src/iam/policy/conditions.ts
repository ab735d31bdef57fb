// Condition operators as data: each has a value kind (for validation), a positive test, and
// whether it is negated. The AWS rules implemented here (IAM User Guide, "Condition
// operators" and "Conditions with multiple context keys or values"):
// - several values for one key are ORed; for a negated operator they are NORed;
// - a key missing from the request makes a condition false, a negated one true; IfExists
//   makes it true; ForAllValues is true on a missing or empty key, ForAnyValue false;
// - Null tests presence only.
import { BlockList, isIP } from "node:net";
import type { BaseOperator, ConditionClause, SetQualifier } from "./types.ts";
import { matchWildcard } from "./wildcard.ts";

/** How an operator's values are validated and compared. */
type ValueKind = "string" | "numeric" | "date" | "bool" | "ip" | "arn" | "null";

interface OperatorSpec {
  kind: ValueKind;
  negated: boolean;
  /** The positive comparison of one context value with one policy value. */
  test: (contextValue: string, policyValue: string) => boolean;
}

const num = (a: string, b: string, cmp: (x: number, y: number) => boolean) => {
  const x = parseNumber(a);
  const y = parseNumber(b);
  return x !== undefined && y !== undefined && cmp(x, y);
};
const date = (a: string, b: string, cmp: (x: number, y: number) => boolean) => {
  const x = parseDate(a);
  const y = parseDate(b);
  return x !== undefined && y !== undefined && cmp(x, y);
};
const eq = (x: number, y: number) => x === y;
const stringEquals = (a: string, b: string) => a === b;
const stringEqualsIgnoreCase = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const stringLike = (a: string, b: string) => matchWildcard(b, a);

const OPERATORS: Record<BaseOperator, OperatorSpec> = {
  StringEquals: { kind: "string", negated: false, test: stringEquals },
  StringNotEquals: { kind: "string", negated: true, test: stringEquals },
  StringEqualsIgnoreCase: { kind: "string", negated: false, test: stringEqualsIgnoreCase },
  StringNotEqualsIgnoreCase: { kind: "string", negated: true, test: stringEqualsIgnoreCase },
  StringLike: { kind: "string", negated: false, test: stringLike },
  StringNotLike: { kind: "string", negated: true, test: stringLike },
  NumericEquals: { kind: "numeric", negated: false, test: (a, b) => num(a, b, eq) },
  NumericNotEquals: { kind: "numeric", negated: true, test: (a, b) => num(a, b, eq) },
  NumericLessThan: { kind: "numeric", negated: false, test: (a, b) => num(a, b, (x, y) => x < y) },
  NumericLessThanEquals: { kind: "numeric", negated: false, test: (a, b) => num(a, b, (x, y) => x <= y) },
  NumericGreaterThan: { kind: "numeric", negated: false, test: (a, b) => num(a, b, (x, y) => x > y) },
  NumericGreaterThanEquals: { kind: "numeric", negated: false, test: (a, b) => num(a, b, (x, y) => x >= y) },
  DateEquals: { kind: "date", negated: false, test: (a, b) => date(a, b, eq) },
  DateNotEquals: { kind: "date", negated: true, test: (a, b) => date(a, b, eq) },
  DateLessThan: { kind: "date", negated: false, test: (a, b) => date(a, b, (x, y) => x < y) },
  DateLessThanEquals: { kind: "date", negated: false, test: (a, b) => date(a, b, (x, y) => x <= y) },
  DateGreaterThan: { kind: "date", negated: false, test: (a, b) => date(a, b, (x, y) => x > y) },
  DateGreaterThanEquals: { kind: "date", negated: false, test: (a, b) => date(a, b, (x, y) => x >= y) },
  Bool: { kind: "bool", negated: false, test: (a, b) => a.toLowerCase() === b.toLowerCase() },
  IpAddress: { kind: "ip", negated: false, test: ipInRange },
  NotIpAddress: { kind: "ip", negated: true, test: ipInRange },
  // AWS: ArnEquals and ArnLike behave the same, component by component, wildcards allowed.
  ArnEquals: { kind: "arn", negated: false, test: arnLike },
  ArnNotEquals: { kind: "arn", negated: true, test: arnLike },
  ArnLike: { kind: "arn", negated: false, test: arnLike },
  ArnNotLike: { kind: "arn", negated: true, test: arnLike },
  Null: { kind: "null", negated: false, test: () => false },
};

/** An operator name split into its parts. */
export interface ParsedOperator {
  base: BaseOperator;
  qualifier?: SetQualifier;
  ifExists: boolean;
}

/** Splits `ForAnyValue:StringLikeIfExists` into parts; a message when it is not supported. */
export function parseOperator(name: string): ParsedOperator | string {
  let rest = name;
  let qualifier: SetQualifier | undefined;
  const colon = rest.indexOf(":");
  if (colon !== -1) {
    const prefix = rest.slice(0, colon);
    if (prefix !== "ForAnyValue" && prefix !== "ForAllValues") return `unknown set qualifier '${prefix}'; use ForAnyValue or ForAllValues`;
    qualifier = prefix;
    rest = rest.slice(colon + 1);
  }
  const ifExists = rest.endsWith("IfExists");
  if (ifExists) rest = rest.slice(0, -"IfExists".length);
  if (!Object.hasOwn(OPERATORS, rest)) return `unsupported condition operator '${name}'; supported: ${Object.keys(OPERATORS).join(", ")} (optionally with IfExists and ForAnyValue:/ForAllValues:)`;
  const base = rest as BaseOperator;
  if (base === "Null" && (qualifier || ifExists)) return "Null takes neither a set qualifier nor IfExists";
  return { base, qualifier, ifExists };
}

/** Why a policy value is invalid for an operator; undefined when it is fine. */
export function invalidValue(base: BaseOperator, value: string): string | undefined {
  switch (OPERATORS[base].kind) {
    case "numeric":
      return parseNumber(value) === undefined ? `'${value}' is not a number` : undefined;
    case "date":
      return parseDate(value) === undefined ? `'${value}' is not a date (ISO 8601 or epoch seconds)` : undefined;
    case "bool":
    case "null":
      return /^(true|false)$/i.test(value) ? undefined : `'${value}' is not true or false`;
    case "ip":
      return parseCidr(value) === undefined ? `'${value}' is not an IP address or CIDR block` : undefined;
    case "arn":
      return value === "*" || value.startsWith("arn:") ? undefined : `'${value}' is not an ARN`;
    default:
      return undefined;
  }
}

/** Evaluates one clause against the request's values for its key (undefined: key absent). */
export function evaluateClause(clause: ConditionClause, contextValues: readonly string[] | undefined): boolean {
  const spec = OPERATORS[clause.base];
  if (clause.base === "Null") {
    const absent = contextValues === undefined || contextValues.length === 0;
    return clause.values.some((v) => (v.toLowerCase() === "true") === absent);
  }
  const present = contextValues !== undefined && contextValues.length > 0;
  if (!present) {
    if (clause.ifExists) return true;
    if (clause.qualifier === "ForAllValues") return true;
    if (clause.qualifier === "ForAnyValue") return false;
    return spec.negated;
  }
  // One context value against all policy values: OR for positive operators, NOR for negated.
  const holds = (value: string) => {
    const any = clause.values.some((policyValue) => spec.test(value, policyValue));
    return spec.negated ? !any : any;
  };
  if (clause.qualifier === "ForAllValues") return contextValues.every(holds);
  if (clause.qualifier === "ForAnyValue") return contextValues.some(holds);
  // A multi-valued key without a qualifier: positive operators need one match, negated
  // ones need none (the key's values must all stay clear of the listed values).
  return spec.negated ? contextValues.every(holds) : contextValues.some(holds);
}

function parseNumber(value: string): number | undefined {
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
}

function parseDate(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value) * 1000; // epoch seconds, as aws:EpochTime
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

interface Cidr {
  family: "ipv4" | "ipv6";
  address: string;
  prefix: number;
}

function parseCidr(value: string): Cidr | undefined {
  const [address = "", prefixText] = value.split("/", 2);
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { family: version === 4 ? "ipv4" : "ipv6", address, prefix };
}

const blockLists = new Map<string, BlockList | null>();

function ipInRange(contextValue: string, policyValue: string): boolean {
  // Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d.
  const address = contextValue.toLowerCase().startsWith("::ffff:") && isIP(contextValue.slice(7)) === 4 ? contextValue.slice(7) : contextValue;
  const version = isIP(address);
  if (version === 0) return false;
  let list = blockLists.get(policyValue);
  if (list === undefined) {
    const cidr = parseCidr(policyValue);
    list = cidr ? new BlockList() : null;
    if (cidr && list) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    if (blockLists.size > 10_000) blockLists.clear(); // policies are few; a bound all the same
    blockLists.set(policyValue, list);
  }
  return list !== null && list.check(address, version === 4 ? "ipv4" : "ipv6");
}

function arnLike(contextValue: string, policyValue: string): boolean {
  if (policyValue === "*") return true;
  const have = splitArn(contextValue);
  const want = splitArn(policyValue);
  return have !== undefined && want !== undefined && want.every((part, i) => matchWildcard(part, have[i]!));
}

function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
}
