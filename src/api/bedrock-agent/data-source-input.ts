// CreateDataSource and UpdateDataSource bodies, validated as Bedrock does. Basalt serves S3 data
// sources (synced by ingestion jobs; where a bucket is read from is the server's configuration)
// and CUSTOM ones (direct ingestion). Chunking goes through the chunker's own validator.
import { parseChunkingConfiguration } from "../../kb/chunking/chunking-config.ts";
import type { DataSourceInput } from "../../kb/store/knowledge-base-store.ts";
import type { DataDeletionPolicy, DataSourceConfiguration } from "../../kb/store/records.ts";
import { validation } from "../../spec/errors.ts";
import { array, object, oneOf, optionalObject, optionalString, string } from "../../util/validate.ts";
import { clientToken, description, name, required } from "./input.ts";

/** Data-source types Bedrock names; Basalt serves S3 and CUSTOM. */
const DATA_SOURCE_TYPES = ["S3", "WEB", "CONFLUENCE", "SALESFORCE", "SHAREPOINT", "CUSTOM", "REDSHIFT_METADATA", "MANAGED_KNOWLEDGE_BASE_CONNECTOR"] as const;
const PARSING_STRATEGIES = ["BEDROCK_FOUNDATION_MODEL", "BEDROCK_DATA_AUTOMATION", "MULTI_MODAL_EMBEDDINGS", "SMART_PARSING"] as const;
/** `arn:aws:s3:::<bucket>`, as Bedrock's S3BucketArn. */
export const BUCKET_ARN_PATTERN = /^arn:aws(|-cn|-us-gov):s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ACCOUNT_ID_PATTERN = /^[0-9]{12}$/;
const KMS_KEY_ARN_PATTERN = /^arn:aws(|-cn|-us-gov):kms:[a-zA-Z0-9-]*:[0-9]{12}:key\/[a-zA-Z0-9-]{36}$/;

/** A validated CreateDataSource or UpdateDataSource body; optional members are undefined when absent. */
export interface DataSourceBody {
  clientToken?: string;
  name: string;
  description?: string;
  configuration: DataSourceConfiguration;
  dataDeletionPolicy?: DataDeletionPolicy;
  serverSideEncryptionConfiguration?: { kmsKeyArn?: string };
  vectorIngestionConfiguration?: Record<string, unknown>;
}

/** Validates a CreateDataSource or UpdateDataSource body. */
export function parseDataSourceBody(body: Record<string, unknown>): DataSourceBody {
  const out: DataSourceBody = {
    name: name(body.name),
    configuration: parseDataSourceConfiguration(required(body.dataSourceConfiguration, "dataSourceConfiguration")),
  };
  const token = clientToken(body.clientToken);
  if (token !== undefined) out.clientToken = token;
  const text = description(body.description);
  if (text !== undefined) out.description = text;
  if (body.dataDeletionPolicy !== undefined && body.dataDeletionPolicy !== null) {
    out.dataDeletionPolicy = oneOf(body.dataDeletionPolicy, "dataDeletionPolicy", ["DELETE", "RETAIN"] as const);
  }
  const sse = optionalObject(body.serverSideEncryptionConfiguration, "serverSideEncryptionConfiguration");
  if (sse) {
    const kmsKeyArn = optionalString(sse.kmsKeyArn, "serverSideEncryptionConfiguration.kmsKeyArn", { min: 1, max: 2048, pattern: KMS_KEY_ARN_PATTERN });
    out.serverSideEncryptionConfiguration = kmsKeyArn === undefined ? {} : { kmsKeyArn };
  }
  const vector = parseVectorIngestionConfiguration(body.vectorIngestionConfiguration);
  if (vector !== undefined) out.vectorIngestionConfiguration = vector;
  return out;
}

/** The fields a new data source is stored with (Bedrock's defaults for what the body left out). */
export function newDataSourceFields(body: DataSourceBody): DataSourceInput {
  const { clientToken: _token, dataDeletionPolicy, ...rest } = body;
  return { ...rest, dataDeletionPolicy: dataDeletionPolicy ?? "DELETE" };
}

/**
 * The fields an updated data source is stored with. The type and the chunking configuration
 * cannot change (Bedrock: "You can't change the chunkingConfiguration after you create the data
 * source connector"); members the body leaves out keep their stored values, except the
 * description, which an update replaces as on Bedrock.
 */
