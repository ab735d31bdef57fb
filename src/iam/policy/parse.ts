// Parses and validates identity-based policy documents. Every problem is reported, each
// naming the statement and field (`Statement[1] (Sid "DenyClaude").Effect: …`), so an
// administrator fixes a document in one pass. Unknown `bedrock:` actions are warnings, not
// errors: AWS accepts them too, and a typo then simply never matches.
import { BasaltError } from "../../spec/errors.ts";
import { BEDROCK_ACTIONS } from "../actions.ts";
import { invalidValue, parseOperator } from "./conditions.ts";
import { POLICY_VERSION, type ConditionClause, type Policy, type Statement } from "./types.ts";
import { hasWildcard, matchWildcard } from "./wildcard.ts";

/** The outcome of {@link parsePolicy}. */
export type PolicyParseResult = { ok: true; policy: Policy; warnings: string[] } | { ok: false; errors: string[] };

const TOP_LEVEL = new Set(["Version", "Id", "Statement"]);
const STATEMENT_FIELDS = new Set(["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"]);
const ACTION_PATTERN = /^(\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+)$/;
const SID_PATTERN = /^[A-Za-z0-9]*$/;
const CONDITION_KEY_PATTERN = /^[A-Za-z0-9*?-]+:\S+$/;
const KNOWN_ACTIONS_LOWER = BEDROCK_ACTIONS.map((a) => a.toLowerCase());

/** Parses a policy document (JSON text or a parsed value) attached under `name`. */
export function parsePolicy(name: string, document: unknown): PolicyParseResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  let doc = document;
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch (error) {
      return { ok: false, errors: [`The policy document is not valid JSON: ${(error as Error).message}`] };
    }
  }
  if (!isObject(doc)) return { ok: false, errors: ["The policy document must be a JSON object with Version and Statement."] };
  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL.has(key)) errors.push(`${key}: unknown top-level field; a policy has Version, Id and Statement.`);
  }
  if (doc.Version !== POLICY_VERSION) {
    errors.push(`Version: must be "${POLICY_VERSION}"${doc.Version === undefined ? " (it is missing)" : `, got ${JSON.stringify(doc.Version)}`}.`);
  }
  if (doc.Id !== undefined && typeof doc.Id !== "string") errors.push("Id: must be a string.");
  const raw = doc.Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (list.length === 0) errors.push("Statement: must be a statement object or a non-empty array of them.");
  const statements: Statement[] = [];
  const sids = new Set<string>();
  list.forEach((item, index) => {
    const label = Array.isArray(raw) ? `Statement[${index}]` : "Statement";
    const statement = parseStatement(item, index, label, errors, warnings);
    if (!statement) return;
    if (statement.sid) {
      if (sids.has(statement.sid)) errors.push(`${labelOf(label, statement.sid)}.Sid: "${statement.sid}" is used by another statement; Sids must be unique.`);
      sids.add(statement.sid);
    }
    statements.push(statement);
  });
  if (errors.length > 0) return { ok: false, errors };
  const policy: Policy = { name, version: POLICY_VERSION, statements };
  if (typeof doc.Id === "string") policy.id = doc.Id;
  return { ok: true, policy, warnings };
}

/** Parses a policy or throws a ValidationException listing every problem. */
export function parsePolicyOrThrow(name: string, document: unknown): Policy {
  const result = parsePolicy(name, document);
  if (!result.ok) throw new BasaltError("VALIDATION", `The policy '${name}' is invalid: ${result.errors.join(" ")}`);
  return result.policy;
}

