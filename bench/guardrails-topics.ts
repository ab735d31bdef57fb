// Denied-topic detection quality on the hand-written fixtures (src/guardrails/detectors/topics/
// topic-fixtures.ts): for each split, every text is checked against all of that split's topics
// at once (as a guardrail with five denied topics would be), and each (topic, text) pair counts:
// positive when the text is listed under that topic's positives. Calibration is swept on the dev
// topics only; the test topics are held out.
// Rows: the shipped cascade (static encoder, then full USE-lite on the windows it cannot settle);
// anchors in the same run: the static encoder alone (the detector before the cascade) and the
// full encoder on every window (what the cascade approximates).
// Cost: how often everyday text reaches the full encoder (HaluEval-general user queries and
// responses, MIT, as everyday traffic against all ten topics), and detect() latency there and on
// 1 KB.
// Blocking: how long the server's main thread is blocked while checks escalate (every other
// request waits that long), with the static detector as the anchor.
// Usage: node --import tsx bench/guardrails-topics.ts [--sweep] [--blocking: that table alone]
// Writes bench/results/guardrails-topics.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { TopicConfig } from "../src/guardrails/guardrail.ts";
import type { TopicDetector } from "../src/guardrails/policy.ts";
import { FullEncoder, fullEncoder, type AsyncSentenceEncoder } from "../src/guardrails/detectors/encoder/full-encoder.ts";
import { staticEncoder } from "../src/guardrails/detectors/encoder/static-encoder.ts";
import { builtinTopicDetector, DEFAULT_TOPIC_CALIBRATION, prototypeTexts, type StageCalibration, type TopicCalibration } from "../src/guardrails/detectors/topics/builtin-topic-detector.ts";
import { TOPIC_FIXTURES, type TopicFixture } from "../src/guardrails/detectors/topics/topic-fixtures.ts";

const sweep = process.argv.includes("--sweep");
const blockingOnly = process.argv.includes("--blocking");
/** Calibrate with the everyday negatives in the dev split (see everydayNegatives). */
const sweepEveryday = process.argv.includes("--everyday");
const EVERYDAY = new URL("../../shared/data/halueval-general/general_data.json", import.meta.url);

interface Counts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  errors: string[];
}

const toConfig = (f: TopicFixture): TopicConfig => ({
  name: f.name,
  definition: f.definition,
  examples: f.examples,
  type: "DENY",
  inputAction: "BLOCK",
  outputAction: "BLOCK",
  inputEnabled: true,
  outputEnabled: true,
});

/** The full encoder, counting the sentences it is asked for (cache hits included). */
class CountingEncoder implements AsyncSentenceEncoder {
  readonly id = "counting";
  readonly dimensions: number;
  calls = 0;
  sentences = 0;
  constructor(private readonly inner: AsyncSentenceEncoder) {
    this.dimensions = inner.dimensions;
  }
  encode(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    this.calls++;
    this.sentences += texts.length;
    return this.inner.encode(texts, signal);
  }
}

type Mode = "static" | "cascade" | "full";

function detectorFor(mode: Mode, calibration: TopicCalibration, full: AsyncSentenceEncoder = fullEncoder()): TopicDetector {
  if (mode === "static") return builtinTopicDetector(staticEncoder(), { calibration, full: null });
  // "full": every window of the static stage's candidates goes to the full encoder.
  return builtinTopicDetector(staticEncoder(), { calibration: mode === "full" ? { ...calibration, escalate: -Infinity } : calibration, full });
}

/**
 * Everyday requests as extra negatives for every topic (HaluEval-general user queries, MIT):
 * rows 0–199 join the dev split, rows 200–399 the test split. The fixtures' own negatives are
 * short questions much like the background texts; real traffic is not.
 */
function everydayNegatives(): Record<"dev" | "test", string[]> {
  if (!existsSync(EVERYDAY)) return { dev: [], test: [] };
  const queries = readFileSync(EVERYDAY, "utf8").split("\n").filter(Boolean).slice(0, 400).map((l) => (JSON.parse(l) as { user_query: string }).user_query);
  return { dev: queries.slice(0, 200), test: queries.slice(200, 400) };
}
const EVERYDAY_NEGATIVES = everydayNegatives();
let withEveryday = false;

