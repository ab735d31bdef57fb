// The bi-encoder re-scorer: any embedding model of the catalog used as a reranker, scoring each
// document by the cosine similarity of its vector to the query's. It reads query and document
// apart, so it is weaker than a cross-encoder; it exists so reranking works with the offline
// default model and with any embedding model a deployment already serves.
import type { EmbeddingModel } from "../../spec/model.ts";
import { embedTexts } from "../embedding/embed-batched.ts";
import { cosineWithQuery, norm } from "../vector-store/embedded/vector-math.ts";
import type { Reranker, RerankScores } from "./reranker.ts";

/** An embedding model scoring documents by cosine similarity (clamped to [0, 1]). */
export class EmbeddingReranker implements Reranker {
  readonly kind = "bi-encoder" as const;

  constructor(
    readonly modelId: string,
    private readonly model: EmbeddingModel,
  ) {}

  async score(query: string, documents: readonly string[], options: { signal?: AbortSignal } = {}): Promise<RerankScores> {
    const [q, d] = await Promise.all([
      embedTexts(this.model, [query], { purpose: "query", signal: options.signal }),
      embedTexts(this.model, documents, { purpose: "document", signal: options.signal }),
    ]);
    const queryVector = q.vectors[0]!;
    const queryNorm = norm(queryVector);
    // Negative similarity means unrelated, not "less than irrelevant": Bedrock's scores are in [0, 1].
    const scores = d.vectors.map((v) => Math.min(1, Math.max(0, cosineWithQuery(v, queryVector, queryNorm))));
    return { scores, inputTokens: q.inputTokens + d.inputTokens };
  }
}
