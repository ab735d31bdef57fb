// Model invocation logging: one record per invocation in Bedrock's ModelInvocationLog shape,
// written through a sink while the account's logging configuration is present (off by
// default). Secrets are redacted from every record; request and response bodies appear only
// with textDataDeliveryEnabled, and within them binary media and embedding vectors only with
// their own delivery flags.
import type { LoggingConfig } from "./invocation-logging-config.ts";
import type { LoggingConfigStore } from "./invocation-logging-config.ts";
import { redactSecrets } from "./redact.ts";

/** Bedrock's model invocation log record. */
export interface InvocationLogRecord {
  schemaType: "ModelInvocationLog";
  schemaVersion: "1.0";
  /** ISO 8601 to the second, UTC, as Bedrock writes it. */
  timestamp: string;
  accountId: string;
  identity?: { arn: string };
  region: string;
  requestId: string;
  operation: string;
  modelId: string;
  input: { inputContentType: string; inputBodyJson?: unknown; inputTokenCount?: number };
  output: { outputContentType: string; outputBodyJson?: unknown; outputTokenCount?: number };
  /** Bedrock exception name of a failed invocation. */
  errorCode?: string;
}

/** What the API layer knows about one finished invocation. */
export interface InvocationLogInput {
  accountId: string;
  region: string;
  requestId: string;
  /** Bedrock operation name: InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream. */
  operation: string;
  modelId: string;
  /** The caller's ARN. */
  identityArn?: string;
  timestamp?: Date;
  inputContentType?: string;
  /** The request body as JSON. */
  inputBody?: unknown;
  inputTokenCount?: number;
  outputContentType?: string;
  /** The response body as JSON (for a stream, the assembled response). */
  outputBody?: unknown;
  outputTokenCount?: number;
  errorCode?: string;
}

/** Where a record goes: the data directory (encrypted, invocation-log-files.ts), or an S3 bucket (through the object store's sink). */
export type LogDestination = { kind: "file" } | { kind: "s3"; bucketName: string; keyPrefix?: string };

/** Delivers log records; the S3 sink comes with the object store. */
export interface InvocationLogSink {
  write(record: InvocationLogRecord, destination: LogDestination): Promise<void>;
  /** Waits for pending writes. */
  close(): Promise<void>;
}

// Base64 of at least 192 bytes: shorter strings are text, not media.
const BASE64_BLOB = /^[A-Za-z0-9+/\r\n]{256,}={0,2}$/;

function omitDisabledData(value: unknown, config: LoggingConfig, keys: string[]): unknown {
  if (typeof value === "string") {
    if (!BASE64_BLOB.test(value)) return value;
    const path = keys.join(".").toLowerCase();
    const kind = path.includes("video") ? "video" : path.includes("audio") ? "audio" : "image";
    const enabled = kind === "video" ? config.videoDataDeliveryEnabled : kind === "audio" ? config.audioDataDeliveryEnabled : config.imageDataDeliveryEnabled;
    return enabled ? value : `[${kind} data omitted]`;
  }
  if (Array.isArray(value)) {
    const vector = value.length > 0 && value.every((item) => typeof item === "number");
    if (vector && /embedding/i.test(keys.at(-1) ?? "") && !config.embeddingDataDeliveryEnabled) return "[embedding omitted]";
    return value.map((item) => omitDisabledData(item, config, keys));
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = omitDisabledData(item, config, [...keys, key]);
    return out;
  }
  return value;
}

/** Builds the record Bedrock would write for an invocation under `config`, secrets redacted. */
export function buildInvocationLogRecord(input: InvocationLogInput, config: LoggingConfig, redactPatterns: readonly RegExp[] = []): InvocationLogRecord {
  const content = config.textDataDeliveryEnabled === true;
  const record: InvocationLogRecord = {
    schemaType: "ModelInvocationLog",
    schemaVersion: "1.0",
    timestamp: (input.timestamp ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
    accountId: input.accountId,
    ...(input.identityArn ? { identity: { arn: input.identityArn } } : {}),
    region: input.region,
    requestId: input.requestId,
    operation: input.operation,
    modelId: input.modelId,
    input: {
      inputContentType: input.inputContentType ?? "application/json",
      ...(content && input.inputBody !== undefined ? { inputBodyJson: omitDisabledData(input.inputBody, config, []) } : {}),
      ...(input.inputTokenCount !== undefined ? { inputTokenCount: input.inputTokenCount } : {}),
    },
    output: {
      outputContentType: input.outputContentType ?? "application/json",
      ...(content && input.outputBody !== undefined ? { outputBodyJson: omitDisabledData(input.outputBody, config, []) } : {}),
      ...(input.outputTokenCount !== undefined ? { outputTokenCount: input.outputTokenCount } : {}),
    },
    ...(input.errorCode ? { errorCode: input.errorCode } : {}),
  };
  // Redact the whole record, not only bodies: an identity or request id is no place for a key either.
  return redactSecrets(record, redactPatterns);
}

/** Options of {@link InvocationLogWriter}. */
export interface InvocationLogWriterOptions {
  configs: LoggingConfigStore;
  fileSink: InvocationLogSink;
  /** Used for accounts whose configuration names an S3 bucket; without it they log to files too. */
  s3Sink?: InvocationLogSink;
  /** More secret patterns (e.g. Basalt's own API key format); each may keep a prefix as group 1. */
  redactPatterns?: RegExp[];
}

/** Writes one record per invocation for accounts that turned logging on. */
export class InvocationLogWriter {
  constructor(private readonly options: InvocationLogWriterOptions) {}

  /**
   * Logs an invocation; resolves to the record written, or undefined when the account's logging
   * is off. Rejects when the sink fails: callers log that and carry on, never failing the request.
   */
  async log(input: InvocationLogInput): Promise<InvocationLogRecord | undefined> {
    const config = await this.options.configs.get(input.accountId);
    if (!config) return undefined;
    const record = buildInvocationLogRecord(input, config, this.options.redactPatterns);
    const s3 = config.s3Config && this.options.s3Sink;
    if (s3) await s3.write(record, { kind: "s3", bucketName: config.s3Config!.bucketName, ...(config.s3Config!.keyPrefix ? { keyPrefix: config.s3Config!.keyPrefix } : {}) });
    else await this.options.fileSink.write(record, { kind: "file" });
    return record;
  }

  /** Waits for pending writes of every sink. */
  async close(): Promise<void> {
    await Promise.all([this.options.fileSink.close(), this.options.s3Sink?.close()]);
  }
}
