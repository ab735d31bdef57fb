// Opens a server's knowledge-base index from its data directory (with the server's own keys) and
// checks that every document has exactly the chunks #0..#n-1 its record counts, and nothing else.
import assert from "node:assert/strict";
import { embeddedIndexDir, embeddedIndexEncryption } from "../../src/kb/ingestion/indexes.ts";
import { openEmbeddedIndex } from "../../src/kb/vector-store/embedded/embedded-index.ts";
import { DEFAULT_ACCOUNT_ID } from "../../src/spec/principal.ts";
import { openEncryption } from "../../src/store/crypto/open-encryption.ts";

/** A document record as kb_documents stores it. */
export interface IndexedRecord {
  document_id: string;
  chunk_count: number;
  status: string;
}

/** Asserts that every record is INDEXED with exactly its chunks, and that the index holds no others. */
export async function assertExactChunks(options: { dataDir: string; knowledgeBaseId: string; dimensions: number; records: readonly IndexedRecord[]; minChunks?: number }): Promise<void> {
  const { dataDir, knowledgeBaseId, dimensions, records } = options;
  const encryption = await openEncryption({ dataDir });
  const index = await openEmbeddedIndex({
    dir: embeddedIndexDir(dataDir, DEFAULT_ACCOUNT_ID, knowledgeBaseId),
    dimensions,
    encryption: embeddedIndexEncryption(encryption, DEFAULT_ACCOUNT_ID, knowledgeBaseId),
  });
  try {
    let total = 0;
    for (const record of records) {
      assert.equal(record.status, "INDEXED");
      if (options.minChunks !== undefined) assert.ok(Number(record.chunk_count) >= options.minChunks, `${record.document_id} has ${options.minChunks} chunks or more`);
      const ids = (await index.chunkIds(record.document_id)).sort();
      const expected = Array.from({ length: Number(record.chunk_count) }, (_, n) => `${record.document_id}#${n}`).sort();
      assert.deepEqual(ids, expected, record.document_id);
      total += ids.length;
    }
    assert.equal(await index.count(), total, "no orphan chunks");
  } finally {
    await index.close();
    encryption.close();
  }
}