export function updatedDataSourceFields(body: DataSourceBody, current: DataSourceInput): DataSourceInput {
  if (body.configuration.type !== current.configuration.type) {
    throw validation("dataSourceConfiguration.type", `cannot change from ${current.configuration.type} to ${body.configuration.type}; create another data source`);
  }
  const vector = body.vectorIngestionConfiguration ?? current.vectorIngestionConfiguration;
  if (JSON.stringify(vector?.chunkingConfiguration ?? null) !== JSON.stringify(current.vectorIngestionConfiguration?.chunkingConfiguration ?? null)) {
    throw validation("vectorIngestionConfiguration.chunkingConfiguration", "cannot change after the data source is created; give the one it was created with, or create another data source");
  }
  const out: DataSourceInput = {
    name: body.name,
    configuration: body.configuration,
    dataDeletionPolicy: body.dataDeletionPolicy ?? current.dataDeletionPolicy,
  };
  if (body.description !== undefined) out.description = body.description;
  const sse = body.serverSideEncryptionConfiguration ?? current.serverSideEncryptionConfiguration;
  if (sse !== undefined) out.serverSideEncryptionConfiguration = sse;
  if (vector !== undefined) out.vectorIngestionConfiguration = vector;
  return out;
}

function parseDataSourceConfiguration(value: unknown): DataSourceConfiguration {
  const path = "dataSourceConfiguration";
  const body = object(value, path);
  const type = oneOf(required(body.type, `${path}.type`), `${path}.type`, DATA_SOURCE_TYPES);
  if (type === "CUSTOM") return { type: "CUSTOM" };
  if (type !== "S3") throw validation(`${path}.type`, `Basalt serves S3 and CUSTOM data sources, not ${type}`);
  const s3Path = `${path}.s3Configuration`;
  const s3 = object(required(body.s3Configuration, s3Path), s3Path);
  const configuration: Extract<DataSourceConfiguration, { type: "S3" }>["s3Configuration"] = {
    bucketArn: string(required(s3.bucketArn, `${s3Path}.bucketArn`), `${s3Path}.bucketArn`, { min: 1, max: 2048, pattern: BUCKET_ARN_PATTERN }),
  };
  if (s3.inclusionPrefixes !== undefined && s3.inclusionPrefixes !== null) {
    // The API reference: "Array Members: Fixed number of 1 item."
    const prefixes = array(s3.inclusionPrefixes, `${s3Path}.inclusionPrefixes`, { min: 1, max: 1 });
    configuration.inclusionPrefixes = prefixes.map((p, i) => string(p, `${s3Path}.inclusionPrefixes.${i}`, { min: 1, max: 300 }));
  }
  const owner = optionalString(s3.bucketOwnerAccountId, `${s3Path}.bucketOwnerAccountId`, { pattern: ACCOUNT_ID_PATTERN });
  if (owner !== undefined) configuration.bucketOwnerAccountId = owner;
  return { type: "S3", s3Configuration: configuration };
}

function parseVectorIngestionConfiguration(value: unknown): Record<string, unknown> | undefined {
  const path = "vectorIngestionConfiguration";
  const body = optionalObject(value, path);
  if (!body) return undefined;
  for (const unsupported of ["customTransformationConfiguration", "contextEnrichmentConfiguration"]) {
    if (body[unsupported] !== undefined && body[unsupported] !== null) {
      throw validation(`${path}.${unsupported}`, "is not supported by Basalt; omit it");
    }
  }
  const out: Record<string, unknown> = {};
  const chunking = parseChunkingConfiguration(body.chunkingConfiguration, `${path}.chunkingConfiguration`);
  if (chunking !== undefined) out.chunkingConfiguration = chunking;
  const parsingPath = `${path}.parsingConfiguration`;
  const parsing = optionalObject(body.parsingConfiguration, parsingPath);
  if (parsing) {
    // Any strategy asks for Basalt's offline parsing with OCR of scanned pages and images.
    const strategy = oneOf(required(parsing.parsingStrategy, `${parsingPath}.parsingStrategy`), `${parsingPath}.parsingStrategy`, PARSING_STRATEGIES);
    const parsed: Record<string, unknown> = { parsingStrategy: strategy };
    if (strategy === "BEDROCK_FOUNDATION_MODEL") {
      const modelPath = `${parsingPath}.bedrockFoundationModelConfiguration`;
      const model = object(required(parsing.bedrockFoundationModelConfiguration, modelPath), modelPath);
      string(required(model.modelArn, `${modelPath}.modelArn`), `${modelPath}.modelArn`, { min: 1, max: 2048 });
      parsed.bedrockFoundationModelConfiguration = model;
    }
    if (parsing.bedrockDataAutomationConfiguration !== undefined && parsing.bedrockDataAutomationConfiguration !== null) {
      parsed.bedrockDataAutomationConfiguration = object(parsing.bedrockDataAutomationConfiguration, `${parsingPath}.bedrockDataAutomationConfiguration`);
    }
    out.parsingConfiguration = parsed;
  }
  return out;
}
