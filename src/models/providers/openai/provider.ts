// The `openai` provider: any OpenAI-compatible server (vLLM, Ollama, llama.cpp server,
// LM Studio, TGI, OpenAI itself) over Chat Completions, Completions and Embeddings.
// Models pointing at one origin share one keep-alive pool (see upstream/http-client.ts).
import type { Logger } from "pino";
import type { ModelConfigOf } from "../../../config/schema.ts";
import { resolveSecret } from "../../../config/secrets.ts";
import { cancellationOf, type Cancellation, type EmbeddingModel, type EmbedRequest, type EmbedResult, type GenerateRequest, type GenerateResult, type LanguageModel, type StreamPart, type Warning } from "../../../spec/model.ts";
import type { Provider } from "../../provider.ts";
import { countRequestTokens, countTextTokens } from "../../text-tokens.ts";
import { transportError } from "../../upstream/errors.ts";
import { UpstreamHttp, upstreamEndpoint, type UpstreamEndpoint, type UpstreamPost } from "../../upstream/http-client.ts";
import type { SseMapper } from "../../upstream/sse-stream.ts";
import { toEmbeddingBody, toOpenAiRequest } from "./map-request.ts";
import { fromEmbeddingResponse, fromOpenAiResponse, UPSTREAM } from "./map-response.ts";
import { OpenAiStreamMapper } from "./map-stream.ts";

type OpenAiConfig = ModelConfigOf<"openai">;

/** What the language and embedding models of one entry share. */
class OpenAiClient {
  readonly endpoint: UpstreamEndpoint;
  private headers: Record<string, string> | undefined;

  constructor(
    readonly config: OpenAiConfig,
    private readonly http: UpstreamHttp,
    readonly logger: Logger,
  ) {
    this.endpoint = upstreamEndpoint(config.baseUrl);
    http.reserve(this.endpoint.origin, config.connections);
  }

  /** Built once: the secret is resolved on first use, so a missing one fails calls, not startup. */
  private requestHeaders(): Record<string, string> {
    if (!this.headers) {
      const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
      if (this.config.apiKey) headers.authorization = `Bearer ${resolveSecret(this.config.apiKey)}`;
      this.headers = headers;
    }
    return this.headers;
  }

  /** POSTs `body` to `path` and streams the SSE answer as parts (errors are already mapped). */
  postSse(path: string, body: unknown, mapper: SseMapper, warnings: Warning[], request: GenerateRequest): AsyncIterable<StreamPart> {
    return this.http.postSse({ ...this.call(path, body, cancellationOf(request)), idleTimeoutMs: this.config.timeoutMs }, mapper, warnings);
  }

  private call(path: string, body: unknown, signal: Cancellation | undefined, deadlineAt?: number): UpstreamPost {
    return {
      endpoint: this.endpoint,
      path,
      headers: this.requestHeaders(),
      body: JSON.stringify(body),
      signal,
      deadlineAt,
      timeoutMs: this.config.timeoutMs,
      upstream: UPSTREAM,
      logger: this.logger,
    };
  }

  /** POSTs `body` to `path` and returns the parsed 2xx JSON body (errors are already mapped). */
  postJson<T = unknown>(path: string, body: unknown, signal: Cancellation | undefined, deadlineAt?: number, map?: (json: unknown) => T): Promise<T> {
    if (signal?.aborted) return Promise.reject(transportError({ upstream: UPSTREAM, error: signal.reason, signal }));
    return this.http.postJson(this.call(path, body, signal, deadlineAt), map);
  }
}

class OpenAiLanguageModel implements LanguageModel {
  readonly enforcesDeadline = true;

  constructor(private readonly client: OpenAiClient) {}

  get modelId(): string {
    return this.client.config.id;
  }

  async countTokens(request: GenerateRequest): Promise<number> {
    // The OpenAI API has no tokenizer endpoint (vLLM's /tokenize is not portable).
    return countRequestTokens(request);
  }

  generate(request: GenerateRequest): Promise<GenerateResult> {
    // Not async, and mapped in the transport's completion: one promise per call, no extra turns.
    try {
      const { path, body, warnings } = toOpenAiRequest(request, { model: this.client.config.upstreamModel, stream: false });
      // The model's own deadline (enforcesDeadline): one timer in the transport.
      const deadlineAt = performance.now() + this.client.config.timeoutMs;
      return this.client.postJson(path, body, cancellationOf(request), deadlineAt, (json) => fromOpenAiResponse(json, request, warnings));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const { path, body, warnings } = toOpenAiRequest(request, { model: this.client.config.upstreamModel, stream: true });
    return this.client.postSse(path, body, new OpenAiStreamMapper(request), warnings, request);
  }
}

class OpenAiEmbeddingModel implements EmbeddingModel {
  constructor(private readonly client: OpenAiClient) {}

  get modelId(): string {
    return this.client.config.id;
  }

  async countTokens(text: string): Promise<number> {
    return countTextTokens(text);
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const { body, warnings } = toEmbeddingBody(request, this.client.config.upstreamModel);
    const json = await this.client.postJson("/embeddings", body, request.signal);
    return fromEmbeddingResponse(json, request.texts, request.normalize !== false, warnings);
  }
}

const http = new UpstreamHttp();

/** The OpenAI-compatible upstream provider. */
export const openAiProvider: Provider<"openai"> = {
  name: "openai",
  create(model, context) {
    const client = new OpenAiClient(model, http, context.logger.child({ provider: "openai", modelId: model.id }));
    const name = `${model.upstreamModel} (OpenAI-compatible)`;
    if (model.embedding) {
      return {
        defaults: { providerName: "OpenAI", name, embeddingDimensions: model.embeddingDimensions },
        embedding: new OpenAiEmbeddingModel(client),
      };
    }
    return {
      // Vision is on because the wire carries images; a text-only upstream model answers 400,
      // which reaches the client as a ValidationException. Set `vision: false` to refuse early.
      defaults: { providerName: "OpenAI", name, tools: true, vision: true, streaming: true, inputModalities: ["TEXT", "IMAGE"] },
      language: new OpenAiLanguageModel(client),
    };
  },
  close: () => http.close(),
};
