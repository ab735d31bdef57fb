// One document through the pipeline: bytes → parsed blocks → chunks → embeddings → stored chunks
// with Bedrock's metadata keys. Pure of bookkeeping: the sync and direct ingestion decide what
// to do with the result or the failure.
import type { EmbeddingModel } from "../../spec/model.ts";
import { chunkDocument } from "../chunking/chunk-document.ts";
import type { ChunkingConfiguration } from "../chunking/chunking-config.ts";
import { embedTexts } from "../embedding/embed-batched.ts";
import type { DocumentParser } from "../parsing/document-parser.ts";
import type { Metadata } from "../vector-store/filter.ts";
import type { StoredChunk } from "../vector-store/vector-store.ts";
import type { SidecarMetadata } from "./sidecar.ts";

/** Bedrock's own metadata keys on every chunk. */
export const METADATA_KEYS = {
  sourceUri: "x-amz-bedrock-kb-source-uri",
  dataSourceId: "x-amz-bedrock-kb-data-source-id",
  chunkId: "x-amz-bedrock-kb-chunk-id",
  pageNumber: "x-amz-bedrock-kb-document-page-number",
} as const;

/** A document to process. */
export interface DocumentInput {
  /** Its id in the knowledge base: the source URI (`s3://…`, `file:///…`) or a custom id. */
  documentId: string;
  /** What Retrieve reports as the location. */
  sourceUri: string;
  dataSourceId: string;
  /** The name the format is chosen by (extension). */
  fileName: string;
  bytes: Uint8Array;
  sidecar?: SidecarMetadata;
}

/** What processing needs. */
export interface ProcessDeps {
  parser: DocumentParser;
  embedding: EmbeddingModel;
  dimensions: number;
  chunking?: ChunkingConfiguration;
  /** Run OCR on images and pages without a text layer. */
  ocr: boolean;
  signal?: AbortSignal;
}

/** The stored chunks of a document, and the tokens embedding them cost. */
export interface ProcessedDocument {
  chunks: StoredChunk[];
  inputTokens: number;
}

/** Parses, chunks and embeds one document. Throws on a bad document; the caller records why. */
export async function processDocument(input: DocumentInput, deps: ProcessDeps): Promise<ProcessedDocument> {
  const parsed = await deps.parser.parse({ bytes: input.bytes, fileName: input.fileName }, { ocr: deps.ocr, signal: deps.signal });
  const embedForChunking = async (texts: string[]) => (await embedTexts(deps.embedding, texts, { purpose: "document", signal: deps.signal })).vectors;
  const chunks = await chunkDocument(parsed, deps.chunking, { embed: embedForChunking, signal: deps.signal });
  const prefix = input.sidecar?.forEmbedding.length ? `${input.sidecar.forEmbedding.join("\n")}\n\n` : "";
  const { vectors, inputTokens } = await embedTexts(
    deps.embedding,
    chunks.map((c) => prefix + c.text),
    { purpose: "document", expectedDimensions: deps.dimensions, signal: deps.signal },
  );
  const stored = chunks.map((chunk, n): StoredChunk => {
    const id = `${input.documentId}#${n}`;
    const metadata: Metadata = {
      ...input.sidecar?.attributes,
      [METADATA_KEYS.sourceUri]: input.sourceUri,
      [METADATA_KEYS.dataSourceId]: input.dataSourceId,
      [METADATA_KEYS.chunkId]: id,
    };
    if (chunk.pages.length > 0) metadata[METADATA_KEYS.pageNumber] = chunk.pages[0]!;
    return {
      id,
      documentId: input.documentId,
      dataSourceId: input.dataSourceId,
      text: chunk.text,
      parent: chunk.parent ? { id: `${input.documentId}#p${chunk.parent.index}`, text: chunk.parent.text } : undefined,
      sourceUri: input.sourceUri,
      metadata,
      vector: vectors[n]!,
    };
  });
  return { chunks: stored, inputTokens };
}
