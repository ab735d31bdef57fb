// Offline contextual grounding. GROUNDING: each response sentence gets a support probability
// from a logistic model over its lexical support in the source (content words, numbers, names —
// numbers and names weigh most: they are what a hallucination gets wrong) and its best cosine
// to a source sentence; the response's score leans on its weakest sentence (mean of the minimum
// and the average), so one invented claim is enough to lower it. RELEVANCE: a logistic model over
// query–response cosines, whether the response has the kind of answer asked for, and how many
// of the query's words it takes up. Weights were fitted on halueval-qa rows 0–249 and
// perturbations of them (bench/guardrails-grounding.ts --fit); rows 250–499 are held out.
// The sentence-similarity weight came out 0: on halueval it carries no evidence beyond the
// lexical features (its hallucinated answers are whole sentences, closer to the source's
// sentences than the one-word right answers), so the source is not embedded while it is 0.
import type { GroundingScorer, SentenceEncoder } from "../../policy.ts";
import { staticEncoder } from "../encoder/static-encoder.ts";
import { splitSentences } from "../encoder/sentences.ts";
import { answerTypeMatch, expectedAnswer, lexicalSupport, queryCoverage, type GroundingFeatures, type RelevanceFeatures } from "./features.ts";
import { indexSource, lexicalFacts } from "./lexical.ts";

/** Logistic weights: `bias` plus one weight per feature. */
export type Weights<F> = { bias: number } & { [K in keyof F]: number };

/** Fitted weights of both models. */
export interface GroundingWeights {
  grounding: Weights<GroundingFeatures>;
  relevance: Weights<RelevanceFeatures>;
}

/** Weights fitted on halueval-qa rows 0–249 plus perturbations of them (see the file comment). */
export const DEFAULT_GROUNDING_WEIGHTS: GroundingWeights = {
  grounding: { bias: -13.31, termPrecision: 6.15, numberPrecision: 0.78, numbersSupported: 4.26, namePrecision: 0, namesSupported: 3.81, similarity: 0 },
  relevance: { bias: -3.13, similarity: 4.28, bestSentence: 4.14, answerType: 1.87, coverage: 1.56 },
};

/**
 * The reported score that the fitted models' even odds map to. Bedrock users set thresholds
 * around 0.5–0.9 and often 0.7; a raw probability of 0.5 would make 0.7 far too strict, so the
 * scores are shifted on the logit scale: σ(z + logit(0.7)). A threshold of 0.7 is then the
 * fitted boundary; higher thresholds are stricter.
 */
export const EVEN_ODDS_SCORE = 0.7;
const SHIFT = Math.log(EVEN_ODDS_SCORE / (1 - EVEN_ODDS_SCORE));

/** Longest source or response text analysed, in characters (Bedrock caps grounding sources at 100k). */
const MAX_CHARS = 100_000;

/** Options of {@link builtinGroundingScorer}. */
export interface GroundingScorerOptions {
  weights?: GroundingWeights;
}

/** The offline grounding scorer. Without an encoder it uses the built-in static encoder. */
export function builtinGroundingScorer(encoder?: SentenceEncoder, options: GroundingScorerOptions = {}): GroundingScorer & FeatureSource {
  return new LexicalSemanticScorer(() => (encoder ??= staticEncoder()), options.weights ?? DEFAULT_GROUNDING_WEIGHTS);
}

/** Exposes the raw evidence, for fitting and explaining scores. */
export interface FeatureSource {
  /** One entry per response sentence. */
  groundingFeatures(source: string, response: string): GroundingFeatures[];
  relevanceFeatures(query: string, response: string): RelevanceFeatures;
}

class LexicalSemanticScorer implements GroundingScorer, FeatureSource {
  readonly id = "builtin/grounding-lexical-static-v1";

  constructor(
    private readonly encoder: () => SentenceEncoder,
    private readonly weights: GroundingWeights,
  ) {}

  async score(input: { source: string; query: string; response: string }, signal?: AbortSignal): Promise<{ grounding: number; relevance: number }> {
    signal?.throwIfAborted();
    const source = input.source.slice(0, MAX_CHARS);
    const response = input.response.slice(0, MAX_CHARS);
    const perSentence = this.features(source, response, this.weights.grounding.similarity !== 0).map((f) => predict(this.weights.grounding, f));
    const relevance = input.query.trim() && response.trim() ? predict(this.weights.relevance, this.relevanceFeatures(input.query, response)) : 0;
    return { grounding: aggregate(perSentence), relevance };
  }

  groundingFeatures(source: string, response: string): GroundingFeatures[] {
    return this.features(source, response, true);
  }

  /** Per-sentence features; `similarity` is 0 unless `withSimilarity` (it needs the encoder). */
  private features(source: string, response: string, withSimilarity: boolean): GroundingFeatures[] {
    const sentences = splitSentences(response).map((s) => s.text);
    if (sentences.length === 0 || source.trim().length === 0) return [];
    const index = indexSource(source);
    const similarities = withSimilarity ? this.similarities(source, sentences) : undefined;
    return sentences.map((sentence, i) => ({ ...lexicalSupport(lexicalFacts(sentence), index), similarity: similarities?.[i] ?? 0 }));
  }

  /** Each response sentence's best cosine to a source sentence. */
  private similarities(source: string, sentences: string[]): number[] {
    const encoder = this.encoder();
    const sourceVectors = encoder.encode(splitSentences(source).map((s) => s.text));
    return encoder.encode(sentences).map((v) => best(v, sourceVectors));
  }

  relevanceFeatures(query: string, response: string): RelevanceFeatures {
    const encoder = this.encoder();
    const sentences = splitSentences(response).map((s) => s.text);
    const [q, whole, ...parts] = encoder.encode([query, response, ...(sentences.length > 1 ? sentences : [])]);
    const responseFacts = lexicalFacts(response);
    const similarity = dot(q!, whole!);
    return {
      similarity,
      bestSentence: parts.length > 0 ? best(q!, parts) : similarity,
      answerType: answerTypeMatch(expectedAnswer(query), response, responseFacts),
      coverage: queryCoverage(lexicalFacts(query), responseFacts),
    };
  }
}

/** Logistic regression, shifted so that even odds read EVEN_ODDS_SCORE: σ(bias + Σ weight × feature + SHIFT). */
export function predict<F extends object>(weights: Weights<F>, features: F): number {
  let z = weights.bias + SHIFT;
  for (const [name, value] of Object.entries(features) as [keyof F & string, number][]) z += (weights[name] as number) * value;
  return 1 / (1 + Math.exp(-z));
}

/** The weakest sentence counts as much as the average of all; no sentence at all scores 0. */
function aggregate(scores: readonly number[]): number {
  if (scores.length === 0) return 0;
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  return (Math.min(...scores) + mean) / 2;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let d = 0; d < a.length; d++) sum += a[d]! * b[d]!;
  return sum;
}

function best(vector: Float32Array, others: readonly Float32Array[]): number {
  let top = 0;
  for (const other of others) top = Math.max(top, dot(vector, other));
  return top;
}