function parseStatement(item: unknown, index: number, baseLabel: string, errors: string[], warnings: string[]): Statement | undefined {
  if (!isObject(item)) {
    errors.push(`${baseLabel}: must be an object.`);
    return undefined;
  }
  const sid = typeof item.Sid === "string" ? item.Sid : undefined;
  const label = labelOf(baseLabel, sid);
  const before = errors.length;
  for (const key of Object.keys(item)) {
    if (key === "Principal" || key === "NotPrincipal") {
      errors.push(`${label}.${key}: not allowed in an identity-based policy; attach the policy to a user or role instead.`);
    } else if (!STATEMENT_FIELDS.has(key)) {
      errors.push(`${label}.${key}: unknown field; a statement has ${[...STATEMENT_FIELDS].join(", ")}.`);
    }
  }
  if (item.Sid !== undefined && (typeof item.Sid !== "string" || !SID_PATTERN.test(item.Sid))) {
    errors.push(`${label}.Sid: must be a string of letters and digits, got ${JSON.stringify(item.Sid)}.`);
  }
  if (item.Effect !== "Allow" && item.Effect !== "Deny") {
    errors.push(`${label}.Effect: must be "Allow" or "Deny"${item.Effect === undefined ? " (it is missing)" : `, got ${JSON.stringify(item.Effect)}`}.`);
  }
  const actions = exactlyOne(item, "Action", "NotAction", label, errors);
  const resources = exactlyOne(item, "Resource", "NotResource", label, errors);
  if (actions) {
    for (const action of actions.values) {
      if (!ACTION_PATTERN.test(action)) {
        errors.push(`${label}.${actions.field}: '${action}' is not an action; use service:Action (e.g. bedrock:InvokeModel), wildcards allowed.`);
      } else if (action.toLowerCase().startsWith("bedrock:") && !KNOWN_ACTIONS_LOWER.some((known) => matchWildcard(action, known, true))) {
        warnings.push(`${label}.${actions.field}: '${action}' matches no Bedrock action Basalt knows${hasWildcard(action) ? "" : " (a typo?)"}.`);
      }
    }
  }
  if (resources) {
    for (const resource of resources.values) {
      if (resource !== "*" && !(resource.startsWith("arn:") && resource.split(":").length >= 6)) {
        errors.push(`${label}.${resources.field}: '${resource}' is not an ARN (arn:aws:bedrock:<region>:<account>:<type>/<id>) or '*'.`);
      }
    }
  }
  const conditions = parseConditions(item.Condition, label, errors);
  if (errors.length > before || !actions || !resources) return undefined;
  const statement: Statement = { index, effect: item.Effect as "Allow" | "Deny", conditions };
  if (sid) statement.sid = sid;
  if (actions.field === "Action") statement.action = actions.values;
  else statement.notAction = actions.values;
  if (resources.field === "Resource") statement.resource = resources.values;
  else statement.notResource = resources.values;
  return statement;
}

function exactlyOne<A extends string, B extends string>(item: Record<string, unknown>, a: A, b: B, label: string, errors: string[]): { field: A | B; values: string[] } | undefined {
  const hasA = item[a] !== undefined;
  const hasB = item[b] !== undefined;
  if (hasA === hasB) {
    errors.push(`${label}: needs exactly one of ${a} and ${b}${hasA ? ", not both" : ""}.`);
    return undefined;
  }
  const field = hasA ? a : b;
  const values = stringList(item[field], `${label}.${field}`, errors);
  return values ? { field, values } : undefined;
}

function stringList(value: unknown, label: string, errors: string[]): string[] | undefined {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((v) => typeof v === "string" && v.length > 0)) {
    errors.push(`${label}: must be a non-empty string or a non-empty array of non-empty strings.`);
    return undefined;
  }
  return list as string[];
}

function parseConditions(value: unknown, label: string, errors: string[]): ConditionClause[] {
  if (value === undefined) return [];
  if (!isObject(value)) {
    errors.push(`${label}.Condition: must be an object of {operator: {key: value(s)}}.`);
    return [];
  }
  const clauses: ConditionClause[] = [];
  for (const [operator, keys] of Object.entries(value)) {
    const where = `${label}.Condition.${operator}`;
    const parsed = parseOperator(operator);
    if (typeof parsed === "string") {
      errors.push(`${where}: ${parsed}.`);
      continue;
    }
    if (!isObject(keys) || Object.keys(keys).length === 0) {
      errors.push(`${where}: must be a non-empty object of {conditionKey: value or [values]}.`);
      continue;
    }
    for (const [key, raw] of Object.entries(keys)) {
      if (!CONDITION_KEY_PATTERN.test(key)) errors.push(`${where}: '${key}' is not a condition key; use prefix:name (e.g. aws:SourceIp).`);
      const list = Array.isArray(raw) ? raw : [raw];
      if (list.length === 0 || !list.every((v) => typeof v === "string" || typeof v === "number" || typeof v === "boolean")) {
        errors.push(`${where}.${key}: must be a string, number or boolean, or a non-empty array of them.`);
        continue;
      }
      const values = list.map(String);
      for (const v of values) {
        const problem = invalidValue(parsed.base, v);
        if (problem) errors.push(`${where}.${key}: ${problem}.`);
      }
      const clause: ConditionClause = { operator, base: parsed.base, ifExists: parsed.ifExists, key, values };
      if (parsed.qualifier) clause.qualifier = parsed.qualifier;
      clauses.push(clause);
    }
  }
  return clauses;
}

function labelOf(label: string, sid: string | undefined): string {
  return sid ? `${label} (Sid "${sid}")` : label;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
