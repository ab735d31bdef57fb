// RetrieveAndGenerate (POST /retrieveAndGenerate) and RetrieveAndGenerateStream
// (POST /retrieveAndGenerateStream): retrieve passages from a knowledge base (or read the
// documents passed with the request), ask a text model of the catalog to answer from them, and
// return the answer with citations mapping its spans to the passages. Sessions carry earlier
// turns into the prompt and the retrieval query. As on AWS, the caller must also be allowed
// bedrock:Retrieve on the knowledge base and to invoke the model.
import { knowledgeBaseArn } from "../../iam/actions.ts";
import { CitationTracker, citeAnswer, type SpanCitation } from "../../kb/generation/citations.ts";
import { loadExternalPassages } from "../../kb/generation/external-sources.ts";
import { fitPassages, generationRequest, passageBudget, retrievalQuery } from "../../kb/generation/generation-request.ts";
import { parseRagRequest, type RagRequest } from "../../kb/generation/rag-request.ts";
import { resolveSource } from "../../kb/ingestion/sources/resolve-source.ts";
import type { RetrievedPassage } from "../../kb/retrieval/passage.ts";
import type { RegisteredModel } from "../../models/registry.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { GenerateRequest, LanguageModel, StreamPart } from "../../spec/model.ts";
import type { Obj } from "../../util/validate.ts";
import { EventStreamWriter } from "../protocol/event-stream.ts";
import { sendJson, writeChunk, type RequestContext } from "../protocol/http.ts";
import { beginModelCall } from "../usage/model-call-guard.ts";
import type { AgentRuntimeDeps } from "./deps.ts";
import { encodeStreamException } from "./errors.ts";
import { guardedRetrieve } from "./guarded-calls.ts";
import { toWireCitation } from "./wire.ts";
import { guardStream } from "../bedrock-runtime/guarded-generation.ts";
import { GuardrailSession } from "../bedrock-runtime/guardrail-session.ts";
import type { GuardrailContent } from "../../guardrails/engine/apply.ts";
import { MaskedOffsets } from "../../guardrails/engine/mask-offsets.ts";

/** The response header RetrieveAndGenerateStream names its session in. */
export const SESSION_HEADER = "x-amzn-bedrock-knowledge-base-session-id";

/** One turn, ready for the model. */
interface PreparedTurn {
  rag: RagRequest;
  model: RegisteredModel & { language: LanguageModel };
  sessionId: string;
  passages: RetrievedPassage[];
  request: GenerateRequest;
  /** The guardrail of `guardrailConfiguration`, already applied to the question. */
  guard?: GuardrailSession;
  /** Set when the guardrail blocked the question: the model is not called. */
  blocked?: boolean;
}

/** The retrieved passages and the question, for the answer's contextual-grounding check. */
function groundingContext(turn: PreparedTurn): GuardrailContent[] {
  return [...turn.passages.map((p) => ({ text: p.text, qualifiers: ["grounding_source" as const] })), { text: turn.rag.question, qualifiers: ["query" as const] }];
}