async function evaluate(detector: TopicDetector, split: "dev" | "test"): Promise<Counts> {
  const fixtures = TOPIC_FIXTURES.filter((f) => f.split === split);
  const topics = fixtures.map(toConfig);
  const counts: Counts = { tp: 0, fp: 0, fn: 0, tn: 0, errors: [] };
  const extra = withEveryday ? EVERYDAY_NEGATIVES[split] : [];
  for (const text of [...fixtures.flatMap((f) => [...f.positives, ...f.negatives]), ...extra]) {
    const results = await detector.detect(text, topics);
    fixtures.forEach((f, i) => {
      const positive = f.positives.includes(text);
      const detected = results[i]!.detected;
      if (positive && detected) counts.tp++;
      else if (positive) (counts.fn++, counts.errors.push(`FN ${f.name}: ${text}`));
      else if (detected) (counts.fp++, counts.errors.push(`FP ${f.name}: ${text}`));
      else counts.tn++;
    });
  }
  return counts;
}

const precision = (c: Counts): number => (c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp));
const recall = (c: Counts): number => c.tp / (c.tp + c.fn);
const f1 = (c: Counts): number => (2 * precision(c) * recall(c)) / (precision(c) + recall(c) || 1);

const WEIGHTS = [0, 0.25, 0.5, 0.75, 1];
const centers = (): number[] => Array.from({ length: 91 }, (_, k) => Number((-0.3 + k * 0.01).toFixed(2)));

/** Best dev F1 of one stage over a grid (ties: the first, i.e. the smallest weight and center). */
async function sweepStage(make: (stage: StageCalibration) => TopicDetector): Promise<{ stage: StageCalibration; f1: number }> {
  let best = { stage: DEFAULT_TOPIC_CALIBRATION.static, f1: -1 };
  for (const backgroundWeight of WEIGHTS) {
    for (const center of centers()) {
      const stage = { backgroundWeight, center, width: 0.05 };
      const score = f1(await evaluate(make(stage), "dev"));
      if (score > best.f1) best = { stage, f1: score };
    }
  }
  return best;
}

/** The whole calibration, on the dev topics only (see DEFAULT_TOPIC_CALIBRATION). */
async function calibrate(): Promise<TopicCalibration> {
  const base = DEFAULT_TOPIC_CALIBRATION;
  const stat = await sweepStage((stage) => detectorFor("static", { ...base, static: stage }));
  console.log(`static stage: ${JSON.stringify(stat.stage)} (dev F1 ${stat.f1.toFixed(3)})`);
  const full = await sweepStage((stage) => detectorFor("full", { ...base, static: stat.stage, full: stage }));
  console.log(`full stage: ${JSON.stringify(full.stage)} (dev F1 ${full.f1.toFixed(3)} with every candidate window escalated)`);
  let escalate = -Infinity;
  for (let t = stat.stage.center; t >= -0.3; t = Number((t - 0.01).toFixed(2))) {
    const score = f1(await evaluate(detectorFor("cascade", { static: stat.stage, escalate: t, full: full.stage }), "dev"));
    if (score >= full.f1) {
      escalate = t;
      break;
    }
  }
  console.log(`escalate: ${escalate} (highest threshold with dev F1 ≥ ${full.f1.toFixed(3)})`);
  return { static: stat.stage, escalate, full: full.stage };
}

function percentiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length * 0.5)]!, p99: sorted[Math.floor(sorted.length * 0.99)]! };
}

/** detect() latency on 1 KB of the fixtures' negatives with all ten topics (repeated text: the full encoder's cache is warm). */
async function latency(detector: TopicDetector): Promise<{ p50: number; p99: number }> {
  const topics = TOPIC_FIXTURES.map(toConfig);
  const text = TOPIC_FIXTURES.flatMap((f) => f.negatives).join(" ").slice(0, 1024);
  for (let i = 0; i < 50; i++) await detector.detect(text, topics);
  const times: number[] = [];
  for (let i = 0; i < 500; i++) {
    const started = performance.now();
    await detector.detect(text, topics);
    times.push(performance.now() - started);
  }
  return percentiles(times);
}

