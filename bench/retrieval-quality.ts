// Retrieval quality on a BEIR-format set: every document goes through Basalt's real ingestion
// pipeline (parse → default chunking → offline embedding → embedded vector store), then each
// judged query is searched LEXICAL, SEMANTIC and HYBRID, chunks are folded into documents (a
// document ranks where its best chunk does), and recall@5 / nDCG@10 are reported side by side
// with the published anchors.
// Usage: node --import tsx bench/retrieval-quality.ts [--dir <beir folder>] [--split test] [--limit N] [--keep <index dir>]
// Default folder: ../shared/data/scifact/beir-derived. Writes bench/results/retrieval-quality.json.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
import { convexCombination, HYBRID_SEMANTIC_WEIGHT, reciprocalRankFusion, RRF_K } from "../src/kb/vector-store/fusion.ts";
import type { SearchHit, SearchQuery } from "../src/kb/vector-store/vector-store.ts";
import { loadBeir, ndcgAt, recallAt } from "./lib/beir.ts";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const dir = resolve(arg("dir") ?? "../shared/data/scifact/beir-derived");
const split = arg("split") ?? "test";
const limit = Number(arg("limit") ?? Infinity);
/** Keep the ingested index in this folder and reuse it on the next run (ingestion is the slow part). */
const keep = arg("keep");
/** Also evaluate HYBRID at these semantic weights (lexical weight 1), to choose HYBRID_WEIGHTS. */
const sweep = arg("sweep")?.split(",").map(Number);

/** Published SciFact nDCG@10 anchors (BEIR paper; bge-small model card; RRF as reported in the issue). */
const ANCHORS = { lexical: "BM25 0.679", semantic: "bge-small 0.713", hybrid: "BM25+dense RRF 0.742" };

async function main(): Promise<void> {
  const set = loadBeir(dir, split);
  const corpus = set.corpus.slice(0, limit);
  const work = mkdtempSync(join(tmpdir(), "basalt-beir-"));
  const indexDir = keep ? resolve(keep) : join(work, "index");
  const reuse = keep !== undefined && existsSync(join(indexDir, "ingested.json"));
  const config = configSchema.parse({ dataDir: work });
  const registry = new ModelRegistry({ providers: createProviders(), context: { config, logger: pino({ level: "silent" }) } });
  const embedding = registry.embeddingModel(DEFAULT_EMBEDDING_MODEL_ID).embedding;
  const parser = createDocumentParser();
  const index = await openEmbeddedIndex({ dir: indexDir, dimensions: 512 });
  try {
    const started = performance.now();
    let chunks = 0;
    if (reuse) chunks = await index.count();
    for (const [n, doc] of (reuse ? [] : corpus).entries()) {
      const bytes = Buffer.from(doc.title ? `${doc.title}\n\n${doc.text}` : doc.text);
      const processed = await processDocument(
        { documentId: doc.id, sourceUri: `beir://${doc.id}`, dataSourceId: "beir", fileName: `${doc.id}.txt`, bytes },
        { parser, embedding, dimensions: 512, ocr: false },
      );
      await index.upsert(processed.chunks);
      chunks += processed.chunks.length;
      if ((n + 1) % 500 === 0) process.stderr.write(`ingested ${n + 1}/${corpus.length} documents (${chunks} chunks)\n`);
    }
    const ingestSeconds = reuse ? JSON.parse(readFileSync(join(indexDir, "ingested.json"), "utf8")).ingestSeconds : (performance.now() - started) / 1000;
    if (keep && !reuse) writeFileSync(join(indexDir, "ingested.json"), JSON.stringify({ documents: corpus.length, chunks, ingestSeconds }));
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
    const toDocuments = (ids: readonly string[], byId: Map<string, string>) => {
      const ranking: string[] = [];
      for (const id of ids) {
        const doc = byId.get(id)!;
        if (!ranking.includes(doc)) ranking.push(doc);
      }
      return ranking;
    };
    const sweepRows: Array<{ fusion: string; semanticWeight: number; ndcg10: number; recall5: number }> = [];
    if (sweep) {
      // The same lists the store fuses (depth max(50, 4k) with k = 100), fused here at each weight.
      const lists: Array<{ semantic: SearchHit[]; lexical: SearchHit[] }> = [];
      for (const [i, query] of queries.entries()) {
        lists.push({
          semantic: await index.search({ mode: "SEMANTIC", k: 400, vector: vectors[i] }),
          lexical: await index.search({ mode: "LEXICAL", k: 400, text: query.text }),
        });
      }
      for (const fusion of ["rrf", "convex"]) {
        for (const weight of sweep) {
          let ndcg = 0;
          let recall = 0;
          for (const [i, query] of queries.entries()) {
            const { semantic, lexical } = lists[i]!;
            const byId = new Map([...semantic, ...lexical].map((h) => [h.chunk.id, h.chunk.documentId]));
            const scored = (hits: SearchHit[]) => hits.map((h) => ({ id: h.chunk.id, score: h.score }));
            const fused =
              fusion === "rrf"
                ? reciprocalRankFusion([semantic.map((h) => h.chunk.id), lexical.map((h) => h.chunk.id)], RRF_K, [weight, 1])
                : convexCombination(scored(semantic), scored(lexical), weight);
            const ranking = toDocuments(fused.slice(0, 100).map((f) => f.id), byId);
            ndcg += ndcgAt(ranking, set.qrels.get(query.id)!, 10);
            recall += recallAt(ranking, set.qrels.get(query.id)!, 5);
          }
          sweepRows.push({ fusion, semanticWeight: weight, ndcg10: ndcg / queries.length, recall5: recall / queries.length });
        }
      }
    }
    console.log(`\n${corpus.length} documents → ${chunks} chunks in ${ingestSeconds.toFixed(1)} s; ${queries.length} ${split} queries\n`);
    if (sweepRows.length) {
      console.log("| fusion | semantic weight | recall@5 | nDCG@10 |\n|---|---|---|---|");
      for (const row of sweepRows) console.log(`| ${row.fusion} | ${row.semanticWeight} | ${row.recall5.toFixed(3)} | ${row.ndcg10.toFixed(3)} |`);
      console.log(`\nHYBRID below is the stores' fusion: convex, semantic weight ${HYBRID_SEMANTIC_WEIGHT}\n`);
    }
    console.log("| search | recall@5 | nDCG@10 | published nDCG@10 anchor |\n|---|---|---|---|");
    for (const row of rows) console.log(`| ${row.mode.toLowerCase()} | ${row.recall5.toFixed(3)} | ${row.ndcg10.toFixed(3)} | ${row.anchor} |`);
    mkdirSync("bench/results", { recursive: true });
    writeFileSync("bench/results/retrieval-quality.json", JSON.stringify({ dir, split, documents: corpus.length, chunks, ingestSeconds, queries: queries.length, rows, hybridSemanticWeight: HYBRID_SEMANTIC_WEIGHT, sweep: sweepRows }, null, 2));
  } finally {
    await index.close();
    await parser.close();
    await registry.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
