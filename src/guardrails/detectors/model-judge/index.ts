// Detectors that ask a catalog language model to judge, for guardrails that want more accuracy
// than the offline built-ins: Llama Guard 3 (served by vLLM, Ollama or llama.cpp) in its own
// prompt format, or any instruction model answering in JSON. Scores are 1/0 from Llama Guard,
// and the model's own probability from a JSON judge when it gives one.
import { CONTENT_FILTER_TYPES, type ContentFilterType, type GuardrailSource, type TopicConfig } from "../../guardrail.ts";
import type { ContentClassifier, TopicDetector } from "../../policy.ts";
import type { LanguageModel } from "../../../spec/model.ts";
import { askJudge, unreadableVerdict, type JudgePrompt } from "./ask-judge.ts";
import { contentJudgePrompt, parseContentVerdict, parseTopicVerdict, topicJudgePrompt } from "./json-judge.ts";
import {
  LLAMA_GUARD_CATEGORIES,
  LLAMA_GUARD_TO_BEDROCK,
  llamaGuardRawPrompt,
  llamaGuardTask,
  parseLlamaGuardVerdict,
  type GuardCategory,
  type GuardRole,
} from "./llama-guard.ts";

export { LLAMA_GUARD_CATEGORIES, LLAMA_GUARD_TO_BEDROCK } from "./llama-guard.ts";

/** The prompt and verdict format the judge model speaks. */
export type JudgeFormat = "llama-guard" | "json";

/** Options of the model-judge detectors. */
export interface ModelJudgeOptions {
  /** Default: `llama-guard` when the model id names Llama Guard (`llama-guard`, `llama_guard`, `llamaguard`), else `json`. */
  format?: JudgeFormat;
  /**
   * Llama Guard only. `raw` (default) sends the whole prompt in Llama 3's template as a raw
   * completion (vLLM, llama.cpp and Ollama complete it as is); `chat` sends the task as a
   * user message, for servers that only chat and do not wrap it in a guard template of their own.
   */
  delivery?: "raw" | "chat";
  /**
   * Llama Guard only: judge the text as the user's prompt or as the model's response. By
   * default the guardrail's source decides: INPUT is the User's, OUTPUT the Agent's.
   */
  role?: GuardRole;
  /** Output token budget; the defaults fit each format's verdict. */
  maxTokens?: number;
}

/** Options of the content classifier. */
export interface ModelJudgeContentOptions extends ModelJudgeOptions {
  /** Scores categories the judge's format cannot (PROMPT_ATTACK under Llama Guard); without it they score 0. */
  fallback?: ContentClassifier;
}

const LLAMA_GUARD_ID = /llama[-_ ]?guard/i;
const GUARD_MAX_TOKENS = 20;
const JSON_CONTENT_MAX_TOKENS = 120;
const JSON_TOPIC_TOKENS_PER_TOPIC = 30;

function formatOf(model: LanguageModel, options: ModelJudgeOptions): JudgeFormat {
  return options.format ?? (LLAMA_GUARD_ID.test(model.modelId) ? "llama-guard" : "json");
}

function guardPrompt(text: string, categories: readonly GuardCategory[], options: ModelJudgeOptions, source: GuardrailSource | undefined): JudgePrompt {
  const task = llamaGuardTask({ text, role: options.role ?? (source === "OUTPUT" ? "Agent" : "User"), categories });
  return options.delivery === "chat" ? { user: task } : { raw: llamaGuardRawPrompt(task) };
}

function zeroScores(): Record<ContentFilterType, number> {
  return Object.fromEntries(CONTENT_FILTER_TYPES.map((type) => [type, 0])) as Record<ContentFilterType, number>;
}

/** Content categories Llama Guard's taxonomy reaches. */
const GUARD_COVERED = new Set(Object.values(LLAMA_GUARD_TO_BEDROCK).flat());

/** A content classifier that asks `model` to judge. */
export function modelJudgeContentClassifier(model: LanguageModel, options: ModelJudgeContentOptions = {}): ContentClassifier {
  const format = formatOf(model, options);
  const maxTokens = options.maxTokens ?? (format === "llama-guard" ? GUARD_MAX_TOKENS : JSON_CONTENT_MAX_TOKENS);

  async function llamaGuard(text: string, signal?: AbortSignal, source?: GuardrailSource): Promise<Record<ContentFilterType, number>> {
    const [reply, extra] = await Promise.all([
      askJudge(model, guardPrompt(text, LLAMA_GUARD_CATEGORIES, options, source), { maxTokens, signal }),
      options.fallback?.classify(text, signal, source),
    ]);
    const verdict = parseLlamaGuardVerdict(reply);
    if (!verdict) throw unreadableVerdict(model, reply);
    const scores = zeroScores();
    if (!verdict.safe) {
      for (const n of verdict.categories) for (const type of LLAMA_GUARD_TO_BEDROCK[`S${n}`] ?? []) scores[type] = 1;
    }
    if (extra) {
      for (const type of CONTENT_FILTER_TYPES) if (!GUARD_COVERED.has(type)) scores[type] = extra[type];
    }
    return scores;
  }

  async function json(text: string, signal?: AbortSignal): Promise<Record<ContentFilterType, number>> {
    const reply = await askJudge(model, contentJudgePrompt(text), { maxTokens, signal });
    const scores = parseContentVerdict(reply);
    if (!scores) throw unreadableVerdict(model, reply);
    return scores;
  }

  return {
    id: `model-judge/${format}/${model.modelId}`,
    classify: (text, signal, source) => (format === "llama-guard" ? llamaGuard(text, signal, source) : json(text, signal)),
  };
}

/** A topic's guidance for Llama Guard: its definition and examples under its name. */
function topicCategory(topic: TopicConfig): GuardCategory {
  const examples = topic.examples.length ? ` Examples: ${topic.examples.map((e) => JSON.stringify(e)).join("; ")}` : "";
  return { name: topic.name, description: `${topic.definition}${examples}` };
}

/** A denied-topic detector that asks `model` to judge; Llama Guard receives the topics as its categories. */
export function modelJudgeTopicDetector(model: LanguageModel, options: ModelJudgeOptions = {}): TopicDetector {
  const format = formatOf(model, options);

  async function llamaGuard(text: string, topics: readonly TopicConfig[], signal?: AbortSignal, source?: GuardrailSource) {
    const maxTokens = options.maxTokens ?? GUARD_MAX_TOKENS + 4 * topics.length;
    const reply = await askJudge(model, guardPrompt(text, topics.map(topicCategory), options, source), { maxTokens, signal });
    const verdict = parseLlamaGuardVerdict(reply);
    if (!verdict) throw unreadableVerdict(model, reply);
    const named = new Set(verdict.safe ? [] : verdict.categories);
    return topics.map((_, i) => (named.has(i + 1) ? { score: 1, detected: true } : { score: 0, detected: false }));
  }

  async function json(text: string, topics: readonly TopicConfig[], signal?: AbortSignal) {
    const maxTokens = options.maxTokens ?? JSON_CONTENT_MAX_TOKENS + JSON_TOPIC_TOKENS_PER_TOPIC * topics.length;
    const reply = await askJudge(model, topicJudgePrompt(text, topics), { maxTokens, signal });
    const results = parseTopicVerdict(reply, topics);
    if (!results) throw unreadableVerdict(model, reply);
    return results;
  }

  return {
    id: `model-judge/${format}/${model.modelId}`,
    async detect(text, topics, signal, source) {
      if (topics.length === 0) return [];
      return format === "llama-guard" ? llamaGuard(text, topics, signal, source) : json(text, topics, signal);
    },
  };
}
