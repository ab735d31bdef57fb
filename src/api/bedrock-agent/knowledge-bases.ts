// Create/Get/List/Update/DeleteKnowledgeBase on bedrock-agent's paths. Creation is synchronous
// in Basalt, so a new knowledge base is ACTIVE at once; deletion drops its vectors (through the
// pipeline's lifecycle hook) before answering, so a Get right after it is a ResourceNotFound.
import { validation } from "../../spec/errors.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";
import type { AgentDeps } from "./deps.ts";
import { ignoredFields, pageRequest, pathId } from "./input.ts";
import { parseKnowledgeBaseInput, sameConfiguration } from "./knowledge-base-input.ts";
import { knowledgeBaseShape, knowledgeBaseSummaryShape } from "./shapes.ts";

/** PUT /knowledgebases/ → 202 */
export function createKnowledgeBaseHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const body = await ctx.json();
    const input = parseKnowledgeBaseInput(body, deps.registry);
    const ignored = ignoredFields(body, ["tags"]);
    if (ignored.length > 0) ctx.log.warn({ requestId: ctx.requestId, ignored }, "CreateKnowledgeBase: Basalt does not keep these fields");
    const { knowledgeBase } = await deps.service.createKnowledgeBase({ ...input, accountId: ctx.principal.accountId });
    ctx.logFields.knowledgeBaseId = knowledgeBase.id;
    sendJson(ctx.res, 202, { knowledgeBase: knowledgeBaseShape(knowledgeBase, deps.region) });
  };
}

/** GET /knowledgebases/{knowledgeBaseId} */
export function getKnowledgeBaseHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const knowledgeBase = await deps.service.store.getKnowledgeBase(ctx.principal.accountId, pathId(ctx, "knowledgeBaseId"));
    sendJson(ctx.res, 200, { knowledgeBase: knowledgeBaseShape(knowledgeBase, deps.region) });
  };
}

/** POST /knowledgebases/ */
export function listKnowledgeBasesHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const page = await deps.service.store.listKnowledgeBases(ctx.principal.accountId, pageRequest(await ctx.json()));
    sendJson(ctx.res, 200, { knowledgeBaseSummaries: page.items.map(knowledgeBaseSummaryShape), ...(page.nextToken ? { nextToken: page.nextToken } : {}) });
  };
}

/** PUT /knowledgebases/{knowledgeBaseId} → 202: name, description and role; the configurations cannot change. */
export function updateKnowledgeBaseHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const id = pathId(ctx, "knowledgeBaseId");
    const input = parseKnowledgeBaseInput(await ctx.json(), deps.registry);
    const accountId = ctx.principal.accountId;
    const current = await deps.service.store.getKnowledgeBase(accountId, id);
    if (!sameConfiguration(input, { configuration: current.configuration, storageConfiguration: current.storageConfiguration }, deps.registry)) {
      throw validation(
        "knowledgeBaseConfiguration",
        "the knowledgeBaseConfiguration and storageConfiguration of a knowledge base cannot change; give the ones it was created with, or create another knowledge base",
      );
    }
    const updated = await deps.service.store.updateKnowledgeBase(accountId, id, { name: input.name, description: input.description, roleArn: input.roleArn });
    sendJson(ctx.res, 202, { knowledgeBase: knowledgeBaseShape(updated, deps.region) });
  };
}

/** DELETE /knowledgebases/{knowledgeBaseId} → 202 */
export function deleteKnowledgeBaseHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const deleted = await deps.service.deleteKnowledgeBase(ctx.principal.accountId, pathId(ctx, "knowledgeBaseId"));
    sendJson(ctx.res, 202, { knowledgeBaseId: deleted.id, status: deleted.status });
  };
}
