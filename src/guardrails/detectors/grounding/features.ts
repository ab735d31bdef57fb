// The evidence the grounding scorer weighs, as plain numbers so that the benchmark can fit the
// weights (bench/guardrails-grounding.ts --fit) on one half of halueval-qa and test on the other.
import { hasTerm, type LexicalFacts, type SourceIndex } from "./lexical.ts";

/** Evidence that one response sentence is supported by the source. */
export interface GroundingFeatures {
  /** Share of the sentence's content words found in the source (1 when it has none). */
  termPrecision: number;
  /** Share of its numbers found in the source (1 when it has none). */
  numberPrecision: number;
  /** 1 when every number is in the source, else 0: one wrong figure is enough. */
  numbersSupported: number;
  /** Share of its name-like words found in the source (1 when it has none). */
  namePrecision: number;
  /** 1 when every name-like word is in the source, else 0. */
  namesSupported: number;
  /** Best cosine between the sentence and a source sentence. */
  similarity: number;
}

/** Evidence that a response addresses the query. */
export interface RelevanceFeatures {
  /** Cosine of the query and the whole response. */
  similarity: number;
  /** Best cosine of the query and one response sentence. */
  bestSentence: number;
  /** Whether the response has the kind of answer the question asks for (1), not (0), or unknown (0.5). */
  answerType: number;
  /** Share of the query's content words that the response takes up. */
  coverage: number;
}

/** Lexical support of one response sentence (its facts) in the indexed source. */
export function lexicalSupport(facts: LexicalFacts, source: SourceIndex): Omit<GroundingFeatures, "similarity"> {
  const numberPrecision = share(facts.numbers, (n) => source.numbers.has(n));
  const namePrecision = share(facts.names, (n) => source.words.has(n));
  return {
    termPrecision: share(facts.terms, (t) => hasTerm(source, t)),
    numberPrecision,
    numbersSupported: numberPrecision === 1 ? 1 : 0,
    namePrecision,
    namesSupported: namePrecision === 1 ? 1 : 0,
  };
}

function share<T>(items: readonly T[], found: (item: T) => boolean): number {
  if (items.length === 0) return 1;
  let hits = 0;
  for (const item of items) if (found(item)) hits++;
  return hits / items.length;
}

type AnswerKind = "number" | "name" | "yesno" | "unknown";

/** What kind of answer a question asks for, from its wording. */
export function expectedAnswer(query: string): AnswerKind {
  const q = query.trim().toLowerCase();
  if (/\b(how (many|much|old|long|far|tall|big)|what (year|percentage|number|date)|when|in which year)\b/.test(q)) return "number";
  if (/\b(who|whom|whose|where|which (city|country|state|town|company|team|band|person|man|woman|actor|author))\b/.test(q)) return "name";
  if (/^(is|are|was|were|do|does|did|can|could|will|would|has|have|had|should)\b/.test(q)) return "yesno";
  return "unknown";
}

const MONTH = /\b(january|february|march|april|may|june|july|august|september|october|november|december)\b/i;

/** 1 when the response has the expected kind of answer, 0 when it has not, 0.5 when unknown. */
export function answerTypeMatch(kind: AnswerKind, response: string, facts: LexicalFacts): number {
  switch (kind) {
    case "number":
      return facts.numbers.length > 0 || MONTH.test(response) ? 1 : 0;
    case "name":
      return facts.names.length > 0 ? 1 : 0;
    case "yesno":
      return /^\W*(yes|no)\b/i.test(response) ? 1 : 0.5;
    default:
      return 0.5;
  }
}

/** Share of the query's content words (stems) present in the response. */
export function queryCoverage(query: LexicalFacts, response: LexicalFacts): number {
  if (query.terms.length === 0) return 0;
  const terms = new Set(response.terms);
  return query.terms.filter((t) => terms.has(t)).length / query.terms.length;
}
