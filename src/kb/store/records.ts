// What the knowledge-base store keeps, as the rest of Basalt sees it, and the row mappers.
// Statuses and configuration shapes are Bedrock's own (bedrock-wire.md §6): the control plane
// stores them as validated and the pipeline reads them back unchanged.
import type { Metadata } from "../vector-store/filter.ts";
import type { RdsConfiguration } from "../vector-store/pgvector/rds-configuration.ts";

/** Bedrock's knowledge-base statuses. */
export const KNOWLEDGE_BASE_STATUSES = ["CREATING", "ACTIVE", "DELETING", "UPDATING", "FAILED", "DELETE_UNSUCCESSFUL", "UPDATE_UNSUCCESSFUL"] as const;
/** A knowledge base's status. */
export type KnowledgeBaseStatus = (typeof KNOWLEDGE_BASE_STATUSES)[number];

/** Bedrock's data-source statuses. */
export const DATA_SOURCE_STATUSES = ["AVAILABLE", "CREATING", "DELETING", "FAILED", "UPDATING", "DELETE_UNSUCCESSFUL"] as const;
/** A data source's status. */
export type DataSourceStatus = (typeof DATA_SOURCE_STATUSES)[number];

/** Bedrock's document statuses (the SDK's `DocumentStatus`). */
export const DOCUMENT_STATUSES = [
  "INDEXED",
  "PARTIALLY_INDEXED",
  "PENDING",
  "FAILED",
  "METADATA_PARTIALLY_INDEXED",
  "METADATA_UPDATE_FAILED",
  "IGNORED",
  "NOT_FOUND",
  "STARTING",
  "IN_PROGRESS",
  "DELETING",
  "DELETE_IN_PROGRESS",
] as const;
/** A document's status. */
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

/** What happens to a data source's vectors when it is deleted. */
export type DataDeletionPolicy = "DELETE" | "RETAIN";

/** `knowledgeBaseConfiguration` of a vector knowledge base (the only type Basalt serves). */
export interface KnowledgeBaseConfiguration {
  type: "VECTOR";
  vectorKnowledgeBaseConfiguration: {
    /** The embedding model's id or ARN, as the client gave it (the registry resolves either). */
    embeddingModelArn: string;
    embeddingModelConfiguration?: {
      bedrockEmbeddingModelConfiguration?: { dimensions?: number; embeddingDataType?: "FLOAT32" | "BINARY" };
    };
  };
}

/** `storageConfiguration`: absent for Basalt's embedded store, else PostgreSQL with pgvector (`rdsConfiguration` as validated by its parser). */
export interface StorageConfiguration {
  type: "RDS";
  rdsConfiguration: RdsConfiguration;
}

/** `dataSourceConfiguration`: an S3 bucket (synced by ingestion jobs) or CUSTOM (direct ingestion). */
export type DataSourceConfiguration =
  | { type: "S3"; s3Configuration: { bucketArn: string; inclusionPrefixes?: string[]; bucketOwnerAccountId?: string } }
  | { type: "CUSTOM" };