/**
 * Everyday traffic: each text checked once against all ten topics (no cache hits for its
 * sentences). Reports how many texts reach the full encoder, how many are flagged, and latency.
 */
async function everyday(calibration: TopicCalibration): Promise<Record<string, unknown>[]> {
  if (!existsSync(EVERYDAY)) {
    console.log(`\n(everyday traffic skipped: ${EVERYDAY.pathname} not found)`);
    return [];
  }
  const rows = readFileSync(EVERYDAY, "utf8").split("\n").filter(Boolean).slice(0, 400).map((l) => JSON.parse(l) as { user_query: string; chatgpt_response: string });
  const sets: [string, string[]][] = [
    ["HaluEval-general queries 200–399 (200)", rows.slice(200).map((r) => r.user_query)],
    ["HaluEval-general responses (first 1 KB, 100)", rows.slice(0, 100).map((r) => r.chatgpt_response.slice(0, 1024))],
  ];
  const ten = TOPIC_FIXTURES.map(toConfig);
  // The two topics of bench/guardrails-latency.ts.
  const two = [
    { name: "Investment advice", definition: "Recommendations about investing money in stocks, bonds, funds or crypto.", examples: ["Which stocks should I buy?"] },
    { name: "Medical diagnosis", definition: "Telling someone which illness they have from their symptoms.", examples: [] },
  ].map((t) => toConfig({ ...t, split: "dev", positives: [], negatives: [] }));
  const out = [];
  console.log("\n| everyday text | topics | mode | reach full encoder | flagged (any topic) | p50 ms | p99 ms |\n|---|---:|---|---:|---:|---:|---:|");
  for (const [name, texts] of sets) {
    for (const topics of [ten, two]) {
      for (const mode of ["static", "cascade"] as const) {
        // A fresh cache: every sentence is new to the full encoder, as in real traffic. The
        // once-per-process work (weights, everyday requests, topic prototypes) is done first.
        const counting = new CountingEncoder(new FullEncoder());
        const detector = detectorFor(mode, calibration, counting);
        await detector.detect("Is Tesla a buy right now? Do I have diabetes?", topics);
        for (const t of topics) await counting.encode(prototypeTexts(t));
        const times: number[] = [];
        let escalated = 0, flagged = 0;
        for (const text of texts) {
          const calls = counting.calls;
          const started = performance.now();
          const results = await detector.detect(text, topics);
          times.push(performance.now() - started);
          if (counting.calls > calls) escalated++;
          if (results.some((r) => r.detected)) flagged++;
        }
        const { p50, p99 } = percentiles(times);
        const pct = (n: number): string => `${((100 * n) / texts.length).toFixed(1)} %`;
        console.log(`| ${name} | ${topics.length} | ${mode} | ${pct(escalated)} | ${pct(flagged)} | ${p50.toFixed(2)} | ${p99.toFixed(2)} |`);
        out.push({ set: name, topics: topics.length, mode, texts: texts.length, escalated, flagged, p50, p99 });
      }
    }
  }
  return out;
}

/**
 * Main-thread blocking while checks escalate: fresh 1 KB texts (HaluEval-general responses
 * 100–299, first 1 KB) checked one after another against all ten topics, sampled by
 * monitorEventLoopDelay at 1 ms resolution. The delay is what any other request of the server
 * waits behind a check; the static detector is the anchor (its own work stays on the main thread).
 */
