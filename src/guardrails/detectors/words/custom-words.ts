// Matches a guardrail's custom words and phrases (up to 10,000) against a text, robust to
// case, accents, full-width and other compatibility forms, invisible characters, spacing
// ("b a d"), leetspeak ("b4d") and held keys ("baaad"), while respecting word boundaries.
// The matcher is built once per guardrail version and is safe to share across requests.
import { LEET, normalizeText, normalizeWord } from "./normalize.ts";
import { joiningUnits, WordTrie } from "./word-trie.ts";

/** One place where one or more configured words occur. */
export interface WordMatch {
  /** UTF-16 span in the original text. */
  start: number;
  end: number;
  /** The text as it appeared (`text.slice(start, end)`). */
  match: string;
  /** Indexes, in the configured list, of the words found here. */
  words: number[];
}

/** Finds configured words in texts. */
export interface CustomWordMatcher {
  /** Number of distinct normalized words. */
  readonly size: number;
  /** Every occurrence, sorted by position. */
  find(text: string): WordMatch[];
}

const LEET_CHARS = new RegExp(`[${Object.keys(LEET).join("").replace("$", "\\$")}]`);

/**
 * Builds a matcher for `words` (indexes in results refer to this list). Words written with
 * letters only are matched in the leetspeak view too; words that contain digits or @/$ are
 * matched only as written (after case and accent folding), so "3D" never matches "ed".
 */
export function createCustomWordMatcher(words: readonly string[]): CustomWordMatcher {
  const letters = new WordTrie();
  const literal = new WordTrie();
  words.forEach((word, index) => {
    const key = normalizeWord(word);
    if (!key) return;
    (LEET_CHARS.test(key) ? literal : letters).add(key, index);
  });
  return {
    size: letters.size + literal.size,
    find: (text) => find(text, letters, literal),
  };
}

function find(text: string, letters: WordTrie, literal: WordTrie): WordMatch[] {
  if (!text || letters.size + literal.size === 0) return [];
  const normalized = normalizeText(text);
  const found = new Map<string, WordMatch>();
  // Both views share one offset map, so a span means the same original text in either.
  const record = (start: number, end: number, ids: readonly number[]) => {
    const from = normalized.start[start]!;
    const to = normalized.end[end - 1]!;
    const key = `${from}:${to}`;
    const existing = found.get(key);
    if (existing) {
      for (const id of ids) if (!existing.words.includes(id)) existing.words.push(id);
    } else {
      found.set(key, { start: from, end: to, match: text.slice(from, to), words: [...ids] });
    }
  };
  const { plain, leet, extraStarts } = normalized;
  const plainJoins = joiningUnits(plain);
  const leetJoins = leet === plain ? plainJoins : joiningUnits(leet);
  letters.scan(leet, leetJoins, record, extraStarts);
  // Reading "@" and "$" as letters moves word boundaries ("mail@example"): scan as written too.
  if (leet !== plain) letters.scan(plain, plainJoins, record, extraStarts);
  if (literal.size) literal.scan(plain, plainJoins, record, extraStarts);
  return [...found.values()].sort((a, b) => a.start - b.start || a.end - b.end);
}
