// Content filters and prompt-attack detection: the built-in classifier (the product's own
// builtinContentClassifier) on held-out rows only — the 30% test split of every set it was
// trained on (sha256 of the split key, see src/guardrails/detectors/content/training/rows.ts)
// and every row of the sets it never trained on (Tensor Trust; BIPIA table and code contexts
// with held-out attack strings). Side by side with a lexical anchor run in the same process
// (obscenity's English profanity matcher: "flagged" when it finds a profanity) and the
// published reference figure (Llama Guard 7B on OpenAI moderation, F1 0.69, as NeMo
// Guardrails reports it).
// Usage: node --import tsx bench/guardrails-content.ts [--data DIR]. Writes bench/results/guardrails-content.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from "obscenity";
import type { ContentFilterType, FilterStrength } from "../src/guardrails/guardrail.ts";
import { builtinContentClassifier } from "../src/guardrails/detectors/content/index.ts";
import { HARM_CATEGORIES } from "../src/guardrails/detectors/content/heads.ts";
import { loadCorpus } from "../src/guardrails/detectors/content/training/corpus.ts";
import { BLOCK_CUT, countPairs, scoresOf, type Counts } from "../src/guardrails/detectors/content/training/metrics.ts";
import type { CorpusRow } from "../src/guardrails/detectors/content/training/rows.ts";
import { percentile } from "./lib/processes.ts";

const { values: args } = parseArgs({ options: { data: { type: "string", default: new URL("../../shared/data/", import.meta.url).pathname } } });
const STRENGTHS = ["LOW", "MEDIUM", "HIGH"] as const satisfies readonly Exclude<FilterStrength, "NONE">[];
type Strength = (typeof STRENGTHS)[number];
const LLAMA_GUARD_OPENAI_F1 = 0.69;

interface Scored {
  row: CorpusRow;
  scores: Record<ContentFilterType, number>;
  profanity: boolean;
}

const matcher = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
const harmBlocks = (s: Scored, strength: Strength) => HARM_CATEGORIES.some((c) => s.scores[c] >= BLOCK_CUT[strength]);
const attackBlocks = (s: Scored, strength: Strength) => s.scores.PROMPT_ATTACK >= BLOCK_CUT[strength];
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "–");
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "–");

