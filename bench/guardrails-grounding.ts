// Contextual grounding quality and the static encoder's speed and fidelity.
//  - GROUNDING AUROC on halueval-qa (MIT): knowledge = source, question = query; each row gives
//    one supported response (right_answer) and one hallucinated one. RELEVANCE AUROC: the right
//    answer against the right answer of another row (row + 7 within the same half); also the
//    hallucinated answer against that other-row answer (a hallucination is still on topic).
//    Also perturbations: a source sentence quoted (supported) against the same sentence with its
//    numbers changed or a name swapped (unsupported).
//    Rows 0–249 are the dev half (the weights were fitted there, --fit); rows 250–499 are held out.
//    Anchors in the same run: content-word precision alone, static-encoder cosine alone.
//  - Latency p50/p99 of encoder.encode and scorer.score on 1 KB; anchor: the full USE on the same 1 KB.
//  - Encoder sanity (--sanity): the static encoder against the full Universal Sentence Encoder
//    on the held-out test split of the distillation corpus (scripts/distill-static-encoder.ts).
// Usage: node --import tsx bench/guardrails-grounding.ts [--fit] [--sanity]
// Writes bench/results/guardrails-grounding.json.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { staticEncoder } from "../src/guardrails/detectors/encoder/static-encoder.ts";
import { splitSentences } from "../src/guardrails/detectors/encoder/sentences.ts";
import { builtinGroundingScorer, DEFAULT_GROUNDING_WEIGHTS, predict, type GroundingWeights, type Weights } from "../src/guardrails/detectors/grounding/builtin-grounding-scorer.ts";
import type { GroundingFeatures, RelevanceFeatures } from "../src/guardrails/detectors/grounding/features.ts";
import { corpusTexts, embedWithTeacher, fnv1a, loadTeacher, sanityFigures } from "../scripts/distill-static-encoder.ts";

const DATA = new URL("../../shared/data/", import.meta.url);
const fit = process.argv.includes("--fit");
const sanity = process.argv.includes("--sanity");

interface QaRow {
  knowledge: string;
  question: string;
  right_answer: string;
  hallucinated_answer: string;
}

interface Example {
  source: string;
  query: string;
  response: string;
  label: 0 | 1;
}

function loadRows(): QaRow[] {
  return readFileSync(new URL("halueval-qa/qa_one-turn_data.json", DATA), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as QaRow);
}

/** GROUNDING examples: right (1) and hallucinated (0) answer of each row. */
const groundingSet = (rows: QaRow[]): Example[] =>
  rows.flatMap((r) => [
    { source: r.knowledge, query: r.question, response: r.right_answer, label: 1 as const },
    { source: r.knowledge, query: r.question, response: r.hallucinated_answer, label: 0 as const },
  ]);

/** RELEVANCE examples: `positive` answer of each row (1) against the right answer of row + 7 (0). */
const relevanceSet = (rows: QaRow[], positive: "right_answer" | "hallucinated_answer"): Example[] =>
  rows.flatMap((r, i) => [
    { source: r.knowledge, query: r.question, response: r[positive], label: 1 as const },
    { source: r.knowledge, query: r.question, response: rows[(i + 7) % rows.length]!.right_answer, label: 0 as const },
  ]);

