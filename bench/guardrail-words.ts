// Word-filter benchmark: quality and latency of Basalt's word policy side by side with two
// anchors in the same run: obscenity alone (English dataset + recommended transformers, as
// documented) for the managed PROFANITY list, and a case-insensitive `\b(w1|w2|…)\b` RegExp
// (exact word matching, what a plain implementation does) for custom words.
//
// Data: HateCheck (Röttger et al. 2021, CC BY 4.0) from ../shared/data/hatecheck, used for
// evaluation only; nothing is trained. Rows used:
// - custom words: the 5 spell_* functionalities (760 rows); the word list is their focus
//   lemmas that are single words (`hate`, `kill`, `fuck`, …). Recall = rows where the
//   lemma's word is reported. Extra fires: every other row (2,968) where Basalt reports a
//   word the exact anchor does not (normalization firing on unperturbed text).
// - profanity: profanity_h + profanity_nh (240 rows, each holds profanity), the same rows
//   with the focus words rewritten five ways (synthetic: spaced, dotted, leetspeak,
//   full-width, zero-width characters), the spell_* rows whose lemma is profane, and fire
//   rate on ident_neutral_nh + ident_pos_nh (315 rows without profanity).
// Latency: 200 texts of ~1 KB, each HateCheck rows joined in a fixed pseudo-random order.
// Usage: node --import tsx bench/guardrail-words.ts [--quick]. Prints tables and writes
// bench/results/guardrail-words.json.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parse } from "csv-parse/sync";
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from "obscenity";
import { createCustomWordMatcher } from "../src/guardrails/detectors/words/custom-words.ts";
import { normalizeText } from "../src/guardrails/detectors/words/normalize.ts";
import { findProfanity } from "../src/guardrails/detectors/words/profanity.ts";
import type { WordConfig } from "../src/guardrails/guardrail.ts";
import { createWordPolicy } from "../src/guardrails/policies/word-filters.ts";
import { seededRandom } from "../src/util/seeded-random.ts";

const quick = process.argv.includes("--quick");
const DATA = new URL("../../shared/data/hatecheck/test_suite_cases.csv", import.meta.url);

interface Row {
  functionality: string;
  test_case: string;
  focus_words: string;
  focus_lemma: string;
}

const rows = parse(readFileSync(DATA), { columns: true, skip_empty_lines: true }) as Row[];
const SPELL = ["spell_space_add_h", "spell_leet_h", "spell_char_del_h", "spell_char_swap_h", "spell_space_del_h"];
const PROFANE_LEMMAS = new Set(["fuck", "fucked", "fucking", "shit", "asshole", "motherfucker", "bullshit", "dickhead", "prick"]);

const escape = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** The exact-match anchor: one case-insensitive alternation with \b boundaries. */
function exactRegex(words: readonly string[]): RegExp {
  return new RegExp(`\\b(?:${[...words].sort((a, b) => b.length - a.length).map(escape).join("|")})\\b`, "giu");
}

