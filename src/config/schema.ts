// The one configuration file, validated with zod. Secrets appear only as references
// (`env::NAME` or `file::/path`) and are resolved by config/secrets.ts when used.
import { z } from "zod";
import { INVOKE_FORMATS } from "../spec/catalog.ts";

const secretRef = z
  .string()
  .regex(/^(env::[A-Za-z_][A-Za-z0-9_]*|file::.+)$/, "must be a secret reference: env::NAME or file::/path");

const modality = z.enum(["TEXT", "IMAGE", "EMBEDDING", "VIDEO", "SPEECH"]);

/** Catalog fields any model entry may override. */
const catalogFields = {
  id: z.string().min(1).max(256),
  aliases: z.array(z.string().min(1)).default([]),
  name: z.string().optional(),
  providerName: z.string().optional(),
  inputModalities: z.array(modality).optional(),
  outputModalities: z.array(modality).optional(),
  streaming: z.boolean().optional(),
  tools: z.boolean().optional(),
  vision: z.boolean().optional(),
  documents: z.boolean().optional(),
  contextLength: z.number().int().positive().optional(),
  embeddingDimensions: z.number().int().positive().optional(),
  /** The native InvokeModel body family this model accepts; by default chosen from the id, then the body. */
  invokeFormat: z.enum(INVOKE_FORMATS).optional(),
  lifecycle: z.enum(["ACTIVE", "LEGACY"]).default("ACTIVE"),
  /** Upper bound on one call, in milliseconds; past it the call fails with ModelTimeoutException. */
  timeoutMs: z.number().int().positive().default(120_000),
};

const mockResponse = z.object({
  text: z.string().optional(),
  toolCalls: z.array(z.object({ name: z.string(), input: z.unknown() })).optional(),
  error: z.enum(["MODEL_TIMEOUT", "MODEL_ERROR", "MODEL_NOT_READY", "THROTTLED", "SERVICE_UNAVAILABLE", "INTERNAL"]).optional(),
  /** Fail after streaming this many chunks (an in-stream error). */
  errorAfterChunks: z.number().int().nonnegative().optional(),
});

/** The deterministic mock provider: echo, scripted replies, tool calls, errors and latency. */
const mockModel = z.object({
  ...catalogFields,
  provider: z.literal("mock"),
  /** echo: repeat the last user text; script: play `responses` in turn (cycling). */
  mode: z.enum(["echo", "script"]).default("echo"),
  responses: z.array(mockResponse).default([]),
  latencyMs: z.number().int().nonnegative().default(0),
  chunkDelayMs: z.number().int().nonnegative().default(0),
  /** Characters per streamed chunk. */
  chunkSize: z.number().int().positive().default(8),
  /** Serve embeddings (deterministic hashed vectors) instead of text. */
  embedding: z.boolean().default(false),
});

/** A GGUF file run in process by llama.cpp. */
const llamaCppModel = z.object({
  ...catalogFields,
  provider: z.literal("llama-cpp"),
  path: z.string().min(1),
  contextSize: z.number().int().positive().default(4096),
  /** Load for embeddings rather than generation. */
  embedding: z.boolean().default(false),
  /** Chat template override (Jinja); the GGUF's own template is the default. */
  chatTemplate: z.string().optional(),
});

/** Any OpenAI-compatible server: vLLM, Ollama, llama.cpp server, LM Studio, TGI, OpenAI. */
const openAiModel = z.object({
  ...catalogFields,
  provider: z.literal("openai"),
  baseUrl: z.string().url(),
  upstreamModel: z.string().min(1),
  apiKey: secretRef.optional(),
  embedding: z.boolean().default(false),
  /** Maximum sockets kept open to the upstream. */
  connections: z.number().int().positive().default(128),
});

/** Anthropic's Messages API. */
const anthropicModel = z.object({
  ...catalogFields,
  provider: z.literal("anthropic"),
  baseUrl: z.string().url().default("https://api.anthropic.com"),
  upstreamModel: z.string().min(1),
  apiKey: secretRef.optional(),
});

