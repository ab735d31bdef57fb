// The knowledge-base control plane's operations that involve more than the store: lifecycle
// hooks around creation and deletion, the one-running-job rule on deletes, and direct ingestion
// handed to the pipeline's durable queue in the same transaction as the documents' records.
import { createHash } from "node:crypto";
import { BasaltError } from "../../spec/errors.ts";
import type { DocumentIngestor, KnowledgeBaseLifecycle } from "./hooks.ts";
import type { IngestionJobs } from "./ingestion-jobs.ts";
import type { KnowledgeBaseStore, NewKnowledgeBaseInput } from "./knowledge-base-store.ts";
import type { DataSourceRecord, DataSourceRef, DocumentRecord, KnowledgeBaseRecord, ValidatedDocument } from "./records.ts";

/** Options of {@link KnowledgeBaseService}. */
export interface KnowledgeBaseServiceOptions {
  store: KnowledgeBaseStore;
  jobs: IngestionJobs;
  /** The pipeline's direct ingestion; without one, direct ingestion is refused. */
  ingestor?: DocumentIngestor;
  lifecycle?: KnowledgeBaseLifecycle;
  /** Told about failures of clean-up work (undoing a creation); defaults to the console. */
  onError?: (error: unknown, what: string) => void;
}

/** Knowledge bases, data sources, ingestion jobs and direct ingestion, as the API serves them. */
export class KnowledgeBaseService {
  readonly store: KnowledgeBaseStore;
  readonly jobs: IngestionJobs;
  /** The pipeline's direct ingestion; the wiring may set it after construction (the pipeline needs the store first). */
  ingestor?: DocumentIngestor;
  /** The pipeline's lifecycle hooks; settable like {@link ingestor}. */
  lifecycle?: KnowledgeBaseLifecycle;
  private readonly onError: (error: unknown, what: string) => void;

  constructor(options: KnowledgeBaseServiceOptions) {
    this.store = options.store;
    this.jobs = options.jobs;
    this.ingestor = options.ingestor;
    this.lifecycle = options.lifecycle;
    this.onError = options.onError ?? ((error, what) => console.error(`knowledge bases: ${what}:`, error));
  }

  /** Creates a knowledge base and tells the lifecycle; a hook that throws undoes the creation. */
  async createKnowledgeBase(input: NewKnowledgeBaseInput): Promise<{ knowledgeBase: KnowledgeBaseRecord; created: boolean }> {
    const out = await this.store.createKnowledgeBase(input);
    const hook = this.lifecycle?.onKnowledgeBaseCreated;
    if (out.created && hook) {
      try {
        await hook.call(this.lifecycle, out.knowledgeBase);
      } catch (error) {
        await this.store.deleteKnowledgeBase(input.accountId, out.knowledgeBase.id).catch((e: unknown) => this.onError(e, "undoing a knowledge base"));
        throw error;
      }
    }
    return out;
  }

  /**
   * Deletes a knowledge base with its data sources, after the lifecycle dropped their vectors.
   * Refused (ConflictException) while one of its data sources syncs.
   */
  async deleteKnowledgeBase(accountId: string, id: string): Promise<KnowledgeBaseRecord> {
    const knowledgeBase = await this.store.getKnowledgeBase(accountId, id);
    const [running] = await this.jobs.running(accountId, id);
    if (running !== undefined) {
      throw new BasaltError("CONFLICT", `Knowledge base ${id} has an ingestion job in progress (${running}); stop it (StopIngestionJob) or wait for it to end, then delete.`);
    }
    await this.store.setKnowledgeBaseStatus(accountId, id, "DELETING");
    const dataSources = await this.store.allDataSources(accountId, id);
    try {
      await this.lifecycle?.onKnowledgeBaseDeleted?.(knowledgeBase, dataSources);
    } catch (error) {
      await this.store.setKnowledgeBaseStatus(accountId, id, "DELETE_UNSUCCESSFUL", [reasonOf(error)]);
      throw error;
    }
    await this.store.deleteKnowledgeBase(accountId, id);
    return { ...knowledgeBase, status: "DELETING" };
  }

