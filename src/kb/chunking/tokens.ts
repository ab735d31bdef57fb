// The chunkers' tokenizer: the same real BPE (o200k_base via gpt-tokenizer) that the model layer
// counts with, plus encode/decode for strategies that cut on token boundaries, the search for a
// cut between words, and the exact cost of joining two counted pieces of text.
import { countTokens as countO200k, decode, encode } from "gpt-tokenizer/encoding/o200k_base";

// Document text is data: "<|endoftext|>" in a file is ordinary text, not a special token (by
// default gpt-tokenizer throws on it, which would fail the document).
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Counts the o200k_base tokens of text. */
export function countTokens(text: string): number {
  return text ? countO200k(text, PLAIN_TEXT) : 0;
}

/** Encodes text to o200k_base token ids. */
export function encodeTokens(text: string): number[] {
  return text ? encode(text, PLAIN_TEXT) : [];
}

/** Decodes token ids back to text. */
export function decodeTokens(tokens: readonly number[]): string {
  return tokens.length ? decode(tokens) : "";
}

// o200k_base splits text into pieces before BPE (gpt-tokenizer's O200K_TOKEN_SPLIT_PATTERN) and
// counts each piece on its own. No piece ever takes in a following space or tab, and a newline
// joins only a trailing run of punctuation (` ?[^\s\p{L}\p{N}]+[\r\n/]*`). So joining two trimmed
// texts changes at most the piece on each side of the seam, and the cost of a join can be had
// from those few characters instead of counting the joined text again.
const TRAILING_PUNCTUATION = / ?[^\s\p{L}\p{N}\p{M}]+$/u;
const FIRST_WORD = /^\S+/;
const newlineSeams = new Map<string, number>();
const NEWLINE_TOKENS = countTokens("\n");

/** Two counted, trimmed texts about to be joined. */
export interface Seam {
  a: string;
  /** The separator that precedes `a` in the joined text ("" at its start). */
  aLeading: string;
  separator: " " | "\n";
  b: string;
  /** `countTokens(b)`. */
  bTokens: number;
}

/** Tokens that joining `a` and `b` adds to `countTokens(a) + countTokens(b)` (may be negative). */
export function seamTokens({ a, aLeading, separator, b, bTokens }: Seam): number {
  if (separator === "\n") {
    // A run of punctuation takes the newline and any "/" after it: count such a seam in full.
    if (b.startsWith("/")) {
      const before = aLeading + a;
      return countTokens(`${before}\n${b}`) - countTokens(before) - bTokens;
    }
    const match = TRAILING_PUNCTUATION.exec(a);
    if (!match) return NEWLINE_TOKENS; // a stand-alone newline piece
    // A text made only of punctuation shares its piece with the space before it.
    const piece = match.index === 0 && aLeading === " " ? ` ${match[0]}` : match[0];
    let seam = newlineSeams.get(piece);
    if (seam === undefined) {
      seam = countTokens(`${piece}\n`) - countTokens(piece);
      if (newlineSeams.size < 10_000) newlineSeams.set(piece, seam);
    }
    return seam;
  }
  // The space joins the first piece(s) of `b`, which end before its first space or tab.
  const word = FIRST_WORD.exec(b)?.[0] ?? b;
  const after = b[word.length];
  if (after === " " || after === "\t") return countTokens(` ${word}`) - countTokens(word);
  return countTokens(` ${b}`) - bTokens;
}

const REPLACEMENT = "\uFFFD";
const SPACE = /\s/;

/** Finds cut positions in a token sequence without decoding more than a few tokens per cut. */
export class TokenCutter {
  private readonly pieces = new Map<number, string>();

  constructor(private readonly tokens: readonly number[]) {}

  private piece(at: number): string {
    let text = this.pieces.get(at);
    if (text === undefined) {
      text = decode([this.tokens[at]!]);
      this.pieces.set(at, text);
    }
    return text;
  }

  /** True when a cut before token `at` falls between words. */
  private wordBoundary(at: number): boolean {
    if (at <= 0 || at >= this.tokens.length) return true;
    return SPACE.test(this.piece(at)[0] ?? "") || SPACE.test(this.piece(at - 1).at(-1) ?? "");
  }

  /** True when a cut before token `at` does not split a multi-byte character across tokens. */
  private charBoundary(at: number): boolean {
    if (at <= 0 || at >= this.tokens.length) return true;
    return !this.piece(at).startsWith(REPLACEMENT) && !this.piece(at - 1).endsWith(REPLACEMENT);
  }

  /**
   * The best cut at or before `at` and above `floor`: a word boundary within `slack` tokens,
   * else a character boundary, else `at` itself (one unbroken run longer than the window).
   */
  cutBefore(at: number, floor: number, slack: number): number {
    const lowest = Math.max(floor + 1, at - slack);
    for (let p = at; p >= lowest; p--) if (this.wordBoundary(p)) return p;
    for (let p = at; p >= lowest; p--) if (this.charBoundary(p)) return p;
    return at;
  }
}

/** How far back a cut may move to find a word boundary: a fifth of the window. */
export function cutSlack(maxTokens: number): number {
  return Math.max(1, Math.floor(maxTokens / 5));
}

/**
 * Splits one run of text that is longer than `maxTokens` (a sentence, a table row) into pieces
 * of at most `maxTokens` tokens, cut between words where possible.
 */
export function splitAtWords(text: string, maxTokens: number): string[] {
  const tokens = encodeTokens(text);
  const cutter = new TokenCutter(tokens);
  const pieces: string[] = [];
  let start = 0;
  while (start < tokens.length) {
    let end = Math.min(start + maxTokens, tokens.length);
    if (end < tokens.length) end = cutter.cutBefore(end, start, cutSlack(maxTokens));
    let piece = decodeTokens(tokens.slice(start, end)).trim();
    // Re-encoding a piece alone can merge differently from the whole; keep every piece in budget.
    while (piece && end - start > 1 && countTokens(piece) > maxTokens) {
      end = cutter.cutBefore(end - 1, start, cutSlack(maxTokens));
      piece = decodeTokens(tokens.slice(start, end)).trim();
    }
    if (piece) pieces.push(piece);
    start = end;
  }
  return pieces;
}
