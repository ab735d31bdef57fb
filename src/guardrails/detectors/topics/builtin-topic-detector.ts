// Denied-topic detection by meaning, as a two-stage cascade (decision 0027).
//
// Each topic becomes a few prototype vectors (its name with its definition, the definition alone,
// each example), embedded once per detector and cached. The text is cut into sentences and
// neighbouring pairs (sentences.ts: a pair is the normalised sum of its two sentence vectors); a
// window's evidence is its best cosine to the topic's prototypes minus a share of its best
// cosine to everyday requests (background.ts), so text that merely shares the topic's
// vocabulary scores low.
//
// 1. The static encoder (0.03 ms a sentence) scores every window. Most text is far from every
//    topic: its evidence stays under `escalate` and the static score (below 0.5) is the answer.
// 2. The sentences of the windows at or above `escalate` (at most MAX_FULL_UNITS) are embedded by
//    the full Universal Sentence Encoder (~20 ms a sentence), and those topics are scored again
//    on every window those sentences make up. The full encoder's verdict replaces the static one.
// A score is the evidence through a logistic calibration; a topic is detected when it is ≥ 0.5.
import type { TopicConfig } from "../../guardrail.ts";
import type { SentenceEncoder, TopicDetector } from "../../policy.ts";
import { fullEncoder, type AsyncSentenceEncoder } from "../encoder/full-encoder.ts";
import { normalizedSum, sentenceUnits, windowMembers, windowVectors } from "../encoder/sentences.ts";
import { staticEncoder } from "../encoder/static-encoder.ts";
import { BACKGROUND_TEXTS } from "./background.ts";
import { VectorSet } from "./vector-set.ts";

/** Logistic calibration of one encoder's window evidence. */
export interface StageCalibration {
  /** Share of the background similarity subtracted from the topic similarity. */
  backgroundWeight: number;
  /** Evidence at which the score is 0.5 (the detection threshold). */
  center: number;
  /** Evidence range over which the score goes from 0.27 to 0.73. */
  width: number;
}

/** Calibration of the cascade (chosen on the dev topics of topic-fixtures.ts only). */
export interface TopicCalibration {
  /** The static encoder's evidence; its center decides alone when the full encoder is off. */
  static: StageCalibration;
  /** Static evidence at or above which a window goes to the full encoder; at most `static.center`. */
  escalate: number;
  /** The full encoder's evidence. */
  full: StageCalibration;
}

/**
 * Default calibration (bench/guardrails-topics.ts --sweep --everyday): best F1 on the dev topics
 * with 200 everyday requests (HaluEval-general queries 0–199) as extra negatives, each stage
 * swept alone; `escalate` is the highest threshold that loses no dev F1 against sending every
 * candidate window to the full encoder. Calibrated on the fixtures alone, the cascade scores
 * higher on them but flags three times as much everyday text (decision 0027).
 */
export const DEFAULT_TOPIC_CALIBRATION: TopicCalibration = {
  static: { backgroundWeight: 0.5, center: 0.28, width: 0.05 },
  escalate: 0.16,
  full: { backgroundWeight: 0.5, center: 0.23, width: 0.05 },
};

/**
 * Windows per topic whose background similarity is computed in the static stage: a window far
 * from the topic cannot win once the background is subtracted, and the comparison with every
 * everyday request is the costly part on long texts.
 */
const CANDIDATE_WINDOWS = 3;

/**
 * Sentences per check the full encoder embeds (~10–20 ms each): bounds the cost of a long text
 * near several topics. The windows with the highest static evidence go first; the others keep
 * the static verdict.
 */
export const MAX_FULL_UNITS = 2;

/** Topics whose prototypes are kept: a guardrail version rarely has more than 30. */
const CACHE_LIMIT = 512;

/** Options of {@link builtinTopicDetector}. */
export interface TopicDetectorOptions {
  calibration?: TopicCalibration;
  /** The second stage; `null` scores with the static encoder alone. Default: the full USE-lite. */
  full?: AsyncSentenceEncoder | null;
}

/**
 * The offline, embedding-based topic detector. Without an encoder it uses the built-in static
 * encoder, and the full USE-lite as its second stage (whose weights start loading now).
 */
export function builtinTopicDetector(encoder?: SentenceEncoder, options: TopicDetectorOptions = {}): TopicDetector {
  const full = options.full === undefined ? fullEncoder() : options.full;
  const detector = new CascadeTopicDetector(() => (encoder ??= staticEncoder()), full, options.calibration ?? DEFAULT_TOPIC_CALIBRATION);
  if (options.full === undefined) detector.warmUp();
  return detector;
}

/** What the static stage found for one topic. */
interface StaticVerdict {
  evidence: number;
  /** Windows at or above the escalation threshold, with their evidence. */
  escalated: { window: number; evidence: number }[];
}

class CascadeTopicDetector implements TopicDetector {
  readonly id: string;
  private readonly staticPrototypes = new LruCache<VectorSet>(CACHE_LIMIT);
  private readonly fullPrototypes = new LruCache<Promise<VectorSet>>(CACHE_LIMIT);
  private staticBackground?: VectorSet;

  constructor(
    private readonly encoder: () => SentenceEncoder,
    private readonly full: AsyncSentenceEncoder | null,
    private readonly calibration: TopicCalibration,
  ) {
    this.id = full ? "builtin/topics-cascade-v1" : "builtin/topics-static-v1";
  }

  /** Loads the full encoder and embeds the everyday requests in the background; failures resurface on use. */
  warmUp(): void {
    if (this.full) backgroundOf(this.full).catch(() => undefined);
  }

