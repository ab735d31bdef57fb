// Parsed IAM policy documents and evaluation results. Parsed forms are plain data (JSON
// round-trips), so the store can cache them and the CLI can print them.

/** The only policy language version Basalt accepts. */
export const POLICY_VERSION = "2012-10-17";

/** Condition operators Basalt evaluates, without qualifier or IfExists suffix. */
export type BaseOperator =
  | "StringEquals"
  | "StringNotEquals"
  | "StringEqualsIgnoreCase"
  | "StringNotEqualsIgnoreCase"
  | "StringLike"
  | "StringNotLike"
  | "NumericEquals"
  | "NumericNotEquals"
  | "NumericLessThan"
  | "NumericLessThanEquals"
  | "NumericGreaterThan"
  | "NumericGreaterThanEquals"
  | "DateEquals"
  | "DateNotEquals"
  | "DateLessThan"
  | "DateLessThanEquals"
  | "DateGreaterThan"
  | "DateGreaterThanEquals"
  | "Bool"
  | "IpAddress"
  | "NotIpAddress"
  | "ArnEquals"
  | "ArnNotEquals"
  | "ArnLike"
  | "ArnNotLike"
  | "Null";

/** A set qualifier for multi-valued context keys. */
export type SetQualifier = "ForAnyValue" | "ForAllValues";

/** One key test inside a Condition block, e.g. StringEquals on aws:PrincipalTag/team. */
export interface ConditionClause {
  /** The operator as written, e.g. `ForAnyValue:StringLikeIfExists`. */
  operator: string;
  base: BaseOperator;
  qualifier?: SetQualifier;
  ifExists: boolean;
  /** The condition key as written; matched case-insensitively. */
  key: string;
  /** Policy values as strings (numbers and booleans converted). */
  values: string[];
}

/** One statement of a parsed policy. */
export interface Statement {
  /** Position in the policy's Statement list. */
  index: number;
  sid?: string;
  effect: "Allow" | "Deny";
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  conditions: ConditionClause[];
}

/** A validated policy document with the name it is attached under. */
export interface Policy {
  name: string;
  version: typeof POLICY_VERSION;
  id?: string;
  statements: Statement[];
}

/** A value in a request context: a single value or a list (multi-valued key). */
export type ContextValue = string | number | boolean | Date;

/** Condition keys of a request (`aws:SourceIp`, `aws:PrincipalTag/team`, `bedrock:…`). */
export type RequestContext = Record<string, ContextValue | readonly ContextValue[] | undefined>;

/** The statement that decided an evaluation. */
export interface MatchedStatement {
  policyName: string;
  /** Position in the policy's Statement list. */
  index: number;
  sid?: string;
  effect: "Allow" | "Deny";
}

/** AWS's three outcomes: allowed, denied by a statement, or denied because nothing allowed. */
export type Decision = "allowed" | "explicitDeny" | "implicitDeny";

/** The result of evaluating policies for one request. */
export interface EvaluationResult {
  decision: Decision;
  /** The deciding statement; null for an implicit deny. */
  matchedStatement: MatchedStatement | null;
}
