// Direct ingestion (IngestKnowledgeBaseDocuments / DeleteKnowledgeBaseDocuments): documents
// given inline or by S3 URI go through the same processing as a sync, one by one, each ending
// INDEXED or FAILED with its reason in the document records, never failing the others.
import { extname } from "node:path";
import type { KnowledgeBaseStore } from "../store/knowledge-base-store.ts";
import type { DocumentIngestor } from "../store/hooks.ts";
import type { DataSourceRef, ValidatedDocument } from "../store/records.ts";
import type { DocumentParser } from "../parsing/document-parser.ts";
import type { KnowledgeBaseIndexes } from "./indexes.ts";
import { processDocument } from "./process-document.ts";
import { parseSidecar, type SidecarMetadata } from "./sidecar.ts";
import type { DocumentSource } from "./sources/source.ts";
import { wantsOcr, type SyncDataSource } from "./sync.ts";

/** File extensions by MIME type, for inline byte content (the parser picks formats by name). */
const EXTENSIONS: Record<string, string> = {
  "text/plain": ".txt",
  "text/markdown": ".md",
  "text/html": ".html",
  "text/csv": ".csv",
  "application/pdf": ".pdf",
  "application/msword": ".doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
  "application/vnd.ms-excel": ".xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/tiff": ".tiff",
};

/** `s3://bucket/key` → its parts. */
function s3Parts(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`${uri} is not an s3://bucket/key URI`);
  return { bucket: match[1]!, key: match[2]! };
}

/** What the ingestor needs. */
export interface DirectIngestorDeps {
  store: KnowledgeBaseStore;
  indexes: KnowledgeBaseIndexes;
  parser: DocumentParser;
  openSource: (bucket: string, accountId: string) => DocumentSource;
  maxDocumentBytes: number;
}

/** Processes directly ingested documents in the background. */
export class DirectIngestor implements DocumentIngestor {
  constructor(private readonly deps: DirectIngestorDeps) {}

  async ingest(target: DataSourceRef, documents: ValidatedDocument[]): Promise<void> {
    const { store, indexes } = this.deps;
    const kb = await store.getKnowledgeBase(target.accountId, target.knowledgeBaseId);
    const ds = await store.getDataSource(target);
    const open = await indexes.open({ accountId: kb.accountId, knowledgeBaseId: kb.id, knowledgeBaseConfiguration: kb.configuration, storageConfiguration: kb.storageConfiguration });
    const sync = { dataSourceConfiguration: ds.configuration, vectorIngestionConfiguration: ds.vectorIngestionConfiguration } as SyncDataSource;
    for (const document of documents) {
      await store.setDocumentStatus(target, [document.documentId], { status: "IN_PROGRESS" });
      try {
        const { bytes, fileName, location } = await this.#content(document, target.accountId);
        if (bytes.byteLength === 0) throw new Error("the document is empty (0 bytes)");
        if (bytes.byteLength > this.deps.maxDocumentBytes) throw new Error(`the document is ${bytes.byteLength} bytes; the limit is ${this.deps.maxDocumentBytes}`);
        const sidecar = await this.#metadata(document, target.accountId);
        const processed = await processDocument(
          { documentId: document.documentId, sourceUri: location, dataSourceId: target.dataSourceId, fileName, bytes, sidecar },
          { parser: this.deps.parser, embedding: open.embedding, dimensions: open.dimensions, chunking: sync.vectorIngestionConfiguration?.chunkingConfiguration, ocr: wantsOcr(sync) },
        );
        await open.index.deleteDocuments([document.documentId]);
        await open.index.upsert(processed.chunks);
        await store.putDocuments(target, [{ documentId: document.documentId, status: "INDEXED", chunkCount: processed.chunks.length, contentFingerprint: `direct:${Date.now()}` }]);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        await store.putDocuments(target, [{ documentId: document.documentId, status: "FAILED", statusReason: reason, chunkCount: 0 }]);
      }
    }
  }

  async remove(target: DataSourceRef, documentIds: string[]): Promise<void> {
    const { store, indexes } = this.deps;
    const kb = await store.getKnowledgeBase(target.accountId, target.knowledgeBaseId);
    const open = await indexes.open({ accountId: kb.accountId, knowledgeBaseId: kb.id, knowledgeBaseConfiguration: kb.configuration, storageConfiguration: kb.storageConfiguration });
    await open.index.deleteDocuments(documentIds);
    await store.deleteDocuments(target, documentIds);
  }

  async #content(document: ValidatedDocument, accountId: string): Promise<{ bytes: Uint8Array; fileName: string; location: string }> {
    const content = document.content;
    const name = document.documentId.replace(/[^\w.-]+/g, "_");
    switch (content.type) {
      case "TEXT":
        return { bytes: Buffer.from(content.text, "utf8"), fileName: `${name}.txt`, location: document.documentId };
      case "BYTE": {
        const extension = EXTENSIONS[content.mimeType.split(";")[0]!.trim().toLowerCase()] ?? (extname(name) || `.${content.mimeType.split("/")[1] ?? "bin"}`);
        return { bytes: content.data, fileName: name.endsWith(extension) ? name : `${name}${extension}`, location: document.documentId };
      }
      case "S3": {
        const { bucket, key } = s3Parts(content.uri);
        return { bytes: await this.#read(bucket, key, accountId), fileName: key.slice(key.lastIndexOf("/") + 1), location: content.uri };
      }
    }
  }

  async #metadata(document: ValidatedDocument, accountId: string): Promise<SidecarMetadata | undefined> {
    const metadata = document.metadata;
    if (!metadata) return undefined;
    if (metadata.type === "IN_LINE_ATTRIBUTE") return { attributes: metadata.attributes, forEmbedding: [] };
    const { bucket, key } = s3Parts(metadata.uri);
    return parseSidecar(await this.#read(bucket, key, accountId), key);
  }

  async #read(bucket: string, key: string, accountId: string): Promise<Buffer> {
    const source = this.deps.openSource(bucket, accountId);
    try {
      return await source.read(key);
    } finally {
      await source.close();
    }
  }
}
