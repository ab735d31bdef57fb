// Decision 0016's lexical measurement: BM25 quality of the embedded store's FTS5 tokenizers on a
// BEIR-format folder (corpus.jsonl[.gz], queries.jsonl, qrels/test.tsv), each document one chunk.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { openEmbeddedIndex } from "../../src/kb/vector-store/embedded/embedded-index.ts";
import { FTS_TOKENIZERS, type FtsTokenizer } from "../../src/kb/vector-store/embedded/lexical-query.ts";

/** One tokenizer's figures. */
export interface LexicalRow {
  tokenizer: FtsTokenizer;
  documents: number;
  queries: number;
  recallAt5: number;
  ndcgAt10: number;
  indexSeconds: number;
  queriesPerSecond: number;
}

function jsonl(path: string): Array<Record<string, string>> {
  const bytes = existsSync(path) ? readFileSync(path) : gunzipSync(readFileSync(`${path}.gz`));
  return bytes.toString("utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, string>);
}

/** Measures every tokenizer on the folder's test split. */
export async function lexicalExperiment(dir: string): Promise<LexicalRow[]> {
  const corpus = jsonl(join(dir, "corpus.jsonl"));
  const qrels = new Map<string, Set<string>>();
  for (const line of readFileSync(join(dir, "qrels", "test.tsv"), "utf8").split("\n").slice(1)) {
    const [query, doc, score] = line.split("\t");
    if (!query || !doc || Number(score) <= 0) continue;
    if (!qrels.has(query)) qrels.set(query, new Set());
    qrels.get(query)!.add(doc);
  }
  const queries = jsonl(join(dir, "queries.jsonl")).filter((q) => qrels.has(q._id!));
  const rows: LexicalRow[] = [];
  for (const tokenizer of Object.keys(FTS_TOKENIZERS) as FtsTokenizer[]) {
    const root = mkdtempSync(join(tmpdir(), "basalt-lexical-"));
    const index = await openEmbeddedIndex({ dir: join(root, "index"), dimensions: 1, tokenizer });
    try {
      const started = performance.now();
      for (let i = 0; i < corpus.length; i += 1000) {
        await index.upsert(
          corpus.slice(i, i + 1000).map((d) => ({ id: d._id!, documentId: d._id!, dataSourceId: "beir", text: `${d.title ?? ""}\n${d.text ?? ""}`, sourceUri: `beir://${d._id}`, metadata: {}, vector: new Float32Array([1]) })),
        );
      }
      const indexSeconds = (performance.now() - started) / 1000;
      let recall = 0;
      let ndcg = 0;
      const searchStarted = performance.now();
      for (const query of queries) {
        const relevant = qrels.get(query._id!)!;
        const hits = (await index.search({ mode: "LEXICAL", text: query.text!, k: 10 })).map((h) => h.chunk.id);
        recall += hits.slice(0, 5).filter((id) => relevant.has(id)).length / relevant.size;
        const dcg = hits.reduce((sum, id, i) => sum + (relevant.has(id) ? 1 / Math.log2(i + 2) : 0), 0);
        let ideal = 0;
        for (let i = 0; i < Math.min(10, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
        ndcg += dcg / ideal;
      }
      const seconds = (performance.now() - searchStarted) / 1000;
      rows.push({ tokenizer, documents: corpus.length, queries: queries.length, recallAt5: recall / queries.length, ndcgAt10: ndcg / queries.length, indexSeconds, queriesPerSecond: queries.length / seconds });
    } finally {
      await index.drop();
      rmSync(root, { recursive: true, force: true });
    }
  }
  return rows;
}
