// Hashed sparse features of a text: word uni/bi-grams and character n-grams, log-scaled
// term frequencies, each group L2-normalized. Character n-grams make the model robust to
// spellings that the word features never saw ("kil", "idiotss"); hashing keeps the weight
// table a fixed size with no vocabulary to ship.
import { normalizeText } from "./normalize.ts";

/** How features are extracted; stored in the weights header so training and serving agree. */
export interface FeatureConfig {
  /** log2 of the hashed feature space. */
  bits: number;
  /** Character n-gram lengths, inclusive. */
  charMin: number;
  charMax: number;
  /** Scale of the word group and of the character group after each is L2-normalized. */
  wordWeight: number;
  charWeight: number;
}

/** The defaults the shipped weights were trained with. */
export const DEFAULT_FEATURES: FeatureConfig = { bits: 18, charMin: 3, charMax: 5, wordWeight: 1, charWeight: 1 };

/** A sparse vector; an index may repeat (groups can collide), which a dot product handles. */
export interface SparseVector {
  indices: Uint32Array;
  values: Float32Array;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SEED_WORD = 0x9e3779b1;
const SEED_BIGRAM = 0x85ebca6b;
const SEED_CHAR = 0xc2b2ae35;
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Murmur3's finalizer: spreads FNV's weak low bits before masking. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hashString(text: string, seed: number): number {
  let h = (FNV_OFFSET ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/** Counts hashed features of one group, then emits them log-scaled and L2-normalized. */
class GroupCounter {
  private readonly counts: Float32Array;
  private readonly touched: number[] = [];

  constructor(bits: number) {
    this.counts = new Float32Array(1 << bits);
  }

  add(index: number): void {
    if (this.counts[index] === 0) this.touched.push(index);
    this.counts[index]! += 1;
  }

  /** Appends this group's features scaled to L2 norm `weight`, and resets the counter. */
  flushInto(indices: number[], values: number[], weight: number): void {
    let sum = 0;
    for (const i of this.touched) {
      const v = 1 + Math.log(this.counts[i]!);
      this.counts[i] = v;
      sum += v * v;
    }
    const scale = sum > 0 ? weight / Math.sqrt(sum) : 0;
    for (const i of this.touched) {
      indices.push(i);
      values.push(this.counts[i]! * scale);
      this.counts[i] = 0;
    }
    this.touched.length = 0;
  }
}

/** Turns texts into hashed sparse vectors. Not reentrant: one scratch table per extractor. */
export class FeatureExtractor {
  private readonly mask: number;
  private readonly counter: GroupCounter;
  /** Whole-text counters, used (and allocated) only for texts scored in pieces. */
  private wholeWords?: GroupCounter;
  private wholeChars?: GroupCounter;

  constructor(readonly config: FeatureConfig = DEFAULT_FEATURES) {
    this.mask = (1 << config.bits) - 1;
    this.counter = new GroupCounter(config.bits);
  }

  /** Features of raw text (normalizes it first). */
  extract(text: string): SparseVector {
    return this.extractNormalized(normalizeText(text));
  }

  /** Features of text already passed through {@link normalizeText}. */
  extractNormalized(normalized: string): SparseVector {
    return this.extractParts(normalized, [])[0]!;
  }

  /**
   * Features of a normalized text and of its pieces (windows.ts), whole text first. With
   * pieces, the whole text's counts are the sum of the pieces' counts (n-grams across a cut
   * are lost), so the text is hashed once rather than twice.
   */
  extractParts(normalized: string, pieces: readonly string[]): SparseVector[] {
    if (pieces.length === 0) {
      const indices: number[] = [];
      const values: number[] = [];
      this.countWords(normalized, [this.counter]);
      this.counter.flushInto(indices, values, this.config.wordWeight);
      this.countChars(normalized, [this.counter]);
      this.counter.flushInto(indices, values, this.config.charWeight);
      return [toVector(indices, values)];
    }
    const words = (this.wholeWords ??= new GroupCounter(this.config.bits));
    const chars = (this.wholeChars ??= new GroupCounter(this.config.bits));
    const out: SparseVector[] = [];
    for (const piece of pieces) {
      const indices: number[] = [];
      const values: number[] = [];
      this.countWords(piece, [this.counter, words]);
      this.counter.flushInto(indices, values, this.config.wordWeight);
      this.countChars(piece, [this.counter, chars]);
      this.counter.flushInto(indices, values, this.config.charWeight);
      out.push(toVector(indices, values));
    }
    const indices: number[] = [];
    const values: number[] = [];
    words.flushInto(indices, values, this.config.wordWeight);
    chars.flushInto(indices, values, this.config.charWeight);
    return [toVector(indices, values), ...out];
  }

  private countWords(text: string, counters: readonly GroupCounter[]): void {
    let previous: number | undefined;
    for (const match of text.matchAll(WORD)) {
      const word = hashString(match[0], SEED_WORD);
      const unigram = mix(word) & this.mask;
      for (const c of counters) c.add(unigram);
      if (previous !== undefined) {
        const bigram = mix(Math.imul(previous, 31) ^ word ^ SEED_BIGRAM) & this.mask;
        for (const c of counters) c.add(bigram);
      }
      previous = word;
    }
  }

  private countChars(text: string, counters: readonly GroupCounter[]): void {
    const padded = ` ${text} `;
    const { charMin, charMax } = this.config;
    for (let start = 0; start + charMin <= padded.length; start++) {
      let h = (FNV_OFFSET ^ SEED_CHAR) >>> 0;
      const end = Math.min(padded.length, start + charMax);
      for (let at = start; at < end; at++) {
        h = Math.imul(h ^ padded.charCodeAt(at), FNV_PRIME);
        if (at - start + 1 >= charMin) {
          const index = mix(h) & this.mask;
          for (const c of counters) c.add(index);
        }
      }
    }
  }
}

function toVector(indices: number[], values: number[]): SparseVector {
  return { indices: Uint32Array.from(indices), values: Float32Array.from(values) };
}
