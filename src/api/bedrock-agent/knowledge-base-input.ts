// CreateKnowledgeBase and UpdateKnowledgeBase bodies, validated as Bedrock does, plus Basalt's
// own limits: VECTOR knowledge bases only, an embedding model this server serves, and the
// embedded store (no storageConfiguration) or PostgreSQL with pgvector (`type: RDS`).
import type { KnowledgeBaseConfiguration, StorageConfiguration } from "../../kb/store/records.ts";
import { parseRdsConfiguration } from "../../kb/vector-store/pgvector/rds-configuration.ts";
import type { ModelRegistry } from "../../models/registry.ts";
import { isEmbeddingEntry } from "../../spec/catalog.ts";
import { validation } from "../../spec/errors.ts";
import { isObject, number, object, oneOf, optionalObject, string } from "../../util/validate.ts";
import { clientToken, description, name, required, ROLE_ARN_PATTERN } from "./input.ts";

/** Knowledge-base types Bedrock names; Basalt serves VECTOR. */
const KNOWLEDGE_BASE_TYPES = ["VECTOR", "KENDRA", "SQL", "MANAGED"] as const;
/** Storage types Bedrock names; Basalt serves RDS besides its embedded store. */
const STORAGE_TYPES = [
  "OPENSEARCH_SERVERLESS",
  "PINECONE",
  "RDS",
  "REDIS_ENTERPRISE_CLOUD",
  "MONGO_DB_ATLAS",
  "NEPTUNE_ANALYTICS",
  "OPENSEARCH_MANAGED_CLUSTER",
  "S3_VECTORS",
] as const;

/** A validated CreateKnowledgeBase (or UpdateKnowledgeBase) body. */
export interface KnowledgeBaseInput {
  clientToken?: string;
  name: string;
  description?: string;
  roleArn: string;
  configuration: KnowledgeBaseConfiguration;
  storageConfiguration?: StorageConfiguration;
}

/** Validates a CreateKnowledgeBase or UpdateKnowledgeBase body against the models `registry` serves. */
export function parseKnowledgeBaseInput(body: Record<string, unknown>, registry: ModelRegistry): KnowledgeBaseInput {
  const input: KnowledgeBaseInput = {
    name: name(body.name),
    roleArn: string(required(body.roleArn, "roleArn"), "roleArn", { max: 2048, pattern: ROLE_ARN_PATTERN }),
    configuration: parseKnowledgeBaseConfiguration(required(body.knowledgeBaseConfiguration, "knowledgeBaseConfiguration"), registry),
  };
  const token = clientToken(body.clientToken);
  if (token !== undefined) input.clientToken = token;
  const text = description(body.description);
  if (text !== undefined) input.description = text;
  const storage = parseStorageConfiguration(body.storageConfiguration);
  if (storage !== undefined) input.storageConfiguration = storage;
  if (body.tags !== undefined && body.tags !== null) {
    const tags = object(body.tags, "tags");
    for (const [key, value] of Object.entries(tags)) string(value, `tags.${key}`, { max: 256 });
  }
  return input;
}