/** Area under the ROC curve (Mann–Whitney, ties count half). */
function auroc(scores: number[], labels: number[]): number {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j]![0] === order[i]![0]) j++;
    const rank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (order[k]![1] === 1) (rankSum += rank, positives++);
    i = j;
  }
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Fits logistic-regression weights by projected full-batch gradient descent with a little L2.
 * Weights are kept ≥ 0: every feature is evidence *for* support or relevance, and a negative
 * weight would only learn an artefact of the set (halueval's hallucinated answers are longer,
 * whole sentences, so they sit closer to the source's sentences than the right one-word answers).
 */
function fitLogistic<F extends object>(rows: { features: F; label: number }[]): Weights<F> {
  const names = Object.keys(rows[0]!.features) as (keyof F & string)[];
  const w = new Map<string, number>(names.map((n) => [n, 0]));
  let bias = 0;
  for (let step = 0; step < 4000; step++) {
    const grad = new Map<string, number>(names.map((n) => [n, 0]));
    let gb = 0;
    for (const { features, label } of rows) {
      let z = bias;
      for (const n of names) z += w.get(n)! * (features[n] as number);
      const err = 1 / (1 + Math.exp(-z)) - label;
      gb += err;
      for (const n of names) grad.set(n, grad.get(n)! + err * (features[n] as number));
    }
    bias -= (0.5 * gb) / rows.length;
    for (const n of names) w.set(n, Math.max(0, w.get(n)! - 0.5 * (grad.get(n)! / rows.length + 1e-3 * w.get(n)!)));
  }
  const out = { bias: round(bias) } as Record<string, number>;
  for (const n of names) out[n] = round(w.get(n)!);
  return out as Weights<F>;
}

const round = (x: number): number => Math.round(x * 100) / 100;

/**
 * Perturbation examples from the same rows: a source sentence quoted as the response (1), the
 * same sentence with each number changed (0), and with one name swapped for a name from another
 * row's source (0). halueval's answers are short and seldom carry numbers; these teach the fit
 * what a single wrong number or name in an otherwise faithful sentence means.
 */
function perturbationSet(rows: QaRow[]): Example[] {
  const out: Example[] = [];
  rows.forEach((r, i) => {
    const sentence = splitSentences(r.knowledge).map((s) => s.text).find((t) => t.length > 40 && t.length < 300);
    if (!sentence) return;
    out.push({ source: r.knowledge, query: r.question, response: sentence, label: 1 });
    // Change one number (the last): a single wrong figure among right ones.
    const numbers = [...sentence.matchAll(/\d+/g)];
    const last = numbers[numbers.length - 1];
    const renumbered = last ? sentence.slice(0, last.index) + String(Number(last[0]) + 1 + (fnv1a(last[0]) % 9)) + sentence.slice(last.index + last[0].length) : sentence;
    if (renumbered !== sentence) out.push({ source: r.knowledge, query: r.question, response: renumbered, label: 0 });
    const names = [...sentence.matchAll(/(?<=\S\s)\p{Lu}\p{Ll}{2,}/gu)].map((m) => m[0]);
    const other = rows[(i + 13) % rows.length]!.knowledge.match(/(?<=\S\s)\p{Lu}\p{Ll}{3,}/gu)?.find((n) => !r.knowledge.includes(n));
    if (names.length > 0 && other) out.push({ source: r.knowledge, query: r.question, response: sentence.replace(names[0]!, other), label: 0 });
  });
  return out;
}

function fitWeights(dev: QaRow[]): GroundingWeights {
  const scorer = builtinGroundingScorer();
  const examples = [...groundingSet(dev), ...perturbationSet(dev)];
  const grounding = examples.flatMap((e) => scorer.groundingFeatures(e.source, e.response).map((features) => ({ features, label: e.label })));
  const relevance = relevanceSet(dev, "right_answer").map((e) => ({ features: scorer.relevanceFeatures(e.query, e.response), label: e.label }));
  return { grounding: fitLogistic<GroundingFeatures>(grounding), relevance: fitLogistic<RelevanceFeatures>(relevance) };
}

async function qualityRows(rows: QaRow[], half: string, weights: GroundingWeights): Promise<Record<string, string | number>[]> {
  const scorer = builtinGroundingScorer(undefined, { weights });
  const out: Record<string, string | number>[] = [];
  const g = groundingSet(rows);
  const scored = await Promise.all(g.map((e) => scorer.score(e)));
  const labels = g.map((e) => e.label);
  const lexical = g.map((e) => mean(scorer.groundingFeatures(e.source, e.response).map((f) => f.termPrecision)));
  const cosine = g.map((e) => mean(scorer.groundingFeatures(e.source, e.response).map((f) => f.similarity)));
  out.push({ half, check: "GROUNDING (right vs hallucinated)", scorer: "builtin", auroc: auroc(scored.map((s) => s.grounding), labels) });
  out.push({ half, check: "GROUNDING (right vs hallucinated)", scorer: "anchor: content-word precision", auroc: auroc(lexical, labels) });
  out.push({ half, check: "GROUNDING (right vs hallucinated)", scorer: "anchor: static cosine to best source sentence", auroc: auroc(cosine, labels) });
  const p = perturbationSet(rows);
  const ps = await Promise.all(p.map((e) => scorer.score(e)));
  out.push({ half, check: `GROUNDING (quoted source sentence vs wrong number / name, ${p.length} examples)`, scorer: "builtin", auroc: auroc(ps.map((x) => x.grounding), p.map((e) => e.label)) });
  const pl = p.map((e) => mean(scorer.groundingFeatures(e.source, e.response).map((f) => f.termPrecision)));
  out.push({ half, check: `GROUNDING (quoted source sentence vs wrong number / name, ${p.length} examples)`, scorer: "anchor: content-word precision", auroc: auroc(pl, p.map((e) => e.label)) });
  for (const positive of ["right_answer", "hallucinated_answer"] as const) {
    const r = relevanceSet(rows, positive);
    const rs = await Promise.all(r.map((e) => scorer.score(e)));
    const check = `RELEVANCE (${positive === "right_answer" ? "right" : "hallucinated"} vs other row's answer)`;
    out.push({ half, check, scorer: "builtin", auroc: auroc(rs.map((s) => s.relevance), r.map((e) => e.label)) });
    const cos = r.map((e) => scorer.relevanceFeatures(e.query, e.response).similarity);
    out.push({ half, check, scorer: "anchor: static query–response cosine", auroc: auroc(cos, r.map((e) => e.label)) });
  }
  return out;
}

const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

function percentiles(times: number[]): { p50: number; p99: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length * 0.5)]!, p99: sorted[Math.floor(sorted.length * 0.99)]! };
}

