// Create/Get/List/Update/DeleteGuardrail and CreateGuardrailVersion on Bedrock's control-plane
// paths. Basalt's operations finish before they answer, so a guardrail is READY at once and the
// 202s carry final state.
import { accountResourceArn } from "../../iam/actions.ts";
import { parseGuardrailConfig } from "../../guardrails/config/parse-config.ts";
import type { GuardrailService } from "../../guardrails/guardrail-service.ts";
import { parseGuardrailIdentifier, parseGuardrailVersion } from "../../guardrails/guardrail-service.ts";
import type { GuardrailVersionRecord, Tag } from "../../guardrails/store/guardrail-store.ts";
import { BasaltError, validation } from "../../spec/errors.ts";
import { array, object, optionalString, string } from "../../util/validate.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";

/** What the guardrail handlers need. */
export interface GuardrailDeps {
  guardrails: GuardrailService;
  region: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function arnOf(deps: GuardrailDeps, record: { accountId: string; id: string }): string {
  return accountResourceArn({ region: deps.region, accountId: record.accountId, type: "guardrail", id: record.id });
}

/** The guardrail the path names, in the caller's account. */
function pathGuardrail(ctx: RequestContext): string {
  const { id, accountId } = parseGuardrailIdentifier(ctx.params.guardrailIdentifier ?? "");
  if (accountId !== undefined && accountId !== ctx.principal.accountId) throw new BasaltError("NOT_FOUND", `The guardrail ${ctx.params.guardrailIdentifier} does not exist.`);
  ctx.logFields.guardrailId = id;
  return id;
}

function parseTags(value: unknown): Tag[] {
  if (value === undefined || value === null) return [];
  return array(value, "tags", { max: 200 }).map((entry, i) => {
    const tag = object(entry, `tags.${i}`);
    return { key: string(tag.key, `tags.${i}.key`, { min: 1, max: 128 }), value: string(tag.value, `tags.${i}.value`, { max: 256 }) };
  });
}

/** GetGuardrail's response for one version. */
export function guardrailShape(deps: GuardrailDeps, record: GuardrailVersionRecord): Record<string, unknown> {
  const { config } = record;
  return {
    name: config.name,
    guardrailId: record.id,
    guardrailArn: arnOf(deps, record),
    version: record.version,
    ...(record.description !== undefined ? { description: record.description } : {}),
    ...(config.topicPolicy ? { topicPolicy: config.topicPolicy } : {}),
    ...(config.contentPolicy ? { contentPolicy: config.contentPolicy } : {}),
    ...(config.wordPolicy ? { wordPolicy: config.wordPolicy } : {}),
    ...(config.sensitiveInformationPolicy ? { sensitiveInformationPolicy: config.sensitiveInformationPolicy } : {}),
    ...(config.contextualGroundingPolicy ? { contextualGroundingPolicy: config.contextualGroundingPolicy } : {}),
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
    status: record.status,
    statusReasons: [],
    failureRecommendations: [],
    blockedInputMessaging: config.blockedInputMessaging,
    blockedOutputsMessaging: config.blockedOutputsMessaging,
    ...(config.kmsKeyId ? { kmsKeyArn: config.kmsKeyId } : {}),
  };
}

/** POST /guardrails → 202 */
export function createGuardrailHandler(deps: GuardrailDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const body = await ctx.json();
    const tags = parseTags(body.tags);
    const config = parseGuardrailConfig(body, { tags });
    deps.guardrails.check(config);
    const record = await deps.guardrails.store.create(ctx.principal.accountId, config, tags);
    ctx.logFields.guardrailId = record.id;
    sendJson(ctx.res, 202, { guardrailId: record.id, guardrailArn: arnOf(deps, record), version: record.version, createdAt: iso(record.createdAt) });
  };
}

/** GET /guardrails/{guardrailIdentifier}?guardrailVersion */
export function getGuardrailHandler(deps: GuardrailDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const id = pathGuardrail(ctx);
    const version = parseGuardrailVersion(ctx.query.get("guardrailVersion") ?? "DRAFT");
    const record = await deps.guardrails.store.get(ctx.principal.accountId, id, version);
    sendJson(ctx.res, 200, guardrailShape(deps, record));
  };
}

/** GET /guardrails?guardrailIdentifier&maxResults&nextToken */
export function listGuardrailsHandler(deps: GuardrailDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const identifier = ctx.query.get("guardrailIdentifier");
    const max = ctx.query.get("maxResults");
    const maxResults = max === null ? 20 : Number(max);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) throw validation("maxResults", "Member must have value between 1 and 1000");
    const nextToken = ctx.query.get("nextToken") ?? undefined;
    const page = await deps.guardrails.store.list(ctx.principal.accountId, {
      ...(identifier ? { id: parseGuardrailIdentifier(identifier).id } : {}),
      maxResults,
      ...(nextToken ? { nextToken } : {}),
    });
    sendJson(ctx.res, 200, {
      guardrails: page.items.map((r) => ({
        id: r.id,
        arn: arnOf(deps, r),
        status: r.status,
        name: r.name,
        ...(r.description !== undefined ? { description: r.description } : {}),
        version: r.version,
        createdAt: iso(r.createdAt),
        updatedAt: iso(r.updatedAt),
      })),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    });
  };
}

/** PUT /guardrails/{guardrailIdentifier} → 202: replaces the DRAFT. */
export function updateGuardrailHandler(deps: GuardrailDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const id = pathGuardrail(ctx);
    const accountId = ctx.principal.accountId;
    const current = await deps.guardrails.store.get(accountId, id, "DRAFT");
    const config = parseGuardrailConfig(await ctx.json(), { tags: current.tags });
    deps.guardrails.check(config);
    const record = await deps.guardrails.store.update(accountId, id, config);
    sendJson(ctx.res, 202, { guardrailId: record.id, guardrailArn: arnOf(deps, record), version: "DRAFT", updatedAt: iso(record.updatedAt) });
  };
}

/** DELETE /guardrails/{guardrailIdentifier}?guardrailVersion → 202 */
export function deleteGuardrailHandler(deps: GuardrailDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const id = pathGuardrail(ctx);
    const version = ctx.query.get("guardrailVersion");
    await deps.guardrails.store.delete(ctx.principal.accountId, id, version === null ? undefined : parseGuardrailVersion(version));
    sendJson(ctx.res, 202, {});
  };
}

/** POST /guardrails/{guardrailIdentifier} → 202: copies the DRAFT to the next version. */
export function createGuardrailVersionHandler(deps: GuardrailDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const id = pathGuardrail(ctx);
    const body = await ctx.json();
    const description = optionalString(body.description, "description", { min: 1, max: 200 });
    const clientToken = optionalString(body.clientRequestToken, "clientRequestToken", { min: 1, max: 256 });
    const record = await deps.guardrails.store.createVersion(ctx.principal.accountId, id, {
      ...(description !== undefined ? { description } : {}),
      ...(clientToken !== undefined ? { clientToken } : {}),
    });
    sendJson(ctx.res, 202, { guardrailId: record.id, version: record.version });
  };
}
