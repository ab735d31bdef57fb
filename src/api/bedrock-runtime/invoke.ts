// InvokeModel and InvokeModelWithResponseStream (POST /model/{modelId}/invoke[-with-response-stream])
// with each model family's native body, translated by models/formats, so any backend can sit
// behind any family's body.
import { InvokeStreamMapper, type InvokeFamily, type ResponseInfo } from "../../models/formats/index.ts";
import type { RegisteredModel } from "../../models/registry.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { Warning } from "../../spec/model.ts";
import type { ApiDeps } from "../deps.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";
import { beginModelCall, embeddingInputCounter } from "../usage/model-call-guard.ts";
import { INVOKE_STREAM_EXCEPTIONS, sendEventStream } from "./event-stream-response.ts";
import { resolveInvokeBody } from "./invoke-formats.ts";

/** Resolves the path's model and reads and classifies the body. */
async function prepare(ctx: RequestContext, deps: ApiDeps) {
  const identifier = ctx.params.modelId;
  if (identifier) ctx.logFields.modelId = identifier;
  const model: RegisteredModel | undefined = identifier ? deps.registry.find(identifier) : undefined;
  if (!identifier || !model) throw new BasaltError("VALIDATION", "The provided model identifier is invalid.");
  const resolved = resolveInvokeBody({ entry: model.entry, identifier, bytes: await ctx.body() });
  ctx.logFields.invokeFormat = resolved.family.name;
  logWarnings(ctx, model.entry.id, resolved.warnings);
  return { identifier, entry: model.entry, ...resolved, info: { modelId: model.entry.id, requestId: ctx.requestId } satisfies ResponseInfo };
}

function logWarnings(ctx: RequestContext, modelId: string, warnings: Warning[]): void {
  for (const warning of warnings) ctx.log.warn({ requestId: ctx.requestId, modelId, warning }, "model warning");
}

function tokenHeaders(ctx: RequestContext, usage: { inputTokens: number; outputTokens?: number }, latencyMs: number): Record<string, string> {
  ctx.logFields.inputTokens = usage.inputTokens;
  const headers: Record<string, string> = {
    "x-amzn-requestid": ctx.requestId,
    "x-amzn-bedrock-input-token-count": String(usage.inputTokens),
    "x-amzn-bedrock-invocation-latency": String(latencyMs),
  };
  if (usage.outputTokens !== undefined) {
    ctx.logFields.outputTokens = usage.outputTokens;
    headers["x-amzn-bedrock-output-token-count"] = String(usage.outputTokens);
  }
  return headers;
}

function requireText(family: InvokeFamily): asserts family is Extract<InvokeFamily, { kind: "text" }> {
  if (family.kind !== "text") throw new BasaltError("VALIDATION", `The ${family.name} body is an embedding request and cannot be streamed.`);
}

/** POST /model/{modelId}/invoke */
export function invokeModelHandler(deps: ApiDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const started = performance.now();
    const { identifier, body, family, info } = await prepare(ctx, deps);
    if (family.kind === "embed") {
      const model = deps.registry.embeddingModel(identifier);
      const parsed = family.parse(body, model.entry);
      const countInput = embeddingInputCounter(model.embedding, parsed.request.texts);
      const call = await beginModelCall(deps, ctx, { operation: "InvokeModel", entry: model.entry, embedding: true, countInput, inputBody: () => body });
      const result = await call.guard(model.embedding.embed({ ...parsed.request, signal: ctx.signal }));
      logWarnings(ctx, model.entry.id, result.warnings);
      const headers = tokenHeaders(ctx, { inputTokens: result.usage.inputTokens }, Math.round(performance.now() - started));
      const response = parsed.respond(result, info);
      call.succeed(result.usage, response);
      sendJson(ctx.res, 200, response, headers);
      return;
    }
    const model = deps.registry.languageModel(identifier);
    const request = family.parseRequest(body, model.entry);
    const call = await beginModelCall(deps, ctx, { operation: "InvokeModel", entry: model.entry, maxTokens: request.maxTokens, countInput: () => model.language.countTokens(request), inputBody: () => body });
    const result = await call.guard(model.language.generate({ ...request, signal: ctx.signal }));
    logWarnings(ctx, model.entry.id, result.warnings);
    const headers = tokenHeaders(ctx, result.usage, Math.round(performance.now() - started));
    const response = family.toResponse(result, info);
    call.succeed(result.usage, response);
    sendJson(ctx.res, 200, response, headers);
  };
}

/** POST /model/{modelId}/invoke-with-response-stream */
export function invokeModelStreamHandler(deps: ApiDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const started = performance.now();
    const { identifier, body, family, info } = await prepare(ctx, deps);
    requireText(family);
    const model = deps.registry.languageModel(identifier);
    if (!model.entry.streaming) throw new BasaltError("VALIDATION", `The model ${model.entry.id} does not support streaming.`);
    const request = family.parseRequest(body, model.entry);
    const call = await beginModelCall(deps, ctx, { operation: "InvokeModelWithResponseStream", entry: model.entry, maxTokens: request.maxTokens, stream: true, countInput: () => model.language.countTokens(request), inputBody: () => body });
    const mapper = new InvokeStreamMapper(family.chunkMapper(info), { startedAt: started });
    await sendEventStream({
      ctx,
      source: call.observe(model.language.stream({ ...request, signal: ctx.signal })),
      headers: { "x-amzn-bedrock-content-type": "application/json" },
      map: (part) => {
        if (part.type === "warning") logWarnings(ctx, model.entry.id, [part.warning]);
        if (part.type === "finish") {
          ctx.logFields.inputTokens = part.usage.inputTokens;
          ctx.logFields.outputTokens = part.usage.outputTokens;
        }
        return mapper.map(part).map((chunk) => ["chunk", { bytes: Buffer.from(JSON.stringify(chunk)).toString("base64") }]);
      },
      exceptions: INVOKE_STREAM_EXCEPTIONS,
    });
  };
}
