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
import { converseGuardInput, type ConverseGuardInput } from "./converse-guard-content.ts";
import { blockedResult, guardResult, guardStream, resultAsStream } from "./guarded-generation.ts";
import { GuardrailSession, parseGuardrailConfig } from "./guardrail-session.ts";
import type { ModelEntry } from "../../spec/catalog.ts";
import type { GenerateRequest } from "../../spec/model.ts";
import type { Obj } from "../../util/validate.ts";

/**
 * Opens the request's guardrail and checks its input. Returns the request to send (masked where
 * the guardrail anonymized), or `blocked` when the model must not be called.
 */
async function guardConverseInput(deps: ApiDeps, ctx: RequestContext, body: Obj, entry: ModelEntry, request: GenerateRequest, operation: string) {
  const guard = await GuardrailSession.open(deps, ctx, parseGuardrailConfig(body.guardrailConfig), operation);
  if (!guard) return { request };
  const input: ConverseGuardInput = converseGuardInput(body);
  const checked = await guard.checkInput(input.content);
  if (checked.blocked) return { request, guard, input, blocked: true as const };
  const masked = checked.action === "GUARDRAIL_INTERVENED" ? parseConverseRequest(input.withTexts(checked.texts), entry) : request;
  return { request: masked, guard, input };
}

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
    const { request, guard, input, blocked } = await guardConverseInput(deps, ctx, body, model.entry, parseConverseRequest(body, model.entry), "Converse");
    if (blocked) {
      const trace = guard.trace();
      sendJson(ctx.res, 200, { ...converseResponse(blockedResult(guard.blockedInputMessage), Math.round(performance.now() - started)), ...(trace ? { trace } : {}) }, { "x-amzn-requestid": ctx.requestId });
      return;
    }
    const call = await beginModelCall(deps, ctx, { operation: "Converse", entry: model.entry, maxTokens: request.maxTokens, countInput() { return model.language.countTokens(request); }, inputBody: body });
    let result = await call.guard(model.language.generate({ ...request, cancellation: ctx.cancellation }));
    for (const warning of result.warnings) ctx.log.warn({ requestId: ctx.requestId, modelId: model.entry.id, warning }, "model warning");
    ctx.logFields.inputTokens = result.usage.inputTokens;
    ctx.logFields.outputTokens = result.usage.outputTokens;
    let trace: Record<string, unknown> | undefined;
    if (guard) {
      const guarded = await guardResult(guard, result, input?.groundingContext).catch((error: unknown) => {
        call.fail(error);
        throw error;
      });
      result = guarded.result;
      trace = guard.trace(guarded.modelOutput);
    }
    const response = converseResponse(result, Math.round(performance.now() - started));
    sendJson(ctx.res, 200, trace ? { ...response, trace } : response, { "x-amzn-requestid": ctx.requestId });
    // Settled once the answer is on its way (see model-call-guard.ts). The invocation log keeps
    // what the caller received, without the trace's matched values.
    call.succeed(result.usage, response);
  };
}

/** POST /model/{modelId}/converse-stream */
export function converseStreamHandler(deps: ApiDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const model = deps.registry.languageModel(modelParam(ctx));
    if (!model.entry.streaming) throw new BasaltError("VALIDATION", `The model ${model.entry.id} does not support streaming.`);
    const body = await ctx.json();
    const { request, guard, input, blocked } = await guardConverseInput(deps, ctx, body, model.entry, parseConverseRequest(body, model.entry), "ConverseStream");
    const mapper = new ConverseStreamMapper();
    let source;
    if (blocked) source = resultAsStream(blockedResult(guard.blockedInputMessage));
    else {
      const call = await beginModelCall(deps, ctx, { operation: "ConverseStream", entry: model.entry, maxTokens: request.maxTokens, stream: true, countInput() { return model.language.countTokens(request); }, inputBody: body });
      const parts = model.language.stream({ ...request, cancellation: ctx.cancellation });
      // The usage guard observes the guarded parts: invocation logs keep what the caller received.
      source = call.observe(guard ? guardStream(guard, parts, { inputTokens: () => model.language.countTokens(request), context: input?.groundingContext }) : parts);
    }
    await sendEventStream({
      ctx,
      source,
      prelude: mapper.start().map((e) => [e.type, e.payload]),
      map: (part) => {
        if (part.type === "finish") {
          ctx.logFields.inputTokens = part.usage.inputTokens;
          ctx.logFields.outputTokens = part.usage.outputTokens;
        }
        const events = mapper.map(part);
        const trace = part.type === "finish" ? guard?.trace() : undefined;
        return events.map((e) => [e.type, trace && e.type === "metadata" ? { ...e.payload, trace } : e.payload]);
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
