// The vector store interface every engine implements: the embedded default (SQLite + an ANN
// index, under the data directory) and external engines (PostgreSQL with pgvector). One index
// holds one knowledge base's chunks; search is semantic, lexical or hybrid, with metadata filters.
import type { Metadata, MetadataFilter } from "./filter.ts";

/** A chunk as stored: its vector, text, source and filterable metadata. */
export interface StoredChunk {
  /** Unique within the index; stable for a document version (`<documentId>#<n>`). */
  id: string;
  /** The source document this chunk came from (data source id + object URI); deletes go by it. */
  documentId: string;
  dataSourceId: string;
  /** The text that was embedded and is indexed for lexical search. */
  text: string;
  /**
   * Hierarchical chunking: the parent chunk this child belongs to. Search runs on children;
   * Retrieve returns the parent's text once per parent.
   */
  parent?: { id: string; text: string };
  /** Where the document lives (`s3://bucket/key` or `file:///…`), as Retrieve's location reports it. */
  sourceUri: string;
  /** Filterable attributes: the sidecar's metadataAttributes plus Bedrock's `x-amz-bedrock-kb-*` keys. */
  metadata: Metadata;
  vector: Float32Array;
}

/** A search hit: the chunk without its vector, and a score where higher is better (in [0, 1]). */
export interface SearchHit {
  chunk: Omit<StoredChunk, "vector">;
  score: number;
}

/** One search. */
export interface SearchQuery {
  /**
   * SEMANTIC: nearest vectors only. LEXICAL: full-text (BM25-style) only. HYBRID: both,
   * fused by a convex combination of normalised scores (`fuseHybrid` in fusion.ts).
   */
  mode: "SEMANTIC" | "LEXICAL" | "HYBRID";
  /** The query's embedding (SEMANTIC, HYBRID). */
  vector?: Float32Array;
  /** The query's text (LEXICAL, HYBRID). */
  text?: string;
  /** How many hits to return, best first. */
  k: number;
  filter?: MetadataFilter;
}

/** One knowledge base's chunks in one engine. */
export interface VectorIndex {
  readonly dimensions: number;
  /** Inserts or replaces chunks by id (atomically: all or none). */
  upsert(chunks: readonly StoredChunk[]): Promise<void>;
  /** Removes every chunk of these documents; returns how many chunks went. */
  deleteDocuments(documentIds: readonly string[]): Promise<number>;
  /** Ids of the chunks stored for a document (to check a resumed sync left no duplicates). */
  chunkIds(documentId: string): Promise<string[]>;
  search(query: SearchQuery): Promise<SearchHit[]>;
  /** Chunks stored. */
  count(): Promise<number>;
  /** Releases memory and handles; the data stays. */
  close(): Promise<void>;
  /** Deletes the index and all its data. */
  drop(): Promise<void>;
}
