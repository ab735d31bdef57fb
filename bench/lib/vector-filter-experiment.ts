// Decision 0016's filter measurements: (1) how to evaluate a metadata filter (interned metadata
// in memory, matchesFilter per chunk, or SQL json_extract), and (2) when an exact scan of the
// admitted chunks beats hnswlib's filtered graph search, by filter selectivity.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3-multiple-ciphers";
import { EXACT_SCAN_FLOOR, openEmbeddedIndex } from "../../src/kb/vector-store/embedded/embedded-index.ts";
import { MetadataCatalog } from "../../src/kb/vector-store/embedded/metadata-catalog.ts";
import { matchesFilter, parseMetadataFilter, type Metadata } from "../../src/kb/vector-store/filter.ts";
import type { StoredChunk } from "../../src/kb/vector-store/vector-store.ts";

const BUCKETS = 1000;

/** Filter evaluation cost per query, in milliseconds. */
export interface FilterEvaluationRow {
  method: string;
  millisecondsPerQuery: number;
}

/** One selectivity, both strategies. */
export interface SelectivityRow {
  fraction: number;
  admitted: number;
  exact: { qps: number; recall: number };
  graph: { qps: number; recall: number; ef: number };
  /** The path Basalt's default threshold takes at efSearch 100. */
  basaltChooses: "exact" | "graph";
}

/**
 * Metadata as ingestion writes it: a document-level attribute (`bucket`, like a sidecar's
 * category) and source URI shared by the document's 10 chunks, and a page number per 3 chunks.
 */
function chunkMetadata(i: number): Metadata {
  const doc = Math.floor(i / 10);
  return { bucket: doc % BUCKETS, "x-amz-bedrock-kb-source-uri": `s3://bench/doc-${doc}.pdf`, "x-amz-bedrock-kb-document-page-number": Math.floor((i % 10) / 3) + 1 };
}

/** Milliseconds per call, after two warm-up calls. */
function timed(fn: () => unknown): number {
  fn();
  fn();
  const started = performance.now();
  for (let r = 0; r < 5; r++) fn();
  return (performance.now() - started) / 5;
}

