// One generation on one sequence: through the chat template with LlamaChat, or as plain
// completion with LlamaCompletion (rawPrompt, or a GGUF without a template). Output arrives as
// typed parts while tokens are produced; the finish part carries the real token counts.
import { LlamaChat, LlamaCompletion, type LlamaChatResponse, type Token } from "node-llama-cpp";
import { BasaltError } from "../../../spec/errors.ts";
import type { FinishReason, GenerateRequest } from "../../../spec/model.ts";
import type { LoadedModel } from "./loaded-model.ts";
import type { PartWriter } from "./part-writer.ts";
import type { Prompt } from "./prompt.ts";
import type { Sampling } from "./sampling.ts";
import { grammarFor, newToolCallId, parseForcedCall, type ToolMode } from "./tools.ts";

/** Options of {@link runGeneration}. */
export interface GenerationOptions {
  loaded: LoadedModel;
  slot: number;
  request: GenerateRequest;
  prompt: Prompt;
  tools: ToolMode;
  sampling: Sampling;
  signal: AbortSignal;
  writer: PartWriter;
}

type StopMetadata = LlamaChatResponse["metadata"];

/** What the generation loop hands back for the finish part. */
interface Outcome {
  metadata: StopMetadata;
  functionCalls?: { functionName: string; params: unknown }[];
}

/** Routes output text to the writer: plain text, or the input of a forced tool call. */
class OutputRouter {
  readonly forcedText: string[] = [];
  private forcedId?: string;
  /** Tool calls opened from node-llama-cpp's params chunks, by call index. */
  readonly calls = new Map<number, { id: string; params: string; ended: boolean }>();

  constructor(
    private readonly writer: PartWriter,
    private readonly tools: ToolMode,
  ) {}

  text(delta: string): void {
    if (this.tools.kind !== "forced") return this.writer.text(delta);
    this.forcedText.push(delta);
    // One candidate tool: the grammar's output is the input object itself, streamed as is.
    if (this.tools.tools.length !== 1 || !delta) return;
    if (!this.forcedId) this.writer.toolStart((this.forcedId = newToolCallId()), this.tools.tools[0]!.name);
    this.writer.toolDelta(this.forcedId, delta);
  }

  functionChunk(chunk: { callIndex: number; functionName: string; paramsChunk: string; done: boolean }): void {
    let call = this.calls.get(chunk.callIndex);
    if (!call) {
      call = { id: newToolCallId(), params: "", ended: false };
      this.calls.set(chunk.callIndex, call);
      this.writer.toolStart(call.id, chunk.functionName);
    }
    call.params += chunk.paramsChunk;
    this.writer.toolDelta(call.id, chunk.paramsChunk);
    if (chunk.done) {
      try {
        this.writer.toolEnd(call.id, JSON.parse(call.params));
        call.ended = true;
      } catch {
        // Closed with the parsed params once the response is complete.
      }
    }
  }

  /** Ends the forced call; returns whether it was valid. */
  endForced(): boolean {
    if (this.tools.kind !== "forced") return false;
    const call = parseForcedCall(this.tools, this.forcedText.join(""));
    if (this.forcedId) {
      this.writer.toolEnd(this.forcedId, call?.input ?? {});
      return call !== undefined;
    }
    if (!call) return false;
    const id = newToolCallId();
    this.writer.toolStart(id, call.name);
    this.writer.toolDelta(id, JSON.stringify(call.input ?? {}));
    this.writer.toolEnd(id, call.input);
    return true;
  }

  endFunctionCalls(calls: { functionName: string; params: unknown }[]): void {
    calls.forEach((fc, index) => {
      let call = this.calls.get(index);
      if (call?.ended) return;
      if (!call) {
        call = { id: newToolCallId(), params: JSON.stringify(fc.params ?? {}), ended: false };
        this.writer.toolStart(call.id, fc.functionName);
        this.writer.toolDelta(call.id, call.params);
      }
      call.ended = true;
      this.writer.toolEnd(call.id, fc.params ?? {});
    });
  }
}

