// HIERARCHICAL chunking: parent windows of the first level's maxTokens, each cut into child
// windows of the second level's maxTokens, both levels overlapping by overlapTokens. Children
// are cut from their parent's own tokens, so a child's text always lies inside its parent's.
// Search runs on children; Retrieve returns the parent (the caller stores both texts).
import type { ParsedDocument } from "../document.ts";
import type { HierarchicalChunkingConfiguration } from "./chunking-config.ts";
import type { Chunk } from "./chunk.ts";
import { tokenStream, tokenWindows, windowChunk } from "./fixed-size-strategy.ts";

/** Child chunks, each carrying its parent's text and ordinal. */
export function hierarchicalChunks(doc: ParsedDocument, config: HierarchicalChunkingConfiguration): Chunk[] {
  const [parentLevel, childLevel] = config.levelConfigurations;
  const stream = tokenStream(doc);
  // Parents are returned as text only; only the children, which are embedded, are measured.
  const parents = tokenWindows(stream, { maxTokens: parentLevel.maxTokens, overlapTokens: config.overlapTokens, measure: false });
  const chunks: Chunk[] = [];
  parents.forEach((parent, index) => {
    const children = tokenWindows(stream, {
      from: parent.start,
      to: parent.end,
      maxTokens: childLevel.maxTokens,
      overlapTokens: config.overlapTokens,
    });
    for (const child of children) chunks.push({ ...windowChunk(doc, stream, child), parent: { index, text: parent.text } });
  });
  return chunks;
}
