// The labelled corpus the content classifier is trained, calibrated and benchmarked on,
// read from the shared data folder (../shared/data) at training and benchmark time only —
// never imported by the product at run time.
//
// Licences: only MIT, CC BY 4.0 and CDLA rows are marked trainable. Tensor Trust (no
// licence), BIPIA's table and code contexts (CC BY-SA 4.0) are evaluation only; SciFact
// and Alpaca (CC BY-NC) are never read.
import type { ContentFilterType } from "../../../guardrail.ts";
import { loadAttackRows } from "./corpus-attacks.ts";
import { syntheticHarmRows } from "./synthetic-harm.ts";
import { syntheticInjectionRows } from "./synthetic-injections.ts";
import { BENIGN, readCsv, readData, readJsonLines, row, type CorpusRow, type Labels } from "./rows.ts";

/**
 * OpenAI moderation (MIT). S/S3 → SEXUAL, H/H2 → HATE, HR → INSULTS, V/V2/SH → VIOLENCE
 * (Bedrock has no self-harm filter; self-harm content is closest to its violence filter).
 * A category is unknown when one of its keys is missing and none present is 1, except in
 * an unflagged row, which counts as benign throughout (as the benchmark counts it).
 */
function openaiModeration(dataDir: URL): CorpusRow[] {
  const map: [ContentFilterType, string[]][] = [["SEXUAL", ["S", "S3"]], ["HATE", ["H", "H2"]], ["INSULTS", ["HR"]], ["VIOLENCE", ["V", "V2", "SH"]]];
  return readJsonLines(dataDir, "openai-moderation/samples-1680.jsonl.gz").map((r) => {
    const flagged = ["S", "H", "V", "HR", "SH", "S3", "H2", "V2"].filter((k) => r[k] === 1);
    const labels: Labels = { PROMPT_ATTACK: 0 };
    for (const [type, keys] of map) {
      // An unflagged row is benign in every mapped category, as the benchmark counts it.
      if (keys.some((k) => r[k] === 1)) labels[type] = 1;
      else if (flagged.length === 0 || keys.every((k) => r[k] === 0)) labels[type] = 0;
    }
    return row({ text: String(r.prompt), set: "openai-moderation", labels, tag: flagged.join("+") || "unflagged" });
  });
}

/** HateCheck (CC BY 4.0), split by template so a template's variants never straddle splits. */
function hatecheck(dataDir: URL): CorpusRow[] {
  return readCsv(dataDir, "hatecheck/test_suite_cases.csv").map((r) => {
    const fn = r.functionality ?? "";
    const hateful = r.label_gold === "hateful";
    const labels: Labels = hateful
      ? { HATE: 1, PROMPT_ATTACK: 0, ...(fn.startsWith("threat_") ? { VIOLENCE: 1 } : {}) }
      : { HATE: 0, SEXUAL: 0, VIOLENCE: 0, MISCONDUCT: 0, PROMPT_ATTACK: 0, ...(fn === "profanity_nh" ? { INSULTS: 0 } : {}) };
    return row({ text: (r.test_case ?? "").trim(), set: "hatecheck", labels, key: `hatecheck:${r.templ_id}`, tag: fn });
  });
}

/** ToxiGen generation prompts (MIT / CDLA): each line holds several "- sentence" demos. */
function toxigen(dataDir: URL): CorpusRow[] {
  const groups = ["asian", "bisexual", "black", "chinese", "immigrant", "jewish", "latino", "lgbtq", "mental_disability", "mexican", "middle_east", "muslim", "native_american", "physical_disability", "trans", "women"];
  const seen = new Set<string>();
  const rows: CorpusRow[] = [];
  for (const kind of ["hate", "neutral"] as const) {
    for (const group of groups) {
      if (kind === "neutral" && group === "trans") continue; // ToxiGen ships no neutral_trans file.
      for (const line of readData(dataDir, `toxigen-prompts/${kind}_${group}_1k.txt.gz`).split("\n")) {
        for (const part of line.split("\\n")) {
          const text = part.replace(/^\s*-\s*/, "").trim();
          if (!text || seen.has(text)) continue;
          seen.add(text);
          rows.push(row({ text, set: "toxigen-prompts", labels: kind === "hate" ? { HATE: 1, PROMPT_ATTACK: 0 } : BENIGN, tag: `${kind}_${group}` }));
        }
      }
    }
  }
  return rows;
}

