// Entry point of chunking: picks the strategy a data source's chunking configuration names
// (Bedrock's default when there is none) and cuts a parsed document into chunks.
import type { ParsedDocument } from "../document.ts";
import type { ChunkingConfiguration } from "./chunking-config.ts";
import type { Chunk, ChunkingDeps } from "./chunk.ts";
import { defaultChunks } from "./default-strategy.ts";
import { fixedSizeChunks } from "./fixed-size-strategy.ts";
import { hierarchicalChunks } from "./hierarchical-strategy.ts";
import { noneChunks } from "./none-strategy.ts";
import { semanticChunks } from "./semantic-strategy.ts";

export type { Chunk, ChunkingDeps } from "./chunk.ts";

/**
 * Cuts a document into chunks. `config` undefined means Bedrock's default chunking. SEMANTIC
 * needs `deps.embed`; `deps.signal` is checked between embedding calls.
 */
export async function chunkDocument(doc: ParsedDocument, config: ChunkingConfiguration | undefined, deps: ChunkingDeps = {}): Promise<Chunk[]> {
  deps.signal?.throwIfAborted();
  if (!config) return defaultChunks(doc);
  switch (config.chunkingStrategy) {
    case "NONE":
      return noneChunks(doc);
    case "FIXED_SIZE":
      return fixedSizeChunks(doc, config.fixedSizeChunkingConfiguration);
    case "HIERARCHICAL":
      return hierarchicalChunks(doc, config.hierarchicalChunkingConfiguration);
    case "SEMANTIC":
      return semanticChunks(doc, config.semanticChunkingConfiguration, deps);
  }
}