async function blocking(calibration: TopicCalibration): Promise<Record<string, unknown>[]> {
  if (!existsSync(EVERYDAY)) {
    console.log(`\n(event-loop blocking skipped: ${EVERYDAY.pathname} not found)`);
    return [];
  }
  const texts = readFileSync(EVERYDAY, "utf8").split("\n").filter(Boolean).slice(100, 300).map((l) => (JSON.parse(l) as { chatgpt_response: string }).chatgpt_response.slice(0, 1024));
  const topics = TOPIC_FIXTURES.map(toConfig);
  const out = [];
  console.log(`\n| main-thread blocking, ${texts.length} fresh 1 KB texts, ${topics.length} topics | escalated | loop delay p99 ms | loop delay max ms | check p50 ms | check p99 ms |\n|---|---:|---:|---:|---:|---:|`);
  for (const mode of ["static", "cascade"] as const) {
    const counting = new CountingEncoder(new FullEncoder());
    const detector = detectorFor(mode, calibration, counting);
    // Once-per-process work first (weights, everyday requests, topic prototypes).
    await detector.detect("Is Tesla a buy right now? Do I have diabetes?", topics);
    for (const t of topics) await counting.encode(prototypeTexts(t));
    const delay = monitorEventLoopDelay({ resolution: 1 });
    const times: number[] = [];
    let escalated = 0;
    delay.enable();
    for (const text of texts) {
      const calls = counting.calls;
      const started = performance.now();
      await detector.detect(text, topics);
      times.push(performance.now() - started);
      if (counting.calls > calls) escalated++;
      // A turn of the event loop between checks, as between two requests of a server (without
      // it, checks that never wait on I/O would run back to back and the timer never fire).
      await nextTurn();
    }
    delay.disable();
    const { p50, p99 } = percentiles(times);
    // The histogram is in nanoseconds.
    const loop = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6, mean: delay.mean / 1e6 };
    console.log(`| ${mode} | ${((100 * escalated) / texts.length).toFixed(1)} % | ${loop.p99.toFixed(1)} | ${loop.max.toFixed(1)} | ${p50.toFixed(2)} | ${p99.toFixed(2)} |`);
    out.push({ mode, texts: texts.length, topics: topics.length, escalated, loopDelayMs: loop, checkMs: { p50, p99 } });
  }
  return out;
}

async function main(): Promise<void> {
  if (blockingOnly) {
    const result = await blocking(DEFAULT_TOPIC_CALIBRATION);
    const file = "bench/results/guardrails-topics.json";
    const previous = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
    mkdirSync("bench/results", { recursive: true });
    writeFileSync(file, JSON.stringify({ ...previous, blocking: result }, null, 2));
    return;
  }
  withEveryday = sweepEveryday;
  const calibration = sweep ? await calibrate() : DEFAULT_TOPIC_CALIBRATION;
  withEveryday = false;
  if (sweep) console.log(`\ncalibration: ${JSON.stringify(calibration)}\n(shipped: ${JSON.stringify(DEFAULT_TOPIC_CALIBRATION)})`);
  const modes: [string, Mode][] = [
    ["static encoder alone (before)", "static"],
    ["cascade: static, then full USE-lite", "cascade"],
    ["full USE-lite on every candidate window", "full"],
  ];
  const rows = [];
  console.log("\n| detector | negatives | split | precision | recall | F1 | TP/FP/FN |\n|---|---|---|---|---|---|---|");
  for (const everydayToo of [false, true]) {
    withEveryday = everydayToo;
    const negatives = everydayToo ? "fixtures + 200 everyday" : "fixtures";
    for (const [name, mode] of modes) {
      for (const split of ["dev", "test"] as const) {
        const c = await evaluate(detectorFor(mode, calibration), split);
        rows.push({ detector: name, mode, negatives, split, precision: precision(c), recall: recall(c), f1: f1(c), ...c });
        console.log(`| ${name} | ${negatives} | ${split} | ${precision(c).toFixed(3)} | ${recall(c).toFixed(3)} | ${f1(c).toFixed(3)} | ${c.tp}/${c.fp}/${c.fn} |`);
      }
    }
  }
  withEveryday = false;
  const errors = rows.find((r) => r.mode === "cascade" && r.split === "test" && r.negatives === "fixtures")?.errors ?? [];
  console.log(`\nErrors of the cascade on the test topics:\n${errors.map((e) => `- ${e}`).join("\n")}`);
  const traffic = await everyday(calibration);
  const timing: Record<string, { p50: number; p99: number }> = {};
  for (const mode of ["static", "cascade"] as const) {
    timing[mode] = await latency(detectorFor(mode, calibration));
    console.log(`\ndetect() on 1 KB with ${TOPIC_FIXTURES.length} topics, ${mode}: p50 ${timing[mode].p50.toFixed(2)} ms, p99 ${timing[mode].p99.toFixed(2)} ms`);
  }
  const loop = await blocking(calibration);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/guardrails-topics.json", JSON.stringify({ calibration, rows, everyday: traffic, latencyMs: timing, blocking: loop }, null, 2));
}

await main();
