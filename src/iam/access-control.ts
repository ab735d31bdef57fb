// The server's gate: whether requests must authenticate, who a request's credential belongs to,
// and whether that principal may do what it asks. With no credentials anywhere (and loopback
// serving) every request is the anonymous root of the default account, allowed everything its
// account's model access allows; the router then pays one boolean check per request.
import type { Logger } from "pino";
import { foundationModelArn } from "../spec/arn.ts";
import type { BasaltError } from "../spec/errors.ts";
import { ANONYMOUS, DEFAULT_ACCOUNT_ID, type Principal } from "../spec/principal.ts";
import { OPERATIONS, type OperationName, type OperationAuthorization } from "./actions.ts";
import { ApiKeyVerifier } from "./api-keys.ts";
import { authFailure, INVALID_TOKEN_MESSAGE, type AuthFailure } from "./auth-errors.ts";
import { authenticate, type Verifiers } from "./authenticate.ts";
import { accessDenied, authorizeSession, isInvokeAction, modelAccessDenied, modelEnabled, requireOwnAccount, type Session } from "./authorize.ts";
import { parsePolicy } from "./policy/parse.ts";
import type { Policy } from "./policy/types.ts";
import { ReplayCache, type ReplayGuard } from "./replay-cache.ts";
import { headerValue } from "./sigv4-canonical.ts";
import { SigV4Verifier, type AuthRequest } from "./sigv4.ts";
import type { IamStore } from "./store/iam-store.ts";
import type { ApiKeyInfo, ModelAccess, ModelAccessDefault, PolicyRecord } from "./store/records.ts";

/** Options of {@link AccessControl}. */
export interface AccessControlOptions {
  store: IamStore;
  /** The region this server answers for (SigV4 scope, ARNs). */
  region: string;
  /** Model access of an account the store has no row for (the default account at first). */
  modelAccessDefault: ModelAccessDefault;
  /** Whether the server listens on loopback only; anywhere else authentication is always required. */
  loopbackOnly: boolean;
  /** The id of the model actually served for an identifier (id, alias or ARN). */
  resolveModel: (identifier: string) => string;
  logger: Logger;
  /** How often the credential and anonymous model-access snapshot is re-read (ms). */
  refreshMs?: number;
  /** Remembers accepted SigV4 signatures; shared by all nodes on PostgreSQL (replayGuardFor), in memory by default. */
  replayGuard?: ReplayGuard;
}

/** The outcome of {@link AccessControl.authenticate}. */
export type Authentication = { ok: true; session: Session } | AuthFailure;

// Verifies nothing: it only lets an unknown bearer key fail the way a wrong one does.
const UNKNOWN_KEY_PEPPER = "unknown-key-pepper-never-matches";
const POLICY_CACHE_LIMIT = 1000;

/** Authentication and authorization for every request the router serves. */
export class AccessControl {
  /** Requests must carry credentials. */
  required: boolean;
  /** Anonymous requests are allowed everything (authentication off and every model enabled). */
  openToAnonymous: boolean;
  private anonymousAccess: ModelAccess = { defaultEnabled: true, overrides: new Map() };
  private readonly options: AccessControlOptions;
  private readonly replayGuard: ReplayGuard;
  private readonly parsedPolicies = new Map<string, Policy>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(options: AccessControlOptions) {
    this.options = options;
    this.replayGuard = options.replayGuard ?? new ReplayCache();
    this.required = !options.loopbackOnly;
    this.openToAnonymous = false;
  }

  /** Re-reads whether credentials exist and the default account's model access. */
  async refresh(): Promise<void> {
    const { store, modelAccessDefault, loopbackOnly } = this.options;
    const hasCredentials = await store.hasCredentials();
    const access = await store.modelAccess(DEFAULT_ACCOUNT_ID, modelAccessDefault);
    this.anonymousAccess = access;
    this.required = hasCredentials || !loopbackOnly;
    this.openToAnonymous = !this.required && access.defaultEnabled && [...access.overrides.values()].every(Boolean);
  }

  /** Refreshes periodically, so credentials created with the CLI take effect without a restart. */
  start(): void {
    this.timer ??= setInterval(() => {
      // One refresh at a time: a slow database must not pile them up.
      this.refreshing ??= this.refresh()
        .catch((error: unknown) => this.options.logger.warn({ err: error }, "could not refresh IAM state"))
        .finally(() => (this.refreshing = undefined));
    }, this.options.refreshMs ?? 1000);
    this.timer.unref();
  }