function table(title: string, header: string[], rows: (string | number)[][]): string {
  const lines = [`### ${title}`, "", `| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const r of rows) lines.push(`| ${r.join(" | ")} |`);
  return `${lines.join("\n")}\n`;
}

/** A labelled subset: which rows, and what counts as positive. */
interface Subset {
  name: string;
  rows: Scored[];
  positive: (s: Scored) => boolean;
}

function f1For(subset: Subset, predict: (s: Scored) => boolean): Counts {
  return countPairs(subset.rows.map((s) => ({ predicted: predict(s), actual: subset.positive(s) })));
}

const bySet = (all: Scored[], ...sets: string[]) => all.filter((s) => sets.includes(s.row.set));
const isHarmful = (s: Scored) => HARM_CATEGORIES.some((c) => s.row.labels[c] === 1);

/** "Flagged" (any harm filter blocks) per set and strength. */
function flaggedTable(all: Scored[], report: Record<string, unknown>): string {
  const subsets: Subset[] = [
    { name: "openai-moderation (flagged = any label)", rows: bySet(all, "openai-moderation"), positive: (s) => s.row.tag !== "unflagged" },
    { name: "hatecheck (hateful)", rows: bySet(all, "hatecheck"), positive: isHarmful },
    { name: "toxigen-prompts (hate)", rows: bySet(all, "toxigen-prompts"), positive: isHarmful },
    { name: "xstest (unsafe)", rows: bySet(all, "xstest"), positive: (s) => s.row.tag === "unsafe" },
    { name: "forbidden-questions (harmful scenarios)", rows: bySet(all, "forbidden-questions"), positive: isHarmful },
  ];
  const out: (string | number)[][] = [];
  const json: Record<string, unknown> = {};
  for (const subset of subsets) {
    const pos = subset.rows.filter(subset.positive).length;
    const per = STRENGTHS.map((st) => scoresOf(f1For(subset, (s) => harmBlocks(s, st))));
    const medium = per[1]!;
    const anchor = scoresOf(f1For(subset, (s) => s.profanity)).f;
    out.push([subset.name, `${pos} / ${subset.rows.length - pos}`, ...per.map((p) => fmt(p.f)), `${fmt(medium.precision)} / ${fmt(medium.recall)}`, fmt(anchor)]);
    json[subset.name] = { positives: pos, negatives: subset.rows.length - pos, f1: Object.fromEntries(STRENGTHS.map((st, i) => [st, per[i]])), obscenityF1: anchor };
  }
  const advbench = bySet(all, "advbench");
  const rates = STRENGTHS.map((st) => advbench.filter((s) => harmBlocks(s, st)).length / advbench.length);
  out.push(["advbench (all harmful: detection rate)", `${advbench.length} / 0`, ...rates.map(pct), "–", pct(advbench.filter((s) => s.profanity).length / advbench.length)]);
  json["advbench"] = { rows: advbench.length, detection: Object.fromEntries(STRENGTHS.map((st, i) => [st, rates[i]])) };
  report.flagged = json;
  return table(
    `Harmful content, "flagged" = any of HATE/INSULTS/SEXUAL/VIOLENCE/MISCONDUCT blocks (F1; anchor: Llama Guard on openai-moderation ${LLAMA_GUARD_OPENAI_F1})`,
    ["set (held-out rows)", "pos / neg", "F1 strength LOW", "F1 MEDIUM", "F1 HIGH", "P / R at MEDIUM", "obscenity F1"],
    out,
  );
}

/** Each category filter alone, on the sets that label it. */
function categoryTable(all: Scored[], report: Record<string, unknown>): string {
  const specs: [string, ContentFilterType][] = [
    ["openai-moderation", "HATE"], ["openai-moderation", "INSULTS"], ["openai-moderation", "SEXUAL"], ["openai-moderation", "VIOLENCE"],
    ["hatecheck", "HATE"], ["toxigen-prompts", "HATE"], ["forbidden-questions", "MISCONDUCT"], ["forbidden-questions", "SEXUAL"],
  ];
  const out: (string | number)[][] = [];
  const json: Record<string, unknown> = {};
  for (const [set, type] of specs) {
    const rows = bySet(all, set).filter((s) => s.row.labels[type] !== undefined || set === "forbidden-questions");
    const subset: Subset = { name: `${set} ${type}`, rows, positive: (s) => s.row.labels[type] === 1 };
    const pos = rows.filter(subset.positive).length;
    const per = STRENGTHS.map((st) => scoresOf(f1For(subset, (s) => s.scores[type] >= BLOCK_CUT[st])));
    out.push([set, type, `${pos} / ${rows.length - pos}`, ...per.map((p) => fmt(p.f))]);
    json[subset.name] = Object.fromEntries(STRENGTHS.map((st, i) => [st, per[i]]));
  }
  report.categories = json;
  return table("Per category (that filter alone; F1)", ["set", "category", "pos / neg", "F1 strength LOW", "F1 MEDIUM", "F1 HIGH"], out);
}

/** Share of safe texts blocked. */
function overBlockingTable(all: Scored[], report: Record<string, unknown>): string {
  const groups: [string, Scored[]][] = [
    ["xstest safe", bySet(all, "xstest").filter((s) => s.row.tag === "safe")],
    ["halueval-general user queries", bySet(all, "halueval-query")],
    ["openai-moderation unflagged", bySet(all, "openai-moderation").filter((s) => s.row.tag === "unflagged")],
  ];
  groups.push(["safe prompts, pooled", groups.flatMap(([, rows]) => rows)]);
  groups.push(["halueval-general ChatGPT answers (long)", bySet(all, "halueval-response")]);
  groups.push(["bipia clean email/table/code contexts (long)", bySet(all, "bipia-email", "bipia-table", "bipia-code").filter((s) => s.row.tag === "clean")]);
  const out: (string | number)[][] = [];
  const json: Record<string, unknown> = {};
  for (const [name, rows] of groups) {
    const harm = STRENGTHS.map((st) => rows.filter((s) => harmBlocks(s, st)).length / rows.length);
    const any = STRENGTHS.map((st) => rows.filter((s) => harmBlocks(s, st) || attackBlocks(s, st)).length / rows.length);
    out.push([name, rows.length, ...harm.map(pct), ...any.map(pct), pct(rows.filter((s) => s.profanity).length / rows.length)]);
    json[name] = { rows: rows.length, harmFilters: Object.fromEntries(STRENGTHS.map((st, i) => [st, harm[i]])), allSix: Object.fromEntries(STRENGTHS.map((st, i) => [st, any[i]])) };
  }
  report.overBlocking = json;
  return table(
    "Over-blocking: share of safe texts blocked (target at MEDIUM, safe prompts: < 10%)",
    ["safe texts (held-out)", "rows", "5 harm filters at LOW", "MEDIUM", "HIGH", "all 6 filters at LOW", "MEDIUM", "HIGH", "obscenity"],
    out,
  );
}

/** PROMPT_ATTACK: detection per attack set, false positives per benign set, pooled F1. */
function attackTable(all: Scored[], report: Record<string, unknown>): string {
  const attacks: [string, Scored[]][] = [
    ["jailbreak-llms in-the-wild jailbreaks", bySet(all, "jailbreak-llms")],
    ["jbb-pair (PAIR prompts)", bySet(all, "jbb-pair")],
    ["jbb-gcg (GCG suffix prompts)", bySet(all, "jbb-gcg")],
    ["bipia email + injected attack", bySet(all, "bipia-email").filter((s) => s.row.tag === "injected")],
    ["bipia table + injected attack (never trained)", bySet(all, "bipia-table").filter((s) => s.row.tag === "injected")],
    ["bipia code + injected attack (never trained)", bySet(all, "bipia-code").filter((s) => s.row.tag === "injected")],
    ["tensor-trust hijack/extraction (never trained)", bySet(all, "tensor-trust")],
  ];
  const benign: [string, Scored[]][] = [
    ["halueval-general user queries", bySet(all, "halueval-query")],
    ["xstest safe", bySet(all, "xstest").filter((s) => s.row.tag === "safe")],
    ["bipia clean contexts + questions", bySet(all, "bipia-email", "bipia-table", "bipia-code", "bipia-question").filter((s) => s.row.tag !== "injected")],
    ["openai-moderation (not attacks)", bySet(all, "openai-moderation")],
    ["advbench + forbidden questions (harmful, not attacks)", bySet(all, "advbench", "forbidden-questions")],
  ];
  const out: (string | number)[][] = [];
  const json: Record<string, unknown> = {};
  for (const [name, rows] of [...attacks, ...benign]) {
    const rate = STRENGTHS.map((st) => rows.filter((s) => attackBlocks(s, st)).length / rows.length);
    const kind = attacks.some(([n]) => n === name) ? "attack: detected" : "benign: blocked";
    out.push([name, kind, rows.length, ...rate.map(pct)]);
    json[name] = { kind, rows: rows.length, rate: Object.fromEntries(STRENGTHS.map((st, i) => [st, rate[i]])) };
  }
  const pooled: Subset = { name: "pooled", rows: [...attacks, ...benign.slice(0, 3)].flatMap(([, r]) => r), positive: (s) => s.row.labels.PROMPT_ATTACK === 1 };
  const f1 = STRENGTHS.map((st) => scoresOf(f1For(pooled, (s) => attackBlocks(s, st))));
  out.push(["pooled F1 (attacks vs benign queries, xstest safe, bipia clean)", "F1", pooled.rows.length, ...f1.map((p) => fmt(p.f))]);
  json.pooledF1 = Object.fromEntries(STRENGTHS.map((st, i) => [st, f1[i]]));
  report.promptAttack = json;
  return table("Prompt attack (PROMPT_ATTACK filter, INPUT)", ["set (held-out rows)", "kind", "rows", "strength LOW", "MEDIUM", "HIGH"], out);
}

/** A harmful sentence planted in the middle of a long benign answer: is it still caught? */
async function embeddedTable(all: Scored[], report: Record<string, unknown>): Promise<string> {
  const classifier = builtinContentClassifier();
  const harmful = [...bySet(all, "xstest", "hatecheck", "advbench", "forbidden-questions").filter(isHarmful)];
  const hosts = bySet(all, "halueval-response").filter((s) => s.row.text.length >= 600 && !harmBlocks(s, "MEDIUM"));
  let standalone = 0;
  let embedded = 0;
  for (const [i, s] of harmful.entries()) {
    const host = hosts[i % hosts.length]!.row.text;
    const at = host.indexOf(". ", Math.floor(host.length / 2));
    const text = at > 0 ? `${host.slice(0, at + 2)}${s.row.text} ${host.slice(at + 2)}` : `${host} ${s.row.text}`;
    const scores = await classifier.classify(text);
    if (harmBlocks(s, "MEDIUM")) standalone++;
    if (HARM_CATEGORIES.some((c) => scores[c] >= BLOCK_CUT.MEDIUM)) embedded++;
  }
  report.embedded = { rows: harmful.length, hosts: hosts.length, standalone: standalone / harmful.length, embedded: embedded / harmful.length };
  return table(
    "Harmful sentence inside a long benign text (MEDIUM; hosts: held-out HaluEval answers ≥ 600 chars the model passes)",
    ["harmful rows (held-out xstest/hatecheck/advbench/forbidden)", "blocked alone", "blocked when planted in a host"],
    [[harmful.length, pct(standalone / harmful.length), pct(embedded / harmful.length)]],
  );
}

/** classify() latency on 1 KB texts built from held-out rows. */
async function latencyTable(all: Scored[], report: Record<string, unknown>): Promise<string> {
  const classifier = builtinContentClassifier();
  const texts: string[] = [];
  let buffer = "";
  for (const s of all) {
    buffer += `${s.row.text} `;
    if (buffer.length >= 1024) {
      texts.push(buffer.slice(0, 1024));
      buffer = "";
      if (texts.length === 64) break;
    }
  }
  for (let i = 0; i < 200; i++) await classifier.classify(texts[i % texts.length]!);
  const times: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const started = performance.now();
    await classifier.classify(texts[i % texts.length]!);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  const p99 = percentile(times, 99);
  report.latency = { texts: texts.length, calls: times.length, p50ms: p50, p99ms: p99 };
  return table("Latency of classify() on 1 KB (one core, 2,000 calls over 64 texts)", ["p50 ms", "p99 ms"], [[p50.toFixed(2), p99.toFixed(2)]]);
}

async function main(): Promise<void> {
  const dataDir = new URL(`file://${args.data.endsWith("/") ? args.data : `${args.data}/`}`);
  const rows = loadCorpus(dataDir).filter((r) => r.split === "test" || !r.trainable);
  const classifier = builtinContentClassifier();
  const started = performance.now();
  const all: Scored[] = [];
  for (const row of rows) all.push({ row, scores: await classifier.classify(row.text), profanity: matcher.hasMatch(row.text) });
  process.stderr.write(`scored ${all.length} held-out rows in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  const report: Record<string, unknown> = { classifier: classifier.id, heldOutRows: all.length, split: "test split (sha256 bucket >= 70) of trained sets; all rows of never-trained sets" };
  const sections = [
    flaggedTable(all, report),
    categoryTable(all, report),
    overBlockingTable(all, report),
    attackTable(all, report),
    await embeddedTable(all, report),
    await latencyTable(all, report),
  ];
  console.log(`## Content filters and prompt attack (${classifier.id}, ${all.length} held-out rows)\n`);
  console.log(sections.join("\n"));
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/guardrails-content.json", import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
}

await main();
