// The reranking abstraction: a model that scores how relevant each document is to a query.
// Two kinds stand behind it: a cross-encoder (a GGUF reranker through llama.cpp, which reads
// query and document together) and a bi-encoder re-scorer (any embedding model, comparing the
// query's and each document's vectors). Retrieve's rerankingConfiguration and the Rerank
// operation both go through {@link rerankTexts}.
import type { Metadata, MetadataValue } from "../vector-store/filter.ts";
import type { RetrievedPassage } from "./passage.ts";
import type { RerankMetadataSelection, RerankingSettings } from "./retrieval-config.ts";

/** Relevance scores of one reranking call, in the documents' order. */
export interface RerankScores {
  /** One score in [0, 1] per document, higher is more relevant. */
  scores: number[];
  /** Input tokens the model read (for usage records). */
  inputTokens: number;
}

/** A model that scores documents against a query. */
export interface Reranker {
  /** The catalog id of the model. */
  readonly modelId: string;
  /**
   * `cross-encoder`: a reranking model reading query and document together (the real thing).
   * `bi-encoder`: an embedding model's cosine similarity, a cheaper stand-in.
   */
  readonly kind: "cross-encoder" | "bi-encoder";
  /** Scores every document against the query. */
  score(query: string, documents: readonly string[], options?: { signal?: AbortSignal }): Promise<RerankScores>;
}

/** One reranked document: its position in the input and its score. */
export interface RankedIndex {
  index: number;
  relevanceScore: number;
}

/** Scores documents and returns the best `top` (all when absent), best first; ties keep input order. */
export async function rerankTexts(reranker: Reranker, query: string, documents: readonly string[], options: { top?: number; signal?: AbortSignal } = {}): Promise<{ ranked: RankedIndex[]; inputTokens: number }> {
  if (documents.length === 0) return { ranked: [], inputTokens: 0 };
  const { scores, inputTokens } = await reranker.score(query, documents, { signal: options.signal });
  const ranked = scores.map((relevanceScore, index) => ({ index, relevanceScore })).sort((a, b) => b.relevanceScore - a.relevanceScore || a.index - b.index);
  return { ranked: options.top === undefined ? ranked : ranked.slice(0, options.top), inputTokens };
}

function formatValue(value: MetadataValue): string {
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/** The metadata lines the reranker reads beside a passage, as the selection asks. */
export function metadataForReranking(metadata: Metadata, selection: RerankMetadataSelection): string {
  if (selection.mode === "NONE") return "";
  const keys = Object.keys(metadata).filter((key) => {
    if (selection.mode === "INCLUDE") return selection.fields.includes(key);
    if (selection.mode === "EXCLUDE") return !selection.fields.includes(key);
    return true;
  });
  return keys.map((key) => `${key}: ${formatValue(metadata[key]!)}`).join("\n");
}

/**
 * Reorders passages by a reranker's scores and keeps `numberOfRerankedResults` of them (all
 * when unset). Each passage's score becomes the reranker's relevance score.
 */
export async function rerankPassages(
  reranker: Reranker,
  query: string,
  passages: readonly RetrievedPassage[],
  settings: Pick<RerankingSettings, "numberOfRerankedResults" | "metadata">,
  signal?: AbortSignal,
): Promise<{ passages: RetrievedPassage[]; inputTokens: number }> {
  const texts = passages.map((p) => {
    const extra = metadataForReranking(p.metadata, settings.metadata);
    return extra ? `${extra}\n\n${p.text}` : p.text;
  });
  const { ranked, inputTokens } = await rerankTexts(reranker, query, texts, { top: settings.numberOfRerankedResults, signal });
  return { passages: ranked.map(({ index, relevanceScore }) => ({ ...passages[index]!, score: relevanceScore })), inputTokens };
}
