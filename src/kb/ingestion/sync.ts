// A data source's sync, run as a durable job ("kb.ingestion"): list the bucket, compare each
// object's fingerprint with what was indexed, parse/chunk/embed only new and changed documents,
// drop the chunks of deleted ones, and count all of it as Bedrock's statistics.
//
// Crash safety: chunk ids are deterministic (`<document>#<n>`) and a document's old chunks are
// deleted before its new ones go in, so redoing a document never duplicates; a document's record
// is written only after its chunks are stored, so a crash before that redoes it on the next
// attempt. Records carry the job that wrote them, so a resumed attempt neither redoes nor
// recounts what the crashed attempt finished.
import type { JobContext } from "../../jobs/job.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { ChunkingConfiguration } from "../chunking/chunking-config.ts";
import { INGESTION_JOB_TYPE, type IngestionJobPayload, type IngestionJobResult } from "../store/ingestion-jobs.ts";
import type { DocumentParser } from "../parsing/document-parser.ts";
import type { IndexTarget, KnowledgeBaseIndexes } from "./indexes.ts";
import { processDocument } from "./process-document.ts";
import { isSidecar, parseSidecar, sidecarKey, type SidecarMetadata } from "./sidecar.ts";
import { bucketFromArn } from "./sources/resolve-source.ts";
import { SourceError, type DocumentSource, type SourceObject } from "./sources/source.ts";

export { INGESTION_JOB_TYPE };

/** A sync job's payload. */
export type IngestionPayload = IngestionJobPayload;

/** A sync job's result. */
export interface IngestionResult extends IngestionJobResult {
  failureReasons: string[];
}

/** Bedrock's ingestion statistics, as the job's progress counters. */
export interface IngestionStatistics {
  numberOfDocumentsScanned: number;
  numberOfMetadataDocumentsScanned: number;
  numberOfNewDocumentsIndexed: number;
  numberOfModifiedDocumentsIndexed: number;
  numberOfMetadataDocumentsModified: number;
  numberOfDocumentsDeleted: number;
  numberOfDocumentsFailed: number;
}

/** What a sync remembers of one document between runs. */
export interface DocumentState {
  documentId: string;
  contentFingerprint: string;
  metadataFingerprint: string;
  status: "INDEXED" | "FAILED";
  statusReason?: string;
  chunkCount: number;
  jobId?: string;
}

/** A data source as a sync needs it. */
export interface SyncDataSource {
  dataSourceConfiguration: { type: string; s3Configuration?: { bucketArn: string; inclusionPrefixes?: string[] } };
  vectorIngestionConfiguration?: { chunkingConfiguration?: ChunkingConfiguration; parsingConfiguration?: unknown } | null;
}

/** Storage a sync reads and writes its bookkeeping through. */
export interface SyncStore {
  knowledgeBase(accountId: string, knowledgeBaseId: string): Promise<IndexTarget | undefined>;
  dataSource(accountId: string, knowledgeBaseId: string, dataSourceId: string): Promise<SyncDataSource | undefined>;
  documents(accountId: string, knowledgeBaseId: string, dataSourceId: string): Promise<DocumentState[]>;
  saveDocument(accountId: string, knowledgeBaseId: string, dataSourceId: string, state: DocumentState): Promise<void>;
  removeDocument(accountId: string, knowledgeBaseId: string, dataSourceId: string, documentId: string): Promise<void>;
}

/** What a sync needs. */
export interface SyncDeps {
  store: SyncStore;
  indexes: KnowledgeBaseIndexes;
  parser: DocumentParser;
  openSource: (bucket: string, accountId: string) => DocumentSource;
  maxDocumentBytes: number;
  /** Told of each document as it is done (for logs and progress bars). */
  onDocument?: (event: { documentId: string; outcome: "new" | "modified" | "metadata" | "failed" | "unchanged" | "deleted" }) => void;
}

const ZERO: IngestionStatistics = {
  numberOfDocumentsScanned: 0,
  numberOfMetadataDocumentsScanned: 0,
  numberOfNewDocumentsIndexed: 0,
  numberOfModifiedDocumentsIndexed: 0,
  numberOfMetadataDocumentsModified: 0,
  numberOfDocumentsDeleted: 0,
  numberOfDocumentsFailed: 0,
};

/** Whether a data source's parsing configuration asks for OCR (Bedrock's advanced parsing strategies). */
export function wantsOcr(ds: SyncDataSource): boolean {
  const parsing = ds.vectorIngestionConfiguration?.parsingConfiguration as { parsingStrategy?: string } | undefined;
  return Boolean(parsing?.parsingStrategy);
}

const fileName = (key: string) => key.slice(key.lastIndexOf("/") + 1);