/** Runs both measurements over `data` (unit vectors) with `queries`. */
export async function filterExperiment(options: { data: Float32Array; queries: Float32Array; dimensions: number; k: number; log: (line: string) => void }): Promise<{ evaluation: FilterEvaluationRow[]; selectivity: SelectivityRow[] }> {
  const { data, queries, dimensions: d, k } = options;
  const n = data.length / d;
  const q = Math.min(200, queries.length / d);
  const wire = (fraction: number) => ({ lessThan: { key: "bucket", value: Math.max(1, Math.round(fraction * BUCKETS)) } });

  // (1) Filter evaluation: per chunk, per distinct metadata object (Basalt), or in SQL.
  const metadata = Array.from({ length: n }, (_, i) => chunkMetadata(i));
  const filter = parseMetadataFilter(wire(0.05));
  const perChunk = timed(() => metadata.filter((m) => matchesFilter(m, filter)));
  const catalog = new MetadataCatalog();
  const interned = new Map<string, number>();
  metadata.forEach((m, i) => {
    const json = JSON.stringify(m);
    let id = interned.get(json);
    if (id === undefined) interned.set(json, (id = interned.size));
    catalog.add(i, id, () => m);
  });
  const perDistinct = timed(() => catalog.select(filter));
  const db = new BetterSqlite3(":memory:");
  db.exec("CREATE TABLE m (label INTEGER PRIMARY KEY, json TEXT NOT NULL)");
  const insert = db.prepare("INSERT INTO m VALUES (?, ?)");
  db.transaction(() => metadata.forEach((m, i) => insert.run(i, JSON.stringify(m))))();
  const select = db.prepare("SELECT label FROM m WHERE json_type(json, '$.bucket') IN ('integer', 'real') AND json_extract(json, '$.bucket') < ?").pluck();
  const sql = timed(() => select.all(50));
  db.close();

  // (2) Selectivity, on Basalt's index with the same metadata (interned: one entry per bucket and page).
  const root = mkdtempSync(join(tmpdir(), "basalt-filter-bench-"));
  const index = await openEmbeddedIndex({ dir: join(root, "index"), dimensions: d });
  const evaluation: FilterEvaluationRow[] = [];
  const selectivity: SelectivityRow[] = [];
  try {
    for (let start = 0; start < n; start += 1000) {
      const chunks: StoredChunk[] = [];
      for (let i = start; i < Math.min(n, start + 1000); i++) chunks.push({ id: `c#${i}`, documentId: `doc-${Math.floor(i / 10)}`, dataSourceId: "bench", text: `passage ${i}`, sourceUri: "s3://bench", metadata: metadata[i]!, vector: data.subarray(i * d, (i + 1) * d) });
      await index.upsert(chunks);
    }
    options.log(`filter experiment: index of ${n} built`);
    evaluation.push(
      { method: `matchesFilter per distinct metadata object in memory (Basalt; ${interned.size} distinct)`, millisecondsPerQuery: perDistinct },
      { method: `matchesFilter per chunk in memory (${n} chunks)`, millisecondsPerQuery: perChunk },
      { method: `SQL json_extract per chunk (${n} rows)`, millisecondsPerQuery: sql },
    );

    for (const fraction of [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.3]) {
      const f = parseMetadataFilter(wire(fraction));
      const admitted = metadata.reduce((sum, m) => sum + (matchesFilter(m, f) ? 1 : 0), 0);
      // Ground truth over the admitted rows.
      const truth: Array<Set<string>> = [];
      for (let qi = 0; qi < q; qi++) {
        const query = queries.subarray(qi * d, (qi + 1) * d);
        const scored: Array<{ i: number; s: number }> = [];
        for (let i = 0; i < n; i++) {
          if (!matchesFilter(metadata[i]!, f)) continue;
          let s = 0;
          for (let j = 0; j < d; j++) s += data[i * d + j]! * query[j]!;
          scored.push({ i, s });
        }
        truth.push(new Set(scored.sort((a, b) => b.s - a.s).slice(0, k).map((e) => `c#${e.i}`)));
      }
      const run = async (exactScanMax: number | undefined, efSearch: number): Promise<{ qps: number; recall: number }> => {
        index.exactScanMax = exactScanMax;
        index.efSearch = efSearch;
        let found = 0;
        const started = performance.now();
        for (let qi = 0; qi < q; qi++) {
          const hits = await index.search({ mode: "SEMANTIC", vector: queries.subarray(qi * d, (qi + 1) * d), k, filter: f });
          found += hits.filter((h) => truth[qi]!.has(h.chunk.id)).length;
        }
        return { qps: q / ((performance.now() - started) / 1000), recall: found / (q * Math.min(k, admitted)) };
      };
      const exact = await run(Number.POSITIVE_INFINITY, 100);
      const automatic = Math.max(EXACT_SCAN_FLOOR, Math.sqrt(100 * n));
      let graph = { qps: 0, recall: 0, ef: 0 };
      for (const ef of [100, 200, 400, 800]) {
        graph = { ...(await run(0, ef)), ef };
        if (graph.recall >= 0.95) break;
      }
      selectivity.push({ fraction, admitted, exact, graph, basaltChooses: admitted <= automatic ? "exact" : "graph" });
      options.log(`filter experiment: ${(fraction * 100).toFixed(1)} % admitted: exact ${exact.qps.toFixed(0)} q/s, graph ${graph.qps.toFixed(0)} q/s at recall ${graph.recall.toFixed(3)} (ef ${graph.ef})`);
    }
  } finally {
    await index.drop();
    rmSync(root, { recursive: true, force: true });
  }
  return { evaluation, selectivity };
}
