// Vector search benchmark: Basalt's embedded index side by side with hnswlib-node used directly,
// on the same synthetic embedding-like vectors (bench/lib/vector-mixture.ts) and the same M and
// efConstruction. Per size: build time, then efSearch raised until recall@10 against exact
// search reaches the target; queries/s (one client, sequential) and p50/p99 latency there.
// Usage: node --import tsx bench/vector-search.ts [--sizes 100000,1000000] [--dims 384]
//   [--queries 1000] [--m 16] [--ef-construction 200] [--target 0.95] [--threads N] [--dir DIR]
//   --candidates        also measure the design candidates of decision 0016 (TypeScript HNSW,
//                       flat scan, SQLite scan, filter strategies) at the first size
//   --engines LIST      with --candidates, which engines: hnswlib,basalt,ts,flat,sqlite (default
//                       all) or none (the filter measurements only)
//   --lexical [DIR]     BM25 quality of the FTS5 tokenizers on a BEIR folder (SciFact by default)
// Prints Markdown tables; writes bench/results/vector-search.json (or vector-candidates.json).
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { groundTruth, VectorWorkers } from "./lib/vector-data.ts";
import { basaltEmbedded, flatScan, rawHnswlib, sqliteScan, typescriptHnsw, type BuiltEngine, type Engine } from "./lib/vector-engines.ts";
import { filterExperiment } from "./lib/vector-filter-experiment.ts";
import { lexicalExperiment } from "./lib/vector-lexical-experiment.ts";
import type { MixtureShape } from "./lib/vector-mixture.ts";

// Engines are built one after another in this process; collecting the last one's native
// memory before the next build keeps the 1M run within one copy of each.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  return value === undefined || value.startsWith("--") ? "" : value;
}

const sizes = (flag("sizes") || "100000").split(",").map(Number);
const dimensions = Number(flag("dims") || 384);
const queryCount = Number(flag("queries") || 1000);
const m = Number(flag("m") || 16);
const efConstruction = Number(flag("ef-construction") || 200);
const target = Number(flag("target") || 0.95);
const threads = Number(flag("threads") || cpus().length);
const dir = flag("dir") || undefined;
const candidates = flag("candidates") !== undefined;
const lexical = flag("lexical");
const k = 10;
// From 2·k up: Basalt never searches narrower than that, so both engines step through the same efs.
const EF_STEPS = [20, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024];

