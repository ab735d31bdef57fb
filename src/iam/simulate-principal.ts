// The policy simulator for a stored user or role: may it do action A on resource R, which
// statement decided, and would the account boundary or model access refuse it anyway. This is
// an administrator's tool, so unlike an API refusal it shows the deciding statement itself.
import { standardContext } from "./policy/context.ts";
import { simulate } from "./policy/evaluate.ts";
import type { Decision, MatchedStatement, RequestContext } from "./policy/types.ts";
import { arnAccount, isInvokeAction, modelEnabled } from "./authorize.ts";
import type { IamStore } from "./store/iam-store.ts";
import type { ModelAccessDefault, PolicyRecord, PrincipalRecord } from "./store/records.ts";

/** Input of {@link simulatePrincipal}. */
export interface PrincipalSimulationInput {
  store: IamStore;
  principal: PrincipalRecord;
  action: string;
  resource: string;
  region: string;
  /** Model access of an account the store has no row for. */
  modelAccessDefault: ModelAccessDefault;
  /** Extra condition keys (`aws:SourceIp`, …). */
  context?: RequestContext;
}

/** What the simulator found. */
export interface PrincipalSimulation {
  /** The policies' decision alone. */
  decision: Decision;
  matchedStatement: MatchedStatement | null;
  /** The deciding statement as written in its document. */
  statement?: unknown;
  /** Set when the resource belongs to another account, which no policy can grant. */
  otherAccount?: string;
  /** For an invocation of a foundation model: the account's model access to it. */
  modelAccess?: { modelId: string; enabled: boolean };
  /** Whether a real request would be allowed: policies, account boundary and model access together. */
  allowed: boolean;
}

const FOUNDATION_MODEL = /^arn:aws:bedrock:[^:]*::foundation-model\/(.+)$/;

/** Simulates one request by a stored principal. */
export async function simulatePrincipal(input: PrincipalSimulationInput): Promise<PrincipalSimulation> {
  const { store, principal } = input;
  const records = await store.policiesOf(principal);
  const context: RequestContext = {
    ...standardContext({ now: new Date(), principalArn: principal.arn, accountId: principal.accountId, region: input.region }),
    ...input.context,
  };
  const result = simulate({ principalPolicies: records.map((r) => ({ name: r.name, document: r.document })), action: input.action, resource: input.resource, context });
  const out: PrincipalSimulation = { decision: result.decision, matchedStatement: result.matchedStatement, allowed: result.decision === "allowed" };
  if (result.matchedStatement) out.statement = statementText(records, result.matchedStatement);
  const owner = arnAccount(input.resource);
  if (owner !== undefined && owner !== principal.accountId) {
    out.otherAccount = owner;
    out.allowed = false;
  }
  const modelId = FOUNDATION_MODEL.exec(input.resource)?.[1];
  if (modelId !== undefined && isInvokeAction(input.action)) {
    const access = await store.modelAccess(principal.accountId, input.modelAccessDefault);
    out.modelAccess = { modelId, enabled: modelEnabled(access, modelId) };
    if (!out.modelAccess.enabled) out.allowed = false;
  }
  return out;
}

function statementText(records: PolicyRecord[], matched: MatchedStatement): unknown {
  const record = records.find((r) => r.name === matched.policyName);
  if (!record) return undefined;
  const statements = (JSON.parse(record.document) as { Statement?: unknown }).Statement;
  return Array.isArray(statements) ? statements[matched.index] : statements;
}
