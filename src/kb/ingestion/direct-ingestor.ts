// Direct ingestion (IngestKnowledgeBaseDocuments / DeleteKnowledgeBaseDocuments) on the durable
// job queue. The request's transaction queues one job holding the documents (the job store
// seals its payload) and marks each document record as owned by that job; a worker then takes
// the documents one by one through the same processing as a sync, each ending INDEXED or FAILED
// with its reason, never failing the others.
//
// Crash safety: a document's record names the job that owns it and stays STARTING/IN_PROGRESS
// until its chunks are stored, so a retried attempt (after kill -9, a lost lease or a shutdown)
// redoes exactly the documents not yet finished; chunk ids are deterministic and a document's
// old chunks go before its new ones, so redoing never duplicates. A later request for the same
// id takes the record over, and the earlier job then leaves that document alone. Jobs of one
// data source run one at a time on a node, so two versions of a document never interleave.
import type { JobQueue } from "../../jobs/job-queue.ts";
import type { JobContext } from "../../jobs/job.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { DocumentParser } from "../parsing/document-parser.ts";
import type { DocumentIngestor } from "../store/hooks.ts";
import type { KnowledgeBaseStore } from "../store/knowledge-base-store.ts";
import type { DataSourceRef, DocumentStatus, DocumentWrite, ValidatedDocument } from "../store/records.ts";
import { directContent, directMetadata, type OpenSource } from "./direct-content.ts";
import { DIRECT_INGESTION_JOB_TYPE, fromStoredDocument, toStoredDocument, type DirectIngestionPayload, type DirectIngestionResult } from "./direct-payload.ts";
import type { KnowledgeBaseIndexes, OpenKnowledgeBase } from "./indexes.ts";
import { processDocument } from "./process-document.ts";
import { wantsOcr, type SyncDataSource } from "./sync.ts";

export { DIRECT_INGESTION_JOB_TYPE };

/** Statuses of documents an ingestion job has not finished yet. */
const INGEST_PENDING: readonly DocumentStatus[] = ["STARTING", "IN_PROGRESS"];
/** Statuses of documents a deletion job has not finished yet. */
const DELETE_PENDING: readonly DocumentStatus[] = ["DELETING", "DELETE_IN_PROGRESS"];

/** Attempts of a direct-ingestion job: each crash of a node running it spends one. */
const MAX_ATTEMPTS = 5;

/** What the ingestor needs. */
export interface DirectIngestorDeps {
  store: KnowledgeBaseStore;
  indexes: KnowledgeBaseIndexes;
  parser: DocumentParser;
  openSource: OpenSource;
  maxDocumentBytes: number;
}

/** Runs functions one at a time per key, in the order they asked. */
class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Direct ingestion: queues documents durably and processes them as jobs of the queue. */
export class DirectIngestor implements DocumentIngestor {
  #queue: JobQueue | undefined;
  readonly #lock = new KeyedLock();

  constructor(private readonly deps: DirectIngestorDeps) {}

