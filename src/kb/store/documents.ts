// SQL of document records: the ingestion pipeline's bookkeeping (what was indexed, from which
// version, by which job) and what Get/ListKnowledgeBaseDocuments report. Keyed by data source
// and document id; every statement also names the account and knowledge base.
import type { Queryable, SqlValue } from "../../store/db/database.ts";
import { toDocument, type DataSourceRef, type DocumentRecord, type DocumentStatus, type DocumentWrite, type Row } from "./records.ts";

// Ids per IN (…) list: far below SQLite's and PostgreSQL's bound-parameter limits.
const IN_BATCH = 500;

const SCOPE = "account_id = $1 AND knowledge_base_id = $2 AND data_source_id = $3";
const scope = (ref: DataSourceRef): SqlValue[] => [ref.accountId, ref.knowledgeBaseId, ref.dataSourceId];

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_BATCH) out.push(items.slice(i, i + IN_BATCH));
  return out;
}

const placeholders = (count: number, from: number) => Array.from({ length: count }, (_, i) => `$${from + i}`).join(", ");

/** Inserts or wholly replaces one document record. */
export async function upsertDocument(db: Queryable, ref: DataSourceRef, doc: DocumentWrite, now: number): Promise<void> {
  await db.execute(
    `INSERT INTO kb_documents (account_id, knowledge_base_id, data_source_id, document_id, content_fingerprint, metadata_fingerprint,
       status, status_reason, chunk_count, ingestion_job_id, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (data_source_id, document_id) DO UPDATE SET
       content_fingerprint = excluded.content_fingerprint, metadata_fingerprint = excluded.metadata_fingerprint,
       status = excluded.status, status_reason = excluded.status_reason, chunk_count = excluded.chunk_count,
       ingestion_job_id = excluded.ingestion_job_id, updated_at = excluded.updated_at`,
    [
      ...scope(ref),
      doc.documentId,
      doc.contentFingerprint ?? null,
      doc.metadataFingerprint ?? null,
      doc.status,
      doc.statusReason ?? null,
      doc.chunkCount,
      doc.ingestionJobId ?? null,
      now,
    ],
  );
}

/**
 * Sets the status of documents, creating records (no fingerprints, no chunks) for ids not yet
 * known: what direct ingestion does before it hands the documents to the pipeline.
 */
export async function upsertDocumentStatus(
  db: Queryable,
  ref: DataSourceRef,
  options: { documentId: string; status: DocumentStatus; statusReason?: string; ingestionJobId?: string; now: number },
): Promise<void> {
  await db.execute(
    `INSERT INTO kb_documents (account_id, knowledge_base_id, data_source_id, document_id, status, status_reason, chunk_count, ingestion_job_id, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)
     ON CONFLICT (data_source_id, document_id) DO UPDATE SET
       status = excluded.status, status_reason = excluded.status_reason, ingestion_job_id = excluded.ingestion_job_id, updated_at = excluded.updated_at`,
    [...scope(ref), options.documentId, options.status, options.statusReason ?? null, options.ingestionJobId ?? null, options.now],
  );
}

/**
 * Sets the status of existing records (optionally only of those now in one of `from`, and only
 * of those the job `ownedBy` last claimed); returns how many changed.
 */
export async function setDocumentStatus(
  db: Queryable,
  ref: DataSourceRef,
  options: {
    documentIds: readonly string[];
    status: DocumentStatus;
    statusReason?: string;
    ingestionJobId?: string;
    from?: readonly DocumentStatus[];
    ownedBy?: string;
    now: number;
  },
): Promise<number> {
  let changed = 0;
  for (const ids of batches(options.documentIds)) {
    const params: SqlValue[] = [...scope(ref), options.status, options.statusReason ?? null, options.ingestionJobId ?? null, options.now, ...ids];
    let sql = `UPDATE kb_documents SET status = $4, status_reason = $5, ingestion_job_id = COALESCE($6, ingestion_job_id), updated_at = $7
       WHERE ${SCOPE} AND document_id IN (${placeholders(ids.length, 8)})`;
    if (options.from) {
      sql += ` AND status IN (${placeholders(options.from.length, params.length + 1)})`;
      params.push(...options.from);
    }
    if (options.ownedBy !== undefined) {
      params.push(options.ownedBy);
      sql += ` AND ingestion_job_id = $${params.length}`;
    }
    changed += (await db.execute(sql, params)).changes;
  }
  return changed;
}

