// Basalt's internal model interface. Every wire format (Bedrock Converse, Bedrock native
// InvokeModel bodies, OpenAI) is translated to and from these types at the edges; every
// provider implements them. Nothing here knows about HTTP.

/** JSON Schema object describing a tool's input. */
export type JsonSchema = Record<string, unknown>;

/** Image formats accepted in messages. */
export type ImageFormat = "png" | "jpeg" | "gif" | "webp";

/** Content of a tool result as sent back to the model. */
export type ToolResultContent =
  | { type: "text"; text: string }
  | { type: "json"; value: unknown }
  | { type: "image"; format: ImageFormat; bytes: Uint8Array };

/** One content part of a message in the conversation. */
export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image"; format: ImageFormat; bytes: Uint8Array }
  | { type: "document"; name: string; format: string; bytes?: Uint8Array; text?: string }
  | { type: "tool-call"; toolCallId: string; toolName: string; input: unknown }
  | { type: "tool-result"; toolCallId: string; content: ToolResultContent[]; isError: boolean }
  | { type: "reasoning"; text: string; signature?: string };

/** A conversation turn. System text travels separately in {@link GenerateRequest.system}. */
export interface Message {
  role: "user" | "assistant";
  content: ContentPart[];
}

/** A tool the model may call. */
export interface ToolSpec {
  name: string;
  description?: string;
  inputSchema: JsonSchema;
}

/** How the model must use the tools: Bedrock's auto / any / tool, plus OpenAI's none. */
export type ToolChoice =
  | { type: "auto" }
  | { type: "any" }
  | { type: "none" }
  | { type: "tool"; name: string };

/** A request for text generation, already translated from the wire format. */
export interface GenerateRequest {
  system?: string;
  messages: Message[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  /** Backend-specific fields passed through (Converse's additionalModelRequestFields). */
  providerOptions?: Record<string, unknown>;
  /** Prompt text already in the model's template (Llama/Mistral native bodies); bypasses chat templating. */
  rawPrompt?: string;
  signal?: AbortSignal;
  /**
   * The cheap form of `signal` that a server request hands down instead (see {@link Cancellation}):
   * the registry's deadline wrapper turns it into an AbortSignal for models that need one, and
   * the upstream HTTP providers listen to it directly.
   */
  cancellation?: Cancellation;
}

/**
 * What a model call needs of an AbortSignal to hear of an abort, which an AbortSignal also is.
 * Node 20 takes several microseconds to make an AbortSignal and attach a listener to it; a
 * server request's own implementation is a flag and an array, and a real signal is made only
 * for the code that needs one.
 */
export interface Cancellation {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/**
 * Calls `cancel` with the abort reason when `signal` aborts, at once if it has; returns the
 * listener, for removeEventListener once the call is over.
 */
export function listenForAbort(signal: Cancellation | undefined, cancel: (reason: unknown) => void): (() => void) | undefined {
  if (!signal) return undefined;
  if (signal.aborted) {
    cancel(signal.reason);
    return undefined;
  }
  const listener = abortListener(signal, cancel);
  signal.addEventListener("abort", listener, { once: true });
  return listener;
}

/**
 * The listener, made here because a returned function is not renamed: under tsx (esbuild's
 * keepNames) a closure assigned to a const costs a defineProperty per call, on every model call.
 */
function abortListener(signal: Cancellation, cancel: (reason: unknown) => void): () => void {
  return () => cancel(signal.reason);
}

/** The request's signal, or its cheap form. */
export function cancellationOf(request: { signal?: AbortSignal; cancellation?: Cancellation }): Cancellation | undefined {
  return request.signal ?? request.cancellation;
}

/** Why generation stopped, in Bedrock Converse's vocabulary. */
export type FinishReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "content_filtered"
  | "guardrail_intervened"
  | "malformed_model_output"
  | "malformed_tool_use"
  | "model_context_window_exceeded";

/** Token counts of one call. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** A parameter the backend could not honour; reported, never silently dropped. */
export interface Warning {
  type: "unsupported-setting" | "other";
  setting?: string;
  message: string;
}

/** One part of a model's output. */
export type OutputPart =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string; signature?: string }
  | { type: "tool-call"; toolCallId: string; toolName: string; input: unknown };

/** Result of a non-streaming generation. */
export interface GenerateResult {
  content: OutputPart[];
  finishReason: FinishReason;
  stopSequence?: string;
  usage: Usage;
  warnings: Warning[];
}

/**
 * A typed stream part. Each content block has start / delta / end parts keyed by `id`
 * (for tool calls the id is the tool call id); the stream ends with exactly one `finish`.
 */
export type StreamPart =
  | { type: "text-start"; id: string }
  | { type: "text-delta"; id: string; delta: string }
  | { type: "text-end"; id: string }
  | { type: "reasoning-start"; id: string }
  | { type: "reasoning-delta"; id: string; delta: string }
  | { type: "reasoning-end"; id: string }
  | { type: "tool-call-start"; id: string; toolName: string }
  | { type: "tool-input-delta"; id: string; delta: string }
  | { type: "tool-call-end"; id: string; input: unknown }
  | { type: "warning"; warning: Warning }
  | { type: "finish"; finishReason: FinishReason; stopSequence?: string; usage: Usage };

/** A text-generation model, whatever serves it. */
export interface LanguageModel {
  readonly modelId: string;
  /**
   * The model bounds its own calls by its configured `timeoutMs`, with ModelTimeoutException:
   * generate() as a whole, stream() between parts (the upstream HTTP providers time their one
   * request). The registry then uses it as it is: no wrapper, timer, signal or race of its own.
   */
  readonly enforcesDeadline?: boolean;
  /** Generates a whole answer. */
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /** Streams an answer as typed parts; errors after the first part are thrown from the iterator. */
  stream(request: GenerateRequest): AsyncIterable<StreamPart>;
  /** Counts the input tokens this request would use, as the model sees them. */
  countTokens(request: GenerateRequest): Promise<number>;
}

/** Whether texts are embedded as search queries or as documents to search. */
export type EmbeddingPurpose = "query" | "document" | "classification" | "clustering";

/** A request for embeddings. */
export interface EmbedRequest {
  texts: string[];
  purpose?: EmbeddingPurpose;
  /** Requested output dimensions, where the model supports several. */
  dimensions?: number;
  /** Scale each vector to unit length (the default). */
  normalize?: boolean;
  signal?: AbortSignal;
}

/** Result of an embedding call. */
export interface EmbedResult {
  embeddings: number[][];
  usage: { inputTokens: number };
  warnings: Warning[];
}

/** A text-embedding model, whatever serves it. */
export interface EmbeddingModel {
  readonly modelId: string;
  embed(request: EmbedRequest): Promise<EmbedResult>;
  countTokens(text: string): Promise<number>;
}