  async detect(text: string, topics: readonly TopicConfig[], signal?: AbortSignal): Promise<{ score: number; detected: boolean }[]> {
    signal?.throwIfAborted();
    if (topics.length === 0) return [];
    const units = sentenceUnits(text);
    if (units.length === 0) return topics.map(() => ({ score: 0, detected: false }));
    const windows = windowVectors(text, units, this.encoder().encode(units.map((u) => u.text)));
    const verdicts = topics.map((topic) => this.staticVerdict(topic, windows));
    const scores = verdicts.map((v) => logistic(v.evidence, this.calibration.static));
    if (this.full && verdicts.some((v) => v.escalated.length > 0)) {
      const rescored = await this.fullStage({ text, units, topics, verdicts, full: this.full, signal });
      rescored.forEach((score, i) => {
        if (score !== undefined) scores[i] = score;
      });
    }
    return scores.map((score) => ({ score, detected: score >= 0.5 }));
  }

  private staticVerdict(topic: TopicConfig, windows: readonly Float32Array[]): StaticVerdict {
    const prototypes = this.staticPrototypes.get(topicKey(topic), () => new VectorSet(this.encoder().encode(prototypeTexts(topic))));
    const background = (this.staticBackground ??= new VectorSet(this.encoder().encode(BACKGROUND_TEXTS)));
    const { backgroundWeight } = this.calibration.static;
    const closest = windows.map((w, i) => ({ i, similarity: prototypes.bestCosine(w) })).sort((a, b) => b.similarity - a.similarity);
    const verdict: StaticVerdict = { evidence: -Infinity, escalated: [] };
    for (const { i, similarity } of closest.slice(0, CANDIDATE_WINDOWS)) {
      const evidence = similarity - backgroundWeight * background.bestCosine(windows[i]!);
      verdict.evidence = Math.max(verdict.evidence, evidence);
      if (evidence >= this.calibration.escalate) verdict.escalated.push({ window: i, evidence });
    }
    return verdict;
  }

  /** Full-encoder scores of the escalated topics (undefined: the static score stands). */
  private async fullStage(input: {
    text: string;
    units: ReturnType<typeof sentenceUnits>;
    topics: readonly TopicConfig[];
    verdicts: readonly StaticVerdict[];
    full: AsyncSentenceEncoder;
    signal?: AbortSignal;
  }): Promise<(number | undefined)[]> {
    const { text, units, topics, verdicts, full, signal } = input;
    const members = windowMembers(text, units);
    // The sentences of the most suspicious windows first, as long as they fit.
    const chosen = new Set<number>();
    const ranked = verdicts.flatMap((v) => v.escalated).sort((a, b) => b.evidence - a.evidence);
    for (const { window } of ranked) {
      const extra = members[window]!.filter((u) => !chosen.has(u));
      if (chosen.size + extra.length <= MAX_FULL_UNITS) for (const u of extra) chosen.add(u);
    }
    const unitIds = [...chosen].sort((a, b) => a - b);
    const vectors = new Map<number, Float32Array>();
    (await full.encode(unitIds.map((u) => units[u]!.text), signal)).forEach((v, k) => vectors.set(unitIds[k]!, v));
    const covered = members.filter((m) => m.every((u) => vectors.has(u)));
    const windows = covered.map((m) => (m.length === 1 ? vectors.get(m[0]!)! : normalizedSum(m.map((u) => vectors.get(u)!))));
    const background = await backgroundOf(full);
    const { backgroundWeight } = this.calibration.full;
    const backgroundSimilarity = windows.map((w) => background.bestCosine(w));
    const out: (number | undefined)[] = [];
    for (const [i, topic] of topics.entries()) {
      const escalated = verdicts[i]!.escalated.some(({ window }) => members[window]!.every((u) => vectors.has(u)));
      if (!escalated) {
        out.push(undefined);
        continue;
      }
      const key = topicKey(topic);
      const prototypes = await this.fullPrototypes.get(key, () => {
        const made = full.encode(prototypeTexts(topic)).then((v) => new VectorSet(v));
        made.catch(() => this.fullPrototypes.delete(key));
        return made;
      });
      let evidence = -Infinity;
      windows.forEach((w, k) => (evidence = Math.max(evidence, prototypes.bestCosine(w) - backgroundWeight * backgroundSimilarity[k]!)));
      out.push(logistic(evidence, this.calibration.full));
    }
    return out;
  }
}

/** The everyday requests through a full encoder, once per encoder. */
const fullBackgrounds = new WeakMap<AsyncSentenceEncoder, Promise<VectorSet>>();

function backgroundOf(full: AsyncSentenceEncoder): Promise<VectorSet> {
  let background = fullBackgrounds.get(full);
  if (!background) {
    background = full.encode(BACKGROUND_TEXTS).then((v) => new VectorSet(v));
    // A failed load is retried by the next check rather than remembered.
    background.catch(() => fullBackgrounds.delete(full));
    fullBackgrounds.set(full, background);
  }
  return background;
}

/** What stands for a topic: its name with its definition, the definition alone, each example. */
export function prototypeTexts(topic: Pick<TopicConfig, "name" | "definition" | "examples">): string[] {
  const texts = [`${topic.name}: ${topic.definition}`, topic.definition, ...topic.examples];
  return texts.map((t) => t.trim()).filter((t) => t.length > 0);
}

const topicKey = (topic: TopicConfig): string => JSON.stringify([topic.name, topic.definition, topic.examples]);

/** A small least-recently-used cache. */
class LruCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly limit: number) {}

  get(key: string, make: () => T): T {
    const cached = this.entries.get(key);
    // Re-insert: the Map's order is the eviction order (least recently used first).
    if (cached !== undefined) this.entries.delete(key);
    const value = cached ?? make();
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, value);
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

const logistic = (evidence: number, calibration: StageCalibration): number => 1 / (1 + Math.exp(-(evidence - calibration.center) / calibration.width));
