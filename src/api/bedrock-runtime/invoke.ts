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
import { blockedResult, guardResult, guardStream, requestGuardContent, resultAsStream } from "./guarded-generation.ts";
import { GuardrailSession, guardrailConfigFromHeaders } from "./guardrail-session.ts";
import type { GenerateRequest } from "../../spec/model.ts";

/** Opens the guardrail the headers name and checks the request's input (masked, or blocked). */
async function guardInvokeInput(deps: ApiDeps, ctx: RequestContext, request: GenerateRequest, operation: string) {
  const guard = await GuardrailSession.open(deps, ctx, guardrailConfigFromHeaders(ctx.req.headers), operation);
  if (!guard) return { request };
  const input = requestGuardContent(request);
  const checked = await guard.checkInput(input.content);
  if (checked.blocked) return { request, guard, blocked: true as const };
  return { request: checked.action === "GUARDRAIL_INTERVENED" ? input.withTexts(checked.texts) : request, guard };
}

/** The fields Bedrock adds to a native response body when a guardrail ran. */
function guardrailFields(guard: GuardrailSession | undefined, modelOutput?: string[]): Record<string, unknown> {
  if (!guard) return {};
  const trace = guard.trace(modelOutput);
  return { "amazon-bedrock-guardrailAction": guard.intervened ? "INTERVENED" : "NONE", ...(trace ? { "amazon-bedrock-trace": trace } : {}) };
}

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
      if (guardrailConfigFromHeaders(ctx.req.headers)) throw new BasaltError("VALIDATION", "Guardrails apply to text generation; this is an embedding request.");
      const model = deps.registry.embeddingModel(identifier);
      const parsed = family.parse(body, model.entry);
      const countInput = embeddingInputCounter(model.embedding, parsed.request.texts);
      const call = await beginModelCall(deps, ctx, { operation: "InvokeModel", entry: model.entry, embedding: true, countInput, inputBody: body });
      const result = await call.guard(model.embedding.embed({ ...parsed.request, signal: ctx.signal }));
      logWarnings(ctx, model.entry.id, result.warnings);
      const headers = tokenHeaders(ctx, { inputTokens: result.usage.inputTokens }, Math.round(performance.now() - started));
      const response = parsed.respond(result, info);
      sendJson(ctx.res, 200, response, headers);
      call.succeed(result.usage, response);
      return;
    }
    const model = deps.registry.languageModel(identifier);
    const { request, guard, blocked } = await guardInvokeInput(deps, ctx, family.parseRequest(body, model.entry), "InvokeModel");
    if (blocked) {
      const headers = tokenHeaders(ctx, { inputTokens: 0, outputTokens: 0 }, Math.round(performance.now() - started));
      sendJson(ctx.res, 200, { ...family.toResponse(blockedResult(guard.blockedInputMessage), info), ...guardrailFields(guard) }, headers);
      return;
    }
    const call = await beginModelCall(deps, ctx, { operation: "InvokeModel", entry: model.entry, maxTokens: request.maxTokens, countInput() { return model.language.countTokens(request); }, inputBody: body });
    let result = await call.guard(model.language.generate({ ...request, cancellation: ctx.cancellation }));
    let modelOutput: string[] | undefined;
    if (guard) ({ result, modelOutput } = await call.guard(guardResult(guard, result)));
    logWarnings(ctx, model.entry.id, result.warnings);
    const headers = tokenHeaders(ctx, result.usage, Math.round(performance.now() - started));
    const response = family.toResponse(result, info);
    sendJson(ctx.res, 200, { ...response, ...guardrailFields(guard, modelOutput) }, headers);
    call.succeed(result.usage, response);
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
    const { request, guard, blocked } = await guardInvokeInput(deps, ctx, family.parseRequest(body, model.entry), "InvokeModelWithResponseStream");
    const mapper = new InvokeStreamMapper(family.chunkMapper(info), { startedAt: started });
    let source;
    if (blocked) source = resultAsStream(blockedResult(guard.blockedInputMessage));
    else {
      const call = await beginModelCall(deps, ctx, { operation: "InvokeModelWithResponseStream", entry: model.entry, maxTokens: request.maxTokens, stream: true, countInput() { return model.language.countTokens(request); }, inputBody: body });
      const parts = model.language.stream({ ...request, cancellation: ctx.cancellation });
      source = call.observe(guard ? guardStream(guard, parts, { inputTokens: () => model.language.countTokens(request) }) : parts);
    }
    await sendEventStream({
      ctx,
      source,
      headers: { "x-amzn-bedrock-content-type": "application/json" },
      map: (part) => {
        if (part.type === "warning") logWarnings(ctx, model.entry.id, [part.warning]);
        if (part.type === "finish") {
          ctx.logFields.inputTokens = part.usage.inputTokens;
          ctx.logFields.outputTokens = part.usage.outputTokens;
        }
        const chunks = mapper.map(part);
        // The last chunk carries the guardrail's action (and trace), as Bedrock's does.
        if (part.type === "finish" && guard && chunks.length > 0) chunks[chunks.length - 1] = { ...chunks.at(-1), ...guardrailFields(guard) };
        return chunks.map((chunk) => ["chunk", { bytes: Buffer.from(JSON.stringify(chunk)).toString("base64") }]);
      },
      exceptions: INVOKE_STREAM_EXCEPTIONS,
    });
  };
}