/**
 * Replaces the record of a document only while job `jobId` still owns it (the record names it),
 * keeping that ownership: a later request that took the document over is never overwritten by
 * an earlier one finishing. Returns whether the record was written.
 */
export async function finishOwnedDocument(db: Queryable, ref: DataSourceRef, doc: DocumentWrite, jobId: string, now: number): Promise<boolean> {
  const { changes } = await db.execute(
    `UPDATE kb_documents SET content_fingerprint = $5, metadata_fingerprint = $6, status = $7, status_reason = $8, chunk_count = $9, updated_at = $10
     WHERE ${SCOPE} AND document_id = $4 AND ingestion_job_id = $11`,
    [...scope(ref), doc.documentId, doc.contentFingerprint ?? null, doc.metadataFingerprint ?? null, doc.status, doc.statusReason ?? null, doc.chunkCount, now, jobId],
  );
  return changes === 1;
}

/** Deletes the records of these ids that job `jobId` still owns; returns how many went. */
export async function deleteOwnedDocuments(db: Queryable, ref: DataSourceRef, documentIds: readonly string[], jobId: string): Promise<number> {
  let deleted = 0;
  for (const ids of batches(documentIds)) {
    const { changes } = await db.execute(`DELETE FROM kb_documents WHERE ${SCOPE} AND ingestion_job_id = $4 AND document_id IN (${placeholders(ids.length, 5)})`, [
      ...scope(ref),
      jobId,
      ...ids,
    ]);
    deleted += changes;
  }
  return deleted;
}

/** Deletes records; returns how many went. */
export async function deleteDocuments(db: Queryable, ref: DataSourceRef, documentIds: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const ids of batches(documentIds)) {
    const { changes } = await db.execute(`DELETE FROM kb_documents WHERE ${SCOPE} AND document_id IN (${placeholders(ids.length, 4)})`, [...scope(ref), ...ids]);
    deleted += changes;
  }
  return deleted;
}

/** The records of these ids that exist, in no particular order. */
export async function findDocuments(db: Queryable, ref: DataSourceRef, documentIds: readonly string[]): Promise<DocumentRecord[]> {
  const out: DocumentRecord[] = [];
  for (const ids of batches(documentIds)) {
    const rows = await db.query<Row>(`SELECT * FROM kb_documents WHERE ${SCOPE} AND document_id IN (${placeholders(ids.length, 4)})`, [...scope(ref), ...ids]);
    out.push(...rows.map(toDocument));
  }
  return out;
}

/** Up to `limit` records after `afterId`, by document id. */
export async function listDocuments(db: Queryable, ref: DataSourceRef, options: { limit: number; afterId?: string }): Promise<DocumentRecord[]> {
  const after = options.afterId;
  const rows =
    after === undefined
      ? await db.query<Row>(`SELECT * FROM kb_documents WHERE ${SCOPE} ORDER BY document_id LIMIT $4`, [...scope(ref), options.limit])
      : await db.query<Row>(`SELECT * FROM kb_documents WHERE ${SCOPE} AND document_id > $4 ORDER BY document_id LIMIT $5`, [...scope(ref), after, options.limit]);
  return rows.map(toDocument);
}

/** How many records the data source has, by status. */
export async function countDocuments(db: Queryable, ref: DataSourceRef): Promise<Partial<Record<DocumentStatus, number>>> {
  const rows = await db.query<{ status: DocumentStatus; n: number | string }>(`SELECT status, COUNT(*) AS n FROM kb_documents WHERE ${SCOPE} GROUP BY status`, scope(ref));
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