/** Real Amazon Bedrock, through the AWS SDK. */
const bedrockModel = z.object({
  ...catalogFields,
  provider: z.literal("bedrock"),
  region: z.string().default("us-east-1"),
  upstreamModel: z.string().min(1),
  endpoint: z.string().url().optional(),
  accessKeyId: secretRef.optional(),
  secretAccessKey: secretRef.optional(),
  embedding: z.boolean().default(false),
});

/** The offline Universal Sentence Encoder lite (512 dimensions) shipped in an npm package. */
const useModel = z.object({
  ...catalogFields,
  provider: z.literal("use"),
});

/** One model entry of the configuration. */
export const modelConfigSchema = z.discriminatedUnion("provider", [
  mockModel,
  llamaCppModel,
  openAiModel,
  anthropicModel,
  bedrockModel,
  useModel,
]);

/** Limits of one scope (a model overall, or one principal on one model); absent means unlimited. */
const quotaLimits = z
  .object({
    requestsPerMinute: z.number().int().positive().optional(),
    /** Input tokens plus maxTokens are reserved at request start, settled with actual usage at the end. */
    tokensPerMinute: z.number().int().positive().optional(),
    concurrentStreams: z.number().int().positive().optional(),
  })
  .strict();

/** A USD amount: a number or a decimal string with at most 9 decimals (strings avoid float surprises). */
const usdAmount = z.union([
  z.number().nonnegative().refine((n) => Number.isFinite(n) && Math.abs(n * 1e9 - Math.round(n * 1e9)) < 1e-3, "at most 9 decimals"),
  z.string().regex(/^\d+(\.\d{1,9})?$/, "must be a decimal USD amount such as \"0.003\""),
]);

/** Quotas, budgets and the price table. Absent means no limits. Keys `*` apply to every model. */
const quotasSchema = z
  .object({
    /** By model id: limits on the model overall, and `perPrincipal` for each principal on it. */
    models: z.record(z.string().min(1), quotaLimits.extend({ perPrincipal: quotaLimits.optional() }).strict()).default({}),
    /** By principal: per-model limits (these win over `models[*].perPrincipal`) and a monthly budget. */
    principals: z
      .record(z.string().min(1), z.object({ models: z.record(z.string().min(1), quotaLimits).default({}), monthlyBudgetUsd: usdAmount.optional() }).strict())
      .default({}),
    /** By account id: a monthly budget shared by all its principals. */
    accounts: z.record(z.string().min(1), z.object({ monthlyBudgetUsd: usdAmount.optional() }).strict()).default({}),
    /** By model id: USD per 1,000 input and output tokens. */
    prices: z.record(z.string().min(1), z.object({ inputPer1k: usdAmount, outputPer1k: usdAmount }).strict()).default({}),
  })
  .strict();

/** The whole configuration file. */
const s3BucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name: 3–63 lowercase letters, digits, dots and hyphens");

/** How to reach an S3-compatible server (object storage, data sources). */
const s3ConnectionFields = {
  /** For MinIO, Ceph, s3rver and other S3-compatible servers; AWS S3 when absent. */
  endpoint: z.string().url().optional(),
  region: z.string().optional(),
  /** `http://host/bucket/key` addressing, which most self-hosted servers need. */
  forcePathStyle: z.boolean().optional(),
  /** Both or neither; with neither, the AWS SDK's default credential chain applies. */
  accessKeyId: secretRef.optional(),
  secretAccessKey: secretRef.optional(),
};
const credentialsTogether: [(s: { accessKeyId?: string; secretAccessKey?: string }) => boolean, { message: string; path: string[] }] = [
  (s) => (s.accessKeyId === undefined) === (s.secretAccessKey === undefined),
  { message: "accessKeyId and secretAccessKey go together", path: ["secretAccessKey"] },
];

/** An S3-compatible server that data sources read from. */
const s3SourceSchema = z
  .object(s3ConnectionFields)
  .strict()
  .refine(...credentialsTogether);

