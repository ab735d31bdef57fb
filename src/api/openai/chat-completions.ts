// POST /v1/chat/completions, streaming and not.
import { streamFromResult } from "../../models/stream-utils.ts";
import type { GenerateRequest, LanguageModel, StreamPart } from "../../spec/model.ts";
import type { ApiDeps } from "../deps.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";
import { beginModelCall } from "../usage/model-call-guard.ts";
import { parseChatRequest } from "./chat-request.ts";
import { chatCompletion, type CompletionMeta } from "./chat-response.ts";
import { ChatStreamMapper } from "./chat-stream.ts";
import { requireLanguageModel } from "./models.ts";
import { sendSse } from "./sse.ts";
import { reportWarnings } from "./warnings.ts";
import { blockedResult, guardResult, guardStream, requestGuardContent } from "../bedrock-runtime/guarded-generation.ts";
import { GuardrailSession, guardrailConfigFromHeaders, parseGuardrailConfig } from "../bedrock-runtime/guardrail-session.ts";

/** A model the catalog marks as non-streaming still streams here: its whole answer as one burst. */
async function* generatedStream(model: LanguageModel, request: GenerateRequest): AsyncIterable<StreamPart> {
  yield* streamFromResult(await model.generate(request));
}

/** POST /v1/chat/completions */
export function chatCompletionsHandler(deps: ApiDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const body = await ctx.json();
    const model = requireLanguageModel(deps, body.model);
    ctx.authorize("openai.ChatCompletions", model.entry.id, body.stream === true);
    const { entry, language } = model;
    ctx.logFields.modelId = entry.id;
    // A guardrail is named by Bedrock's guardrail headers, or by Bedrock's guardrailConfig in the body.
    const guardrailBody = body.guardrailConfig;
    // Deleted only when present: a delete turns the body into a slow dictionary-mode object.
    if (guardrailBody !== undefined) delete body.guardrailConfig;
    const parsed = parseChatRequest(body, entry);
    let request = parsed.request;
    request.cancellation = ctx.cancellation;
    const headers: Record<string, string> = { "x-request-id": ctx.requestId };
    reportWarnings(ctx, parsed.warnings, headers);
    const meta: CompletionMeta = { id: `chatcmpl-${ctx.requestId}`, created: Math.floor(Date.now() / 1000), model: entry.id };
    // Awaited only when named: most calls carry no guardrail, and every await costs a turn.
    const guardrailConfig = parseGuardrailConfig(guardrailBody) ?? guardrailConfigFromHeaders(ctx.req.headers);
    const guard = guardrailConfig && (await GuardrailSession.open(deps, ctx, guardrailConfig, "/v1/chat/completions"));
    if (guard) {
      const input = requestGuardContent(request);
      const checked = await guard.checkInput(input.content);
      if (checked.blocked) {
        const result = blockedResult(guard.blockedInputMessage);
        if (!parsed.stream) return sendJson(ctx.res, 200, chatCompletion(result, meta), headers);
        const mapper = new ChatStreamMapper(meta, parsed.includeUsage);
        await sendSse({ ctx, source: streamFromResult(result), headers, start: mapper.start(), map: (part) => mapper.map(part), end: () => mapper.end() });
        return;
      }
      if (checked.action === "GUARDRAIL_INTERVENED") request = input.withTexts(checked.texts);
    }
    // What the model is sent: the request, masked where the guardrail anonymized its input.
    const sent = request;
    const beginning = beginModelCall(deps, ctx, {
      operation: "/v1/chat/completions",
      entry,
      maxTokens: request.maxTokens,
      stream: parsed.stream,
      countInput() {
        return language.countTokens(sent);
      },
      inputBody: body,
    });
    const call = beginning instanceof Promise ? await beginning : beginning;

    if (!parsed.stream) {
      let result = await call.guard(language.generate(sent));
      if (guard) ({ result } = await call.guard(guardResult(guard, result)));
      reportWarnings(ctx, result.warnings);
      ctx.logFields.inputTokens = result.usage.inputTokens;
      ctx.logFields.outputTokens = result.usage.outputTokens;
      const response = chatCompletion(result, meta);
      sendJson(ctx.res, 200, response, headers);
      call.succeed(result.usage, response);
      return;
    }

    const mapper = new ChatStreamMapper(meta, parsed.includeUsage);
    const parts = entry.streaming ? language.stream(sent) : generatedStream(language, sent);
    await sendSse({
      ctx,
      source: call.observe(guard ? guardStream(guard, parts, { inputTokens: () => language.countTokens(sent) }) : parts),
      headers,
      start: mapper.start(),
      map: (part) => {
        if (part.type === "warning") reportWarnings(ctx, [part.warning]);
        else if (part.type === "finish") {
          ctx.logFields.inputTokens = part.usage.inputTokens;
          ctx.logFields.outputTokens = part.usage.outputTokens;
        }
        return mapper.map(part);
      },
      end: () => mapper.end(),
    });
  };
}