/** Validates, authorizes, opens the session and finds the passages of one turn. */
async function prepareTurn(deps: AgentRuntimeDeps, ctx: RequestContext, body: Obj, stream: boolean): Promise<PreparedTurn> {
  const rag = parseRagRequest(body);
  for (const warning of rag.warnings) ctx.log.warn({ requestId: ctx.requestId, warning }, "setting not honoured");
  const model = deps.registry.languageModel(rag.modelArn);
  if (stream && !model.entry.streaming) throw new BasaltError("VALIDATION", `The model ${model.entry.id} does not support streaming.`);
  ctx.authorize(stream ? "InvokeModelWithResponseStream" : "InvokeModel", rag.modelArn);
  ctx.logFields.modelId = model.entry.id;
  const accountId = ctx.principal.accountId;
  const source = rag.source;
  const operation = stream ? "RetrieveAndGenerateStream" : "RetrieveAndGenerate";
  const guardrail = rag.generation.guardrail;
  const guard = await GuardrailSession.open(deps, ctx, guardrail && { identifier: guardrail.id, version: guardrail.version, trace: "disabled", streamProcessingMode: "sync" }, operation);
  if (guard) {
    const checked = await guard.checkInput([{ text: rag.question }]);
    const sessionId = rag.sessionId ?? (await deps.sessions.create(accountId));
    if (checked.blocked) return { rag, model, sessionId, passages: [], request: { messages: [] }, guard, blocked: true };
    if (checked.action === "GUARDRAIL_INTERVENED") rag.question = checked.texts[0]!;
    rag.sessionId = sessionId;
  }
  if (source.type === "KNOWLEDGE_BASE") {
    ctx.logFields.knowledgeBaseId = source.knowledgeBaseId;
    ctx.authorize("Retrieve", knowledgeBaseArn(deps.config.region, accountId, source.knowledgeBaseId));
  }
  const history = rag.sessionId ? await deps.sessions.open(accountId, rag.sessionId) : [];
  const budget = passageBudget(model.entry.contextLength, rag.generation.maxTokens);
  let passages: RetrievedPassage[];
  if (source.type === "KNOWLEDGE_BASE") {
    const kb = await deps.openKnowledgeBases.resolve(accountId, source.knowledgeBaseId);
    const outcome = await guardedRetrieve(deps, ctx, kb, { query: retrievalQuery(rag.question, history), settings: source.retrieval }, operation);
    passages = fitPassages(outcome.passages, budget);
  } else {
    passages = await loadExternalPassages(
      source.sources,
      rag.question,
      { parser: deps.parser, openSource: (bucket) => resolveSource(deps.config, bucket, ctx.principal.accountId), maxDocumentBytes: deps.config.knowledgeBases.maxDocumentBytes, signal: ctx.signal },
      { maxChars: budget },
    );
  }
  ctx.logFields.passages = passages.length;
  const sessionId = rag.sessionId ?? (await deps.sessions.create(accountId));
  const request = generationRequest({ question: rag.question, passages, history, settings: rag.generation });
  return { rag, model, sessionId, passages, request, ...(guard ? { guard } : {}) };
}

/** Records the turn in its session; a failure is logged, since the answer was already given. */
async function saveTurn(deps: AgentRuntimeDeps, ctx: RequestContext, turn: PreparedTurn, answer: string): Promise<void> {
  try {
    await deps.sessions.append(ctx.principal.accountId, turn.sessionId, { question: turn.rag.question, answer, requestId: ctx.requestId });
  } catch (error) {
    ctx.log.warn({ requestId: ctx.requestId, err: error }, "could not save the session turn");
  }
}

/** POST /retrieveAndGenerate */
export function retrieveAndGenerateHandler(deps: AgentRuntimeDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const body = await ctx.json();
    const turn = await prepareTurn(deps, ctx, body, false);
    const { model, request, guard } = turn;
    if (guard && turn.blocked) {
      sendJson(ctx.res, 200, { sessionId: turn.sessionId, output: { text: guard.blockedInputMessage }, citations: [], guardrailAction: "INTERVENED" }, { "x-amzn-requestid": ctx.requestId });
      return;
    }
    const call = await beginModelCall(deps, ctx, { operation: "RetrieveAndGenerate", entry: model.entry, maxTokens: request.maxTokens, countInput() { return model.language.countTokens(request); }, inputBody: body });
    const result = await call.guard(model.language.generate({ ...request, signal: ctx.signal }));
    for (const warning of result.warnings) ctx.log.warn({ requestId: ctx.requestId, modelId: model.entry.id, warning }, "model warning");
    const raw = result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
    let { text, citations } = citeAnswer(raw, turn.passages);
    if (guard) {
      // The answer is checked against the retrieved passages (contextual grounding) and the question.
      const checked = await call.guard(guard.checkOutput(text, groundingContext(turn)));
      if (checked.blocked) {
        text = guard.blockedOutputMessage;
        citations = [];
      } else if (checked.action === "GUARDRAIL_INTERVENED") {
        // Masking moves the text the citations point at: their spans follow it (the answer is the last block).
        const offsets = new MaskedOffsets(checked.masks.at(-1) ?? []);
        text = checked.texts.at(-1)!;
        citations = citations.map((c) => ({ ...c, ...offsets.span(c) }));
      }
    }
    const response = {
      sessionId: turn.sessionId,
      output: { text },
      citations: citations.map((c) => toWireCitation(c, text, turn.passages)),
      ...(guard ? { guardrailAction: guard.intervened ? "INTERVENED" : "NONE" } : {}),
    };
    ctx.logFields.inputTokens = result.usage.inputTokens;
    ctx.logFields.outputTokens = result.usage.outputTokens;
    call.succeed(result.usage, response);
    await saveTurn(deps, ctx, turn, text);
    sendJson(ctx.res, 200, response, { "x-amzn-requestid": ctx.requestId });
  };
}

