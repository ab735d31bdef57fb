// Lexical search in SQL, in two statements. The query's words are tokenised by PostgreSQL's
// own 'simple' parser (so they meet the GIN index's lexemes) and OR-ed: questions rarely
// share every word with the passage, and 'simple' keeps stopwords, so AND finds almost
// nothing. Each chunk scores BM25-style: the sum over query terms of idf(term) x a saturated,
// length-normalised term frequency (ts_rank_cd), divided by the sum of the idfs into [0, 1].
// Without the idf, ts_rank_cd ranks a chunk full of "the" and "of" first.
//
// Cost: the first statement counts each term's documents through the GIN index, stopping at
// COMMON_TERM_DOCUMENTS (a common word's count comes from ANALYZE's statistics instead);
// the second scores only chunks holding a rarer term, so "the" does not make every chunk a
// candidate (measured before: 4 s at 20,000 chunks).
import type { SqlParams } from "./filter-sql.ts";

/** Most query terms scored; longer queries keep their first distinct lexemes. */
export const MAX_QUERY_TERMS = 64;
/** A term in at least this many chunks counts as common: it ranks, but selects no candidates. */
export const COMMON_TERM_DOCUMENTS = 1000;
/** Most chunks scored for one query (a bound for queries of common words only). */
export const MAX_LEXICAL_CANDIDATES = 20_000;

/** One query term: its tsquery text and how many chunks hold it (capped). */
export interface TermRow {
  lexeme: string;
  query: string;
  documents: number;
}

/** Tokenises the query text (`$1`) and counts each term's chunks, up to the cap (`$2`). */
export function termsSql(table: string, text: string): string {
  // array_to_tsvector(...)::text quotes a lexeme exactly as tsquery input expects it.
  return `SELECT t.lexeme, t.query,
      (SELECT count(*)::int FROM (SELECT 1 FROM ${table} WHERE to_tsvector('simple', ${text}) @@ t.query::tsquery LIMIT $2::int) AS hits) AS documents
    FROM (SELECT lexeme, array_to_tsvector(ARRAY[lexeme])::text AS query FROM unnest(tsvector_to_array(to_tsvector('simple', $1::text))) AS lexeme LIMIT ${MAX_QUERY_TERMS}) AS t`;
}

/** The statistics query: the table's row estimate and the text index's common lexemes. */
export const STATISTICS_SQL = `SELECT
    (SELECT reltuples::float8 FROM pg_class WHERE oid = to_regclass($1)) AS estimate,
    (SELECT most_common_elems::text::text[] FROM pg_stats WHERE schemaname = $2 AND tablename = $3 LIMIT 1) AS elems,
    (SELECT most_common_elem_freqs FROM pg_stats WHERE schemaname = $2 AND tablename = $3 LIMIT 1) AS freqs`;

/** BM25's idf, always positive. */
export function idf(documents: number, total: number): number {
  return Math.log(1 + (total - documents + 0.5) / (documents + 0.5));
}

/** The columns and table a ranking statement reads. */
export interface RankSqlOptions {
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
  /** The alias of a unique, orderable column for ties. */
  tieBreaker: string;
  /** Terms to score, each with its weight. */
  terms: ReadonlyArray<{ query: string; weight: number }>;
  /** The tsquery (text) that selects candidates: an OR of some of the terms. */
  match: string;
  k: number;
}

/** Builds the ranking statement; its rows have the select list plus `score`. */
export function rankSql(options: RankSqlOptions, params: SqlParams): string {
  const queries = params.add(options.terms.map((term) => term.query));
  const weights = params.add(options.terms.map((term) => term.weight));
  const total = options.terms.reduce((sum, term) => sum + term.weight, 0);
  const document = `to_tsvector('simple', ${options.row}.${options.text})`;
  return `WITH weighted AS (SELECT w.q::tsquery AS q, w.weight FROM unnest(${queries}::text[], ${weights}::float8[]) AS w(q, weight))
    SELECT ${options.aliases.map((alias) => `hit.${alias}`).join(", ")},
      (SELECT sum(w.weight * ts_rank_cd('{1,1,1,1}', hit.tsv, w.q, 1 | 32)) FROM weighted AS w) / ${params.add(total)}::float8 AS score
    FROM (
      SELECT ${options.select}, ${document} AS tsv FROM ${options.table} AS ${options.row}
      WHERE ${document} @@ ${params.add(options.match)}::tsquery${options.where ? ` AND ${options.where}` : ""}
      LIMIT ${MAX_LEXICAL_CANDIDATES}
    ) AS hit
    ORDER BY score DESC, hit.${options.tieBreaker}
    LIMIT ${params.add(options.k)}::int`;
}
