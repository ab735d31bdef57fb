// Reads a BEIR-format folder (corpus.jsonl[.gz], queries.jsonl, qrels/<split>.tsv) and scores
// rankings with the measures BEIR publishes: recall@k and nDCG@k (graded relevance).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

export interface BeirDocument {
  id: string;
  title: string;
  text: string;
}

export interface BeirSet {
  corpus: BeirDocument[];
  /** Queries of the split that have judgements. */
  queries: Array<{ id: string; text: string }>;
  /** query id → document id → relevance grade. */
  qrels: Map<string, Map<string, number>>;
}

function jsonLines(path: string): Array<Record<string, unknown>> {
  const raw = existsSync(path) ? readFileSync(path) : gunzipSync(readFileSync(`${path}.gz`));
  return raw
    .toString("utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Loads a BEIR folder's corpus, and the queries and judgements of one split. */
export function loadBeir(dir: string, split = "test"): BeirSet {
  const corpus = jsonLines(join(dir, "corpus.jsonl")).map((d) => ({ id: String(d._id), title: String(d.title ?? ""), text: String(d.text ?? "") }));
  const qrels = new Map<string, Map<string, number>>();
  const lines = readFileSync(join(dir, "qrels", `${split}.tsv`), "utf8").split("\n").slice(1);
  for (const line of lines) {
    const [query, doc, score] = line.split("\t");
    if (!query || !doc) continue;
    const grade = Number(score);
    if (!(grade > 0)) continue;
    if (!qrels.has(query)) qrels.set(query, new Map());
    qrels.get(query)!.set(doc, grade);
  }
  const queries = jsonLines(join(dir, "queries.jsonl"))
    .map((q) => ({ id: String(q._id), text: String(q.text) }))
    .filter((q) => qrels.has(q.id));
  return { corpus, queries, qrels };
}

/** Share of a query's relevant documents found in the first k of the ranking. */
export function recallAt(ranking: readonly string[], relevant: Map<string, number>, k: number): number {
  if (relevant.size === 0) return 0;
  return ranking.slice(0, k).filter((id) => relevant.has(id)).length / relevant.size;
}

/** nDCG@k with gains equal to the relevance grade (BEIR's pytrec_eval convention). */
export function ndcgAt(ranking: readonly string[], relevant: Map<string, number>, k: number): number {
  const dcg = ranking.slice(0, k).reduce((sum, id, i) => sum + (relevant.get(id) ?? 0) / Math.log2(i + 2), 0);
  const ideal = [...relevant.values()].sort((a, b) => b - a).slice(0, k).reduce((sum, g, i) => sum + g / Math.log2(i + 2), 0);
  return ideal === 0 ? 0 : dcg / ideal;
}
