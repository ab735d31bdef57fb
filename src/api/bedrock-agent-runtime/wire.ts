// Passages and citations in bedrock-agent-runtime's wire shapes: Retrieve's retrievalResults,
// RetrieveAndGenerate's citations with their retrievedReferences, and the location union.
import type { SpanCitation } from "../../kb/generation/citations.ts";
import type { RetrievedPassage } from "../../kb/retrieval/passage.ts";
import type { Metadata } from "../../kb/vector-store/filter.ts";

/** RetrievalResultLocation. */
export type WireLocation =
  | { type: "S3"; s3Location: { uri: string } }
  | { type: "WEB"; webLocation: { url: string } }
  | { type: "CUSTOM"; customDocumentLocation: { id: string } };

/** One of Retrieve's retrievalResults. */
export interface WireRetrievalResult {
  content: { type: "TEXT"; text: string };
  location: WireLocation;
  score: number;
  metadata: Metadata;
}

/** A RetrievedReference of a citation. */
export interface WireReference {
  content: { type: "TEXT"; text: string };
  location: WireLocation;
  metadata: Metadata;
}

/** A Citation (and, in a stream, a CitationEvent's body). */
export interface WireCitation {
  generatedResponsePart: { textResponsePart: { text: string; span: { start: number; end: number } } };
  retrievedReferences: WireReference[];
}

/**
 * Where a document lives, as Bedrock reports it: S3 for `s3://` URIs, WEB for `http(s)://`, and
 * CUSTOM (Bedrock's type for documents of custom data sources, keyed by id) for everything else:
 * files of a local folder (`file:///…`) and documents passed inline. The URI is also in the
 * metadata under `x-amz-bedrock-kb-source-uri`, where clients that only read S3 locations find it.
 */
export function locationOf(uri: string): WireLocation {
  if (uri.startsWith("s3://")) return { type: "S3", s3Location: { uri } };
  if (/^https?:\/\//i.test(uri)) return { type: "WEB", webLocation: { url: uri } };
  return { type: "CUSTOM", customDocumentLocation: { id: uri } };
}

/** A passage as one of Retrieve's results. */
export function toRetrievalResult(passage: RetrievedPassage): WireRetrievalResult {
  return { content: { type: "TEXT", text: passage.text }, location: locationOf(passage.sourceUri), score: passage.score, metadata: passage.metadata };
}

/** A passage as a citation's retrieved reference. */
export function toReference(passage: RetrievedPassage): WireReference {
  return { content: { type: "TEXT", text: passage.text }, location: locationOf(passage.sourceUri), metadata: passage.metadata };
}

/** A span citation over `text` as Bedrock's Citation; spans are `[start, end)` character offsets. */
export function toWireCitation(citation: SpanCitation, text: string, passages: readonly RetrievedPassage[]): WireCitation {
  return {
    generatedResponsePart: { textResponsePart: { text: text.slice(citation.start, citation.end), span: { start: citation.start, end: citation.end } } },
    retrievedReferences: citation.sources.map((i) => toReference(passages[i]!)),
  };
}