const log = (line: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** One efSearch setting's figures. */
interface SweepRow {
  ef: number;
  recall: number;
  qps: number;
  p50: number;
  p99: number;
}

interface EngineResult {
  size: number;
  engine: string;
  buildSeconds: number;
  diskBytes?: number;
  sweep: SweepRow[];
  /** The first row at or above the target recall (the last row if none reached it). */
  chosen: SweepRow;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

async function sweep(engine: BuiltEngine, queries: Float32Array, truth: Int32Array, exact: boolean): Promise<SweepRow[]> {
  const count = queries.length / dimensions;
  const query = (i: number): Float32Array => queries.subarray(i * dimensions, (i + 1) * dimensions);
  for (let i = 0; i < Math.min(200, count); i++) await engine.search(query(i), k, EF_STEPS[0]!);
  const rows: SweepRow[] = [];
  for (const ef of exact ? [0] : EF_STEPS) {
    const latencies = new Float64Array(count);
    let found = 0;
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const result = engine.search(query(i), k, ef);
      const ids = result instanceof Promise ? await result : result;
      latencies[i] = performance.now() - started;
      const expected = truth.subarray(i * k, (i + 1) * k);
      for (const id of ids) if (expected.includes(id)) found++;
    }
    const total = latencies.reduce((a, b) => a + b, 0);
    latencies.sort();
    const row = { ef: engine.effectiveEf(k, ef), recall: found / (count * k), qps: count / (total / 1000), p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
    rows.push(row);
    log(`  ef ${row.ef}: recall@${k} ${row.recall.toFixed(4)}, ${row.qps.toFixed(0)} q/s, p99 ${row.p99.toFixed(3)} ms`);
    if (row.recall >= target) break;
  }
  return rows;
}

async function measure(engine: Engine, size: number, data: Float32Array, queries: Float32Array, truth: Int32Array): Promise<EngineResult> {
  log(`${engine.name}: building over ${size} vectors`);
  gc();
  const started = performance.now();
  const built = await engine.build({
    data,
    dimensions,
    m,
    efConstruction,
    dir,
    progress: (done) => {
      if (done % Math.max(10_000, Math.round(size / 20 / 10_000) * 10_000) === 0) log(`  ${engine.name}: ${done}/${size} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    },
  });
  const buildSeconds = (performance.now() - started) / 1000;
  log(`  built in ${buildSeconds.toFixed(1)} s`);
  try {
    const rows = await sweep(built, queries, truth, built.effectiveEf(k, 1) === 0);
    return { size, engine: engine.name, buildSeconds, diskBytes: built.diskBytes, sweep: rows, chosen: rows.find((r) => r.recall >= target) ?? rows.at(-1)! };
  } finally {
    await built.close();
    gc();
  }
}

function shapeFor(size: number): MixtureShape {
  return { dimensions, clusters: Math.max(10, Math.round(Math.sqrt(size))), rank: 24, seed: 20_251_122, common: 0.7, spread: 1.2, noise: 0.5 };
}

function printTable(results: EngineResult[]): void {
  console.log(`\n| size | engine | build s | ef | recall@${k} | QPS | p50 ms | p99 ms |`);
  console.log("|---:|---|---:|---:|---:|---:|---:|---:|");
  for (const r of results) {
    const c = r.chosen;
    console.log(`| ${r.size.toLocaleString("en-US")} | ${r.engine} | ${r.buildSeconds.toFixed(1)} | ${c.ef || "exact"} | ${c.recall.toFixed(3)} | ${c.qps.toFixed(0)} | ${c.p50.toFixed(3)} | ${c.p99.toFixed(3)} |`);
  }
}

const machine = { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };

if (lexical !== undefined) {
  const folder = lexical || "../shared/data/scifact/beir-derived";
  log(`lexical: FTS5 tokenizers on ${folder}`);
  const rows = await lexicalExperiment(folder);
  console.log("\n| tokenizer | documents | queries | recall@5 | nDCG@10 | index s | queries/s |");
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.tokenizer} | ${r.documents} | ${r.queries} | ${r.recallAt5.toFixed(3)} | ${r.ndcgAt10.toFixed(3)} | ${r.indexSeconds.toFixed(1)} | ${r.queriesPerSecond.toFixed(0)} |`);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/vector-lexical.json", JSON.stringify({ date: new Date().toISOString(), machine, folder, rows }, null, 2));
  process.exit(0);
}

const results: EngineResult[] = [];
const extra: Record<string, unknown> = {};
for (const [position, size] of sizes.entries()) {
  const shape = shapeFor(size);
  const workers = new VectorWorkers(shape, threads);
  let started = performance.now();
  let last = 0;
  const data = await workers.generate(size, 0, (done) => {
    if (performance.now() - last > 5000) {
      last = performance.now();
      log(`generating: ${done}/${size} vectors`);
    }
  });
  const queries = await workers.generate(queryCount, 1);
  log(`generated ${size} × ${dimensions} in ${((performance.now() - started) / 1000).toFixed(1)} s (${shape.clusters} clusters)`);
  started = performance.now();
  const truth = await groundTruth({ workers, data, queries, k, log });
  log(`ground truth ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await workers.close();
  const named: Record<string, Engine> = { hnswlib: rawHnswlib, basalt: basaltEmbedded, ts: typescriptHnsw, flat: flatScan, sqlite: sqliteScan };
  const engines = candidates && position === 0 ? (flag("engines") || "hnswlib,basalt,ts,flat,sqlite").split(",").flatMap((name) => (name === "none" ? [] : [named[name]!])) : [rawHnswlib, basaltEmbedded];
  const sizeResults: EngineResult[] = [];
  for (const engine of engines) sizeResults.push(await measure(engine, size, data, queries, truth));
  results.push(...sizeResults);
  if (candidates && position === 0) extra.filters = await filterExperiment({ data, queries, dimensions, k, log });
}

printTable(results);
const ratios = sizes.flatMap((size) => {
  const basalt = results.find((r) => r.size === size && r.engine === basaltEmbedded.name);
  const hnsw = results.find((r) => r.size === size && r.engine === rawHnswlib.name);
  return basalt && hnsw ? [{ size, basaltOverHnswlibQps: basalt.chosen.qps / hnsw.chosen.qps, basaltBuildOverHnswlib: basalt.buildSeconds / hnsw.buildSeconds }] : [];
});
console.log("");
for (const r of ratios) console.log(`${r.size.toLocaleString("en-US")}: Basalt/hnswlib QPS at recall@${k} ≥ ${target}: ${r.basaltOverHnswlibQps.toFixed(2)}× (target ≥ 0.5×); build time ${r.basaltBuildOverHnswlib.toFixed(2)}×`);
if (extra.filters) {
  const filters = extra.filters as Awaited<ReturnType<typeof filterExperiment>>;
  console.log("\n| filter evaluation | ms/query |\n|---|---:|");
  for (const r of filters.evaluation) console.log(`| ${r.method} | ${r.millisecondsPerQuery.toFixed(2)} |`);
  console.log("\n| admitted | chunks | exact scan QPS | graph QPS | graph recall | graph ef | Basalt uses |\n|---:|---:|---:|---:|---:|---:|---|");
  for (const r of filters.selectivity) console.log(`| ${(r.fraction * 100).toFixed(1)} % | ${r.admitted} | ${r.exact.qps.toFixed(0)} | ${r.graph.qps.toFixed(0)} | ${r.graph.recall.toFixed(3)} | ${r.graph.ef} | ${r.basaltChooses} |`);
}
mkdirSync("bench/results", { recursive: true });
const out = candidates ? "bench/results/vector-candidates.json" : "bench/results/vector-search.json";
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), machine, threads, dimensions, queries: queryCount, k, m, efConstruction, target, generator: sizes.map(shapeFor), results, ratios, ...extra }, null, 2));
log(`wrote ${out}`);
