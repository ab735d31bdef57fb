// The model request of one RetrieveAndGenerate turn, and the query its retrieval runs: the
// prompt (prompt-template.ts) plus the inference settings, and for a follow-up question the
// previous question too, so "and in 2021?" still finds the passages about the subject.
import type { GenerateRequest } from "../../spec/model.ts";
import type { RetrievedPassage } from "../retrieval/passage.ts";
import { MAX_QUERY_LENGTH } from "../retrieval/retrieval-config.ts";
import { buildPrompt, type ConversationTurn } from "./prompt-template.ts";
import type { GenerationSettings } from "./rag-request.ts";

/** The text a turn's retrieval searches with: the previous question (if any) and this one. */
export function retrievalQuery(question: string, history: readonly ConversationTurn[]): string {
  const previous = history.at(-1)?.question;
  if (!previous) return question;
  const combined = `${previous}\n${question}`;
  // The combined text must still be a valid query; the question alone always is.
  return combined.length <= MAX_QUERY_LENGTH ? combined : question;
}

/** The model request for a turn. */
export function generationRequest(input: { question: string; passages: readonly RetrievedPassage[]; history: readonly ConversationTurn[]; settings: GenerationSettings }): GenerateRequest {
  const { settings } = input;
  const prompt = buildPrompt({ template: settings.promptTemplate, query: input.question, passages: input.passages, history: input.history });
  const request: GenerateRequest = { ...prompt };
  if (settings.maxTokens !== undefined) request.maxTokens = settings.maxTokens;
  if (settings.temperature !== undefined) request.temperature = settings.temperature;
  if (settings.topP !== undefined) request.topP = settings.topP;
  if (settings.stopSequences !== undefined) request.stopSequences = settings.stopSequences;
  if (settings.additionalModelRequestFields !== undefined) request.providerOptions = settings.additionalModelRequestFields;
  return request;
}

/**
 * The passages that fit `maxChars` of prompt, in order (the best first, as retrieved). The first
 * is always kept, so a tiny context still sees the best passage rather than none.
 */
export function fitPassages(passages: readonly RetrievedPassage[], maxChars: number): RetrievedPassage[] {
  const kept: RetrievedPassage[] = [];
  let used = 0;
  for (const passage of passages) {
    if (kept.length > 0 && used + passage.text.length > maxChars) break;
    kept.push(passage);
    used += passage.text.length;
  }
  return kept;
}

/** Characters per token assumed when sizing the prompt (low, so the prompt errs on the short side). */
const CHARS_PER_TOKEN = 3;
/** Tokens left for the template, the question and the history. */
const PROMPT_OVERHEAD_TOKENS = 512;

/** How many characters of passages a model's context holds beside the answer it may write. */
export function passageBudget(contextLength: number | undefined, maxTokens: number | undefined): number {
  const context = contextLength ?? 32_768;
  const answer = maxTokens ?? Math.min(1024, Math.floor(context / 4));
  return Math.max(256, context - answer - PROMPT_OVERHEAD_TOKENS) * CHARS_PER_TOKEN;
}
