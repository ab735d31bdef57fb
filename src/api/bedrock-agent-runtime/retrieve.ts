// Retrieve (POST /knowledgebases/{knowledgeBaseId}/retrieve): the passages of an account's
// knowledge base that best answer a query. All results come in one page; a nextToken is never
// returned, so one sent back is not Basalt's and is refused.
import { parseQueryText, parseRetrievalConfiguration } from "../../kb/retrieval/retrieval-config.ts";
import { validation } from "../../spec/errors.ts";
import { object, optionalString } from "../../util/validate.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";
import type { AgentRuntimeDeps } from "./deps.ts";
import { guardedRetrieve } from "./guarded-calls.ts";
import { toRetrievalResult } from "./wire.ts";

const KNOWLEDGE_BASE_ID = /^[0-9a-zA-Z]{1,10}$/;

/** The knowledge base id of the path, validated. */
export function knowledgeBaseParam(ctx: RequestContext): string {
  const id = ctx.params.knowledgeBaseId ?? "";
  if (!KNOWLEDGE_BASE_ID.test(id)) throw validation("knowledgeBaseId", `Member must satisfy regular expression pattern: ${KNOWLEDGE_BASE_ID.source}`);
  ctx.logFields.knowledgeBaseId = id;
  return id;
}

/** POST /knowledgebases/{knowledgeBaseId}/retrieve */
export function retrieveHandler(deps: AgentRuntimeDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const knowledgeBaseId = knowledgeBaseParam(ctx);
    const body = await ctx.json();
    const query = object(body.retrievalQuery, "retrievalQuery");
    if (query.type !== undefined && query.type !== "TEXT") throw validation("retrievalQuery.type", "only TEXT queries are supported by Basalt");
    const text = parseQueryText(query.text, "retrievalQuery.text");
    const settings = parseRetrievalConfiguration(body.retrievalConfiguration, "retrievalConfiguration");
    if (body.guardrailConfiguration !== undefined && body.guardrailConfiguration !== null) throw validation("guardrailConfiguration", "guardrails are not supported by Basalt");
    if (optionalString(body.nextToken, "nextToken") !== undefined) throw validation("nextToken", "is not a token this server issued (Retrieve returns every result in one page)");
    const kb = await deps.openKnowledgeBases.resolve(ctx.principal.accountId, knowledgeBaseId);
    const outcome = await guardedRetrieve(deps, ctx, kb, { query: text, settings }, "Retrieve");
    ctx.logFields.results = outcome.passages.length;
    sendJson(ctx.res, 200, { retrievalResults: outcome.passages.map(toRetrievalResult) }, { "x-amzn-requestid": ctx.requestId });
  };
}
