// What the control plane hands to the ingestion pipeline: documents to ingest or remove directly
// (IngestKnowledgeBaseDocuments, DeleteKnowledgeBaseDocuments), queued durably, and the news that
// knowledge bases and data sources were created or deleted, so their vectors follow. The
// pipeline implements both.
import type { DataSourceRecord, DataSourceRef, KnowledgeBaseRecord, ValidatedDocument } from "./records.ts";

/**
 * Direct ingestion. The control plane has validated the documents and recorded them STARTING
 * (or DELETING), and calls inside that same transaction, before it answers the client: the
 * ingestor only makes the work durable (a job on the queue, in the transaction) and returns.
 * The work runs later, resumes after a crash, and records each document's outcome (INDEXED,
 * FAILED with a reason, or the record removed) in the store. A call that rejects undoes the
 * whole request, records and client token included, and the client gets the error.
 */
export interface DocumentIngestor {
  /** Queues the documents to be parsed, chunked, embedded and stored, replacing earlier versions of the same ids. */
  ingest(target: DataSourceRef, documents: ValidatedDocument[]): Promise<void>;
  /** Queues the removal of the documents' chunks, then of their records. */
  remove(target: DataSourceRef, documentIds: string[]): Promise<void>;
}

/**
 * Told about knowledge bases and data sources coming and going. A hook that throws stops the
 * operation: a create is undone and the error answered; a delete leaves the resource in
 * DELETE_UNSUCCESSFUL with the error as its failure reason.
 */
export interface KnowledgeBaseLifecycle {
  /** After a knowledge base is stored, before the client is answered (check an external store, create an index). */
  onKnowledgeBaseCreated?(knowledgeBase: KnowledgeBaseRecord): Promise<void>;
  /**
   * Before a knowledge base and its data sources are deleted: drop their vectors (each data
   * source's `dataDeletionPolicy` says whether its chunks in an external store are kept).
   */
  onKnowledgeBaseDeleted?(knowledgeBase: KnowledgeBaseRecord, dataSources: DataSourceRecord[]): Promise<void>;
  /** Before a data source is deleted: drop its chunks unless its `dataDeletionPolicy` is RETAIN. */
  onDataSourceDeleted?(knowledgeBase: KnowledgeBaseRecord, dataSource: DataSourceRecord): Promise<void>;
}
