// The payload of a direct-ingestion job: the documents of one IngestKnowledgeBaseDocuments
// request (inline bodies included) or the ids of one DeleteKnowledgeBaseDocuments request, as
// JSON. The job store seals payloads per account, so inline content is encrypted at rest like
// every other job's; bytes travel as base64.
import type { ValidatedDocument } from "../store/records.ts";

/** The queue's job type of direct ingestion and deletion. */
export const DIRECT_INGESTION_JOB_TYPE = "kb.direct-ingestion";

/** A validated document as JSON: BYTE content as base64. */
export type StoredDocument = Omit<ValidatedDocument, "content"> & {
  content: Exclude<ValidatedDocument["content"], { type: "BYTE" }> | { type: "BYTE"; mimeType: string; base64: string };
};

/** What one direct-ingestion job does, in one data source of the job's account. */
export type DirectIngestionPayload = { knowledgeBaseId: string; dataSourceId: string } & ({ action: "INGEST"; documents: StoredDocument[] } | { action: "DELETE"; documentIds: string[] });

/** What a direct-ingestion job returns: how its documents ended (those a later request took over are `superseded`). */
export interface DirectIngestionResult {
  indexed: number;
  failed: number;
  deleted: number;
  superseded: number;
}

/** A validated document as the job payload keeps it. */
export function toStoredDocument(document: ValidatedDocument): StoredDocument {
  const { content } = document;
  if (content.type !== "BYTE") return { ...document, content };
  return { ...document, content: { type: "BYTE", mimeType: content.mimeType, base64: content.data.toString("base64") } };
}

/** A document of a job payload, as the pipeline processes it. */
export function fromStoredDocument(document: StoredDocument): ValidatedDocument {
  const { content } = document;
  if (content.type !== "BYTE") return { ...document, content };
  return { ...document, content: { type: "BYTE", mimeType: content.mimeType, data: Buffer.from(content.base64, "base64") } };
}
