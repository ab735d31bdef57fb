// Policy evaluation with AWS's logic for identity-based policies: a matching Deny anywhere
// wins, else a matching Allow, else the request is denied by default. Actions compare
// case-insensitively, resources case-sensitively; conditions per conditions.ts.
import { evaluateClause } from "./conditions.ts";
import { normalizeContext, standardContext, type NormalizedContext } from "./context.ts";
import { parsePolicyOrThrow } from "./parse.ts";
import type { EvaluationResult, MatchedStatement, Policy, RequestContext, Statement } from "./types.ts";
import { matchWildcard } from "./wildcard.ts";

/** One request to authorize. */
export interface AuthorizationRequest {
  action: string;
  resource: string;
  context?: RequestContext;
}

/** Evaluates parsed policies for one request. */
export function evaluatePolicies(policies: readonly Policy[], request: AuthorizationRequest): EvaluationResult {
  const context = normalizeContext(request.context);
  let allow: MatchedStatement | null = null;
  for (const policy of policies) {
    for (const statement of policy.statements) {
      if (!statementApplies(statement, request, context)) continue;
      const matched: MatchedStatement = { policyName: policy.name, index: statement.index, effect: statement.effect };
      if (statement.sid) matched.sid = statement.sid;
      if (statement.effect === "Deny") return { decision: "explicitDeny", matchedStatement: matched };
      allow ??= matched;
    }
  }
  return allow ? { decision: "allowed", matchedStatement: allow } : { decision: "implicitDeny", matchedStatement: null };
}

/** Whether a statement's action, resource and conditions all match the request. */
export function statementApplies(statement: Statement, request: AuthorizationRequest, context: NormalizedContext): boolean {
  const actionMatches = (patterns: string[]) => patterns.some((p) => matchWildcard(p, request.action, true));
  const resourceMatches = (patterns: string[]) => patterns.some((p) => matchWildcard(p, request.resource));
  if (statement.action && !actionMatches(statement.action)) return false;
  if (statement.notAction && actionMatches(statement.notAction)) return false;
  if (statement.resource && !resourceMatches(statement.resource)) return false;
  if (statement.notResource && resourceMatches(statement.notResource)) return false;
  return statement.conditions.every((clause) => evaluateClause(clause, context.get(clause.key.toLowerCase())));
}

/** A policy document as an administrator supplies it. */
export interface NamedPolicyDocument {
  name: string;
  /** JSON text or a parsed object. */
  document: unknown;
}

/** Input of {@link simulate}. */
export interface SimulationInput {
  principalPolicies: ReadonlyArray<NamedPolicyDocument | Policy>;
  action: string;
  resource: string;
  context?: RequestContext;
  /** The simulated time; aws:CurrentTime and aws:EpochTime default to it. */
  now?: Date;
}

/**
 * The policy simulator: may a principal with these policies do `action` on `resource`, and
 * which statement decided? Documents are validated first (a ValidationException names the
 * bad field); time keys a real request always carries are filled in when not given.
 */
export function simulate(input: SimulationInput): EvaluationResult {
  const policies = input.principalPolicies.map((p) => ("statements" in p ? p : parsePolicyOrThrow(p.name, p.document)));
  const { "aws:CurrentTime": currentTime, "aws:EpochTime": epochTime } = standardContext({ now: input.now ?? new Date() });
  const context: RequestContext = { "aws:CurrentTime": currentTime, "aws:EpochTime": epochTime, ...input.context };
  return evaluatePolicies(policies, { action: input.action, resource: input.resource, context });
}