/** A knowledge base. */
export interface KnowledgeBaseRecord {
  id: string;
  accountId: string;
  name: string;
  description?: string;
  roleArn: string;
  configuration: KnowledgeBaseConfiguration;
  /** Undefined: Basalt's embedded vector store. */
  storageConfiguration?: StorageConfiguration;
  status: KnowledgeBaseStatus;
  failureReasons: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** A data source of a knowledge base. */
export interface DataSourceRecord {
  id: string;
  accountId: string;
  knowledgeBaseId: string;
  name: string;
  description?: string;
  configuration: DataSourceConfiguration;
  /** Bedrock's `vectorIngestionConfiguration` (chunking, parsing), stored as validated. */
  vectorIngestionConfiguration?: Record<string, unknown>;
  dataDeletionPolicy: DataDeletionPolicy;
  serverSideEncryptionConfiguration?: { kmsKeyArn?: string };
  status: DataSourceStatus;
  failureReasons: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** Names one data source of one knowledge base of one account: every document call takes one. */
export interface DataSourceRef {
  accountId: string;
  knowledgeBaseId: string;
  dataSourceId: string;
}

/** What the pipeline records about one document of a data source. */
export interface DocumentRecord {
  knowledgeBaseId: string;
  dataSourceId: string;
  /** The S3 URI (`s3://bucket/key`) or the custom document id. */
  documentId: string;
  /** Opaque: etag, size, mtime or a hash, whatever tells the pipeline the content changed. */
  contentFingerprint?: string;
  /** Opaque, for the metadata sidecar or inline attributes. */
  metadataFingerprint?: string;
  status: DocumentStatus;
  statusReason?: string;
  chunkCount: number;
  /**
   * The job that last touched the document: a sync, or the direct-ingestion job that owns it
   * (a later Ingest or Delete of the same id takes it over, and the earlier job leaves it alone).
   */
  ingestionJobId?: string;
  updatedAt: Date;
}

/** Fields of a document write; unset optional fields are stored as NULL (chunkCount as 0). */
export type DocumentWrite = Omit<DocumentRecord, "knowledgeBaseId" | "dataSourceId" | "updatedAt">;

/** One page of a list, with the opaque token of the next page when there is one. */
export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** A document as IngestKnowledgeBaseDocuments validated it, for the {@link DocumentIngestor}. */
export interface ValidatedDocument {
  /** The S3 URI or the custom id: the key of its {@link DocumentRecord}. */
  documentId: string;
  content:
    | { type: "TEXT"; text: string }
    | { type: "BYTE"; mimeType: string; data: Buffer }
    | { type: "S3"; uri: string; bucketOwnerAccountId?: string };
  /** Inline attributes, or an S3 sidecar (a `.metadata.json` body) to read; absent: none. */
  metadata?: { type: "IN_LINE_ATTRIBUTE"; attributes: Metadata } | { type: "S3_LOCATION"; uri: string; bucketOwnerAccountId?: string };
}

/** A database row as the driver returns it. */
export type Row = Record<string, unknown>;

const date = (value: unknown): Date => new Date(Number(value));
const text = (value: unknown): string | undefined => (value === null || value === undefined ? undefined : String(value));
const json = <T>(value: unknown): T | undefined => (typeof value === "string" ? (JSON.parse(value) as T) : undefined);

/** Maps a kb_knowledge_bases row. */
export function toKnowledgeBase(row: Row): KnowledgeBaseRecord {
  const record: KnowledgeBaseRecord = {
    id: String(row.id),
    accountId: String(row.account_id),
    name: String(row.name),
    roleArn: String(row.role_arn),
    configuration: json<KnowledgeBaseConfiguration>(row.configuration)!,
    status: String(row.status) as KnowledgeBaseStatus,
    failureReasons: json<string[]>(row.failure_reasons) ?? [],
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
  const description = text(row.description);
  if (description !== undefined) record.description = description;
  const storage = json<StorageConfiguration>(row.storage_configuration);
  if (storage !== undefined) record.storageConfiguration = storage;
  return record;
}

/** Maps a kb_data_sources row. */
export function toDataSource(row: Row): DataSourceRecord {
  const record: DataSourceRecord = {
    id: String(row.id),
    accountId: String(row.account_id),
    knowledgeBaseId: String(row.knowledge_base_id),
    name: String(row.name),
    configuration: json<DataSourceConfiguration>(row.configuration)!,
    dataDeletionPolicy: row.data_deletion_policy === "RETAIN" ? "RETAIN" : "DELETE",
    status: String(row.status) as DataSourceStatus,
    failureReasons: json<string[]>(row.failure_reasons) ?? [],
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
  const description = text(row.description);
  if (description !== undefined) record.description = description;
  const vector = json<Record<string, unknown>>(row.vector_ingestion_configuration);
  if (vector !== undefined) record.vectorIngestionConfiguration = vector;
  const sse = json<{ kmsKeyArn?: string }>(row.server_side_encryption_configuration);
  if (sse !== undefined) record.serverSideEncryptionConfiguration = sse;
  return record;
}

/** Maps a kb_documents row. */
export function toDocument(row: Row): DocumentRecord {
  const record: DocumentRecord = {
    knowledgeBaseId: String(row.knowledge_base_id),
    dataSourceId: String(row.data_source_id),
    documentId: String(row.document_id),
    status: String(row.status) as DocumentStatus,
    chunkCount: Number(row.chunk_count),
    updatedAt: date(row.updated_at),
  };
  const optional = { contentFingerprint: row.content_fingerprint, metadataFingerprint: row.metadata_fingerprint, statusReason: row.status_reason, ingestionJobId: row.ingestion_job_id };
  for (const [key, value] of Object.entries(optional)) {
    const present = text(value);
    if (present !== undefined) (record as unknown as Record<string, unknown>)[key] = present;
  }
  return record;
}

/** JSON text of a configuration for storage, NULL when absent. */
export function jsonColumn(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** Failure reasons for storage: NULL when there are none. */
export function reasonsColumn(reasons: readonly string[] | undefined): string | null {
  return reasons && reasons.length > 0 ? JSON.stringify(reasons) : null;
}
