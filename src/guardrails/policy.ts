// The contract between the guardrail engine and its policies and detectors. A policy turns
// its configuration plus a detector's raw findings into Bedrock's assessment entries; a
// detector only finds things (scores, spans) and knows nothing of actions or strengths.
import type { ContentFilterType, GuardrailSource, PiiEntityType, TopicConfig } from "./guardrail.ts";

/** A span of the checked text to replace (PII and regex ANONYMIZE), in UTF-16 offsets. */
export interface TextMask {
  start: number;
  end: number;
  /** Bedrock writes `{EMAIL}`, `{NAME}`, … and `{<regex name>}` for custom regexes. */
  replacement: string;
}

/** What one policy found in one text. */
export interface PolicyCheck<TAssessment> {
  /** Bedrock-shaped assessment fragment; undefined when there is nothing to report. */
  assessment?: TAssessment;
  /** True when any entry's action is BLOCKED. */
  blocked: boolean;
  /** Replacements to apply (ANONYMIZED entries); empty for most policies. */
  masks: TextMask[];
}

/** The input of a policy check. */
export interface PolicyInput {
  /** The guarded text: what the policy judges. */
  text: string;
  source: GuardrailSource;
  signal?: AbortSignal;
}

/** A policy of one guardrail version, built once per version and reused across requests. */
export interface GuardrailPolicy<TAssessment> {
  check(input: PolicyInput): Promise<PolicyCheck<TAssessment>>;
}

// ---- Detectors (pluggable; the built-in ones run offline) ----

/** Scores text for each content category: a probability-like value in [0, 1]. */
export interface ContentClassifier {
  readonly id: string;
  /** `source` says whose text it is: the user's prompt (INPUT) or the model's answer (OUTPUT). */
  classify(text: string, signal?: AbortSignal, source?: GuardrailSource): Promise<Record<ContentFilterType, number>>;
}

/** Says, for each denied topic, how strongly the text is about it (in [0, 1]) and whether it is detected. */
export interface TopicDetector {
  readonly id: string;
  detect(text: string, topics: readonly TopicConfig[], signal?: AbortSignal, source?: GuardrailSource): Promise<{ score: number; detected: boolean }[]>;
}

/** Contextual grounding scores in [0, 1]: is the response supported by the source, and relevant to the query? */
export interface GroundingScorer {
  readonly id: string;
  score(input: { source: string; query: string; response: string }, signal?: AbortSignal): Promise<{ grounding: number; relevance: number }>;
}

/** One sensitive-information entity found in a text. */
export interface PiiMatch {
  type: PiiEntityType;
  start: number;
  end: number;
  /** The matched text (text.slice(start, end)). */
  match: string;
  /** Confidence in [0, 1]; validated (checksummed) matches are 1. */
  score: number;
}

/** Finds sensitive-information entities of the requested types. */
export interface PiiRecognizer {
  find(text: string, types: ReadonlySet<PiiEntityType>): PiiMatch[];
}

/** A fast sentence encoder for meaning-based detection (unit-length vectors). */
export interface SentenceEncoder {
  readonly dimensions: number;
  encode(texts: readonly string[]): Float32Array[];
}
