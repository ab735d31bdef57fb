// EXTERNAL_SOURCES: documents passed with a RetrieveAndGenerate request (inline bytes, or an S3
// object) instead of a knowledge base. Each is parsed with the ingestion parser and cut with the
// default chunking into passages; when they do not all fit the prompt, the passages sharing the
// most words with the question are kept. S3 buckets resolve through the server's configuration
// (resolve-source.ts), never through a URL the request could choose.
import { BasaltError } from "../../spec/errors.ts";
import { chunkDocument } from "../chunking/chunk-document.ts";
import { METADATA_KEYS } from "../ingestion/process-document.ts";
import type { DocumentSource } from "../ingestion/sources/source.ts";
import { DocumentParseError } from "../parsing/document-parse-error.ts";
import type { DocumentParser } from "../parsing/document-parser.ts";
import type { RetrievedPassage } from "../retrieval/passage.ts";
import type { Metadata } from "../vector-store/filter.ts";
import { contentWords, supportScore } from "./lexical-support.ts";
import type { ExternalSourceSpec } from "./rag-request.ts";

/** What loading external sources needs. */
export interface ExternalSourceDeps {
  parser: DocumentParser;
  /** Opens a bucket as the configuration maps it. */
  openSource: (bucket: string) => DocumentSource;
  maxDocumentBytes: number;
  signal?: AbortSignal;
}

/** How much of the documents goes into the prompt. */
export interface PassageBudget {
  /** Characters of passage text at most (the model's context, roughly). */
  maxChars: number;
}

interface LoadedDocument {
  uri: string;
  fileName: string;
  contentType?: string;
  bytes: Uint8Array;
  field: string;
}

async function read(spec: ExternalSourceSpec, field: string, deps: ExternalSourceDeps): Promise<LoadedDocument> {
  if (spec.kind === "BYTE_CONTENT") return { uri: spec.identifier, fileName: spec.identifier, contentType: spec.contentType, bytes: spec.data, field };
  const [, bucket = "", key = ""] = /^s3:\/\/([^/]+)\/(.+)$/.exec(spec.uri) ?? [];
  const source = deps.openSource(bucket);
  try {
    const bytes = await source.read(key, deps.signal);
    return { uri: spec.uri, fileName: key, bytes, field };
  } catch (error) {
    throw new BasaltError("VALIDATION", `The S3 object ${spec.uri} (${field}) could not be read.`, { cause: error });
  } finally {
    await source.close();
  }
}

async function passagesOf(doc: LoadedDocument, deps: ExternalSourceDeps): Promise<RetrievedPassage[]> {
  if (doc.bytes.byteLength > deps.maxDocumentBytes) {
    throw new BasaltError("VALIDATION", `The document ${doc.uri} (${doc.field}) is ${doc.bytes.byteLength} bytes, over the ${deps.maxDocumentBytes}-byte limit.`);
  }
  let parsed;
  try {
    parsed = await deps.parser.parse({ bytes: doc.bytes, fileName: doc.fileName, contentType: doc.contentType }, { signal: deps.signal });
  } catch (error) {
    const reason = error instanceof DocumentParseError ? error.message : "it could not be parsed";
    throw new BasaltError("VALIDATION", `The document ${doc.uri} (${doc.field}) could not be read: ${reason}.`, { cause: error });
  }
  const chunks = await chunkDocument(parsed, undefined, { signal: deps.signal });
  return chunks.map((chunk, n) => {
    const chunkId = `${doc.uri}#${n}`;
    const metadata: Metadata = { [METADATA_KEYS.sourceUri]: doc.uri, [METADATA_KEYS.chunkId]: chunkId };
    if (chunk.pages.length > 0) metadata[METADATA_KEYS.pageNumber] = chunk.pages[0]!;
    return { text: chunk.text, score: 1, sourceUri: doc.uri, chunkId, documentId: doc.uri, metadata };
  });
}

/**
 * Loads the documents and returns the passages for the prompt: all of them in document order
 * when they fit the budget, else the ones sharing the most content words with the question
 * (score = that share), best first, as many as fit.
 */
export async function loadExternalPassages(sources: readonly ExternalSourceSpec[], question: string, deps: ExternalSourceDeps, budget: PassageBudget): Promise<RetrievedPassage[]> {
  const all: RetrievedPassage[] = [];
  for (const [i, spec] of sources.entries()) {
    const doc = await read(spec, `retrieveAndGenerateConfiguration.externalSourcesConfiguration.sources.${i}`, deps);
    all.push(...(await passagesOf(doc, deps)));
  }
  const total = all.reduce((n, p) => n + p.text.length, 0);
  if (total <= budget.maxChars) return all;
  const words = contentWords(question);
  const ranked = all
    .map((p, order) => ({ p: { ...p, score: supportScore(words, contentWords(p.text)).ratio }, order }))
    .sort((a, b) => b.p.score - a.p.score || a.order - b.order);
  const kept: RetrievedPassage[] = [];
  let used = 0;
  for (const { p } of ranked) {
    if (used + p.text.length > budget.maxChars && kept.length > 0) continue;
    kept.push(p);
    used += p.text.length;
  }
  return kept;
}
