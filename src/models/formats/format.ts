// The contract every native InvokeModel body family implements (bedrock-wire.md §4), plus
// the stream wrapper they share: start chunks before the first part and Bedrock's
// invocation metrics on the last chunk. Pure mapping: no I/O.
import type { InvokeFormat, ModelEntry } from "../../spec/catalog.ts";
import type { EmbedRequest, EmbedResult, GenerateRequest, GenerateResult, StreamPart, Usage } from "../../spec/model.ts";

/** A JSON object of a native body or chunk. */
export type Json = Record<string, unknown>;

/** What a response needs besides the result. */
export interface ResponseInfo {
  /** The catalog id of the model that answered (Anthropic's `model`). */
  modelId: string;
  /** The request id, from which response ids are derived. */
  requestId: string;
}

/** Maps stream parts to one family's chunk JSON; `finish` must yield the final chunk(s). */
export interface ChunkMapper {
  /** Chunks sent before the first part's (Anthropic's message_start, Cohere's stream-start). */
  start?(): Json[];
  map(part: StreamPart): Json[];
}

/** A text-generation family. */
export interface TextFamily {
  readonly kind: "text";
  readonly name: InvokeFormat;
  /** Top-level body fields this family reads; any other field draws a warning. */
  readonly fields: readonly string[];
  parseRequest(body: Json, entry: ModelEntry): GenerateRequest;
  toResponse(result: GenerateResult, info: ResponseInfo): Json;
  chunkMapper(info: ResponseInfo): ChunkMapper;
}

/** An embedding request and how to answer it. */
export interface ParsedEmbed {
  request: EmbedRequest;
  /** Builds the family's response body, shaped by what the request asked for. */
  respond(result: EmbedResult, info: ResponseInfo): Json;
}

/** An embedding family. */
export interface EmbedFamily {
  readonly kind: "embed";
  readonly name: InvokeFormat;
  readonly fields: readonly string[];
  parse(body: Json, entry: ModelEntry): ParsedEmbed;
}

/** Any native body family. */
export type InvokeFamily = TextFamily | EmbedFamily;

/** Bedrock's per-invocation metrics, carried by the last stream chunk. */
export interface InvocationMetrics {
  inputTokenCount: number;
  outputTokenCount: number;
  invocationLatency: number;
  firstByteLatency: number;
}

/** The key Bedrock puts the metrics under. */
export const METRICS_KEY = "amazon-bedrock-invocationMetrics";

/** Options of {@link InvokeStreamMapper}. */
export interface StreamClock {
  /** When the invocation started, on `now`'s clock (milliseconds). */
  startedAt: number;
  now?: () => number;
}

/** Wraps a family's chunk mapper with start chunks and invocation metrics. */
export class InvokeStreamMapper {
  private started = false;
  private firstByteAt?: number;
  private readonly now: () => number;

  constructor(
    private readonly mapper: ChunkMapper,
    private readonly clock: StreamClock,
  ) {
    this.now = clock.now ?? (() => performance.now());
  }

  /** The chunks for one part; the finish part's last chunk carries the metrics. */
  map(part: StreamPart): Json[] {
    const chunks = this.started ? [] : (this.mapper.start?.() ?? []);
    this.started = true;
    chunks.push(...this.mapper.map(part));
    if (chunks.length && this.firstByteAt === undefined) this.firstByteAt = this.now();
    if (part.type === "finish" && chunks.length) {
      const last = chunks.length - 1;
      chunks[last] = { ...chunks[last], [METRICS_KEY]: this.metrics(part.usage) };
    }
    return chunks;
  }

  private metrics(usage: Usage): InvocationMetrics {
    const at = this.now();
    return {
      inputTokenCount: usage.inputTokens,
      outputTokenCount: usage.outputTokens,
      invocationLatency: Math.round(at - this.clock.startedAt),
      firstByteLatency: Math.round((this.firstByteAt ?? at) - this.clock.startedAt),
    };
  }
}

/** The text of a result's text parts, in order. */
export function resultText(result: GenerateResult): string {
  return result.content.map((p) => (p.type === "text" ? p.text : "")).join("");
}

/** A compact id derived from the request id (`msg_bdrk_…`, Cohere's generation ids). */
export function derivedId(requestId: string): string {
  return requestId.replace(/-/g, "");
}
