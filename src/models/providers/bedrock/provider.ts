// The `bedrock` provider: a real Amazon Bedrock (or any Bedrock-compatible endpoint, another
// Basalt included) through the AWS SDK: Converse, ConverseStream, CountTokens, and InvokeModel
// with Titan bodies for embeddings. Models sharing region, endpoint and credentials share one
// SDK client, and so one HTTP/2 session.
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  type ConverseStreamOutput,
} from "@aws-sdk/client-bedrock-runtime";
import type { ModelConfigOf } from "../../../config/schema.ts";
import { resolveSecret } from "../../../config/secrets.ts";
import type { EmbeddingModel, EmbedRequest, EmbedResult, GenerateRequest, GenerateResult, LanguageModel, StreamPart, Warning } from "../../../spec/model.ts";
import type { Provider } from "../../provider.ts";
import { countRequestTokens, countTextTokens } from "../../text-tokens.ts";
import { bedrockError, bedrockStreamError } from "./map-error.ts";
import { titanEmbeddingBody, toConverseInput } from "./map-request.ts";
import { fromConverseResponse, fromTitanEmbedding } from "./map-response.ts";
import { BedrockStreamMapper } from "./map-stream.ts";

type BedrockConfig = ModelConfigOf<"bedrock">;

/** Titan embeds one text per call; this many calls run at once for a batch. */
const EMBED_CONCURRENCY = 4;

const clients = new Map<string, BedrockRuntimeClient>();

/** The shared SDK client for an entry's region, endpoint and credential references. */
function clientFor(config: BedrockConfig): BedrockRuntimeClient {
  const key = [config.region, config.endpoint ?? "", config.accessKeyId ?? "", config.secretAccessKey ?? ""].join("|");
  let client = clients.get(key);
  if (!client) {
    const { accessKeyId, secretAccessKey } = config;
    let resolved: { accessKeyId: string; secretAccessKey: string } | undefined;
    client = new BedrockRuntimeClient({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      // Secrets resolve on first use, never at startup (a missing one fails calls, not the
      // server); without references the SDK's default chain (environment, profile, role) applies.
      ...(accessKeyId && secretAccessKey
        ? { credentials: async () => (resolved ??= { accessKeyId: resolveSecret(accessKeyId), secretAccessKey: resolveSecret(secretAccessKey) }) }
        : {}),
      // One attempt: Basalt's clients see Bedrock's retryable errors and retry themselves;
      // retrying here as well would multiply their attempts and break their deadlines.
      maxAttempts: 1,
    });
    clients.set(key, client);
  }
  return client;
}

function validateConfig(config: BedrockConfig): void {
  if (Boolean(config.accessKeyId) !== Boolean(config.secretAccessKey)) {
    throw new Error(`models: ${config.id}: accessKeyId and secretAccessKey must be set together`);
  }
}

class BedrockLanguageModel implements LanguageModel {
  constructor(private readonly config: BedrockConfig) {}

  get modelId(): string {
    return this.config.id;
  }

  async countTokens(request: GenerateRequest): Promise<number> {
    const { input } = toConverseInput(request);
    try {
      const out = await clientFor(this.config).send(
        new CountTokensCommand({ modelId: this.config.upstreamModel, input: { converse: { messages: input.messages, system: input.system, toolConfig: input.toolConfig } } }),
        { abortSignal: request.signal },
      );
      if (typeof out.inputTokens === "number") return out.inputTokens;
    } catch (error) {
      const mapped = bedrockError(error, request.signal);
      // Bedrock counts tokens for some models only; for the rest, the shared tokenizer estimates.
      if (mapped.code !== "VALIDATION" && mapped.code !== "MODEL_ERROR") throw mapped;
    }
    return countRequestTokens(request);
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const { input, warnings } = toConverseInput(request);
    try {
      const out = await clientFor(this.config).send(new ConverseCommand({ modelId: this.config.upstreamModel, ...input }), { abortSignal: request.signal });
      return fromConverseResponse(out, warnings);
    } catch (error) {
      throw bedrockError(error, request.signal);
    }
  }

  async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const { input, warnings } = toConverseInput(request);
    const signal = request.signal;
    let events: AsyncIterator<ConverseStreamOutput>;
    try {
      const out = await clientFor(this.config).send(new ConverseStreamCommand({ modelId: this.config.upstreamModel, ...input }), { abortSignal: signal });
      if (!out.stream) throw new Error("ConverseStream returned no stream");
      events = out.stream[Symbol.asyncIterator]();
    } catch (error) {
      throw bedrockError(error, signal);
    }
    let ended = false;
    try {
      for (const warning of warnings) yield { type: "warning", warning };
      const mapper = new BedrockStreamMapper();
      const out: StreamPart[] = [];
      while (true) {
        let step: IteratorResult<ConverseStreamOutput>;
        try {
          step = await events.next();
        } catch (error) {
          throw bedrockStreamError(error, signal);
        }
        if (step.done) break;
        mapper.event(step.value, out);
        if (out.length) {
          for (let i = 0; i < out.length; i++) yield out[i]!;
          out.length = 0;
        }
      }
      ended = true;
      mapper.end(out);
      yield* out;
    } finally {
      // Abandoned early: close the HTTP/2 stream rather than leave it open on the session.
      if (!ended) void events.return?.().catch(() => undefined);
    }
  }
}

class BedrockEmbeddingModel implements EmbeddingModel {
  constructor(private readonly config: BedrockConfig) {}

  get modelId(): string {
    return this.config.id;
  }

  async countTokens(text: string): Promise<number> {
    return countTextTokens(text);
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const warnings: Warning[] = [];
    if (request.purpose !== undefined) {
      warnings.push({ type: "unsupported-setting", setting: "purpose", message: "Titan embeddings have no input type; the purpose was not sent." });
    }
    const embeddings: number[][] = new Array(request.texts.length);
    let inputTokens = 0;
    let next = 0;
    const worker = async () => {
      while (next < request.texts.length) {
        const index = next++;
        const body = titanEmbeddingBody(request.texts[index]!, request);
        let out;
        try {
          out = await clientFor(this.config).send(
            new InvokeModelCommand({ modelId: this.config.upstreamModel, contentType: "application/json", accept: "application/json", body }),
            { abortSignal: request.signal },
          );
        } catch (error) {
          throw bedrockError(error, request.signal);
        }
        const parsed = fromTitanEmbedding(out.body);
        embeddings[index] = parsed.embedding;
        inputTokens += parsed.inputTokens;
      }
    };
    await Promise.all(Array.from({ length: Math.min(EMBED_CONCURRENCY, request.texts.length) }, worker));
    return { embeddings, usage: { inputTokens }, warnings };
  }
}

/** The Amazon Bedrock upstream provider. */
export const bedrockProvider: Provider<"bedrock"> = {
  name: "bedrock",
  create(model) {
    validateConfig(model);
    const name = `${model.upstreamModel} (Amazon Bedrock)`;
    if (model.embedding) {
      return {
        defaults: { providerName: "Amazon Bedrock", name, embeddingDimensions: model.embeddingDimensions },
        embedding: new BedrockEmbeddingModel(model),
      };
    }
    return {
      defaults: { providerName: "Amazon Bedrock", name, tools: true, vision: true, documents: true, streaming: true, inputModalities: ["TEXT", "IMAGE"] },
      language: new BedrockLanguageModel(model),
    };
  },
  async close() {
    for (const client of clients.values()) client.destroy();
    clients.clear();
  },
};
