// Authorization decisions for one authenticated request: the account boundary first (another
// account's resource is refused whatever the policies say), then the principal's policies
// (explicit Deny wins, default deny), then the account's model access for invocations.
// Refusals name the action and resource, never a policy's name or contents.
import { BasaltError } from "../spec/errors.ts";
import type { Principal } from "../spec/principal.ts";
import { standardContext } from "./policy/context.ts";
import { evaluatePolicies } from "./policy/evaluate.ts";
import type { Policy } from "./policy/types.ts";
import type { ModelAccess } from "./store/records.ts";

/** What an authenticated request carries into authorization. */
export interface Session {
  principal: Principal;
  policies: readonly Policy[];
  modelAccess: ModelAccess;
  /** The client's address, for aws:SourceIp conditions. */
  sourceIp?: string;
}

/** One check: `action` on `resource` (an ARN or `*`), and the served model for invocations. */
export interface AccessRequest {
  action: string;
  resource: string;
  region: string;
  /** The id of the model actually served, when the action invokes one (model access applies). */
  invokedModelId?: string;
}

/** Actions that use a model and are therefore subject to the account's model access (lower case). */
const INVOKE_ACTIONS: ReadonlySet<string> = new Set(["bedrock:invokemodel", "bedrock:invokemodelwithresponsestream"]);

/** Whether `action` invokes a model (IAM action names compare case-insensitively). */
export function isInvokeAction(action: string): boolean {
  return INVOKE_ACTIONS.has(action.toLowerCase());
}

/** The account id inside an ARN (`arn:aws:bedrock:<region>:<account>:…`); undefined when it has none. */
export function arnAccount(arn: string): string | undefined {
  if (!arn.startsWith("arn:")) return undefined;
  const account = arn.split(":", 5)[4];
  return account ? account : undefined;
}

/** AWS's AccessDeniedException wording: who, which action, which resource, and why in general terms. */
export function accessDenied(principal: Principal, action: string, resource: string, explicit: boolean): BasaltError {
  const why = explicit ? "with an explicit deny in an identity-based policy" : `because no identity-based policy allows the ${action} action`;
  return new BasaltError("ACCESS_DENIED", `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`);
}

/** Bedrock's refusal for a model the account has not enabled. */
export function modelAccessDenied(modelId: string, accountId: string): BasaltError {
  return new BasaltError(
    "ACCESS_DENIED",
    `You don't have access to the model with the specified model ID. Model access for ${modelId} is not enabled in account ${accountId}; an administrator can enable it (basalt iam enable-model).`,
  );
}

/** Whether model access lets the account use `modelId`. */
export function modelEnabled(access: ModelAccess, modelId: string): boolean {
  return access.overrides.get(modelId) ?? access.defaultEnabled;
}

/** Refuses a resource of another account as if nothing granted it, so the answer reveals nothing about it. */
export function requireOwnAccount(principal: Principal, action: string, resource: string): void {
  const owner = arnAccount(resource);
  if (owner !== undefined && owner !== principal.accountId) throw accessDenied(principal, action, resource, false);
}

/** The action a principal needs to authenticate with a bearer API key. */
export const BEARER_ACTION = "bedrock:CallWithBearerToken";

/** Throws AccessDeniedException unless the session's policies allow the request (see {@link BEARER_ACTION} for API keys). */
export function authorizeSession(session: Session, request: AccessRequest): void {
  const { principal } = session;
  requireOwnAccount(principal, request.action, request.resource);
  const context = standardContext({
    now: new Date(),
    sourceIp: session.sourceIp,
    principalArn: principal.arn,
    accountId: principal.accountId,
    region: request.region,
    secureTransport: false,
  });
  // As on Bedrock, a bearer API key works only for principals allowed to call with one.
  if (principal.via === "api-key") {
    const bearer = evaluatePolicies(session.policies, { action: BEARER_ACTION, resource: "*", context });
    if (bearer.decision !== "allowed") throw accessDenied(principal, BEARER_ACTION, "*", bearer.decision === "explicitDeny");
  }
  const result = evaluatePolicies(session.policies, { action: request.action, resource: request.resource, context });
  if (result.decision !== "allowed") throw accessDenied(principal, request.action, request.resource, result.decision === "explicitDeny");
  if (request.invokedModelId !== undefined && !modelEnabled(session.modelAccess, request.invokedModelId)) {
    throw modelAccessDenied(request.invokedModelId, principal.accountId);
  }
}
