// Model invocation logging configuration as Bedrock's Put/Get/DeleteModelInvocationLoggingConfiguration
// define it (one per account and region; absent means logging is off, the default). Field
// names, nesting and limits follow the Bedrock API model; unknown members are ignored, as
// Bedrock's JSON protocol does. Basalt extension: with neither s3Config nor cloudWatchConfig,
// or when no S3 sink is available, records go to JSON Lines files in the data directory.
import { readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { validation } from "../spec/errors.ts";
import { object, optionalBoolean, optionalObject, optionalString, string, type Obj } from "../util/validate.ts";

/** S3 destination of log records. */
export interface S3Config {
  bucketName: string;
  keyPrefix?: string;
}

/** CloudWatch destination (stored and returned; Basalt delivers its records to the data directory). */
export interface CloudWatchConfig {
  logGroupName: string;
  roleArn: string;
  largeDataDeliveryS3Config?: S3Config;
}

/** Bedrock's LoggingConfig. */
export interface LoggingConfig {
  cloudWatchConfig?: CloudWatchConfig;
  s3Config?: S3Config;
  textDataDeliveryEnabled?: boolean;
  imageDataDeliveryEnabled?: boolean;
  embeddingDataDeliveryEnabled?: boolean;
  videoDataDeliveryEnabled?: boolean;
  audioDataDeliveryEnabled?: boolean;
}

// S3 bucket naming rules: 3–63 lowercase letters, digits, dots and hyphens, alphanumeric at both ends.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ROLE_ARN = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/;
const FLAGS = ["textDataDeliveryEnabled", "imageDataDeliveryEnabled", "embeddingDataDeliveryEnabled", "videoDataDeliveryEnabled", "audioDataDeliveryEnabled"] as const;

function s3Config(value: Obj, field: string): S3Config {
  const bucketName = string(value.bucketName, `${field}.bucketName`, { min: 3, max: 63, pattern: BUCKET });
  const keyPrefix = optionalString(value.keyPrefix, `${field}.keyPrefix`, { max: 1024 });
  return keyPrefix === undefined ? { bucketName } : { bucketName, keyPrefix };
}

/** Validates the body of PutModelInvocationLoggingConfiguration and returns its loggingConfig. */
export function parsePutLoggingRequest(body: Obj): LoggingConfig {
  if (body.loggingConfig === undefined || body.loggingConfig === null) throw validation("loggingConfig", "Member must not be null");
  const raw = object(body.loggingConfig, "loggingConfig");
  const config: LoggingConfig = {};
  const s3 = optionalObject(raw.s3Config, "loggingConfig.s3Config");
  if (s3) config.s3Config = s3Config(s3, "loggingConfig.s3Config");
  const cw = optionalObject(raw.cloudWatchConfig, "loggingConfig.cloudWatchConfig");
  if (cw) {
    const field = "loggingConfig.cloudWatchConfig";
    const large = optionalObject(cw.largeDataDeliveryS3Config, `${field}.largeDataDeliveryS3Config`);
    config.cloudWatchConfig = {
      logGroupName: string(cw.logGroupName, `${field}.logGroupName`, { min: 1, max: 512 }),
      roleArn: string(cw.roleArn, `${field}.roleArn`, { max: 2048, pattern: ROLE_ARN }),
      ...(large ? { largeDataDeliveryS3Config: s3Config(large, `${field}.largeDataDeliveryS3Config`) } : {}),
    };
  }
  for (const flag of FLAGS) {
    const value = optionalBoolean(raw[flag], `loggingConfig.${flag}`);
    if (value !== undefined) config[flag] = value;
  }
  if (config.s3Config?.keyPrefix?.includes("..")) throw validation("loggingConfig.s3Config.keyPrefix", "Member must not contain '..'");
  return config;
}

/** Where logging configurations live: one per account (a node serves one region). */
export interface LoggingConfigStore {
  get(accountId: string): Promise<LoggingConfig | undefined>;
  /** The configuration when known without I/O (`null`: none); undefined when it must be read with get. */
  peek?(accountId: string): LoggingConfig | null | undefined;
  put(accountId: string, config: LoggingConfig): Promise<void>;
  delete(accountId: string): Promise<void>;
}

/** Keeps configurations in memory. */
export class MemoryLoggingConfigStore implements LoggingConfigStore {
  protected readonly configs = new Map<string, LoggingConfig>();

  async get(accountId: string): Promise<LoggingConfig | undefined> {
    return this.configs.get(accountId);
  }

  async put(accountId: string, config: LoggingConfig): Promise<void> {
    this.configs.set(accountId, config);
  }

  async delete(accountId: string): Promise<void> {
    this.configs.delete(accountId);
  }
}

/**
 * Keeps configurations in one JSON file (read once at start, rewritten atomically by rename on
 * change), until the metadata store takes them over.
 */
export class FileLoggingConfigStore extends MemoryLoggingConfigStore {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {
    super();
    let text: string | undefined;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (text !== undefined) for (const [id, config] of Object.entries(JSON.parse(text) as Record<string, LoggingConfig>)) this.configs.set(id, config);
  }

  override async put(accountId: string, config: LoggingConfig): Promise<void> {
    await super.put(accountId, config);
    await this.save();
  }

  override async delete(accountId: string): Promise<void> {
    await super.delete(accountId);
    await this.save();
  }

  private save(): Promise<void> {
    // Writes are chained so two quick changes cannot land out of order; one failed write
    // fails its own caller, not every later one.
    const snapshot = JSON.stringify(Object.fromEntries(this.configs), null, 2);
    this.writing = this.writing.catch(() => undefined).then(async () => {
      const tmp = `${this.path}.tmp`;
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(tmp, snapshot, { mode: 0o600 });
      await rename(tmp, this.path);
    });
    return this.writing;
  }
}
