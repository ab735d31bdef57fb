// Llama Guard 3's prompt and verdict. The model judges the last message of a conversation
// against a numbered list of categories and answers "safe", or "unsafe" and a line of the
// violated category codes ("unsafe\nS1,S10"). Basalt uses its own S1–S14 taxonomy for content
// filters, and numbers a guardrail's denied topics the same way for topic detection (Llama
// Guard 3 follows custom categories given in the prompt). Prompt layout from Meta's
// Llama Guard 3 model card.
import type { ContentFilterType } from "../../guardrail.ts";

/** One category in the prompt: its code is `S<index + 1>`. */
export interface GuardCategory {
  name: string;
  /** Optional guidance under the name (a denied topic's definition and examples). */
  description?: string;
}

/** Llama Guard 3's hazard taxonomy (MLCommons), S1–S14 in order. */
export const LLAMA_GUARD_CATEGORIES: readonly GuardCategory[] = [
  { name: "Violent Crimes" },
  { name: "Non-Violent Crimes" },
  { name: "Sex Crimes" },
  { name: "Child Exploitation" },
  { name: "Defamation" },
  { name: "Specialized Advice" },
  { name: "Privacy" },
  { name: "Intellectual Property" },
  { name: "Indiscriminate Weapons" },
  { name: "Hate" },
  { name: "Self-Harm" },
  { name: "Sexual Content" },
  { name: "Elections" },
  { name: "Code Interpreter Abuse" },
];

/**
 * Llama Guard category → Bedrock content filters. Choices where the taxonomies differ:
 * S5 defamation counts as INSULTS; S8 intellectual property and S14 code-interpreter abuse
 * as MISCONDUCT (wrongdoing against a person or institution); S9 indiscriminate weapons as
 * both VIOLENCE and MISCONDUCT; S11 self-harm as VIOLENCE. S6 specialized advice, S7 privacy
 * and S13 elections have no Bedrock content filter (denied topics and sensitive-information
 * filters cover them) and map to nothing. No Llama Guard category covers PROMPT_ATTACK.
 */
export const LLAMA_GUARD_TO_BEDROCK: Readonly<Record<string, readonly ContentFilterType[]>> = {
  S1: ["VIOLENCE"],
  S2: ["MISCONDUCT"],
  S3: ["SEXUAL"],
  S4: ["SEXUAL"],
  S5: ["INSULTS"],
  S6: [],
  S7: [],
  S8: ["MISCONDUCT"],
  S9: ["VIOLENCE", "MISCONDUCT"],
  S10: ["HATE"],
  S11: ["VIOLENCE"],
  S12: ["SEXUAL"],
  S13: [],
  S14: ["MISCONDUCT"],
};

/** Whose message Llama Guard judges: the user's prompt or the model's ("Agent") response. */
export type GuardRole = "User" | "Agent";

/** The task text: categories, the conversation, and the instructions for the verdict. */
export function llamaGuardTask(input: { text: string; role: GuardRole; categories: readonly GuardCategory[] }): string {
  const categories = input.categories
    .map((category, i) => `S${i + 1}: ${category.name}.${category.description ? `\n${category.description}` : ""}`)
    .join("\n");
  return [
    `Task: Check if there is unsafe content in '${input.role}' messages in conversations according our safety policy with the below categories.`,
    "",
    "<BEGIN UNSAFE CONTENT CATEGORIES>",
    categories,
    "<END UNSAFE CONTENT CATEGORIES>",
    "",
    "<BEGIN CONVERSATION>",
    "",
    `${input.role}: ${input.text}`,
    "",
    "<END CONVERSATION>",
    "",
    `Provide your safety assessment for ONLY THE LAST ${input.role} message in the above conversation:`,
    " - First line must read 'safe' or 'unsafe'.",
    " - If unsafe, a second line must include a comma-separated list of violated categories.",
  ].join("\n");
}

/** The task wrapped in Llama 3's chat template, for a raw completion. */
export function llamaGuardRawPrompt(task: string): string {
  return `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n${task}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`;
}

/** A parsed verdict: safe, or unsafe with the 1-based category numbers it named. */
export type GuardVerdict = { safe: true } | { safe: false; categories: number[] };

/** Reads "safe" / "unsafe\nS1,S10" (codes on the same line too); undefined when the reply is neither. */
export function parseLlamaGuardVerdict(reply: string): GuardVerdict | undefined {
  const body = reply.trim();
  const head = /^(safe|unsafe)\b/i.exec(body);
  if (!head) return undefined;
  if (head[1]!.toLowerCase() === "safe") return { safe: true };
  const codes = [...body.slice(head[0].length).matchAll(/\bS(\d{1,2})\b/gi)].map((m) => Number(m[1]));
  const categories = [...new Set(codes)].filter((n) => n >= 1);
  return categories.length ? { safe: false, categories } : undefined;
}
