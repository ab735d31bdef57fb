// A child process for the crash tests: opens an embedded index, encrypted with the keys in
// KEYDIR, and writes batches of chunks (each reported on stdout once committed) until it is
// killed. Usage: crash-writer.fixture.ts DIR KEYDIR
import { pathToFileURL } from "node:url";
import { seededRandom } from "../../../util/seeded-random.ts";
import { openEmbeddedIndex } from "./embedded-index.ts";
import { indexEncryption, testEncryption } from "./index-encryption.fixture.ts";
import type { StoredChunk } from "../vector-store.ts";

export const CRASH_DIMENSIONS = 16;
export const CRASH_BATCH = 50;

/** The chunks of batch `b`: one document per batch, deterministic vectors. */
export function crashBatch(b: number): StoredChunk[] {
  const random = seededRandom(1000 + b);
  return Array.from({ length: CRASH_BATCH }, (_, i) => ({
    id: `doc-${b}#${i}`,
    documentId: `doc-${b}`,
    dataSourceId: "ds",
    text: `batch ${b} chunk ${i} words`,
    sourceUri: `file:///doc-${b}`,
    metadata: { batch: b },
    vector: Float32Array.from({ length: CRASH_DIMENSIONS }, () => random() * 2 - 1),
  }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { encryption } = await testEncryption(process.argv[3]!);
  const index = await openEmbeddedIndex({ dir: process.argv[2]!, dimensions: CRASH_DIMENSIONS, encryption: indexEncryption(encryption) });
  for (let b = 0; ; b++) {
    await index.upsert(crashBatch(b));
    // Batch 3 replaces batch 1's chunks wholesale; batch 5 deletes batch 2's document.
    if (b === 3) await index.upsert(crashBatch(1).map((c) => ({ ...c, text: `${c.text} replaced` })));
    if (b === 5) await index.deleteDocuments(["doc-2"]);
    // A saved graph part-way, so a restart replays the writes after it.
    if (b === 4) await index.flush();
    process.stdout.write(`committed ${b}\n`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
