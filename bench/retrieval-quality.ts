// Retrieval quality on a BEIR-format set: every document goes through Basalt's real ingestion
// pipeline (parse → default chunking → offline embedding → embedded vector store), then each
// judged query is searched LEXICAL, SEMANTIC and HYBRID, chunks are folded into documents (a
// document ranks where its best chunk does), and recall@5 / nDCG@10 are reported side by side
// with the published anchors.
// Usage: node --import tsx bench/retrieval-quality.ts [--dir <beir folder>] [--split test] [--limit N]
// Default folder: ../shared/data/scifact/beir-derived. Writes bench/results/retrieval-quality.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { configSchema } from "../src/config/schema.ts";
import { createProviders } from "../src/models/providers/index.ts";
import { DEFAULT_EMBEDDING_MODEL_ID, ModelRegistry } from "../src/models/registry.ts";
import { embedTexts } from "../src/kb/embedding/embed-batched.ts";
import { processDocument } from "../src/kb/ingestion/process-document.ts";
import { createDocumentParser } from "../src/kb/parsing/document-parser.ts";
import { openEmbeddedIndex } from "../src/kb/vector-store/embedded/embedded-index.ts";
import type { SearchQuery } from "../src/kb/vector-store/vector-store.ts";
import { loadBeir, ndcgAt, recallAt } from "./lib/beir.ts";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const dir = resolve(arg("dir") ?? "../shared/data/scifact/beir-derived");
const split = arg("split") ?? "test";
const limit = Number(arg("limit") ?? Infinity);

/** Published SciFact nDCG@10 anchors (BEIR paper; bge-small model card; RRF as reported in the issue). */
const ANCHORS = { lexical: "BM25 0.679", semantic: "bge-small 0.713", hybrid: "BM25+dense RRF 0.742" };

async function main(): Promise<void> {
  const set = loadBeir(dir, split);
  const corpus = set.corpus.slice(0, limit);
  const work = mkdtempSync(join(tmpdir(), "basalt-beir-"));
  const config = configSchema.parse({ dataDir: work });
  const registry = new ModelRegistry({ providers: createProviders(), context: { config, logger: pino({ level: "silent" }) } });
  const embedding = registry.embeddingModel(DEFAULT_EMBEDDING_MODEL_ID).embedding;
  const parser = createDocumentParser();
  const index = await openEmbeddedIndex({ dir: join(work, "index"), dimensions: 512 });
  try {
    const started = performance.now();
    let chunks = 0;
    for (const [n, doc] of corpus.entries()) {
      const bytes = Buffer.from(doc.title ? `${doc.title}\n\n${doc.text}` : doc.text);
      const processed = await processDocument(
        { documentId: doc.id, sourceUri: `beir://${doc.id}`, dataSourceId: "beir", fileName: `${doc.id}.txt`, bytes },
        { parser, embedding, dimensions: 512, ocr: false },
      );
      await index.upsert(processed.chunks);
      chunks += processed.chunks.length;
      if ((n + 1) % 500 === 0) process.stderr.write(`ingested ${n + 1}/${corpus.length} documents (${chunks} chunks)\n`);
    }
    const ingestSeconds = (performance.now() - started) / 1000;
    const queries = set.queries;
    const vectors = (await embedTexts(embedding, queries.map((q) => q.text), { purpose: "query" })).vectors;
    const rows: Array<{ mode: string; recall5: number; ndcg10: number; anchor: string }> = [];
    for (const mode of ["LEXICAL", "SEMANTIC", "HYBRID"] as const) {
      let recall = 0;
      let ndcg = 0;
      for (const [i, query] of queries.entries()) {
        const search: SearchQuery = { mode, k: 100, text: query.text, vector: vectors[i] };
        const hits = await index.search(search);
        const ranking: string[] = [];
        for (const hit of hits) if (!ranking.includes(hit.chunk.documentId)) ranking.push(hit.chunk.documentId);
        const relevant = set.qrels.get(query.id)!;
        recall += recallAt(ranking, relevant, 5);
        ndcg += ndcgAt(ranking, relevant, 10);
      }
      const anchor = mode === "LEXICAL" ? ANCHORS.lexical : mode === "SEMANTIC" ? ANCHORS.semantic : ANCHORS.hybrid;
      rows.push({ mode, recall5: recall / queries.length, ndcg10: ndcg / queries.length, anchor });
    }
    console.log(`\n${corpus.length} documents → ${chunks} chunks in ${ingestSeconds.toFixed(1)} s; ${queries.length} ${split} queries\n`);
    console.log("| search | recall@5 | nDCG@10 | published nDCG@10 anchor |\n|---|---|---|---|");
    for (const row of rows) console.log(`| ${row.mode.toLowerCase()} | ${row.recall5.toFixed(3)} | ${row.ndcg10.toFixed(3)} | ${row.anchor} |`);
    mkdirSync("bench/results", { recursive: true });
    writeFileSync("bench/results/retrieval-quality.json", JSON.stringify({ dir, split, documents: corpus.length, chunks, ingestSeconds, queries: queries.length, rows }, null, 2));
  } finally {
    await index.close();
    await parser.close();
    await registry.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
