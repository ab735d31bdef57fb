// Rerank (POST /rerank): scores inline documents against one query with a reranking model
// (a GGUF reranker, or an embedding model as a bi-encoder re-scorer) and returns them best
// first. Every result comes in one page; a nextToken is never returned.
import { rerankTexts } from "../../kb/retrieval/reranker.ts";
import { validation } from "../../spec/errors.ts";
import { array, object, oneOf, optionalNumber, optionalObject, optionalString, string, type Obj } from "../../util/validate.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";
import type { AgentRuntimeDeps } from "./deps.ts";
import { guardedReranker } from "./guarded-calls.ts";

/** Bedrock's bounds on Rerank's sources and texts. */
const MAX_SOURCES = 1000;
const MAX_TEXT = 32_000;

interface RerankDocument {
  wire: Obj;
  text: string;
}

function parseDocument(value: unknown, field: string): RerankDocument {
  const source = object(value, field);
  oneOf(source.type, `${field}.type`, ["INLINE"] as const);
  const doc = object(source.inlineDocumentSource, `${field}.inlineDocumentSource`);
  const at = `${field}.inlineDocumentSource`;
  const type = oneOf(doc.type, `${at}.type`, ["TEXT", "JSON"] as const);
  if (type === "TEXT") {
    const text = string(object(doc.textDocument, `${at}.textDocument`).text, `${at}.textDocument.text`, { min: 1, max: MAX_TEXT });
    return { wire: { type, textDocument: { text } }, text };
  }
  if (doc.jsonDocument === undefined || doc.jsonDocument === null) throw validation(`${at}.jsonDocument`, "Member must not be null");
  return { wire: { type, jsonDocument: doc.jsonDocument }, text: JSON.stringify(doc.jsonDocument) };
}

/** POST /rerank */
export function rerankHandler(deps: AgentRuntimeDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const body = await ctx.json();
    const queries = array(body.queries, "queries", { min: 1, max: 1 });
    const query = object(queries[0], "queries.0");
    oneOf(query.type, "queries.0.type", ["TEXT"] as const);
    const text = string(object(query.textQuery, "queries.0.textQuery").text, "queries.0.textQuery.text", { min: 1, max: MAX_TEXT });
    const documents = array(body.sources, "sources", { min: 1, max: MAX_SOURCES }).map((s, i) => parseDocument(s, `sources.${i}`));
    const config = object(body.rerankingConfiguration, "rerankingConfiguration");
    oneOf(config.type, "rerankingConfiguration.type", ["BEDROCK_RERANKING_MODEL"] as const);
    const bedrock = object(config.bedrockRerankingConfiguration, "rerankingConfiguration.bedrockRerankingConfiguration");
    const at = "rerankingConfiguration.bedrockRerankingConfiguration";
    const model = object(bedrock.modelConfiguration, `${at}.modelConfiguration`);
    const modelArn = string(model.modelArn, `${at}.modelConfiguration.modelArn`, { min: 1, max: 2048 });
    const additional = optionalObject(model.additionalModelRequestFields, `${at}.modelConfiguration.additionalModelRequestFields`);
    if (additional && Object.keys(additional).length > 0) ctx.log.warn({ requestId: ctx.requestId, fields: Object.keys(additional) }, "additionalModelRequestFields are not passed to rerankers");
    const top = optionalNumber(bedrock.numberOfResults, `${at}.numberOfResults`, { min: 1, max: MAX_SOURCES, integer: true });
    if (optionalString(body.nextToken, "nextToken") !== undefined) throw validation("nextToken", "is not a token this server issued (Rerank returns every result in one page)");
    const reranker = await guardedReranker(deps, ctx, modelArn, "Rerank");
    ctx.logFields.modelId = reranker.modelId;
    const { ranked } = await rerankTexts(reranker, text, documents.map((d) => d.text), { top, signal: ctx.signal });
    const results = ranked.map(({ index, relevanceScore }) => ({ index, relevanceScore, document: documents[index]!.wire }));
    sendJson(ctx.res, 200, { results }, { "x-amzn-requestid": ctx.requestId });
  };
}