function parseKnowledgeBaseConfiguration(value: unknown, registry: ModelRegistry): KnowledgeBaseConfiguration {
  const path = "knowledgeBaseConfiguration";
  const body = object(value, path);
  const type = oneOf(required(body.type, `${path}.type`), `${path}.type`, KNOWLEDGE_BASE_TYPES);
  if (type !== "VECTOR") throw validation(`${path}.type`, `Basalt serves VECTOR knowledge bases only, not ${type}`);
  const vectorPath = `${path}.vectorKnowledgeBaseConfiguration`;
  const vector = object(required(body.vectorKnowledgeBaseConfiguration, vectorPath), vectorPath);
  if (vector.supplementalDataStorageConfiguration !== undefined && vector.supplementalDataStorageConfiguration !== null) {
    throw validation(`${vectorPath}.supplementalDataStorageConfiguration`, "multimodal supplemental storage is not supported by Basalt; omit it");
  }
  const modelField = `${vectorPath}.embeddingModelArn`;
  const embeddingModelArn = string(required(vector.embeddingModelArn, modelField), modelField, { min: 1, max: 2048 });
  const model = registry.find(embeddingModelArn);
  if (!model || !model.embedding || !isEmbeddingEntry(model.entry)) {
    throw validation(modelField, `must name an embedding model this server serves (ListFoundationModels with byOutputModality=EMBEDDING lists them); ${embeddingModelArn} is not one`);
  }
  const out: KnowledgeBaseConfiguration = { type: "VECTOR", vectorKnowledgeBaseConfiguration: { embeddingModelArn } };
  const configPath = `${vectorPath}.embeddingModelConfiguration`;
  const embeddingConfig = optionalObject(vector.embeddingModelConfiguration, configPath);
  const bedrockPath = `${configPath}.bedrockEmbeddingModelConfiguration`;
  const bedrock = embeddingConfig && optionalObject(embeddingConfig.bedrockEmbeddingModelConfiguration, bedrockPath);
  if (bedrock) {
    const settings: { dimensions?: number; embeddingDataType?: "FLOAT32" | "BINARY" } = {};
    if (bedrock.dimensions !== undefined && bedrock.dimensions !== null) {
      const dimensions = number(bedrock.dimensions, `${bedrockPath}.dimensions`, { integer: true, min: 0, max: 4096 });
      const supported = model.entry.supportedDimensions ?? (model.entry.embeddingDimensions === undefined ? [] : [model.entry.embeddingDimensions]);
      if (supported.length > 0 && !supported.includes(dimensions)) {
        throw validation(`${bedrockPath}.dimensions`, `${model.entry.id} produces ${supported.join(", ")}-dimensional vectors, not ${dimensions}`);
      }
      settings.dimensions = dimensions;
    }
    if (bedrock.embeddingDataType !== undefined && bedrock.embeddingDataType !== null) {
      const dataType = oneOf(bedrock.embeddingDataType, `${bedrockPath}.embeddingDataType`, ["FLOAT32", "BINARY"] as const);
      if (dataType === "BINARY") throw validation(`${bedrockPath}.embeddingDataType`, "Basalt stores FLOAT32 vectors only");
      settings.embeddingDataType = dataType;
    }
    for (const unsupported of ["audio", "video", "modelConfiguration"]) {
      if (bedrock[unsupported] !== undefined && bedrock[unsupported] !== null) {
        throw validation(`${bedrockPath}.${unsupported}`, "is not supported by Basalt; omit it");
      }
    }
    out.vectorKnowledgeBaseConfiguration.embeddingModelConfiguration = { bedrockEmbeddingModelConfiguration: settings };
  }
  return out;
}

function parseStorageConfiguration(value: unknown): StorageConfiguration | undefined {
  if (value === undefined || value === null) return undefined;
  const path = "storageConfiguration";
  const body = object(value, path);
  const type = oneOf(required(body.type, `${path}.type`), `${path}.type`, STORAGE_TYPES);
  if (type !== "RDS") {
    throw validation(`${path}.type`, `Basalt supports its embedded vector store (omit storageConfiguration) and RDS (PostgreSQL with pgvector), not ${type}`);
  }
  const rds = required(body.rdsConfiguration, `${path}.rdsConfiguration`);
  if (!isObject(rds)) throw validation(`${path}.rdsConfiguration`, "must be an object");
  return { type: "RDS", rdsConfiguration: parseRdsConfiguration(rds, `${path}.rdsConfiguration`) };
}

/**
 * Whether two validated configurations are the same knowledge base: UpdateKnowledgeBase may not
 * change them (Bedrock: "specify the same configurations as when you created the knowledge
 * base"). The embedding model compares by the model it resolves to, so an id and its ARN agree.
 */
export function sameConfiguration(
  a: Pick<KnowledgeBaseInput, "configuration" | "storageConfiguration">,
  b: Pick<KnowledgeBaseInput, "configuration" | "storageConfiguration">,
  registry: ModelRegistry,
): boolean {
  const normalize = (input: Pick<KnowledgeBaseInput, "configuration" | "storageConfiguration">) => {
    const vector = input.configuration.vectorKnowledgeBaseConfiguration;
    const model = registry.find(vector.embeddingModelArn)?.entry.id ?? vector.embeddingModelArn;
    return JSON.stringify(sortKeys({ ...input.configuration, vectorKnowledgeBaseConfiguration: { ...vector, embeddingModelArn: model }, storage: input.storageConfiguration ?? null }));
  };
  return normalize(a) === normalize(b);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([k, v]) => [k, sortKeys(v)]),
  );
}
