// SQL of data sources. A data source is always read through its account and knowledge base,
// so an id from another account or another knowledge base is simply not found.
import type { Queryable } from "../../store/db/database.ts";
import {
  jsonColumn,
  reasonsColumn,
  toDataSource,
  type DataDeletionPolicy,
  type DataSourceConfiguration,
  type DataSourceRecord,
  type DataSourceRef,
  type DataSourceStatus,
  type Row,
} from "./records.ts";

/** Fields CreateDataSource and UpdateDataSource set. */
export interface DataSourceFields {
  name: string;
  description?: string;
  configuration: DataSourceConfiguration;
  vectorIngestionConfiguration?: Record<string, unknown>;
  dataDeletionPolicy: DataDeletionPolicy;
  serverSideEncryptionConfiguration?: { kmsKeyArn?: string };
}

/** Inserts a data source; false when the knowledge base already has one of that name. */
export async function insertDataSource(db: Queryable, ref: DataSourceRef, fields: DataSourceFields, status: DataSourceStatus, now: number): Promise<boolean> {
  const { changes } = await db.execute(
    `INSERT INTO kb_data_sources (id, account_id, knowledge_base_id, name, description, configuration, vector_ingestion_configuration,
       data_deletion_policy, server_side_encryption_configuration, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT DO NOTHING`,
    [
      ref.dataSourceId,
      ref.accountId,
      ref.knowledgeBaseId,
      fields.name,
      fields.description ?? null,
      JSON.stringify(fields.configuration),
      jsonColumn(fields.vectorIngestionConfiguration),
      fields.dataDeletionPolicy,
      jsonColumn(fields.serverSideEncryptionConfiguration),
      status,
      now,
    ],
  );
  return changes === 1;
}

/** A data source of the account's knowledge base, or undefined. */
export async function findDataSource(db: Queryable, ref: DataSourceRef): Promise<DataSourceRecord | undefined> {
  const [row] = await db.query<Row>("SELECT * FROM kb_data_sources WHERE account_id = $1 AND knowledge_base_id = $2 AND id = $3", [
    ref.accountId,
    ref.knowledgeBaseId,
    ref.dataSourceId,
  ]);
  return row ? toDataSource(row) : undefined;
}

/**
 * Locks the data source's row until the transaction ends (PostgreSQL), so that checks and writes
 * about it (one running ingestion job) serialize across nodes. SQLite's write transactions are
 * already exclusive. Returns whether the data source exists.
 */
export async function lockDataSource(db: Queryable, ref: DataSourceRef): Promise<boolean> {
  const sql = "SELECT id FROM kb_data_sources WHERE account_id = $1 AND knowledge_base_id = $2 AND id = $3";
  const rows = await db.query(db.dialect === "postgres" ? `${sql} FOR UPDATE` : sql, [ref.accountId, ref.knowledgeBaseId, ref.dataSourceId]);
  return rows.length > 0;
}

/** Whether the knowledge base has another data source named `name`. */
export async function dataSourceNameTaken(db: Queryable, knowledgeBaseId: string, name: string, exceptId = ""): Promise<boolean> {
  const rows = await db.query("SELECT 1 AS taken FROM kb_data_sources WHERE knowledge_base_id = $1 AND name = $2 AND id <> $3", [knowledgeBaseId, name, exceptId]);
  return rows.length > 0;
}

/** Up to `limit` data sources of a knowledge base after the key (created_at, id), oldest first. */
export async function listDataSources(
  db: Queryable,
  options: { accountId: string; knowledgeBaseId: string; limit: number; after?: [number, string] },
): Promise<DataSourceRecord[]> {
  const [createdAt, id] = options.after ?? [-1, ""];
  const rows = await db.query<Row>(
    `SELECT * FROM kb_data_sources WHERE account_id = $1 AND knowledge_base_id = $2 AND (created_at > $3 OR (created_at = $3 AND id > $4))
     ORDER BY created_at, id LIMIT $5`,
    [options.accountId, options.knowledgeBaseId, createdAt, id, options.limit],
  );
  return rows.map(toDataSource);
}

/** Replaces the updatable fields; false when the data source does not exist. */
export async function updateDataSource(db: Queryable, ref: DataSourceRef, fields: DataSourceFields, now: number): Promise<boolean> {
  const { changes } = await db.execute(
    `UPDATE kb_data_sources SET name = $4, description = $5, configuration = $6, vector_ingestion_configuration = $7,
       data_deletion_policy = $8, server_side_encryption_configuration = $9, updated_at = $10
     WHERE account_id = $1 AND knowledge_base_id = $2 AND id = $3`,
    [
      ref.accountId,
      ref.knowledgeBaseId,
      ref.dataSourceId,
      fields.name,
      fields.description ?? null,
      JSON.stringify(fields.configuration),
      jsonColumn(fields.vectorIngestionConfiguration),
      fields.dataDeletionPolicy,
      jsonColumn(fields.serverSideEncryptionConfiguration),
      now,
    ],
  );
  return changes === 1;
}

/** Sets the status and failure reasons; false when the data source does not exist. */
export async function setDataSourceStatus(
  db: Queryable,
  ref: DataSourceRef,
  options: { status: DataSourceStatus; failureReasons?: readonly string[]; now: number },
): Promise<boolean> {
  const { changes } = await db.execute(
    "UPDATE kb_data_sources SET status = $4, failure_reasons = $5, updated_at = $6 WHERE account_id = $1 AND knowledge_base_id = $2 AND id = $3",
    [ref.accountId, ref.knowledgeBaseId, ref.dataSourceId, options.status, reasonsColumn(options.failureReasons), options.now],
  );
  return changes === 1;
}

/** Deletes a data source with its document records and job links (cascade); false when absent. */
export async function deleteDataSource(db: Queryable, ref: DataSourceRef): Promise<boolean> {
  const { changes } = await db.execute("DELETE FROM kb_data_sources WHERE account_id = $1 AND knowledge_base_id = $2 AND id = $3", [
    ref.accountId,
    ref.knowledgeBaseId,
    ref.dataSourceId,
  ]);
  return changes === 1;
}

/** Every S3 data source of every account (the sync schedule's work list). */
export async function listAllS3DataSources(db: Queryable): Promise<DataSourceRecord[]> {
  const rows = await db.query<Row>("SELECT * FROM kb_data_sources ORDER BY account_id, knowledge_base_id, id");
  return rows.map(toDataSource).filter((ds) => ds.configuration.type === "S3");
}