  /** Registers the job type's handler on the queue that {@link ingest} and {@link remove} will use. */
  register(queue: JobQueue): void {
    queue.register<DirectIngestionPayload, DirectIngestionResult>(DIRECT_INGESTION_JOB_TYPE, (context) => this.#run(context), { maxAttempts: MAX_ATTEMPTS });
    this.#queue = queue;
  }

  async ingest(target: DataSourceRef, documents: ValidatedDocument[]): Promise<void> {
    const payload: DirectIngestionPayload = { ...place(target), action: "INGEST", documents: documents.map(toStoredDocument) };
    const jobId = await this.#enqueue(target, payload);
    await this.deps.store.setDocumentStatus(
      target,
      documents.map((d) => d.documentId),
      { status: "STARTING", ingestionJobId: jobId },
    );
  }

  async remove(target: DataSourceRef, documentIds: string[]): Promise<void> {
    const jobId = await this.#enqueue(target, { ...place(target), action: "DELETE", documentIds });
    await this.deps.store.setDocumentStatus(target, documentIds, { status: "DELETING", ingestionJobId: jobId });
  }

  async #enqueue(target: DataSourceRef, payload: DirectIngestionPayload): Promise<string> {
    if (!this.#queue) throw new BasaltError("SERVICE_UNAVAILABLE", "Direct ingestion is not available: its job queue is not running.");
    // Called inside the request's transaction (DocumentIngestor's contract): the job commits with the records.
    const { job } = await this.#queue.create({ type: DIRECT_INGESTION_JOB_TYPE, accountId: target.accountId, payload });
    return job.id;
  }

  async #run(context: JobContext<DirectIngestionPayload>): Promise<DirectIngestionResult> {
    const { job, payload } = context;
    const target: DataSourceRef = { accountId: job.accountId, knowledgeBaseId: payload.knowledgeBaseId, dataSourceId: payload.dataSourceId };
    const ids = payload.action === "INGEST" ? payload.documents.map((d) => d.documentId) : payload.documentIds;
    const pending = payload.action === "INGEST" ? INGEST_PENDING : DELETE_PENDING;
    return this.#lock.run(`${target.accountId}/${target.knowledgeBaseId}/${target.dataSourceId}`, async () => {
      try {
        if (payload.action === "INGEST") await this.#ingest(context, target, payload.documents.map(fromStoredDocument));
        else await this.#delete(target, job.id, payload.documentIds);
      } catch (error) {
        // Interrupted (shutdown, lost lease): the next attempt resumes. Otherwise, when no attempt
        // will follow, what this job still owns fails with the reason rather than waiting for ever.
        const interrupted = context.signal.aborted;
        const permanent = error instanceof BasaltError && !error.kind.retryable;
        if (!interrupted && (permanent || job.attempts >= job.maxAttempts)) {
          await this.deps.store.setDocumentStatus(target, ids, { status: "FAILED", statusReason: reasonOf(error), from: pending, ownedBy: job.id });
        }
        throw error;
      }
      return this.#outcome(target, job.id, payload.action, ids);
    });
  }

  async #ingest(context: JobContext<DirectIngestionPayload>, target: DataSourceRef, documents: ValidatedDocument[]): Promise<void> {
    const { store } = this.deps;
    const jobId = context.job.id;
    const owned = await this.#owned(target, jobId, documents.map((d) => d.documentId), INGEST_PENDING);
    if (owned.size === 0) return;
    const kb = await store.findKnowledgeBase(target.accountId, target.knowledgeBaseId);
    const ds = kb && (await store.findDataSource(target));
    if (!kb || !ds) return; // deleted meanwhile: the records went with it
    const open = await this.deps.indexes.open({ accountId: kb.accountId, knowledgeBaseId: kb.id, knowledgeBaseConfiguration: kb.configuration, storageConfiguration: kb.storageConfiguration });
    const sync = { dataSourceConfiguration: ds.configuration, vectorIngestionConfiguration: ds.vectorIngestionConfiguration } as SyncDataSource;
    let done = 0;
    for (const document of documents) {
      if (context.signal.aborted) throw context.signal.reason;
      if (!owned.has(document.documentId)) continue;
      // Claimed only while still this job's: a later request may have taken the document over.
      if ((await store.setDocumentStatus(target, [document.documentId], { status: "IN_PROGRESS", from: INGEST_PENDING, ownedBy: jobId })) === 0) continue;
      const write = await this.#process(document, target, open, sync);
      await store.finishOwnedDocument(target, write, jobId);
      done++;
      await context.progress({ completed: done, total: owned.size });
    }
  }

  /** One document through the pipeline; its record's write, INDEXED or FAILED with the reason. */
  async #process(document: ValidatedDocument, target: DataSourceRef, open: OpenKnowledgeBase, sync: SyncDataSource): Promise<Omit<DocumentWrite, "ingestionJobId">> {
    const { openSource, maxDocumentBytes, parser } = this.deps;
    try {
      const { bytes, fileName, location } = await directContent(document, target.accountId, openSource);
      if (bytes.byteLength === 0) throw new Error("the document is empty (0 bytes)");
      if (bytes.byteLength > maxDocumentBytes) throw new Error(`the document is ${bytes.byteLength} bytes; the limit is ${maxDocumentBytes}`);
      const sidecar = await directMetadata(document, target.accountId, openSource);
      const processed = await processDocument(
        { documentId: document.documentId, sourceUri: location, dataSourceId: target.dataSourceId, fileName, bytes, sidecar },
        { parser, embedding: open.embedding, dimensions: open.dimensions, chunking: sync.vectorIngestionConfiguration?.chunkingConfiguration, ocr: wantsOcr(sync) },
      );
      await open.index.deleteDocuments([document.documentId]);
      await open.index.upsert(processed.chunks);
      return { documentId: document.documentId, status: "INDEXED", chunkCount: processed.chunks.length, contentFingerprint: `direct:${Date.now()}` };
    } catch (error) {
      return { documentId: document.documentId, status: "FAILED", statusReason: reasonOf(error), chunkCount: 0 };
    }
  }

  async #delete(target: DataSourceRef, jobId: string, documentIds: string[]): Promise<void> {
    const { store } = this.deps;
    const owned = [...(await this.#owned(target, jobId, documentIds, DELETE_PENDING))];
    if (owned.length === 0) return;
    const kb = await store.findKnowledgeBase(target.accountId, target.knowledgeBaseId);
    if (!kb) return;
    await store.setDocumentStatus(target, owned, { status: "DELETE_IN_PROGRESS", from: DELETE_PENDING, ownedBy: jobId });
    const open = await this.deps.indexes.open({ accountId: kb.accountId, knowledgeBaseId: kb.id, knowledgeBaseConfiguration: kb.configuration, storageConfiguration: kb.storageConfiguration });
    await open.index.deleteDocuments(owned);
    await store.deleteOwnedDocuments(target, owned, jobId);
  }

  /** The ids of these documents whose records this job owns and has not finished. */
  async #owned(target: DataSourceRef, jobId: string, documentIds: readonly string[], pending: readonly DocumentStatus[]): Promise<Set<string>> {
    const records = await this.deps.store.getDocuments(target, documentIds);
    return new Set(records.filter((r) => r.ingestionJobId === jobId && pending.includes(r.status)).map((r) => r.documentId));
  }

  /** How the job's documents ended, read from their records (so a resumed attempt counts what earlier ones did). */
  async #outcome(target: DataSourceRef, jobId: string, action: DirectIngestionPayload["action"], documentIds: readonly string[]): Promise<DirectIngestionResult> {
    const records = new Map((await this.deps.store.getDocuments(target, documentIds)).map((r) => [r.documentId, r]));
    const result: DirectIngestionResult = { indexed: 0, failed: 0, deleted: 0, superseded: 0 };
    for (const id of documentIds) {
      const record = records.get(id);
      if (!record) result[action === "DELETE" ? "deleted" : "superseded"]++;
      else if (record.ingestionJobId !== jobId) result.superseded++;
      else if (record.status === "INDEXED") result.indexed++;
      else result.failed++;
    }
    return result;
  }
}

function place(target: DataSourceRef): { knowledgeBaseId: string; dataSourceId: string } {
  return { knowledgeBaseId: target.knowledgeBaseId, dataSourceId: target.dataSourceId };
}