const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)} %` : "–");

// ---- Custom words ----

function customWordQuality() {
  const spellRows = rows.filter((r) => SPELL.includes(r.functionality) && /^[a-z]+$/.test(r.focus_lemma));
  const lemmas = [...new Set(spellRows.map((r) => r.focus_lemma))];
  const matcher = createCustomWordMatcher(lemmas);
  const anchor = exactRegex(lemmas);
  const table = SPELL.map((functionality) => {
    const set = spellRows.filter((r) => r.functionality === functionality);
    const basalt = set.filter((r) => matcher.find(r.test_case).some((m) => m.words.includes(lemmas.indexOf(r.focus_lemma)))).length;
    const exact = set.filter((r) => [...r.test_case.matchAll(anchor)].some((m) => m[0].toLowerCase() === r.focus_lemma)).length;
    return { functionality, rows: set.length, basalt, exact };
  });
  const others = rows.filter((r) => !SPELL.includes(r.functionality));
  const extra: string[] = [];
  for (const r of others) {
    const exact = new Set([...r.test_case.matchAll(anchor)].map((m) => m.index));
    const found = matcher.find(r.test_case).filter((m) => !exact.has(m.start));
    if (found.length) extra.push(`${r.functionality}: ${r.test_case.trim()} → ${found.map((m) => m.match).join(", ")}`);
  }
  return { words: lemmas.length, table, otherRows: others.length, extraFires: extra.length, extraExamples: extra.slice(0, 10) };
}

// ---- Profanity ----

const obscenity = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });

const FULL_WIDTH = (s: string) => [...s].map((c) => (/[!-~]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join("");
const LEET: Record<string, string> = { a: "4", e: "3", i: "1", o: "0", s: "5", t: "7" };
const REWRITES: Record<string, (word: string) => string> = {
  spaced: (w) => [...w].join(" "),
  dotted: (w) => [...w].join("."),
  leetspeak: (w) => w.replace(/[aeiost]/g, (c) => LEET[c]!),
  "full-width": FULL_WIDTH,
  "zero-width": (w) => [...w].join("\u200B"),
};

function profanityQuality() {
  const profane = rows.filter((r) => r.functionality === "profanity_h" || r.functionality === "profanity_nh");
  const clean = rows.filter((r) => r.functionality === "ident_neutral_nh" || r.functionality === "ident_pos_nh");
  const spelled = rows.filter((r) => SPELL.includes(r.functionality) && PROFANE_LEMMAS.has(r.focus_lemma));
  const sets: [string, string[]][] = [
    ["HateCheck profanity_h + profanity_nh", profane.map((r) => r.test_case)],
    ...Object.entries(REWRITES).map(([name, rewrite]): [string, string[]] => [
      `  same rows, focus words ${name} (synthetic)`,
      profane.map((r) => r.test_case.replace(r.focus_words, (focus) => focus.split(" ").map(rewrite).join(" "))),
    ]),
    ["HateCheck spell_* rows with a profane lemma", spelled.map((r) => r.test_case)],
  ];
  const recall = sets.map(([set, texts]) => ({
    set,
    rows: texts.length,
    basalt: texts.filter((t) => findProfanity(t).length > 0).length,
    obscenity: texts.filter((t) => obscenity.hasMatch(t)).length,
  }));
  const fires = {
    rows: clean.length,
    basalt: clean.filter((r) => findProfanity(r.test_case).length > 0).length,
    obscenity: clean.filter((r) => obscenity.hasMatch(r.test_case)).length,
  };
  return { recall, cleanFires: fires };
}

// ---- Latency ----

function texts1k(count: number): string[] {
  const next = seededRandom(7);
  return Array.from({ length: count }, () => {
    let text = "";
    while (text.length < 1024) text += `${rows[Math.floor(next() * rows.length)]!.test_case.trim()} `;
    return text.slice(0, 1024);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Per-call time (ms) of `fn` over `texts`, after a warm-up pass (of at most 20 texts): p50 and p99. */
async function time(texts: string[], rounds: number, fn: (text: string) => unknown): Promise<{ p50: number; p99: number }> {
  for (const t of texts.slice(0, 20)) await fn(t);
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const t of texts) {
      const start = performance.now();
      await fn(t);
      samples.push(performance.now() - start);
    }
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

function vocabulary(count: number): string[] {
  const next = seededRandom(11);
  const letters = "abcdefghijklmnopqrstuvwxyz";
  return Array.from({ length: count }, (_, i) => {
    let word = "";
    const length = 5 + Math.floor(next() * 8);
    for (let k = 0; k < length; k++) word += letters[Math.floor(next() * 26)];
    return i % 5 === 0 ? `${word} ${letters[i % 26]}${word.slice(0, 4)}` : word;
  });
}

async function latency() {
  const texts = texts1k(quick ? 50 : 200);
  const rounds = quick ? 3 : 10;
  const on = { inputAction: "BLOCK", outputAction: "BLOCK", inputEnabled: true, outputEnabled: true } as const;
  const lists = { small: vocabulary(100), large: vocabulary(10_000) };
  const out: { case: string; basalt: { p50: number; p99: number }; anchor?: { p50: number; p99: number } }[] = [];
  for (const words of Object.values(lists)) {
    const matcher = createCustomWordMatcher(words);
    const regex = exactRegex(words);
    // A 10,000-way alternation takes about half a second per text: the anchor gets 10 texts, once.
    const anchorTexts = words.length > 1000 ? texts.slice(0, 10) : texts;
    const anchorRounds = words.length > 1000 ? 1 : rounds;
    out.push({
      case: `custom words (${words.length})`,
      basalt: await time(texts, rounds, (t) => matcher.find(t)),
      anchor: await time(anchorTexts, anchorRounds, (t) => [...t.matchAll(regex)]),
    });
  }
  out.push({ case: "normalization alone", basalt: await time(texts, rounds, (t) => normalizeText(t)) });
  out.push({ case: "profanity list", basalt: await time(texts, rounds, (t) => findProfanity(t)), anchor: await time(texts, rounds, (t) => obscenity.getAllMatches(t)) });
  const policy = createWordPolicy({ words: lists.large.map((text): WordConfig => ({ text, ...on })), managedWordLists: [{ type: "PROFANITY", ...on }] });
  out.push({ case: "word policy check (10,000 words + profanity)", basalt: await time(texts, rounds, (t) => policy.check({ text: t, source: "INPUT" })) });
  const buildRuns = quick ? 3 : 7;
  const build = (fn: () => unknown) => {
    const times: number[] = [];
    for (let i = 0; i < buildRuns; i++) {
      const start = performance.now();
      fn();
      times.push(performance.now() - start);
    }
    return times.sort((a, b) => a - b)[Math.floor(buildRuns / 2)]!;
  };
  const builds = { basaltMs: build(() => createCustomWordMatcher(lists.large)), regexMs: build(() => exactRegex(lists.large).test("warm")) };
  return { texts: texts.length, rounds, cases: out, build10k: builds };
}

const custom = customWordQuality();
const profanity = profanityQuality();
const timing = await latency();

console.log(`\n## Custom words: recall on HateCheck spell_* rows (${custom.words} lemma words)\n`);
console.log("| functionality | rows | Basalt | exact \\b regex |\n|---|---:|---:|---:|");
for (const r of custom.table) console.log(`| ${r.functionality} | ${r.rows} | ${pct(r.basalt, r.rows)} | ${pct(r.exact, r.rows)} |`);
console.log(`\nExtra fires (Basalt reports a word the exact regex does not) on the other ${custom.otherRows} rows: ${custom.extraFires}`);
for (const e of custom.extraExamples) console.log(`- ${e}`);

