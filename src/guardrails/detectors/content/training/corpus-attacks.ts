// Prompt-attack rows: in-the-wild jailbreaks, JailbreakBench PAIR/GCG prompts, BIPIA
// indirect injections (attack strings planted in clean contexts) and Tensor Trust attacks.
import { assign, BENIGN, bucketOf, readCsv, readData, readJsonLines, row, type CorpusRow, type Split } from "./rows.ts";

const ATTACK = { PROMPT_ATTACK: 1 } as const;

/** jailbreak_llms in-the-wild jailbreak prompts (MIT); other categories unknown. */
function jailbreakPrompts(dataDir: URL): CorpusRow[] {
  const texts = new Set(readCsv(dataDir, "jailbreak-llms/jailbreak_prompts_2023_12_25.csv.gz").map((r) => (r.prompt ?? "").trim()));
  return [...texts].map((text) => row({ text, set: "jailbreak-llms", labels: ATTACK, tag: "jailbreak" }));
}

interface JbbArtifact {
  jailbreaks: { index: number; prompt: string | null; category: string }[];
}

/** JailbreakBench PAIR and GCG prompts (MIT), split by behaviour so both attacks on a goal stay together. */
function jailbreakBench(dataDir: URL): CorpusRow[] {
  return (["jbb-pair", "jbb-gcg"] as const).flatMap((set) => {
    const artifact = JSON.parse(readData(dataDir, `${set}/gpt-3.5-turbo-1106.json`)) as JbbArtifact;
    return artifact.jailbreaks.flatMap((j) =>
      j.prompt ? [row({ text: j.prompt, set, labels: ATTACK, key: `jbb:${j.index}`, tag: j.category })] : [],
    );
  });
}

interface Context {
  text: string;
  split: Split;
}

/** Plants an attack at the start, middle or end of a context, as BIPIA does. */
export function plant(context: string, attack: string, position: number): string {
  if (position === 0) return `${attack}\n${context}`;
  if (position === 2) return `${context}\n${attack}`;
  const lines = context.split("\n");
  const at = Math.floor(lines.length / 2);
  return [...lines.slice(0, at), attack, ...lines.slice(at)].join("\n");
}

/** Options of {@link injected}. */
interface InjectionSpec {
  set: string;
  contexts: Context[];
  attacks: string[];
  trainable: boolean;
  /** Contexts each attack is planted into. */
  perAttack: number;
}

/**
 * Attack strings planted into clean contexts. An attack is only planted into contexts of its
 * own split, so no test row shares an attack string or a context with a training row.
 */
function injected(spec: InjectionSpec): CorpusRow[] {
  const rows: CorpusRow[] = [];
  for (const attack of spec.attacks) {
    const { split } = assign(`bipia-attack:${attack}`);
    // Evaluation-only sets take held-out attacks only: the others were trained on elsewhere.
    if (!spec.trainable && split !== "test") continue;
    const pool = spec.contexts.filter((c) => c.split === split);
    if (pool.length === 0) continue;
    const start = bucketOf(`${spec.set}:${attack}`);
    for (let k = 0; k < spec.perAttack; k++) {
      const context = pool[(start + k * 7) % pool.length]!;
      rows.push(row({ text: plant(context.text, attack, k % 3), set: spec.set, labels: ATTACK, key: `bipia-attack:${attack}`, trainable: spec.trainable, tag: "injected" }));
    }
  }
  return rows;
}

function contextRows(set: string, texts: string[], trainable: boolean): { rows: CorpusRow[]; contexts: Context[] } {
  const rows = texts.map((text) => row({ text, set, labels: BENIGN, trainable, tag: "clean" }));
  return { rows, contexts: rows.map((r) => ({ text: r.text, split: r.split })) };
}

/**
 * BIPIA (MIT attack strings; email contexts MIT, table and code contexts CC BY-SA 4.0 and
 * so evaluation only). Clean contexts and questions are benign; planted attacks are PROMPT_ATTACK.
 */
function bipia(dataDir: URL): CorpusRow[] {
  const flatten = (path: string) => Object.values(JSON.parse(readData(dataDir, path)) as Record<string, string[]>).flat();
  const textAttacks = flatten("bipia-attacks/text_attack_test.json");
  const codeAttacks = flatten("bipia-attacks/code_attack_test.json");
  const email = readJsonLines(dataDir, "bipia-email/test.jsonl");
  const table = readJsonLines(dataDir, "bipia-table/test.jsonl");
  const code = readJsonLines(dataDir, "bipia-code/test.jsonl");
  const emails = contextRows("bipia-email", email.map((r) => String(r.context)), true);
  const tables = contextRows("bipia-table", table.map((r) => String(r.context)), false);
  const codes = contextRows("bipia-code", code.map((r) => (r.context as string[]).join("\n")), false);
  const questions = [...email, ...table].map((r) => row({ text: String(r.question), set: "bipia-question", labels: BENIGN, tag: "question" }));
  return [
    ...emails.rows,
    ...tables.rows,
    ...codes.rows,
    ...questions,
    ...injected({ set: "bipia-email", contexts: emails.contexts, attacks: [...textAttacks, ...codeAttacks], trainable: true, perAttack: 3 }),
    ...injected({ set: "bipia-table", contexts: tables.contexts, attacks: textAttacks, trainable: false, perAttack: 3 }),
    ...injected({ set: "bipia-code", contexts: codes.contexts, attacks: codeAttacks, trainable: false, perAttack: 3 }),
  ];
}

/** Tensor Trust hijacking and extraction attacks: no licence stated, so evaluation only. */
function tensorTrust(dataDir: URL): CorpusRow[] {
  const files = ["hijacking_robustness_dataset.jsonl", "extraction_robustness_dataset.jsonl"];
  const texts = new Set(files.flatMap((f) => readJsonLines(dataDir, `tensor-trust/${f}`).map((r) => String(r.attack).trim())));
  return [...texts].filter((t) => t).map((text) => row({ text, set: "tensor-trust", labels: ATTACK, trainable: false, tag: "attack" }));
}

/** Every prompt-attack row and its benign counterparts. */
export function loadAttackRows(dataDir: URL): CorpusRow[] {
  return [...jailbreakPrompts(dataDir), ...jailbreakBench(dataDir), ...bipia(dataDir), ...tensorTrust(dataDir)];
}
