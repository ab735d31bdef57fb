// Denied-topic detection quality on the hand-written fixtures (src/guardrails/detectors/topics/
// topic-fixtures.ts): for each split, every text is checked against all of that split's topics
// at once (as a guardrail with five denied topics would be), and each (topic, text) pair counts:
// positive when the text is listed under that topic's positives. The calibration is swept on
// the dev topics; the test topics are held out. Anchor: the same detector on the full Universal
// Sentence Encoder (calibrated the same way on dev), and the static encoder with no background.
// Also: detect() latency on 1 KB with 10 topics.
// Usage: node --import tsx bench/guardrails-topics.ts [--sweep]
// Writes bench/results/guardrails-topics.json.
import { mkdirSync, writeFileSync } from "node:fs";
import type { TopicConfig } from "../src/guardrails/guardrail.ts";
import type { SentenceEncoder, TopicDetector } from "../src/guardrails/policy.ts";
import { staticEncoder } from "../src/guardrails/detectors/encoder/static-encoder.ts";
import { sentenceUnits } from "../src/guardrails/detectors/encoder/sentences.ts";
import { BACKGROUND_TEXTS } from "../src/guardrails/detectors/topics/background.ts";
import { builtinTopicDetector, DEFAULT_TOPIC_CALIBRATION, prototypeTexts, type TopicCalibration } from "../src/guardrails/detectors/topics/builtin-topic-detector.ts";
import { TOPIC_FIXTURES, type TopicFixture } from "../src/guardrails/detectors/topics/topic-fixtures.ts";
import { loadTeacher, precomputedTeacher } from "../scripts/distill-static-encoder.ts";

const sweep = process.argv.includes("--sweep");

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

async function evaluate(detector: TopicDetector, split: "dev" | "test"): Promise<Counts> {
  const fixtures = TOPIC_FIXTURES.filter((f) => f.split === split);
  const topics = fixtures.map(toConfig);
  const counts: Counts = { tp: 0, fp: 0, fn: 0, tn: 0, errors: [] };
  for (const text of fixtures.flatMap((f) => [...f.positives, ...f.negatives])) {
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

/** The calibration with the best dev F1 over a grid (ties: the first, i.e. the smallest weight and center). */
async function calibrate(encoder: SentenceEncoder, weights: number[]): Promise<{ calibration: TopicCalibration; f1: number }> {
  let best = { calibration: DEFAULT_TOPIC_CALIBRATION, f1: -1 };
  for (const backgroundWeight of weights) {
    for (let center = -0.3; center <= 0.6; center += 0.01) {
      const calibration = { backgroundWeight, center: Number(center.toFixed(2)), width: DEFAULT_TOPIC_CALIBRATION.width };
      const score = f1(await evaluate(builtinTopicDetector(encoder, { calibration }), "dev"));
      if (score > best.f1) best = { calibration, f1: score };
    }
  }
  return best;
}

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
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.floor(times.length * 0.99)]! };
}

async function useEncoder(): Promise<SentenceEncoder> {
  const texts = new Set<string>(BACKGROUND_TEXTS);
  for (const f of TOPIC_FIXTURES) {
    for (const t of prototypeTexts(f)) texts.add(t);
    for (const t of [...f.positives, ...f.negatives]) for (const u of sentenceUnits(t)) texts.add(u.text);
  }
  return precomputedTeacher(await loadTeacher(), texts);
}

async function main(): Promise<void> {
  const encoders: [string, SentenceEncoder, TopicCalibration | undefined][] = [["static (default calibration)", staticEncoder(), DEFAULT_TOPIC_CALIBRATION]];
  if (sweep) {
    const stat = staticEncoder();
    const swept = await calibrate(stat, [0, 0.25, 0.5, 0.75, 1]);
    console.log(`static: best dev calibration ${JSON.stringify(swept.calibration)} (dev F1 ${swept.f1.toFixed(3)})`);
    encoders.push(["static (swept on dev)", stat, swept.calibration]);
    const noBackground = await calibrate(stat, [0]);
    encoders.push(["static, no background (swept on dev)", stat, noBackground.calibration]);
    const use = await useEncoder();
    const useSwept = await calibrate(use, [0, 0.25, 0.5, 0.75, 1]);
    encoders.push(["full USE (swept on dev)", use, useSwept.calibration]);
  }
  const rows = [];
  console.log("\n| encoder | calibration | split | precision | recall | F1 | TP/FP/FN |\n|---|---|---|---|---|---|---|");
  for (const [name, encoder, calibration] of encoders) {
    for (const split of ["dev", "test"] as const) {
      const c = await evaluate(builtinTopicDetector(encoder, { calibration }), split);
      rows.push({ encoder: name, calibration, split, precision: precision(c), recall: recall(c), f1: f1(c), ...c });
      const cal = `bg ${calibration?.backgroundWeight}, center ${calibration?.center}`;
      console.log(`| ${name} | ${cal} | ${split} | ${precision(c).toFixed(3)} | ${recall(c).toFixed(3)} | ${f1(c).toFixed(3)} | ${c.tp}/${c.fp}/${c.fn} |`);
    }
  }
  const errors = rows.find((r) => r.encoder.startsWith("static (default") && r.split === "test")?.errors ?? [];
  console.log(`\nErrors of the default detector on the test topics:\n${errors.map((e) => `- ${e}`).join("\n")}`);
  const timing = await latency(builtinTopicDetector(staticEncoder()));
  console.log(`\ndetect() on 1 KB with ${TOPIC_FIXTURES.length} topics: p50 ${timing.p50.toFixed(2)} ms, p99 ${timing.p99.toFixed(2)} ms`);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/guardrails-topics.json", JSON.stringify({ rows, latencyMs: timing }, null, 2));
}

await main();