console.log("\n## Profanity: share of rows with a match\n");
console.log("| rows | n | Basalt | obscenity alone |\n|---|---:|---:|---:|");
for (const r of profanity.recall) console.log(`| ${r.set} | ${r.rows} | ${pct(r.basalt, r.rows)} | ${pct(r.obscenity, r.rows)} |`);
const cf = profanity.cleanFires;
console.log(`| fires on ident_neutral_nh + ident_pos_nh (no profanity) | ${cf.rows} | ${pct(cf.basalt, cf.rows)} | ${pct(cf.obscenity, cf.rows)} |`);

console.log(`\n## Latency per 1 KB text (${timing.texts} texts × ${timing.rounds} rounds, ms)\n`);
console.log("| case | Basalt p50 | Basalt p99 | anchor p50 | anchor p99 |\n|---|---:|---:|---:|---:|");
for (const c of timing.cases) {
  console.log(`| ${c.case} | ${c.basalt.p50.toFixed(3)} | ${c.basalt.p99.toFixed(3)} | ${c.anchor?.p50.toFixed(3) ?? "–"} | ${c.anchor?.p99.toFixed(3) ?? "–"} |`);
}
console.log(`\nBuilding for 10,000 words (median): Basalt matcher ${timing.build10k.basaltMs.toFixed(1)} ms, RegExp alternation ${timing.build10k.regexMs.toFixed(1)} ms`);

mkdirSync("bench/results", { recursive: true });
writeFileSync(
  "bench/results/guardrail-words.json",
  JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, quick, custom, profanity, latency: timing }, null, 2),
);