  /** Deletes a data source after the lifecycle dropped its vectors; refused (ConflictException) while it syncs. */
  async deleteDataSource(ref: DataSourceRef): Promise<DataSourceRecord> {
    const knowledgeBase = await this.store.getKnowledgeBase(ref.accountId, ref.knowledgeBaseId);
    const dataSource = await this.store.getDataSource(ref);
    const [running] = await this.jobs.running(ref.accountId, ref.knowledgeBaseId, ref.dataSourceId);
    if (running !== undefined) {
      throw new BasaltError(
        "CONFLICT",
        `Data source ${ref.dataSourceId} has an ingestion job in progress (${running}); stop it (StopIngestionJob) or wait for it to end, then delete.`,
      );
    }
    await this.store.setDataSourceStatus(ref, "DELETING");
    try {
      await this.lifecycle?.onDataSourceDeleted?.(knowledgeBase, dataSource);
    } catch (error) {
      await this.store.setDataSourceStatus(ref, "DELETE_UNSUCCESSFUL", [reasonOf(error)]);
      throw error;
    }
    await this.store.deleteDataSource(ref);
    return { ...dataSource, status: "DELETING" };
  }

  /**
   * Direct ingestion: records the documents STARTING and has the ingestor queue them, in one
   * transaction with the client token, so a crash leaves all of it or none; returns their
   * records. A retry with the same client token changes nothing and returns the documents'
   * current records.
   */
  async ingestDocuments(ref: DataSourceRef, documents: ValidatedDocument[], options: { clientToken?: string } = {}): Promise<DocumentRecord[]> {
    const ingestor = this.requireIngestor();
    const ids = documents.map((d) => d.documentId);
    const token = options.clientToken === undefined ? undefined : { accountId: ref.accountId, scope: `IngestKnowledgeBaseDocuments:${ref.dataSourceId}`, token: options.clientToken };
    // Bytes enter the request's fingerprint as their digest, not as JSON arrays of numbers.
    const request = documents.map((d) => (d.content.type === "BYTE" ? { ...d, content: { ...d.content, data: sha256(d.content.data) } } : d));
    return this.store.db.transaction(async () => {
      let details: DocumentRecord[] | undefined;
      await this.store.runOnce(token, { ref, request }, async () => {
        await this.store.recordDocumentStatus(ref, ids, { status: "STARTING" });
        // Read before the ingestor runs, so the answer reports what was recorded (STARTING).
        details = await this.documentDetails(ref, ids);
        await ingestor.ingest(ref, documents);
      });
      return details ?? (await this.documentDetails(ref, ids));
    });
  }

  /**
   * Direct deletion: records the known documents DELETING and has the ingestor queue their
   * removal, in one transaction; unknown ids are reported NOT_FOUND. Idempotent with a client
   * token, as ingestion.
   */
  async deleteDocuments(ref: DataSourceRef, documentIds: string[], options: { clientToken?: string } = {}): Promise<DocumentRecord[]> {
    const ingestor = this.requireIngestor();
    const token = options.clientToken === undefined ? undefined : { accountId: ref.accountId, scope: `DeleteKnowledgeBaseDocuments:${ref.dataSourceId}`, token: options.clientToken };
    return this.store.db.transaction(async () => {
      let details: DocumentRecord[] | undefined;
      await this.store.runOnce(token, { ref, documentIds }, async () => {
        const known = (await this.store.getDocuments(ref, documentIds)).map((d) => d.documentId);
        if (known.length === 0) return;
        await this.store.setDocumentStatus(ref, known, { status: "DELETING" });
        details = await this.documentDetails(ref, documentIds);
        await ingestor.remove(ref, known);
      });
      return details ?? (await this.documentDetails(ref, documentIds));
    });
  }

  /** The records of these ids in the order given; an unknown id gets a NOT_FOUND record. */
  async documentDetails(ref: DataSourceRef, documentIds: readonly string[]): Promise<DocumentRecord[]> {
    const found = new Map((await this.store.getDocuments(ref, documentIds)).map((d) => [d.documentId, d]));
    const now = new Date();
    return documentIds.map(
      (documentId) => found.get(documentId) ?? { knowledgeBaseId: ref.knowledgeBaseId, dataSourceId: ref.dataSourceId, documentId, status: "NOT_FOUND", chunkCount: 0, updatedAt: now },
    );
  }

  private requireIngestor(): DocumentIngestor {
    if (!this.ingestor) throw new BasaltError("SERVICE_UNAVAILABLE", "Direct ingestion is not available: this server has no ingestion pipeline configured.");
    return this.ingestor;
  }
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