/**
 * POST /retrieveAndGenerateStream. The model's first part is awaited before any byte is sent,
 * so a failure to start is an ordinary HTTP error; after that, failures are in-stream
 * exceptions of RetrieveAndGenerateStream's union. Text goes out as `output` events as it
 * arrives (citation markers removed), each citation as a `citation` event once its span is final.
 */
export function retrieveAndGenerateStreamHandler(deps: AgentRuntimeDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const body = await ctx.json();
    const turn = await prepareTurn(deps, ctx, body, true);
    const { model, request, guard } = turn;
    if (guard && turn.blocked) {
      const writer = new EventStreamWriter(ctx.res, ctx.signal);
      writer.start(200, { "x-amzn-requestid": ctx.requestId, [SESSION_HEADER]: turn.sessionId });
      await writer.event("output", { text: guard.blockedInputMessage });
      await writer.event("guardrail", { action: "INTERVENED" });
      writer.end();
      return;
    }
    const call = await beginModelCall(deps, ctx, {
      operation: "RetrieveAndGenerateStream",
      entry: model.entry,
      maxTokens: request.maxTokens,
      stream: true,
      countInput() { return model.language.countTokens(request); },
      inputBody: body,
    });
    const parts = model.language.stream({ ...request, signal: ctx.signal });
    const guarded = guard ? guardStream(guard, parts, { inputTokens: () => model.language.countTokens(request), context: groundingContext(turn) }) : parts;
    const iterator = call.observe(guarded)[Symbol.asyncIterator]();
    let step = await iterator.next(); // throws before the head: an ordinary HTTP error
    const writer = new EventStreamWriter(ctx.res, ctx.signal);
    writer.start(200, { "x-amzn-requestid": ctx.requestId, [SESSION_HEADER]: turn.sessionId });
    const tracker = new CitationTracker(turn.passages);
    const send = async (out: { text: string; citations: SpanCitation[] }) => {
      if (out.text) await writer.event("output", { text: out.text });
      for (const citation of out.citations) {
        const wire = toWireCitation(citation, tracker.text, turn.passages);
        // `citation` is the deprecated form older SDKs read; newer ones read the members beside it.
        await writer.event("citation", { ...wire, citation: wire });
      }
    };
    try {
      while (!step.done) {
        if (ctx.signal.aborted) break;
        const part: StreamPart = step.value;
        if (part.type === "text-delta") await send(tracker.push(part.delta));
        else if (part.type === "finish") {
          ctx.logFields.inputTokens = part.usage.inputTokens;
          ctx.logFields.outputTokens = part.usage.outputTokens;
        } else if (part.type === "warning") ctx.log.warn({ requestId: ctx.requestId, modelId: model.entry.id, warning: part.warning }, "model warning");
        step = await iterator.next();
      }
      if (!ctx.signal.aborted) {
        await send(tracker.end());
        if (guard) await writer.event("guardrail", { action: guard.intervened ? "INTERVENED" : "NONE" });
        await saveTurn(deps, ctx, turn, tracker.text);
      }
    } catch (error) {
      const { frame, name } = encodeStreamException(error);
      ctx.logFields.streamError = name;
      if (!ctx.signal.aborted) await writeChunk(ctx.res, frame, ctx.signal);
    } finally {
      if (ctx.signal.aborted) void iterator.return?.();
      writer.end();
    }
  };
}
