// Lexical search on SQLite FTS5: the user's text becomes a disjunction of quoted terms, so FTS5
// query syntax (AND, NOT, NEAR, *, ^, :, parentheses, quotes) is always read as plain words.

/** Tokenizers the FTS5 table can be created with; the default is chosen in decision 0016. */
export const FTS_TOKENIZERS = {
  /** Porter stemming over unicode61: "costs" finds "cost". */
  porter: "porter unicode61 remove_diacritics 2",
  /** Words as written, case and diacritics folded. */
  unicode61: "unicode61 remove_diacritics 2",
} as const;
export type FtsTokenizer = keyof typeof FTS_TOKENIZERS;

/** At most this many distinct terms of a query are searched (long pasted questions stay fast). */
export const MAX_QUERY_TERMS = 64;

/**
 * The FTS5 MATCH expression for a free-text query, or undefined when it holds no words.
 * Words are runs of letters, marks and digits, as unicode61 splits them; each is quoted (so
 * `NOT` is the word "not") and the terms are OR-ed so BM25 ranks partial matches too.
 */
export function ftsMatchExpression(text: string): string | undefined {
  const words = text.normalize("NFKC").toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
  const terms = [...new Set(words)].slice(0, MAX_QUERY_TERMS);
  if (terms.length === 0) return undefined;
  return terms.map((t) => `"${t}"`).join(" OR ");
}

/**
 * Maps FTS5's `bm25()` (negative; more negative is better) into [0, 1): s / (1 + s) with
 * s = -bm25. Monotonic and independent of the other hits, so a weak best match stays a weak score.
 */
export function lexicalScore(bm25: number): number {
  const s = Math.max(0, -bm25);
  return s / (1 + s);
}
