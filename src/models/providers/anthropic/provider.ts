// The `anthropic` provider: Anthropic's Messages API (or a compatible server) with tools,
// images, PDFs, thinking and SSE streaming. Models pointing at one origin share one
// keep-alive pool (see upstream/http-client.ts).
import type { Logger } from "pino";
import type { ModelConfigOf } from "../../../config/schema.ts";
import { resolveSecret } from "../../../config/secrets.ts";
import { BasaltError } from "../../../spec/errors.ts";
import { cancellationOf, type Cancellation, type GenerateRequest, type GenerateResult, type LanguageModel, type StreamPart } from "../../../spec/model.ts";
import type { Provider } from "../../provider.ts";
import { countRequestTokens } from "../../text-tokens.ts";
import { transportError } from "../../upstream/errors.ts";
import { UpstreamHttp, upstreamEndpoint, type UpstreamEndpoint, type UpstreamPost } from "../../upstream/http-client.ts";
import { toAnthropicRequest } from "./map-request.ts";
import { fromAnthropicResponse, UPSTREAM } from "./map-response.ts";
import { AnthropicStreamMapper } from "./map-stream.ts";

type AnthropicConfig = ModelConfigOf<"anthropic">;

/** The API version Basalt speaks; Anthropic pins behaviour to it. */
const ANTHROPIC_VERSION = "2023-06-01";

/** Connections per Anthropic origin (the entry has no `connections` field). */
const POOL_CONNECTIONS = 64;

/** Fields /v1/messages/count_tokens accepts; others (max_tokens, sampling) are rejected there. */
const COUNT_FIELDS = ["model", "messages", "system", "tools", "tool_choice", "thinking"];

class AnthropicLanguageModel implements LanguageModel {
  readonly enforcesDeadline = true;
  private readonly endpoint: UpstreamEndpoint;
  private headers: Record<string, string> | undefined;

  constructor(
    private readonly config: AnthropicConfig,
    private readonly http: UpstreamHttp,
    private readonly logger: Logger,
  ) {
    this.endpoint = upstreamEndpoint(config.baseUrl);
    http.reserve(this.endpoint.origin, POOL_CONNECTIONS);
  }

  get modelId(): string {
    return this.config.id;
  }

  /** Built once: the secret is resolved on first use, so a missing one fails calls, not startup. */
  private requestHeaders(beta: string | undefined): Record<string, string> {
    if (!this.headers) {
      const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json", "anthropic-version": ANTHROPIC_VERSION };
      if (this.config.apiKey) headers["x-api-key"] = resolveSecret(this.config.apiKey);
      this.headers = headers;
    }
    return beta ? { ...this.headers, "anthropic-beta": beta } : this.headers;
  }

  private call(path: string, body: unknown, beta: string | undefined, signal: Cancellation | undefined, deadlineAt?: number): UpstreamPost {
    return {
      endpoint: this.endpoint,
      path,
      headers: this.requestHeaders(beta),
      body: JSON.stringify(body),
      signal,
      deadlineAt,
      timeoutMs: this.config.timeoutMs,
      upstream: UPSTREAM,
      logger: this.logger,
    };
  }


  /** POSTs `body` and returns the parsed 2xx JSON body (errors are already mapped). */
  private postJson(path: string, body: unknown, beta: string | undefined, signal: Cancellation | undefined, deadlineAt?: number): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(transportError({ upstream: UPSTREAM, error: signal.reason, signal }));
    return this.http.postJson(this.call(path, body, beta, signal, deadlineAt));
  }

  async countTokens(request: GenerateRequest): Promise<number> {
    const { body, beta } = toAnthropicRequest(request, { model: this.config.upstreamModel, stream: false });
    const counted: Record<string, unknown> = {};
    for (const key of COUNT_FIELDS) if (body[key] !== undefined) counted[key] = body[key];
    try {
      const json = (await this.postJson("/messages/count_tokens", counted, beta, cancellationOf(request))) as { input_tokens?: unknown };
      if (typeof json.input_tokens === "number") return json.input_tokens;
    } catch (error) {
      // Compatible servers without the endpoint answer 404: fall back to the shared tokenizer.
      if (!(error instanceof BasaltError && error.originalStatusCode === 404)) throw error;
    }
    return countRequestTokens(request);
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const { body, beta, warnings } = toAnthropicRequest(request, { model: this.config.upstreamModel, stream: false });
    // The model's own deadline (enforcesDeadline): one timer in the transport.
    const deadlineAt = performance.now() + this.config.timeoutMs;
    return fromAnthropicResponse(await this.postJson("/messages", body, beta, cancellationOf(request), deadlineAt), warnings);
  }

  stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const { body, beta, warnings } = toAnthropicRequest(request, { model: this.config.upstreamModel, stream: true });
    const call = { ...this.call("/messages", body, beta, cancellationOf(request)), idleTimeoutMs: this.config.timeoutMs };
    return this.http.postSse(call, new AnthropicStreamMapper(), warnings);
  }
}

const http = new UpstreamHttp();

/** The Anthropic Messages API provider. */
export const anthropicProvider: Provider<"anthropic"> = {
  name: "anthropic",
  create(model, context) {
    return {
      defaults: {
        providerName: "Anthropic",
        name: `${model.upstreamModel} (Anthropic)`,
        tools: true,
        vision: true,
        documents: true,
        streaming: true,
        inputModalities: ["TEXT", "IMAGE"],
        contextLength: 200_000,
      },
      language: new AnthropicLanguageModel(model, http, context.logger.child({ provider: "anthropic", modelId: model.id })),
    };
  },
  close: () => http.close(),
};
