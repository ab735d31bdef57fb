// What retrieval hands on: a passage of a document with its score, where it came from and its
// metadata. Retrieve returns passages; RetrieveAndGenerate numbers them in the prompt and cites
// them. The wire shapes (Bedrock's retrievalResults and retrievedReferences) are made from this
// at the API edge.
import type { Metadata } from "../vector-store/filter.ts";

/** One retrieved piece of text. */
export interface RetrievedPassage {
  /** The text returned: the chunk's, or its parent's for hierarchical chunking. */
  text: string;
  /** Relevance in [0, 1], higher is better (the reranker's score when reranked). */
  score: number;
  /**
   * Where the document lives: `s3://bucket/key`, `file:///…`, or an external source's
   * identifier (for byte content passed inline to RetrieveAndGenerate).
   */
  sourceUri: string;
  /** The chunk id (the parent's id for hierarchical chunking). */
  chunkId: string;
  /** The document the passage belongs to. */
  documentId: string;
  /** Filterable attributes plus Bedrock's `x-amz-bedrock-kb-*` keys. */
  metadata: Metadata;
}