function stopSequenceOf(metadata: StopMetadata, request: GenerateRequest): string | undefined {
  if (metadata.stopReason !== "customStopTrigger") return undefined;
  const text = metadata.customStopTrigger.filter((t): t is string => typeof t === "string").join("");
  return request.stopSequences?.find((s) => s === text) ?? text;
}

/** Runs the generation, writing parts as they come; throws the signal's reason on abort. */
export async function runGeneration(options: GenerationOptions): Promise<void> {
  const { loaded, slot, request, prompt, tools, sampling, signal, writer } = options;
  const sequence = loaded.sequences[slot]!;
  const room = loaded.contextSize - prompt.inputTokens;
  if (room < 1) {
    throw new BasaltError(
      "VALIDATION",
      `Input is too long for requested model: ${prompt.inputTokens} tokens, and the context of ${request.rawPrompt === undefined ? "this model" : "this prompt"} holds ${loaded.contextSize}.`,
    );
  }
  const maxTokens = Math.min(request.maxTokens ?? room, room);
  const grammar = tools.kind === "forced" ? await grammarFor(loaded.llama, tools.schema) : undefined;
  const router = new OutputRouter(writer, tools);
  const stopTriggers = (request.stopSequences ?? []).filter((s) => s.length > 0);
  const common = {
    signal,
    maxTokens,
    ...sampling,
    customStopTriggers: stopTriggers.length ? stopTriggers : undefined,
  };
  const meterBefore = sequence.tokenMeter.getState();
  let outcome: Outcome;
  if (prompt.kind === "completion") {
    const completion = new LlamaCompletion({ contextSequence: sequence });
    try {
      const result = await completion.generateCompletionWithMeta(prompt.tokens as Token[], {
        ...common,
        grammar,
        disableContextShift: true,
        onTextChunk: (text) => router.text(text),
      });
      outcome = { metadata: result.metadata };
    } finally {
      completion.dispose({ disposeSequence: false });
    }
  } else {
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: loaded.chatWrapper! });
    try {
      const onResponseChunk = (chunk: { type: "segment" | undefined; text: string }) =>
        chunk.type === "segment" ? writer.reasoning(chunk.text) : router.text(chunk.text);
      const result =
        tools.kind === "functions"
          ? await chat.generateResponse(prompt.history, {
              ...common,
              functions: tools.functions,
              documentFunctionParams: true,
              onResponseChunk,
              onFunctionCallParamsChunk: (chunk) => router.functionChunk(chunk),
            })
          : await chat.generateResponse(prompt.history, { ...common, grammar, onResponseChunk });
      outcome = { metadata: result.metadata, functionCalls: result.functionCalls };
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  }
  const used = sequence.tokenMeter.diff(meterBefore);
  const usage = { inputTokens: prompt.inputTokens, outputTokens: used.usedOutputTokens };
  let finishReason = finishReasonOf(outcome.metadata, { maxTokens, requested: request.maxTokens });
  if (grammar) {
    const valid = router.endForced();
    if (valid) finishReason = "tool_use";
    else if (finishReason === "end_turn") finishReason = "malformed_tool_use";
  } else if (outcome.functionCalls?.length) {
    router.endFunctionCalls(outcome.functionCalls);
    finishReason = "tool_use";
  }
  writer.finish(finishReason, usage, finishReason === "stop_sequence" ? stopSequenceOf(outcome.metadata, request) : undefined);
}

function finishReasonOf(metadata: StopMetadata, limits: { maxTokens: number; requested?: number }): FinishReason {
  switch (metadata.stopReason) {
    case "customStopTrigger":
      return "stop_sequence";
    case "maxTokens":
      // Stopped by the context filling up rather than by the caller's own limit.
      return limits.requested === undefined || limits.requested > limits.maxTokens ? "model_context_window_exceeded" : "max_tokens";
    case "functionCalls":
      return "tool_use";
    default:
      return "end_turn";
  }
}
