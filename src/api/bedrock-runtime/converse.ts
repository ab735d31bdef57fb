// Converse, ConverseStream and CountTokens (POST /model/{modelId}/converse[-stream],
// /model/{modelId}/count-tokens).
import { BasaltError } from "../../spec/errors.ts";
import type { ApiDeps } from "../deps.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";
import { beginModelCall } from "../usage/model-call-guard.ts";
import { object, unionMember } from "../../util/validate.ts";
import { parseConverseForCounting, parseConverseRequest } from "./converse-request.ts";
import { ConverseStreamMapper, converseResponse } from "./converse-response.ts";
import { CONVERSE_STREAM_EXCEPTIONS, sendEventStream } from "./event-stream-response.ts";
import { invokeBodyToRequest } from "./invoke-formats.ts";

function modelParam(ctx: RequestContext): string {
  const id = ctx.params.modelId;
  if (!id) throw new BasaltError("VALIDATION", "The provided model identifier is invalid.");
  ctx.logFields.modelId = id;
  return id;
}

/** POST /model/{modelId}/converse */
export function converseHandler(deps: ApiDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const started = performance.now();
    const model = deps.registry.languageModel(modelParam(ctx));
    const body = await ctx.json();
    const request = parseConverseRequest(body, model.entry);
    const call = await beginModelCall(deps, ctx, { operation: "Converse", entry: model.entry, maxTokens: request.maxTokens, countInput: () => model.language.countTokens(request), inputBody: () => body });
    const result = await call.guard(model.language.generate({ ...request, signal: ctx.signal }));
    for (const warning of result.warnings) ctx.log.warn({ requestId: ctx.requestId, modelId: model.entry.id, warning }, "model warning");
    ctx.logFields.inputTokens = result.usage.inputTokens;
    ctx.logFields.outputTokens = result.usage.outputTokens;
    const response = converseResponse(result, Math.round(performance.now() - started));
    call.succeed(result.usage, response);
    sendJson(ctx.res, 200, response, { "x-amzn-requestid": ctx.requestId });
  };
}

/** POST /model/{modelId}/converse-stream */
export function converseStreamHandler(deps: ApiDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const model = deps.registry.languageModel(modelParam(ctx));
    if (!model.entry.streaming) throw new BasaltError("VALIDATION", `The model ${model.entry.id} does not support streaming.`);
    const body = await ctx.json();
    const request = parseConverseRequest(body, model.entry);
    const call = await beginModelCall(deps, ctx, { operation: "ConverseStream", entry: model.entry, maxTokens: request.maxTokens, stream: true, countInput: () => model.language.countTokens(request), inputBody: () => body });
    const mapper = new ConverseStreamMapper();
    await sendEventStream({
      ctx,
      source: call.observe(model.language.stream({ ...request, signal: ctx.signal })),
      prelude: mapper.start().map((e) => [e.type, e.payload]),
      map: (part) => {
        if (part.type === "finish") {
          ctx.logFields.inputTokens = part.usage.inputTokens;
          ctx.logFields.outputTokens = part.usage.outputTokens;
        }
        return mapper.map(part).map((e) => [e.type, e.payload]);
      },
      exceptions: CONVERSE_STREAM_EXCEPTIONS,
    });
  };
}

/** POST /model/{modelId}/count-tokens */
export function countTokensHandler(deps: ApiDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const identifier = modelParam(ctx);
    const model = deps.registry.languageModel(identifier);
    const body = await ctx.json();
    const [kind, input] = unionMember(body.input, "input");
    let request;
    if (kind === "converse") request = parseConverseForCounting(object(input, "input.converse"), model.entry);
    else if (kind === "invokeModel") {
      const invoke = object(input, "input.invokeModel");
      if (typeof invoke.body !== "string") throw new BasaltError("VALIDATION", "1 validation error detected: Value at 'input.invokeModel.body' failed to satisfy constraint: Member must not be null");
      request = invokeBodyToRequest(model.entry, Buffer.from(invoke.body, "base64"), identifier);
    } else throw new BasaltError("VALIDATION", "1 validation error detected: Value at 'input' failed to satisfy constraint: must be converse or invokeModel");
    const inputTokens = await model.language.countTokens(request);
    sendJson(ctx.res, 200, { inputTokens }, { "x-amzn-requestid": ctx.requestId });
  };
}
