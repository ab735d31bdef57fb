// Denied-topic detection by meaning. Each topic becomes a few prototype vectors (its name with
// its definition, the definition alone, each example), embedded once and cached. The text is
// cut into sentences and neighbouring pairs (sentences.ts: a pair is the normalised sum of its
// two sentence vectors); a window's evidence is its best
// cosine to the topic's prototypes minus a share of its best cosine to everyday requests
// (background.ts), so text that merely shares the topic's vocabulary scores low. The topic's
// score is the best window's evidence through a logistic calibration; detected when ≥ 0.5.
import type { TopicConfig } from "../../guardrail.ts";
import type { SentenceEncoder, TopicDetector } from "../../policy.ts";
import { staticEncoder } from "../encoder/static-encoder.ts";
import { sentenceUnits, windowVectors } from "../encoder/sentences.ts";
import { BACKGROUND_TEXTS } from "./background.ts";

/** Logistic calibration of a window's evidence (chosen on the dev topics of topic-fixtures.ts). */
export interface TopicCalibration {
  /** Share of the background similarity subtracted from the topic similarity. */
  backgroundWeight: number;
  /** Evidence at which the score is 0.5 (the detection threshold). */
  center: number;
  /** Evidence range over which the score goes from 0.27 to 0.73. */
  width: number;
}

/** Default calibration: best F1 on the dev topics of topic-fixtures.ts (bench/guardrails-topics.ts --sweep). */
export const DEFAULT_TOPIC_CALIBRATION: TopicCalibration = { backgroundWeight: 0.75, center: 0.13, width: 0.05 };

/**
 * Windows per topic whose background similarity is computed: a window far from the topic cannot
 * win once the background is subtracted, and the comparison with every everyday request is the
 * costly part on long texts.
 */
const CANDIDATE_WINDOWS = 3;

/** Topics whose prototypes are kept: a guardrail version rarely has more than 30. */
const CACHE_LIMIT = 512;

/** Options of {@link builtinTopicDetector}. */
export interface TopicDetectorOptions {
  calibration?: TopicCalibration;
}

/** The offline, embedding-based topic detector. Without an encoder it uses {@link staticEncoder}. */
export function builtinTopicDetector(encoder?: SentenceEncoder, options: TopicDetectorOptions = {}): TopicDetector {
  return new EmbeddingTopicDetector(() => (encoder ??= staticEncoder()), options.calibration ?? DEFAULT_TOPIC_CALIBRATION);
}

class EmbeddingTopicDetector implements TopicDetector {
  readonly id = "builtin/topics-static-v1";
  private readonly prototypes = new Map<string, VectorSet>();
  private background?: VectorSet;

  constructor(
    private readonly encoder: () => SentenceEncoder,
    private readonly calibration: TopicCalibration,
  ) {}

  async detect(text: string, topics: readonly TopicConfig[], signal?: AbortSignal): Promise<{ score: number; detected: boolean }[]> {
    signal?.throwIfAborted();
    if (topics.length === 0) return [];
    const units = sentenceUnits(text);
    const windows = windowVectors(text, units, this.encoder().encode(units.map((u) => u.text)));
    const { backgroundWeight, center, width } = this.calibration;
    // The background similarity only matters for a topic's closest windows: compute it lazily.
    const background = new Map<number, number>();
    const backgroundOf = (i: number): number => {
      let value = background.get(i);
      if (value === undefined) background.set(i, (value = this.backgroundVectors().bestCosine(windows[i]!)));
      return value;
    };
    return topics.map((topic) => {
      const prototypes = this.topicVectors(topic);
      const closest = windows.map((w, i) => ({ i, similarity: prototypes.bestCosine(w) })).sort((a, b) => b.similarity - a.similarity);
      let evidence = -Infinity;
      for (const { i, similarity } of closest.slice(0, CANDIDATE_WINDOWS)) evidence = Math.max(evidence, similarity - backgroundWeight * backgroundOf(i));
      const score = windows.length === 0 ? 0 : logistic((evidence - center) / width);
      return { score, detected: score >= 0.5 };
    });
  }

  /** The topic's prototype vectors, from the cache when its configuration was seen before. */
  private topicVectors(topic: TopicConfig): VectorSet {
    const key = JSON.stringify([topic.name, topic.definition, topic.examples]);
    const cached = this.prototypes.get(key);
    if (cached) {
      // Re-insert: the Map's order is the eviction order (least recently used first).
      this.prototypes.delete(key);
      this.prototypes.set(key, cached);
      return cached;
    }
    const vectors = new VectorSet(this.encoder().encode(prototypeTexts(topic)));
    if (this.prototypes.size >= CACHE_LIMIT) this.prototypes.delete(this.prototypes.keys().next().value!);
    this.prototypes.set(key, vectors);
    return vectors;
  }

  private backgroundVectors(): VectorSet {
    return (this.background ??= new VectorSet(this.encoder().encode(BACKGROUND_TEXTS)));
  }
}

/** What stands for a topic: its name with its definition, the definition alone, each example. */
export function prototypeTexts(topic: Pick<TopicConfig, "name" | "definition" | "examples">): string[] {
  const texts = [`${topic.name}: ${topic.definition}`, topic.definition, ...topic.examples];
  return texts.map((t) => t.trim()).filter((t) => t.length > 0);
}

/** Unit vectors stored row after row, for tight dot-product loops. */
class VectorSet {
  private readonly data: Float32Array;
  private readonly rows: number;

  constructor(vectors: readonly Float32Array[]) {
    this.rows = vectors.length;
    const dims = vectors[0]?.length ?? 0;
    this.data = new Float32Array(this.rows * dims);
    vectors.forEach((v, i) => this.data.set(v, i * dims));
  }

  /** The best cosine between `vector` and a member (-1 for an empty set). */
  bestCosine(vector: Float32Array): number {
    const dims = vector.length;
    const data = this.data;
    let best = -1;
    for (let row = 0, base = 0; row < this.rows; row++, base += dims) {
      let sum = 0;
      for (let d = 0; d < dims; d++) sum += vector[d]! * data[base + d]!;
      if (sum > best) best = sum;
    }
    return best;
  }
}

const logistic = (z: number): number => 1 / (1 + Math.exp(-z));
