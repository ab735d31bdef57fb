// Lexical search in SQL: the query's words, tokenised by PostgreSQL's own 'simple' parser so
// they match the GIN index's lexemes, OR-ed into one tsquery (questions rarely share every
// word with the passage, and 'simple' keeps stopwords, so AND finds almost nothing); each
// matching chunk scored BM25-style as the sum over query terms of idf(term) x a saturated,
// length-normalised term frequency (ts_rank_cd), divided by the sum of the idfs into [0, 1].
// Without the idf, ts_rank_cd ranks a chunk full of "the" and "of" first.
import type { SqlParams } from "./filter-sql.ts";

/** The columns and table a lexical query reads. */
export interface LexicalSqlOptions {
  /** Quoted table name. */
  table: string;
  /** The table's alias in the select list and `where`. */
  row: string;
  /** Quoted text column. */
  text: string;
  /** Select list for a hit, each column aliased to one of `aliases`. */
  select: string;
  /** The aliases the select list gives its columns. */
  aliases: readonly string[];
  /** Extra condition (a compiled filter) or undefined. */
  where?: string;
  /** The query text's placeholder. */
  query: string;
  /** The limit's placeholder. */
  limit: string;
  /** The alias of a unique, orderable column for ties. */
  tieBreaker: string;
}

/** Most query terms scored; longer queries keep their first distinct lexemes. */
export const MAX_QUERY_TERMS = 64;

/** Builds the lexical statement; its rows have the select list plus `score`. */
export function lexicalSql(options: LexicalSqlOptions, params: SqlParams): string {
  const document = `to_tsvector('simple', ${options.text})`;
  const rowDocument = `to_tsvector('simple', ${options.row}.${options.text})`;
  const maxTerms = params.shared("max-query-terms", MAX_QUERY_TERMS);
  // array_to_tsvector(...)::text quotes a lexeme exactly as tsquery input expects it.
  return `WITH terms AS (
      SELECT (array_to_tsvector(ARRAY[lexeme])::text)::tsquery AS q
      FROM unnest(tsvector_to_array(to_tsvector('simple', ${options.query}::text))) AS lexeme
      LIMIT ${maxTerms}::int
    ),
    corpus AS (SELECT count(*)::float8 AS n FROM ${options.table}),
    weighted AS (
      SELECT terms.q, ln(1 + (corpus.n - df.n + 0.5) / (df.n + 0.5)) AS idf
      FROM terms CROSS JOIN corpus
      CROSS JOIN LATERAL (SELECT count(*)::float8 AS n FROM ${options.table} WHERE ${document} @@ terms.q) AS df
    ),
    query AS (SELECT string_agg(q::text, ' | ')::tsquery AS q, sum(idf) AS total FROM weighted)
    SELECT ${options.aliases.map((alias) => `hit.${alias}`).join(", ")}, (SELECT sum(w.idf * ts_rank_cd('{1,1,1,1}', hit.tsv, w.q, 1 | 32)) FROM weighted AS w) / (SELECT total FROM query) AS score
    FROM (
      SELECT ${options.select}, ${rowDocument} AS tsv FROM ${options.table} AS ${options.row}
      WHERE ${rowDocument} @@ (SELECT q FROM query)${options.where ? ` AND ${options.where}` : ""}
    ) AS hit
    ORDER BY score DESC, hit.${options.tieBreaker}
    LIMIT ${options.limit}`;
}
