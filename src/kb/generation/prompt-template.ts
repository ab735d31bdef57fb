// The prompt RetrieveAndGenerate sends to the text model: Bedrock's placeholders
// ($search_results$, $query$, $output_format_instructions$, $conversation_history$) filled in,
// the search results numbered so the model can cite them as [1], [2]…, and earlier turns of the
// session as conversation messages.
import { validation } from "../../spec/errors.ts";
import type { Message } from "../../spec/model.ts";
import { METADATA_KEYS } from "../ingestion/process-document.ts";
import type { RetrievedPassage } from "../retrieval/passage.ts";

/** Bedrock's placeholders. */
export const PLACEHOLDERS = {
  searchResults: "$search_results$",
  query: "$query$",
  outputFormat: "$output_format_instructions$",
  history: "$conversation_history$",
} as const;

/**
 * The template used when a request names none. It follows the structure of Bedrock's default
 * knowledge-base prompt (answer only from the results, say so when they hold no answer, check
 * the user's assertions), in Basalt's own words.
 */
export const DEFAULT_PROMPT_TEMPLATE = [
  "You are a question answering agent. You are given a set of search results, and the user asks a question.",
  "Answer the question using only information found in the search results.",
  "If the search results do not contain the answer, say that you could not find an exact answer to the question.",
  "A fact the user asserts is not necessarily true: check it against the search results before relying on it.",
  "",
  "Here are the search results, numbered:",
  PLACEHOLDERS.searchResults,
  "",
  PLACEHOLDERS.outputFormat,
].join("\n");

/** How the model is asked to cite; the CitationTracker (citations.ts) reads this form back. */
export const OUTPUT_FORMAT_INSTRUCTIONS =
  "After each sentence that uses information from the search results, cite the results it relies on by their numbers in square brackets, for example [1] or [1][3]. Cite only numbers of the search results above. Write plain text.";

/** A previous question and answer of the same session. */
export interface ConversationTurn {
  question: string;
  answer: string;
}

/** Checks a custom `textPromptTemplate`: it must place the search results somewhere. */
export function validatePromptTemplate(template: string, field: string): string {
  if (!template.includes(PLACEHOLDERS.searchResults)) throw validation(field, `must contain the ${PLACEHOLDERS.searchResults} placeholder`);
  return template;
}

/** The search results as the prompt shows them: numbered from 1, each with its source. */
export function formatSearchResults(passages: readonly RetrievedPassage[]): string {
  if (passages.length === 0) return "(no search results)";
  return passages
    .map((p, i) => {
      const page = p.metadata[METADATA_KEYS.pageNumber];
      const source = page === undefined ? p.sourceUri : `${p.sourceUri}, page ${page}`;
      return `[${i + 1}] (source: ${source})\n${p.text.trim()}`;
    })
    .join("\n\n");
}

function formatHistory(history: readonly ConversationTurn[]): string {
  return history.map((t) => `User: ${t.question}\nAssistant: ${t.answer}`).join("\n\n");
}

const PLACEHOLDER_PATTERN = /\$(?:search_results|query|output_format_instructions|conversation_history)\$/g;

/**
 * Fills the placeholders in one pass, so text substituted in (a passage, the question) is never
 * itself searched for placeholders; a function replacement keeps `$` in values literal.
 */
function fill(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER_PATTERN, (placeholder) => values[placeholder] ?? placeholder);
}

/** What a prompt is built from. */
export interface PromptInput {
  /** The request's textPromptTemplate; {@link DEFAULT_PROMPT_TEMPLATE} when absent. */
  template?: string;
  query: string;
  passages: readonly RetrievedPassage[];
  /** Earlier turns of the session, oldest first. */
  history: readonly ConversationTurn[];
}

/**
 * Builds the system text and messages. A template with `$query$` is the whole user message (as
 * in Bedrock, the template then places the question itself); otherwise it is the system text
 * and the question is the last user message. Earlier turns become user/assistant messages,
 * unless the template places them itself with `$conversation_history$`.
 */
export function buildPrompt(input: PromptInput): { system?: string; messages: Message[] } {
  const template = input.template ?? DEFAULT_PROMPT_TEMPLATE;
  const inlineHistory = template.includes(PLACEHOLDERS.history);
  const rendered = fill(template, {
    [PLACEHOLDERS.searchResults]: formatSearchResults(input.passages),
    [PLACEHOLDERS.outputFormat]: OUTPUT_FORMAT_INSTRUCTIONS,
    [PLACEHOLDERS.history]: formatHistory(input.history),
    [PLACEHOLDERS.query]: input.query,
  });
  const messages: Message[] = [];
  if (!inlineHistory) {
    for (const turn of input.history) {
      messages.push({ role: "user", content: [{ type: "text", text: turn.question }] });
      messages.push({ role: "assistant", content: [{ type: "text", text: turn.answer }] });
    }
  }
  if (template.includes(PLACEHOLDERS.query)) {
    messages.push({ role: "user", content: [{ type: "text", text: rendered }] });
    return { messages };
  }
  messages.push({ role: "user", content: [{ type: "text", text: input.query }] });
  return { system: rendered, messages };
}
