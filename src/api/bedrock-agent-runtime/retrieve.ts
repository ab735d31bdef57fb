// Retrieve (POST /knowledgebases/{knowledgeBaseId}/retrieve): the passages of an account's
// knowledge base that best answer a query. All results come in one page; a nextToken is never
// returned, so one sent back is not Basalt's and is refused.
//
// With `guardrailConfiguration` the guardrail checks the query (source INPUT) before anything is
// retrieved, and the response says whether it intervened (`guardrailAction`). Bedrock applies
// guardrails to the input and to generated responses, never to retrieved references
// (user guide, "Query a knowledge base and retrieve data"), so results are returned as stored.
// A blocked query retrieves nothing: Retrieve's response has no member for the blocked message,
// so it is an empty `retrievalResults` with INTERVENED. A masked query (sensitive information
// anonymized) is searched as masked, also INTERVENED.
import { parseQueryText, parseRetrievalConfiguration } from "../../kb/retrieval/retrieval-config.ts";
import { GUARDRAIL_ID_PATTERN } from "../../guardrails/store/guardrail-store.ts";
import { validation } from "../../spec/errors.ts";
import { object, optionalObject, optionalString, string } from "../../util/validate.ts";
import { GuardrailSession, type GuardrailRequestConfig } from "../bedrock-runtime/guardrail-session.ts";
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

/** Retrieve's `guardrailConfiguration` (agent-runtime GuardrailConfiguration: `guardrailId`, `guardrailVersion`). */
export function parseRetrieveGuardrail(value: unknown, field = "guardrailConfiguration"): GuardrailRequestConfig | undefined {
  const config = optionalObject(value, field);
  if (!config) return undefined;
  return {
    identifier: string(config.guardrailId, `${field}.guardrailId`, { pattern: GUARDRAIL_ID_PATTERN }),
    version: string(config.guardrailVersion, `${field}.guardrailVersion`, { min: 1, max: 5, pattern: /^(([1-9][0-9]{0,7})|(DRAFT))$/ }),
    trace: "disabled",
    streamProcessingMode: "sync",
  };
}

/** POST /knowledgebases/{knowledgeBaseId}/retrieve */
export function retrieveHandler(deps: AgentRuntimeDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const knowledgeBaseId = knowledgeBaseParam(ctx);
    const body = await ctx.json();
    const query = object(body.retrievalQuery, "retrievalQuery");
    if (query.type !== undefined && query.type !== "TEXT") throw validation("retrievalQuery.type", "only TEXT queries are supported by Basalt");
    let text = parseQueryText(query.text, "retrievalQuery.text");
    const settings = parseRetrievalConfiguration(body.retrievalConfiguration, "retrievalConfiguration");
    const guardrail = parseRetrieveGuardrail(body.guardrailConfiguration);
    if (optionalString(body.nextToken, "nextToken") !== undefined) throw validation("nextToken", "is not a token this server issued (Retrieve returns every result in one page)");
    const kb = await deps.openKnowledgeBases.resolve(ctx.principal.accountId, knowledgeBaseId);
    // Authorizes bedrock:ApplyGuardrail on the guardrail's ARN, as RetrieveAndGenerate does.
    const guard = await GuardrailSession.open(deps, ctx, guardrail, "Retrieve");
    const headers = { "x-amzn-requestid": ctx.requestId };
    if (guard) {
      const checked = await guard.checkInput([{ text }]);
      if (checked.blocked) {
        ctx.logFields.results = 0;
        sendJson(ctx.res, 200, { retrievalResults: [], guardrailAction: "INTERVENED" }, headers);
        return;
      }
      if (checked.action === "GUARDRAIL_INTERVENED") text = checked.texts[0]!;
    }
    const outcome = await guardedRetrieve(deps, ctx, kb, { query: text, settings }, "Retrieve");
    ctx.logFields.results = outcome.passages.length;
    const action = guard ? { guardrailAction: guard.intervened ? "INTERVENED" : "NONE" } : {};
    sendJson(ctx.res, 200, { retrievalResults: outcome.passages.map(toRetrievalResult), ...action }, headers);
  };
}
