// The model calls a knowledge-base operation makes on the caller's behalf, run through the
// model-call guard so quotas, usage records and metrics apply to them like to any invocation:
// the query's embedding (charged to the knowledge base's embedding model, as Bedrock bills it;
// no InvokeModel permission is needed, the knowledge base's own role makes that call on AWS) and
// reranking (which does need bedrock:InvokeModel on the reranking model, for Rerank and for
// Retrieve with reranking alike).
import type { OpenKnowledgeBase } from "../../kb/ingestion/indexes.ts";
import { resolveReranker } from "../../kb/retrieval/resolve-reranker.ts";
import type { Reranker, RerankScores } from "../../kb/retrieval/reranker.ts";
import { retrieve, type RetrievalOutcome } from "../../kb/retrieval/retrieve.ts";
import type { RetrievalSettings } from "../../kb/retrieval/retrieval-config.ts";
import type { ApiDeps } from "../deps.ts";
import type { RequestContext } from "../protocol/http.ts";
import { beginModelCall } from "../usage/model-call-guard.ts";

/** Characters per token for the admission estimate of a reranking call. */
const CHARS_PER_TOKEN = 4;

/** Resolves, authorizes and guards the reranker `modelArn` names, for `operation`. */
export async function guardedReranker(deps: ApiDeps, ctx: RequestContext, modelArn: string, operation: string): Promise<Reranker> {
  const reranker = await resolveReranker(deps, modelArn);
  ctx.authorize("InvokeModel", modelArn);
  const entry = deps.registry.find(reranker.modelId)!.entry;
  return {
    modelId: reranker.modelId,
    kind: reranker.kind,
    async score(query, documents, options): Promise<RerankScores> {
      const chars = documents.reduce((n, d) => n + d.length, query.length * documents.length);
      const call = await beginModelCall(deps, ctx, { operation, entry, embedding: true, async countInput() { return Math.ceil(chars / CHARS_PER_TOKEN); } });
      const result = await call.guard(reranker.score(query, documents, options));
      call.succeed({ inputTokens: result.inputTokens, outputTokens: 0 });
      return result;
    },
  };
}

/**
 * Retrieves for the caller: the query embedding is admitted and recorded as a call of the
 * knowledge base's embedding model, and a reranking configuration reranks through
 * {@link guardedReranker}.
 */
export async function guardedRetrieve(deps: ApiDeps, ctx: RequestContext, kb: OpenKnowledgeBase, request: { query: string; settings: RetrievalSettings }, operation: string): Promise<RetrievalOutcome> {
  const additional = request.settings.reranking?.additionalModelRequestFields;
  if (additional && Object.keys(additional).length > 0) {
    ctx.log.warn({ requestId: ctx.requestId, fields: Object.keys(additional) }, "additionalModelRequestFields are not passed to rerankers");
  }
  const entry = deps.registry.find(kb.embeddingModelId)?.entry;
  const call = entry ? await beginModelCall(deps, ctx, { operation, entry, embedding: true, countInput() { return kb.embedding.countTokens(request.query); } }) : undefined;
  let outcome: RetrievalOutcome;
  try {
    outcome = await retrieve(kb, request, { reranker: (r) => guardedReranker(deps, ctx, r.modelArn, operation), signal: ctx.signal });
  } catch (error) {
    call?.fail(error);
    throw error;
  }
  call?.succeed({ inputTokens: outcome.embeddingTokens, outputTokens: 0 });
  return outcome;
}
