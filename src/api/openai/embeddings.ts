// POST /v1/embeddings
import type { ApiDeps } from "../deps.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";
import { beginModelCall, embeddingInputCounter } from "../usage/model-call-guard.ts";
import { parseEmbeddingsRequest } from "./embeddings-request.ts";
import { embeddingsResponse } from "./embeddings-response.ts";
import { requireEmbeddingModel } from "./models.ts";
import { reportWarnings } from "./warnings.ts";

/** POST /v1/embeddings */
export function embeddingsHandler(deps: ApiDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const body = await ctx.json();
    const model = requireEmbeddingModel(deps, body.model);
    ctx.authorize("openai.Embeddings", model.entry.id);
    ctx.logFields.modelId = model.entry.id;
    const parsed = parseEmbeddingsRequest(body, model.entry);
    const headers: Record<string, string> = { "x-request-id": ctx.requestId };
    reportWarnings(ctx, parsed.warnings, headers);
    parsed.request.signal = ctx.signal;
    const countInput = embeddingInputCounter(model.embedding, parsed.request.texts);
    const call = await beginModelCall(deps, ctx, { operation: "/v1/embeddings", entry: model.entry, embedding: true, countInput, inputBody: body });
    const result = await call.guard(model.embedding.embed(parsed.request));
    reportWarnings(ctx, result.warnings);
    ctx.logFields.inputTokens = result.usage.inputTokens;
    const response = embeddingsResponse(result, { model: model.entry.id, encoding: parsed.encoding });
    sendJson(ctx.res, 200, response, headers);
    call.succeed(result.usage, response);
  };
}