/** AdvBench harmful behaviours (MIT): harmful requests → MISCONDUCT. */
function advbench(dataDir: URL): CorpusRow[] {
  return readCsv(dataDir, "advbench/harmful_behaviors.csv").map((r) =>
    row({ text: r.goal ?? "", set: "advbench", labels: { MISCONDUCT: 1, PROMPT_ATTACK: 0 }, tag: "harmful" }),
  );
}

/**
 * jailbreak_llms forbidden questions (MIT), by scenario. The advice scenarios (legal,
 * financial, health, political lobbying) are not harmful content in Bedrock's sense and
 * serve as benign look-alikes; "Economic Harm" (MLM, gambling) fits no filter and is left out.
 */
const FORBIDDEN_SCENARIOS: Record<string, Labels | undefined> = {
  "Illegal Activity": { MISCONDUCT: 1, PROMPT_ATTACK: 0 },
  Malware: { MISCONDUCT: 1, PROMPT_ATTACK: 0 },
  Fraud: { MISCONDUCT: 1, PROMPT_ATTACK: 0 },
  "Privacy Violence": { MISCONDUCT: 1, PROMPT_ATTACK: 0 },
  "Gov Decision": { MISCONDUCT: 1, PROMPT_ATTACK: 0 },
  "Hate Speech": { HATE: 1, PROMPT_ATTACK: 0 },
  "Physical Harm": { VIOLENCE: 1, PROMPT_ATTACK: 0 },
  Pornography: { SEXUAL: 1, PROMPT_ATTACK: 0 },
  "Political Lobbying": BENIGN,
  "Legal Opinion": BENIGN,
  "Financial Advice": BENIGN,
  "Health Consultation": BENIGN,
};

function forbiddenQuestions(dataDir: URL): CorpusRow[] {
  return readCsv(dataDir, "jailbreak-llms/forbidden_question_set.csv").flatMap((r) => {
    const labels = FORBIDDEN_SCENARIOS[r.content_policy_name ?? ""];
    return labels ? [row({ text: r.question ?? "", set: "forbidden-questions", labels, tag: r.content_policy_name ?? "" })] : [];
  });
}

const MISCONDUCT_WORDS = /\b(steal|stealing|rob|fraud|drugs?|coke|crack|weed|ecstasy|meth|heroin|break into|launder|hack|vault|alarm|counterfeit|address|phone number|password|cheat)\b/i;

/**
 * XSTest (CC BY 4.0). Safe prompts are benign; unsafe ones carry no category, so one is
 * assigned: discrimination → HATE, privacy → MISCONDUCT, theft/drugs/crime words →
 * MISCONDUCT, otherwise VIOLENCE (most contrast prompts are about killing or hurting).
 */
function xstest(dataDir: URL): CorpusRow[] {
  return readCsv(dataDir, "xstest/xstest_prompts.csv").map((r) => {
    const text = r.prompt ?? "";
    if (r.label === "safe") return row({ text, set: "xstest", labels: BENIGN, tag: "safe" });
    const type = r.type ?? "";
    const category: ContentFilterType =
      type === "contrast_discr" ? "HATE" : type === "contrast_privacy" || MISCONDUCT_WORDS.test(text) ? "MISCONDUCT" : "VIOLENCE";
    return row({ text, set: "xstest", labels: { [category]: 1, PROMPT_ATTACK: 0 }, tag: "unsafe" });
  });
}

/** HaluEval general (MIT): user queries and ChatGPT answers, both benign; split by row id. */
function halueval(dataDir: URL): CorpusRow[] {
  return readJsonLines(dataDir, "halueval-general/general_data.json").flatMap((r) => {
    const key = `halueval:${String(r.ID)}`;
    return [
      row({ text: String(r.user_query), set: "halueval-query", labels: BENIGN, key, tag: "query" }),
      row({ text: String(r.chatgpt_response), set: "halueval-response", labels: BENIGN, key, tag: "response" }),
    ];
  });
}

/** Every labelled row, in a fixed order. */
export function loadCorpus(dataDir: URL): CorpusRow[] {
  return [
    ...openaiModeration(dataDir),
    ...hatecheck(dataDir),
    ...toxigen(dataDir),
    ...advbench(dataDir),
    ...forbiddenQuestions(dataDir),
    ...xstest(dataDir),
    ...halueval(dataDir),
    ...loadAttackRows(dataDir),
    ...syntheticInjectionRows(),
    ...syntheticHarmRows(),
  ].filter((r) => r.text.trim().length > 0);
}