/** Runs one attempt of a sync job. */
export async function runSync(context: JobContext<IngestionPayload>, deps: SyncDeps): Promise<IngestionResult> {
  const { job, payload, signal } = context;
  const accountId = job.accountId;
  const { knowledgeBaseId, dataSourceId } = payload;
  const kb = await deps.store.knowledgeBase(accountId, knowledgeBaseId);
  const ds = await deps.store.dataSource(accountId, knowledgeBaseId, dataSourceId);
  // Errors that will not change on retry are BasaltErrors that are not retryable: the job fails at once.
  if (!kb || !ds) throw new BasaltError("NOT_FOUND", `the ${kb ? "data source" : "knowledge base"} no longer exists`);
  const s3 = ds.dataSourceConfiguration.s3Configuration;
  if (ds.dataSourceConfiguration.type !== "S3" || !s3) {
    throw new BasaltError("VALIDATION", `data sources of type ${ds.dataSourceConfiguration.type} are not synced; ingest their documents directly`);
  }
  const open = await deps.indexes.open(kb);
  const source = deps.openSource(bucketFromArn(s3.bucketArn), accountId);
  // A resumed attempt keeps what the crashed one counted, except scanning, which starts over.
  const stats: IngestionStatistics = { ...ZERO, ...(job.progress.counters as Partial<IngestionStatistics>), numberOfDocumentsScanned: 0, numberOfMetadataDocumentsScanned: 0 };
  let lastReport = 0;
  const report = async (force = false) => {
    if (!force && Date.now() - lastReport < 200) return;
    lastReport = Date.now();
    await context.progress({ counters: { ...stats }, completed: stats.numberOfDocumentsScanned });
  };
  try {
    const objects = new Map<string, SourceObject>();
    const sidecars = new Map<string, SourceObject>();
    try {
      for await (const object of source.list(s3.inclusionPrefixes ?? [], signal)) {
        if (isSidecar(object.key)) sidecars.set(object.key, object);
        else objects.set(object.key, object);
      }
    } catch (error) {
      if (error instanceof SourceError) {
        const message = `${error.message}; nothing was changed`;
        throw error.permanent ? new BasaltError("NOT_FOUND", message, { cause: error }) : new Error(message, { cause: error });
      }
      throw error;
    }
    const known = new Map((await deps.store.documents(accountId, knowledgeBaseId, dataSourceId)).map((d) => [d.documentId, d]));
    await context.progress({ total: objects.size, counters: { ...stats } });
    const ocr = wantsOcr(ds);
    for (const object of objects.values()) {
      signal.throwIfAborted();
      stats.numberOfDocumentsScanned++;
      const sidecar = sidecars.get(sidecarKey(object.key));
      if (sidecar) stats.numberOfMetadataDocumentsScanned++;
      const metadataFingerprint = sidecar?.fingerprint ?? "";
      const previous = known.get(object.uri);
      known.delete(object.uri);
      if (previous && previous.contentFingerprint === object.fingerprint && previous.metadataFingerprint === metadataFingerprint) {
        deps.onDocument?.({ documentId: object.uri, outcome: "unchanged" });
        await report();
        continue;
      }
      const outcome = !previous ? "new" : previous.contentFingerprint === object.fingerprint ? "metadata" : "modified";
      const state: DocumentState = { documentId: object.uri, contentFingerprint: object.fingerprint, metadataFingerprint, status: "INDEXED", chunkCount: 0, jobId: job.id };
      try {
        if (object.size === 0) throw new Error("the document is empty (0 bytes)");
        if (object.size > deps.maxDocumentBytes) throw new Error(`the document is ${object.size} bytes; the limit is ${deps.maxDocumentBytes}`);
        let metadata: SidecarMetadata | undefined;
        if (sidecar) metadata = parseSidecar(await source.read(sidecar.key, signal), sidecar.key);
        const bytes = await source.read(object.key, signal);
        const processed = await processDocument(
          { documentId: object.uri, sourceUri: object.location, dataSourceId, fileName: fileName(object.key), bytes, sidecar: metadata },
          { parser: deps.parser, embedding: open.embedding, dimensions: open.dimensions, chunking: ds.vectorIngestionConfiguration?.chunkingConfiguration, ocr, signal },
        );
        await open.index.deleteDocuments([object.uri]);
        await open.index.upsert(processed.chunks);
        state.chunkCount = processed.chunks.length;
        if (outcome === "new") stats.numberOfNewDocumentsIndexed++;
        else if (outcome === "modified") stats.numberOfModifiedDocumentsIndexed++;
        else stats.numberOfMetadataDocumentsModified++;
        deps.onDocument?.({ documentId: object.uri, outcome });
      } catch (error) {
        if (signal.aborted) throw error;
        state.status = "FAILED";
        state.statusReason = error instanceof Error ? error.message : String(error);
        stats.numberOfDocumentsFailed++;
        deps.onDocument?.({ documentId: object.uri, outcome: "failed" });
      }
      await deps.store.saveDocument(accountId, knowledgeBaseId, dataSourceId, state);
      // Counted work is persisted at once, so a resumed attempt starts from exact figures.
      await report(true);
    }
    // What is left in `known` was not listed: deleted from the bucket.
    for (const gone of known.values()) {
      signal.throwIfAborted();
      await open.index.deleteDocuments([gone.documentId]);
      await deps.store.removeDocument(accountId, knowledgeBaseId, dataSourceId, gone.documentId);
      stats.numberOfDocumentsDeleted++;
      deps.onDocument?.({ documentId: gone.documentId, outcome: "deleted" });
      await report(true);
    }
    await report(true);
    const failed = (await deps.store.documents(accountId, knowledgeBaseId, dataSourceId)).filter((d) => d.status === "FAILED" && d.jobId === job.id);
    return { failureReasons: failed.map((d) => `${d.documentId}: ${d.statusReason ?? "failed"}`) };
  } finally {
    await source.close();
  }
}