/**
 * Knowledge bases. A data source names a bucket (`arn:aws:s3:::<bucket>`) as on Bedrock; the
 * configuration, never the request, says where that bucket is read from: a local folder, an
 * S3-compatible server, or by default the folder `<dataDir>/buckets/<bucket>`.
 */
const knowledgeBasesSchema = z
  .object({
    /**
     * Buckets by name: `{ folder: "/srv/docs" }` or `{ s3: { endpoint, … } }`, and optionally
     * `accounts: ["123456789012"]`, the only accounts that may read it (default: every account).
     */
    buckets: z
      .record(
        s3BucketName,
        z.union([
          z.object({ folder: z.string().min(1), accounts: z.array(z.string().regex(/^\d{12}$/)).optional() }).strict(),
          z.object({ s3: s3SourceSchema, accounts: z.array(z.string().regex(/^\d{12}$/)).optional() }).strict(),
        ]),
      )
      .default({}),
    /** Where buckets not listed above are read from when no `<dataDir>/buckets/<bucket>` folder exists. */
    s3: s3SourceSchema.optional(),
    /**
     * PostgreSQL + pgvector stores for `storageConfiguration.type: RDS`, by the `resourceArn` a
     * knowledge base names: the connection URL (a secret reference, since it holds a password).
     */
    rds: z
      .record(
        z.string().min(1),
        z
          .object({
            url: z.union([secretRef, z.string().regex(/^postgres(ql)?:\/\//, "must be postgres://… or a secret reference")]),
            /** Connections each knowledge base's index may hold (default 4). */
            poolSize: z.number().int().positive().optional(),
          })
          .strict(),
      )
      .default({}),
    /** Largest document ingested; bigger ones fail with a reason (Bedrock's limit is 50 MB). */
    maxDocumentBytes: z.number().int().positive().default(50 * 1024 * 1024),
    /** Sync every S3 data source this often (minutes); 0 turns scheduled sync off. */
    syncIntervalMinutes: z.number().nonnegative().default(0),
  })
  .strict()
  .default({ buckets: {}, rds: {}, maxDocumentBytes: 50 * 1024 * 1024, syncIntervalMinutes: 0 });

/** Where the master keys of encryption at rest live (docs/decisions/0011, 0026). */
const keyProviderSchema = z.discriminatedUnion("type", [
  /** A local key file, created on first start; `<dataDir>/master.key` by default. */
  z.object({ type: z.literal("file"), path: z.string().min(1).optional() }).strict(),
  /** AES-256 keys inside a PKCS#11 token (an HSM, a cloud HSM, SoftHSM2); the material never leaves it. */
  z
    .object({
      type: z.literal("pkcs11"),
      /** The vendor's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
      module: z.string().min(1),
      /** The token by its label (PKCS#11 labels are at most 32 bytes) … */
      tokenLabel: z.string().min(1).max(32).optional(),
      /** … or by its slot id; exactly one of the two. */
      slot: z.number().int().nonnegative().optional(),
      /** The token's user PIN. */
      pin: secretRef,
      /** Prefix of the objects Basalt keeps in the token, so several deployments can share one. */
      keyLabelPrefix: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 letters, digits, '.', '_' or '-'").default("basalt-master"),
      /** How long a key's state read from the token is reused (it is checked on every use). */
      stateCacheMs: z.number().int().nonnegative().default(1000),
    })
    .strict()
    .refine((p) => (p.tokenLabel === undefined) !== (p.slot === undefined), { message: "name the token by exactly one of tokenLabel or slot", path: ["tokenLabel"] }),
]);

export const configSchema = z
  .object({
    region: z.string().default("us-east-1"),
    /** Where Basalt keeps its data; `models/` inside it is scanned for GGUF files. */
    dataDir: z.string().default("~/.basalt"),
    server: z
      .object({
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8787),
        /** Largest accepted request body. */
        bodyLimitBytes: z.number().int().positive().default(20 * 1024 * 1024),
        keepAliveTimeoutMs: z.number().int().positive().default(65_000),
        /** How long SIGTERM waits for in-flight requests and streams to finish. */
        shutdownGraceMs: z.number().int().nonnegative().default(30_000),
      })
      .strict()
      .default({ host: "127.0.0.1", port: 8787, bodyLimitBytes: 20 * 1024 * 1024, keepAliveTimeoutMs: 65_000, shutdownGraceMs: 30_000 }),
    logging: z
      .object({
        level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
        /** Log prompts and completions. Off by default: logs never carry content otherwise. */
        logContent: z.boolean().default(false),
      })
      .strict()
      .default({ level: "info", logContent: false }),
    llama: z
      .object({
        /** CPU threads per model; 0 means one per core of this machine. */
        threads: z.number().int().nonnegative().default(0),
        /** Models held in memory at once; the least recently used is unloaded past it. */
        maxLoadedModels: z.number().int().positive().default(2),
        /** Parallel sequences per loaded model; requests beyond it wait in a fair queue. */
        parallel: z.number().int().positive().default(1),
        gpu: z.enum(["auto", "cuda", "vulkan", "metal", "off"]).default("off"),
      })
      .strict()
      .default({ threads: 0, maxLoadedModels: 2, parallel: 1, gpu: "off" }),
    /** Serve the offline embedding model and every GGUF in `<dataDir>/models` without listing them. */
    embeddedDefaults: z.boolean().default(true),
    models: z.array(modelConfigSchema).default([]),
    /** Where documents and artifacts go: `<dataDir>/objects` unless an S3-compatible bucket is named. */
    objectStorage: z
      .discriminatedUnion("type", [
        z.object({ type: z.literal("local") }).strict(),
        z
          .object({
            type: z.literal("s3"),
            bucket: s3BucketName,
            /** Key prefix inside the bucket, so Basalt can share it; a trailing `/` is added when missing. */
            prefix: z.string().optional(),
            ...s3ConnectionFields,
          })
          .strict()
          .refine(...credentialsTogether),
      ])
      .optional(),
    /** The metadata database: embedded SQLite at `<dataDir>/basalt.db` unless a URL says otherwise. */
    database: z
      .object({
        /** `postgres://…` (or a secret reference to one, since it holds a password) for PostgreSQL; `sqlite:<path>` for another SQLite file. */
        url: z
          .string()
          .regex(/^(postgres(ql)?:\/\/|sqlite:|env::|file::)/i, "must be postgres://…, postgresql://…, sqlite:<path>, or a secret reference (env::NAME, file::/path)")
          .optional(),
      })
      .strict()
      .optional(),
    quotas: quotasSchema.optional(),
    /** Encryption at rest: where the master keys that wrap every account's data keys live. */
    encryption: z
      .object({ keyProvider: keyProviderSchema.default({ type: "file" }) })
      .strict()
      .default({ keyProvider: { type: "file" } }),
    knowledgeBases: knowledgeBasesSchema,
    /** The durable job queue (ingestion now; customization, evaluation, batch inference later). */
    jobs: z
      .object({
        /** Jobs this node runs at once. */
        concurrency: z.number().int().positive().default(2),
        /** How long a claim lasts without a heartbeat; a dead node's jobs are taken over after it. */
        leaseSeconds: z.number().positive().default(30),
      })
      .strict()
      .default({ concurrency: 2, leaseSeconds: 30 }),
    /** Model access of new accounts, as on Bedrock's model-access page: models an account has not set follow it. */
    modelAccess: z
      .object({ default: z.enum(["enabled", "disabled"]).default("enabled") })
      .strict()
      .default({ default: "enabled" }),
  })
  .strict();

/** Validated configuration. */
export type Config = z.infer<typeof configSchema>;
/** Validated model entry of any provider. */
export type ModelConfig = z.infer<typeof modelConfigSchema>;
/** Model entry of one provider. */
export type ModelConfigOf<P extends ModelConfig["provider"]> = Extract<ModelConfig, { provider: P }>;
/** Validated master-key provider choice (`encryption.keyProvider`). */
export type KeyProviderConfig = z.infer<typeof keyProviderSchema>;
