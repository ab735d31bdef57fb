// Store records in bedrock-agent's wire shapes (bedrock-wire.md §6): RFC 3339 timestamps (the
// SDK refuses numbers), optional members left out rather than null.
import type { IngestionJob } from "../../kb/store/ingestion-jobs.ts";
import type { DataSourceRecord, DocumentRecord, KnowledgeBaseRecord } from "../../kb/store/records.ts";
import { accountResourceArn } from "../../iam/actions.ts";

type Wire = Record<string, unknown>;

const withOptional = (out: Wire, optional: Wire): Wire => {
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) out[key] = value;
  }
  return out;
};

/** Bedrock's KnowledgeBase. */
export function knowledgeBaseShape(kb: KnowledgeBaseRecord, region: string): Wire {
  return withOptional(
    {
      knowledgeBaseId: kb.id,
      name: kb.name,
      knowledgeBaseArn: accountResourceArn({ region, accountId: kb.accountId, type: "knowledge-base", id: kb.id }),
      roleArn: kb.roleArn,
      knowledgeBaseConfiguration: kb.configuration,
      status: kb.status,
      createdAt: kb.createdAt.toISOString(),
      updatedAt: kb.updatedAt.toISOString(),
    },
    { description: kb.description, storageConfiguration: kb.storageConfiguration, failureReasons: kb.failureReasons },
  );
}

/** Bedrock's KnowledgeBaseSummary. */
export function knowledgeBaseSummaryShape(kb: KnowledgeBaseRecord): Wire {
  return withOptional({ knowledgeBaseId: kb.id, name: kb.name, status: kb.status, updatedAt: kb.updatedAt.toISOString() }, { description: kb.description });
}

/** Bedrock's DataSource. */
export function dataSourceShape(ds: DataSourceRecord): Wire {
  return withOptional(
    {
      knowledgeBaseId: ds.knowledgeBaseId,
      dataSourceId: ds.id,
      name: ds.name,
      status: ds.status,
      dataSourceConfiguration: ds.configuration,
      dataDeletionPolicy: ds.dataDeletionPolicy,
      createdAt: ds.createdAt.toISOString(),
      updatedAt: ds.updatedAt.toISOString(),
    },
    {
      description: ds.description,
      serverSideEncryptionConfiguration: ds.serverSideEncryptionConfiguration,
      vectorIngestionConfiguration: ds.vectorIngestionConfiguration,
      failureReasons: ds.failureReasons,
    },
  );
}

/** Bedrock's DataSourceSummary. */
export function dataSourceSummaryShape(ds: DataSourceRecord): Wire {
  return withOptional(
    { knowledgeBaseId: ds.knowledgeBaseId, dataSourceId: ds.id, name: ds.name, status: ds.status, updatedAt: ds.updatedAt.toISOString() },
    { description: ds.description },
  );
}

/** Bedrock's IngestionJob (and IngestionJobSummary, which lacks only failureReasons). */
export function ingestionJobShape(job: IngestionJob, summary = false): Wire {
  return withOptional(
    {
      knowledgeBaseId: job.knowledgeBaseId,
      dataSourceId: job.dataSourceId,
      ingestionJobId: job.ingestionJobId,
      status: job.status,
      statistics: job.statistics,
      startedAt: job.startedAt.toISOString(),
      updatedAt: job.updatedAt.toISOString(),
    },
    { description: job.description, failureReasons: summary ? undefined : job.failureReasons },
  );
}

/** Bedrock's KnowledgeBaseDocumentDetail; the identifier's kind follows the data source's type. */
export function documentDetailShape(doc: DocumentRecord, dataSourceType: "S3" | "CUSTOM"): Wire {
  const identifier = dataSourceType === "S3" ? { dataSourceType, s3: { uri: doc.documentId } } : { dataSourceType, custom: { id: doc.documentId } };
  return withOptional(
    { knowledgeBaseId: doc.knowledgeBaseId, dataSourceId: doc.dataSourceId, status: doc.status, identifier, updatedAt: doc.updatedAt.toISOString() },
    { statusReason: doc.statusReason },
  );
}