async function latency(rows: QaRow[]): Promise<Record<string, { p50: number; p99: number }>> {
  const encoder = staticEncoder();
  const scorer = builtinGroundingScorer();
  const source = rows.map((r) => r.knowledge).join(" ").slice(0, 1024);
  const response = splitSentences(rows.slice(10).map((r) => r.knowledge).join(" ")).map((s) => s.text).join(" ").slice(0, 1024);
  const cases: Record<string, () => unknown> = {
    "encoder.encode (1 KB)": () => encoder.encode([source]),
    "scorer.score (1 KB source, 1 KB response)": () => scorer.score({ source, query: rows[0]!.question, response }),
    "scorer.score (1 KB source, short answer)": () => scorer.score({ source, query: rows[0]!.question, response: rows[0]!.right_answer }),
  };
  const teacher = await loadTeacher();
  const out: Record<string, { p50: number; p99: number }> = {};
  for (const [name, run] of Object.entries(cases)) out[name] = await timeRuns(run, 1000);
  // Anchor: the full model the encoder was distilled from, on the same 1 KB.
  out["anchor: full USE embed (1 KB)"] = await timeRuns(() => teacher.embedTexts([source]), 30);
  return out;
}

async function timeRuns(run: () => unknown, runs: number): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(100, runs); i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return percentiles(times);
}

async function encoderSanity(): Promise<Record<string, number>> {
  const test = corpusTexts().test;
  const cache = join(tmpdir(), `basalt-use-test-${fnv1a(test.texts.join("\n"))}.f32`);
  const vectors = await embedWithTeacher(await loadTeacher(), test.texts, cache);
  return sanityFigures({ ...test, teacher: vectors, student: staticEncoder().encode(test.texts) });
}

async function main(): Promise<void> {
  const rows = loadRows();
  const dev = rows.slice(0, 250);
  const test = rows.slice(250);
  let weights = DEFAULT_GROUNDING_WEIGHTS;
  if (fit) {
    weights = fitWeights(dev);
    console.log(`fitted on rows 0–249:\n${JSON.stringify(weights, null, 2)}`);
  }
  const quality = [...(await qualityRows(dev, "dev (0–249)", weights)), ...(await qualityRows(test, "held-out (250–499)", weights))];
  console.log("\n| half | check | scorer | AUROC |\n|---|---|---|---|");
  for (const q of quality) console.log(`| ${q.half} | ${q.check} | ${q.scorer} | ${(q.auroc as number).toFixed(3)} |`);
  const timing = await latency(rows);
  console.log("\n| operation | p50 ms | p99 ms |\n|---|---|---|");
  for (const [name, t] of Object.entries(timing)) console.log(`| ${name} | ${t.p50.toFixed(3)} | ${t.p99.toFixed(3)} |`);
  const figures = sanity ? await encoderSanity() : undefined;
  if (figures) {
    console.log("\nStatic encoder vs full USE, held-out test split of the distillation corpus:\n\n| figure | value |\n|---|---|");
    for (const [name, value] of Object.entries(figures)) console.log(`| ${name} | ${Number.isInteger(value) ? value : value.toFixed(3)} |`);
  }
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/guardrails-grounding.json", JSON.stringify({ weights, quality, latencyMs: timing, encoderSanity: figures }, null, 2));
}

await main();
