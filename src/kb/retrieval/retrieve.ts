// Retrieve: embed the query with the knowledge base's own model, search its index (semantic,
// or hybrid with lexical results fused in), collapse hierarchical children into their parents,
// and optionally rerank. Returns passages best first; the API edge shapes them for the wire.
import { embedTexts } from "../embedding/embed-batched.ts";
import type { OpenKnowledgeBase } from "../ingestion/indexes.ts";
import { METADATA_KEYS } from "../ingestion/process-document.ts";
import type { SearchHit, SearchQuery } from "../vector-store/vector-store.ts";
import type { RetrievedPassage } from "./passage.ts";
import { rerankPassages, type Reranker } from "./reranker.ts";
import type { RerankingSettings, RetrievalSettings } from "./retrieval-config.ts";

/**
 * The most hits one search asks the index for while looking for enough distinct parents.
 * Past it, fewer parents than asked come back (a few huge parents own all the best children).
 */
export const MAX_CHILD_HITS = 1000;

/** What a retrieval needs besides the knowledge base. */
export interface RetrieveDeps {
  /** The reranker a rerankingConfiguration names; without it, reranking is refused. */
  reranker?: (settings: RerankingSettings) => Reranker | Promise<Reranker>;
  signal?: AbortSignal;
}

/** What a retrieval did, for usage accounting. */
export interface RetrievalOutcome {
  passages: RetrievedPassage[];
  /** Tokens the query embedding took. */
  embeddingTokens: number;
  /** Tokens the reranker read (0 without reranking). */
  rerankTokens: number;
}

/**
 * Turns hits into passages, one per parent for hierarchical chunks (the parent's text, the
 * best child's score and metadata, the parent's id as chunk id) and one per chunk otherwise.
 */
export function collapseHits(hits: readonly SearchHit[]): RetrievedPassage[] {
  const seen = new Set<string>();
  const passages: RetrievedPassage[] = [];
  for (const { chunk, score } of hits) {
    const id = chunk.parent?.id ?? chunk.id;
    if (seen.has(id)) continue;
    seen.add(id);
    passages.push({
      text: chunk.parent?.text ?? chunk.text,
      score,
      sourceUri: chunk.sourceUri,
      chunkId: id,
      documentId: chunk.documentId,
      metadata: { ...chunk.metadata, [METADATA_KEYS.chunkId]: id },
    });
  }
  return passages;
}

/**
 * Searches for `want` distinct passages. Hierarchical indexes hold several children per parent,
 * so when the hits collapse into fewer parents than asked, the search is repeated for more
 * children (four times as many each round) until enough parents appear or the index runs dry.
 */
export async function searchPassages(kb: Pick<OpenKnowledgeBase, "index">, query: Omit<SearchQuery, "k">, want: number): Promise<RetrievedPassage[]> {
  let k = want;
  for (;;) {
    const hits = await kb.index.search({ ...query, k });
    const passages = collapseHits(hits);
    if (passages.length >= want || hits.length < k || k >= MAX_CHILD_HITS) return passages.slice(0, want);
    k = Math.min(k * 4, MAX_CHILD_HITS);
  }
}

/** Retrieves the passages that best answer `query` under `settings`. */
export async function retrieve(kb: OpenKnowledgeBase, request: { query: string; settings: RetrievalSettings }, deps: RetrieveDeps = {}): Promise<RetrievalOutcome> {
  const { query, settings } = request;
  // Resolve the reranker first: an unknown reranking model fails before any work is done.
  const reranker = settings.reranking ? await resolve(deps, settings.reranking) : undefined;
  const { vectors, inputTokens } = await embedTexts(kb.embedding, [query], { purpose: "query", expectedDimensions: kb.dimensions, signal: deps.signal });
  deps.signal?.throwIfAborted();
  const passages = await searchPassages(
    kb,
    { mode: settings.searchType, vector: vectors[0]!, text: settings.searchType === "HYBRID" ? query : undefined, filter: settings.filter },
    settings.numberOfResults,
  );
  if (!reranker || !settings.reranking) return { passages, embeddingTokens: inputTokens, rerankTokens: 0 };
  const reranked = await rerankPassages(reranker, query, passages, settings.reranking, deps.signal);
  return { passages: reranked.passages, embeddingTokens: inputTokens, rerankTokens: reranked.inputTokens };
}

async function resolve(deps: RetrieveDeps, settings: RerankingSettings): Promise<Reranker> {
  if (!deps.reranker) throw new Error("retrieve: reranking was asked for but no reranker resolver was given");
  return deps.reranker(settings);
}