  /** Stops refreshing, waiting for a refresh under way so the database can close after it. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.refreshing;
  }

  /** Authenticates a request (SigV4 or bearer API key) and loads what authorizing it needs. */
  async authenticate(request: AuthRequest, sourceIp?: string): Promise<Authentication> {
    const { store, region, logger } = this.options;
    let accessKey: { accountId: string; principalId: string } | undefined;
    let apiKey: ApiKeyInfo | undefined;
    const verifiers: Verifiers = {
      sigv4: new SigV4Verifier({
        region,
        replayGuard: this.replayGuard,
        lookupSecret: async (id) => {
          const found = await this.unlessKeyUnavailable(() => store.accessKeySecret(id));
          accessKey = found?.key;
          return found?.secret;
        },
      }),
    };
    if (ApiKeyVerifier.isBearer(request.headers)) {
      const token = /^\s*bearer\s+(\S+)\s*$/i.exec(headerValue(request.headers, "authorization") ?? "")?.[1];
      const found = token === undefined ? undefined : await this.unlessKeyUnavailable(() => store.apiKeyForAuth(token));
      apiKey = found?.info;
      verifiers.apiKeys = new ApiKeyVerifier({
        pepper: found?.pepper ?? UNKNOWN_KEY_PEPPER,
        lookup: () => (found ? { id: found.info.id, hash: found.info.hash, expiresAt: found.info.expiresAt } : undefined),
      });
    }
    const result = await authenticate(request, verifiers);
    if (!result.ok) return result;
    const owner = result.credential.type === "access-key" ? accessKey : apiKey;
    if (!owner) return authFailure("unknown-key", "UNRECOGNIZED_CLIENT", INVALID_TOKEN_MESSAGE);
    const record = await store.findPrincipalById(owner.accountId, owner.principalId);
    if (!record) return authFailure("unknown-key", "UNRECOGNIZED_CLIENT", INVALID_TOKEN_MESSAGE);
    const principal: Principal = { accountId: record.accountId, arn: record.arn, id: record.id, via: result.credential.type === "access-key" ? "sigv4" : "api-key" };
    const [policies, modelAccess] = await Promise.all([store.policiesOf(record), store.modelAccess(record.accountId, this.options.modelAccessDefault)]);
    logger.debug({ principal: principal.arn }, "authenticated");
    return { ok: true, session: { principal, policies: policies.map((p) => this.parsed(p)), modelAccess, sourceIp } };
  }

  /**
   * Throws AccessDeniedException unless the request may run `operation`. `resource` is the model
   * identifier for model operations (resolved to the model actually served), else an ARN.
   */
  authorize(session: Session | undefined, operation: OperationName, resource: string | undefined, stream: boolean): void {
    const spec: OperationAuthorization = OPERATIONS[operation];
    const action = stream && spec.streamAction ? spec.streamAction : spec.action;
    const principal = session?.principal ?? ANONYMOUS;
    let arn = resource ?? "*";
    let modelId: string | undefined;
    if (spec.resource === "model") {
      if (resource === undefined) throw new Error(`Operation ${operation} is authorized on a model, but none was given.`);
      modelId = this.options.resolveModel(resource);
      arn = foundationModelArn(this.options.region, modelId);
    }
    const invokedModelId = modelId !== undefined && isInvokeAction(action) ? modelId : undefined;
    if (session === undefined) {
      // Anonymous requests exist only while authentication is off; the root is allowed everything.
      if (this.required) throw accessDenied(principal, action, arn, false);
      if (invokedModelId !== undefined && !modelEnabled(this.anonymousAccess, invokedModelId)) throw modelAccessDenied(invokedModelId, principal.accountId);
      return;
    }
    // An identifier naming another account's resource (an ARN) is refused before anything else.
    if (resource !== undefined) requireOwnAccount(principal, action, resource);
    authorizeSession(session, { action, resource: arn, region: this.options.region, invokedModelId });
  }

  /** Parsed policies are cached by id and version, so a replaced document is parsed anew. */
  private parsed(record: PolicyRecord): Policy {
    const key = `${record.id}:${record.version}`;
    let policy = this.parsedPolicies.get(key);
    if (!policy) {
      const result = parsePolicy(record.name, record.document);
      // Stored documents were validated when put; one that no longer parses must not be skipped
      // (it may hold a Deny), so the request fails instead.
      if (!result.ok) throw new Error(`The stored policy ${record.arn} no longer parses: ${result.errors.join(" ")}`);
      if (this.parsedPolicies.size >= POLICY_CACHE_LIMIT) this.parsedPolicies.clear();
      policy = result.policy;
      this.parsedPolicies.set(key, policy);
    }
    return policy;
  }

  /** A credential whose account key is unusable fails as an unknown one; the reason goes to the log only. */
  private async unlessKeyUnavailable<T>(lookup: () => Promise<T | undefined>): Promise<T | undefined> {
    try {
      return await lookup();
    } catch (error) {
      if ((error as BasaltError).code !== "KEY_UNAVAILABLE") throw error;
      this.options.logger.warn({ err: error }, "a credential could not be decrypted; its account's key is unavailable");
      return undefined;
    }
  }
}

