// A knowledge base's chunks in PostgreSQL with pgvector, laid out as Bedrock's RDS storage
// configuration names it: one row per chunk (uuid key, vector, text, json metadata, jsonb
// custom metadata). Semantic search walks the HNSW index (cosine), lexical search the GIN
// full-text index, hybrid fuses both by reciprocal rank; filters compile to SQL. See decision
// 0017 for the layout and the choices behind it.
import pg from "pg";
import { redactUrl } from "../../../store/db/postgres.ts";
import { BasaltError, validation } from "../../../spec/errors.ts";
import type { Metadata, MetadataFilter } from "../filter.ts";
import { fuseHybrid } from "../fusion.ts";
import type { SearchHit, SearchQuery, StoredChunk, VectorIndex } from "../vector-store.ts";
import { chunkUuid } from "./chunk-uuid.ts";
import { compileFilter, SqlParams } from "./filter-sql.ts";
import { COMMON_TERM_DOCUMENTS, idf, rankSql, STATISTICS_SQL, termsSql, type TermRow } from "./lexical-sql.ts";
import { parseFieldMapping, parseTableName, quoteIdentifier, quoteTableName, type RdsFieldMapping } from "./rds-configuration.ts";
import { BOOKKEEPING, BOOKKEEPING_PREFIX, ensureTable, type TableInfo } from "./table-schema.ts";

/** Options of {@link openPgvectorIndex}. */
export interface PgvectorIndexOptions {
  /** `postgres://user:password@host:port/database` (the lead maps Bedrock's ARNs to it). */
  connectionString: string;
  /** `table` or `schema.table`; created when missing. */
  tableName: string;
  fieldMapping: RdsFieldMapping;
  /** The embedding model's dimension; an existing table must have the same. */
  dimensions: number;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /**
   * Searches where at most this many rows qualify are ranked exactly rather than through the
   * HNSW index (default {@link EXACT_SEARCH_ROWS}); 0 sends every search to the index (tests).
   */
  exactSearchRows?: number;
}

/** pgvector's largest `vector` type. */
const MAX_DIMENSIONS = 16_000;
/** Rows per INSERT statement of an upsert. */
const UPSERT_BATCH = 500;
const DEADLOCK_DETECTED = "40P01";
const UPSERT_ATTEMPTS = 3;
/** pgvector's largest hnsw.ef_search. */
const MAX_EF_SEARCH = 1000;
const DEFAULT_EF_SEARCH = 40;
/** Default of {@link PgvectorIndexOptions.exactSearchRows}: below it, a scan beats the index. */
export const EXACT_SEARCH_ROWS = 2000;
/** Rows alias in every statement, so filter subqueries never confuse a column for theirs. */
const ROW = "chunk_row";

interface ChunkRow {
  pk: string;
  text: string;
  meta: Record<string, unknown> | null;
  custom?: Record<string, unknown> | null;
  distance?: number | null;
  score?: number | null;
}

function vectorLiteral(vector: Float32Array | readonly number[]): string {
  return `[${Array.from(vector).join(",")}]`;
}

/**
 * Turns JIT compilation off for the transaction. A compiled filter is a large expression, and
 * on a table big enough to pass jit_above_cost, compiling it takes seconds (measured: 5 s for
 * a three-value `in`) for a query that then runs in milliseconds.
 */
async function noJit(client: pg.ClientBase): Promise<void> {
  await client.query("SELECT set_config('jit', 'off', true)");
}

function clampScore(score: number | null | undefined): number {
  return typeof score === "number" && Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0;
}

/** A knowledge base's chunks in one PostgreSQL table. */
export class PgvectorIndex implements VectorIndex {
  readonly dimensions: number;
  readonly #pool: pg.Pool;
  readonly #table: string;
  readonly #col: { pk: string; vector: string; text: string; meta: string; custom?: string };
  readonly #select: string;
  readonly #aliases: string[];
  readonly #hasCustom: boolean;
  readonly #exactRows: number;
  readonly #connectionString: string;
  #closed = false;

  /** What the server and table offer (pgvector version, iterative scans, indexes). */
  readonly info: TableInfo;

  constructor(parts: { pool: pg.Pool; connectionString: string; table: string; mapping: RdsFieldMapping; dimensions: number; info: TableInfo; exactSearchRows?: number }) {
    const { mapping } = parts;
    this.#pool = parts.pool;
    this.#connectionString = parts.connectionString;
    this.#exactRows = parts.exactSearchRows ?? EXACT_SEARCH_ROWS;
    this.#table = parts.table;
    this.dimensions = parts.dimensions;
    this.info = parts.info;
    this.#hasCustom = mapping.customMetadataField !== undefined;
    this.#col = {
      pk: quoteIdentifier(mapping.primaryKeyField),
      vector: quoteIdentifier(mapping.vectorField),
      text: quoteIdentifier(mapping.textField),
      meta: quoteIdentifier(mapping.metadataField),
      ...(mapping.customMetadataField === undefined ? {} : { custom: quoteIdentifier(mapping.customMetadataField) }),
    };
    const c = this.#col;
    this.#select = `${ROW}.${c.pk}::text AS pk, ${ROW}.${c.text} AS text, ${ROW}.${c.meta} AS meta${c.custom ? `, ${ROW}.${c.custom} AS custom` : ""}`;
    this.#aliases = ["pk", "text", "meta", ...(c.custom ? ["custom"] : [])];
  }

  /** The jsonb expression filters read; without a custom column, the metadata less bookkeeping. */
  #filterColumn(params: SqlParams): string {
    const column = `${ROW}.${this.#col.custom ?? this.#col.meta}`;
    const jsonb = this.info.filterColumnType === "jsonb" ? column : `(${column})::jsonb`;
    if (this.#hasCustom) return jsonb;
    return `(${jsonb} - ${params.shared("bookkeeping-keys", Object.values(BOOKKEEPING))}::text[])`;
  }

  #filterSql(filter: MetadataFilter | undefined, params: SqlParams): string | undefined {
    return filter === undefined ? undefined : compileFilter(filter, this.#filterColumn(params), params);
  }

  #toHit(row: ChunkRow, score: number): SearchHit {
    const meta = row.meta ?? {};
    const text = (key: string) => (typeof meta[key] === "string" ? (meta[key] as string) : undefined);
    let metadata: Metadata;
    if (this.#hasCustom) metadata = (row.custom ?? {}) as Metadata;
    else metadata = Object.fromEntries(Object.entries(meta).filter(([key]) => !key.startsWith(BOOKKEEPING_PREFIX))) as Metadata;
    const parentId = text(BOOKKEEPING.parentId);
    const chunk: SearchHit["chunk"] = {
      id: text(BOOKKEEPING.chunkId) ?? row.pk,
      documentId: text(BOOKKEEPING.documentId) ?? "",
      dataSourceId: text(BOOKKEEPING.dataSourceId) ?? "",
      text: row.text,
      sourceUri: text(BOOKKEEPING.sourceUri) ?? "",
      metadata,
      ...(parentId === undefined ? {} : { parent: { id: parentId, text: text(BOOKKEEPING.parentText) ?? "" } }),
    };
    return { chunk, score };
  }

  async #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      // A connection whose ROLLBACK fails may still be inside the transaction: destroy it.
      await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  #checkVector(vector: Float32Array | undefined, path: string): Float32Array {
    if (!vector) throw validation(path, "a vector is required for this search type");
    if (vector.length !== this.dimensions) throw validation(path, `the vector has ${vector.length} dimensions; this index holds ${this.dimensions}`);
    if (!vector.every(Number.isFinite)) throw validation(path, "the vector must hold finite numbers");
    return vector;
  }

  async upsert(chunks: readonly StoredChunk[]): Promise<void> {
    // Later duplicates win, as replacing one by one would; ON CONFLICT may not touch a row twice.
    const byId = new Map<string, StoredChunk>();
    chunks.forEach((chunk, i) => {
      if (typeof chunk.id !== "string" || chunk.id.length === 0) throw validation(`chunks[${i}].id`, "must be a non-empty string");
      this.#checkVector(chunk.vector, `chunks[${i}].vector`);
      const reserved = Object.keys(chunk.metadata).find((key) => key.startsWith(BOOKKEEPING_PREFIX));
      if (reserved) throw validation(`chunks[${i}].metadata.${reserved}`, `keys starting with '${BOOKKEEPING_PREFIX}' are reserved`);
      byId.set(chunk.id, chunk);
    });
    if (byId.size === 0) return;
    // Rows go in key order, so writers storing overlapping chunks at once (a resumed sync racing
    // the old one) take their row locks in one order and cannot deadlock each other.
    const rows = [...byId.values()].map((chunk) => ({ chunk, key: chunkUuid(chunk.id) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const c = this.#col;
    const columns = [c.pk, c.vector, c.text, c.meta, ...(c.custom ? [c.custom] : [])];
    const types = ["uuid", "vector", "text", "json", ...(c.custom ? ["jsonb"] : [])];
    const sql =
      `INSERT INTO ${this.#table} (${columns.join(", ")}) ` +
      `SELECT ${types.map((type, i) => `u.c${i}::${type}`).join(", ")} FROM unnest(${types.map((_, i) => `$${i + 1}::text[]`).join(", ")}) AS u(${types.map((_, i) => `c${i}`).join(", ")}) ORDER BY u.c0::uuid ` +
      `ON CONFLICT (${c.pk}) DO UPDATE SET ${columns.slice(1).map((column) => `${column} = EXCLUDED.${column}`).join(", ")}`;
    const write = () => this.#transaction(async (client) => {
      for (let start = 0; start < rows.length; start += UPSERT_BATCH) {
        const batch = rows.slice(start, start + UPSERT_BATCH).map((row) => row.chunk);
        const meta = batch.map((chunk) => {
          const bookkeeping: Record<string, string> = {
            [BOOKKEEPING.chunkId]: chunk.id,
            [BOOKKEEPING.documentId]: chunk.documentId,
            [BOOKKEEPING.dataSourceId]: chunk.dataSourceId,
            [BOOKKEEPING.sourceUri]: chunk.sourceUri,
            ...(chunk.parent ? { [BOOKKEEPING.parentId]: chunk.parent.id, [BOOKKEEPING.parentText]: chunk.parent.text } : {}),
          };
          return JSON.stringify(this.#hasCustom ? bookkeeping : { ...chunk.metadata, ...bookkeeping });
        });
        const values: unknown[] = [rows.slice(start, start + UPSERT_BATCH).map((row) => row.key), batch.map((chunk) => vectorLiteral(chunk.vector)), batch.map((chunk) => chunk.text), meta];
        if (c.custom) values.push(batch.map((chunk) => JSON.stringify(chunk.metadata)));
        await client.query(sql, values);
      }
    });
    // An upsert is idempotent, so one the server chose as a deadlock victim is simply run again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if ((error as { code?: string }).code !== DEADLOCK_DETECTED || attempt >= UPSERT_ATTEMPTS) throw error;
      }
    }
  }

  async deleteDocuments(documentIds: readonly string[]): Promise<number> {
    if (documentIds.length === 0) return 0;
    const result = await this.#pool.query(`DELETE FROM ${this.#table} WHERE (${this.#col.meta} ->> '${BOOKKEEPING.documentId}') = ANY($1::text[])`, [[...documentIds]]);
    return result.rowCount ?? 0;
  }

  async chunkIds(documentId: string): Promise<string[]> {
    const result = await this.#pool.query<{ id: string }>(
      `SELECT ${this.#col.meta} ->> '${BOOKKEEPING.chunkId}' AS id FROM ${this.#table} WHERE (${this.#col.meta} ->> '${BOOKKEEPING.documentId}') = $1`,
      [documentId],
    );
    return result.rows.map((row) => row.id).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  }

  async count(): Promise<number> {
    const result = await this.#pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.#table}`);
    return result.rows[0]!.n;
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    const { k } = query;
    if (!Number.isInteger(k) || k < 1) throw validation("numberOfResults", "must be a whole number of at least 1");
    switch (query.mode) {
      case "SEMANTIC":
        return this.#semantic(this.#checkVector(query.vector, "vector"), k, query.filter);
      case "LEXICAL":
        if (query.text === undefined) throw validation("text", "a query text is required for lexical search");
        return this.#lexical(query.text, k, query.filter);
      case "HYBRID": {
        const vector = this.#checkVector(query.vector, "vector");
        if (query.text === undefined) throw validation("text", "a query text is required for hybrid search");
        // Deeper lists than k give fusion something to work with (a chunk ranked 30th in
        // both lists beats one ranked 5th in one list only).
        const depth = Math.min(Math.max(3 * k, 60), MAX_EF_SEARCH);
        const [semantic, lexical] = await Promise.all([this.#semantic(vector, depth, query.filter), this.#lexical(query.text, depth, query.filter)]);
        const chunks = new Map<string, SearchHit["chunk"]>();
        for (const hit of [...semantic, ...lexical]) chunks.set(hit.chunk.id, hit.chunk);
        return fuseHybrid(
          semantic.map((hit) => ({ id: hit.chunk.id, score: hit.score })),
          lexical.map((hit) => ({ id: hit.chunk.id, score: hit.score })),
        )
          .slice(0, k)
          .map(({ id, score }) => ({ chunk: chunks.get(id)!, score: clampScore(score) }));
      }
      default:
        throw validation("overrideSearchType", `unknown search type '${String((query as { mode: unknown }).mode)}'`);
    }
  }

  async #semantic(vector: Float32Array, k: number, filter: MetadataFilter | undefined): Promise<SearchHit[]> {
    const params = new SqlParams([vectorLiteral(vector), k]);
    const where = this.#filterSql(filter, params);
    const distance = `${ROW}.${this.#col.vector} <=> $1::vector`;
    const from = `FROM ${this.#table} AS ${ROW}${where ? ` WHERE ${where}` : ""}`;
    // Exact when at most `exactSearchRows` rows qualify (a small table, or a selective
    // filter): the probe reads at most that many plus one, and if that was all of them, its
    // ranking is the exact answer. Otherwise the HNSW index answers.
    const exactSql =
      `WITH matching AS MATERIALIZED (SELECT ${this.#select}, ${distance} AS distance ${from} LIMIT ${this.#exactRows + 1}) ` +
      `SELECT m.*, (SELECT count(*)::int FROM matching) AS matched FROM matching AS m ORDER BY m.distance, m.pk LIMIT $2::int`;
    const annSql = `SELECT ${this.#select}, ${distance} AS distance ${from} ORDER BY ${distance} LIMIT $2::int`;
    // ef_search bounds how many candidates one HNSW scan yields; a filter discards some, so it
    // starts higher, and pgvector 0.8's iterative scan walks on until k rows pass the filter.
    const ef = Math.min(MAX_EF_SEARCH, Math.max(DEFAULT_EF_SEARCH, 2 * k, filter ? 200 : 0));
    const rows = await this.#transaction(async (client) => {
      await noJit(client);
      let probe = filter !== undefined;
      if (!probe) {
        // reltuples is the planner's estimate (-1 before the first ANALYZE); reading it is free.
        const estimate = await client.query<{ n: number }>("SELECT reltuples::float8 AS n FROM pg_class WHERE oid = to_regclass($1)", [this.#table]);
        const n = estimate.rows[0]?.n ?? -1;
        probe = n < 0 || n <= this.#exactRows;
      }
      if (probe) {
        const exact = await client.query<ChunkRow & { matched: number }>(exactSql, params.values);
        if (exact.rows.length === 0 || exact.rows[0]!.matched <= this.#exactRows) return exact.rows;
      }
      const iterative = this.info.iterativeScan ? `, set_config('hnsw.iterative_scan', '${filter ? "relaxed_order" : "off"}', true)` : "";
      await client.query(`SELECT set_config('hnsw.ef_search', $1, true)${iterative}`, [String(ef)]);
      const approximate = await client.query<ChunkRow>(annSql, params.values);
      // Under a filter the scan can still stop short of k (ef_search, or pgvector's
      // max_scan_tuples); a sequential scan then finds every matching row.
      if (!filter || approximate.rows.length >= k || !this.info.hnswIndex) return approximate.rows;
      await client.query("SELECT set_config('enable_indexscan', 'off', true)");
      return (await client.query<ChunkRow>(annSql, params.values)).rows;
    });
    // relaxed_order may return near-ties slightly out of order.
    rows.sort((a, b) => (a.distance ?? Infinity) - (b.distance ?? Infinity) || (a.pk < b.pk ? -1 : 1));
    // Cosine distance is in [0, 2]; 1 - d/2 = (1 + cos) / 2 maps it onto [0, 1] (as OpenSearch's cosinesimil).
    return rows.map((row) => this.#toHit(row, clampScore(1 - (row.distance ?? 2) / 2)));
  }

  async #lexical(text: string, k: number, filter: MetadataFilter | undefined): Promise<SearchHit[]> {
    const rows = await this.#transaction(async (client) => {
      await noJit(client);
      const terms = (await client.query<TermRow>(termsSql(this.#table, this.#col.text), [text, COMMON_TERM_DOCUMENTS])).rows;
      if (terms.length === 0) return [];
      // Chunk counts: exact below the cap; above it, ANALYZE's share of chunks holding the word.
      const index = this.info.textIndex;
      const stats = (await client.query<{ estimate: number | null; elems: string[] | null; freqs: number[] | null }>(STATISTICS_SQL, [this.#table, index?.schema ?? null, index?.name ?? null])).rows[0]!;
      let total = stats.estimate !== null && stats.estimate >= 0 ? stats.estimate : (await client.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM ${this.#table}`)).rows[0]!.n;
      const shares = new Map((stats.elems ?? []).map((lexeme, i) => [lexeme, stats.freqs?.[i] ?? 0]));
      const counted = terms.map((term) => ({ ...term, df: term.documents >= COMMON_TERM_DOCUMENTS ? Math.max(term.documents, (shares.get(term.lexeme) ?? 0) * total) : term.documents }));
      total = Math.max(total, ...counted.map((term) => term.df));
      const weighted = counted.map((term) => ({ query: term.query, weight: idf(term.df, total) }));
      const rank = async (matching: readonly TermRow[]) => {
        const params = new SqlParams();
        const where = this.#filterSql(filter, params);
        const sql = rankSql(
          { table: this.#table, row: ROW, text: this.#col.text, select: this.#select, aliases: this.#aliases, ...(where === undefined ? {} : { where }), tieBreaker: "pk", terms: weighted, match: matching.map((term) => term.query).join(" | "), k },
          params,
        );
        return (await client.query<ChunkRow>(sql, params.values)).rows;
      };
      // Candidates are the chunks holding a rarer word; common words join only if too few do.
      const rare = terms.filter((term) => term.documents < COMMON_TERM_DOCUMENTS);
      if (rare.length > 0 && rare.length < terms.length) {
        const found = await rank(rare);
        if (found.length >= k) return found;
      }
      return rank(terms);
    });
    return rows.map((row) => this.#toHit(row, clampScore(row.score)));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  async drop(): Promise<void> {
    if (!this.#closed) {
      await this.#pool.query(`DROP TABLE IF EXISTS ${this.#table}`);
      return this.close();
    }
    // Closed already: one connection of its own.
    const client = new pg.Client({ connectionString: this.#connectionString, application_name: "basalt-kb" });
    await client.connect();
    try {
      await client.query(`DROP TABLE IF EXISTS ${this.#table}`);
    } finally {
      await client.end();
    }
  }
}

/**
 * Opens (creating when missing) the pgvector table a knowledge base's chunks live in.
 * Throws a ValidationException naming the field when the table does not fit (wrong vector
 * dimension, a missing column), and ServiceUnavailable when PostgreSQL cannot be reached.
 */
export async function openPgvectorIndex(options: PgvectorIndexOptions): Promise<PgvectorIndex> {
  const tableName = parseTableName(options.tableName, "tableName");
  const mapping = parseFieldMapping(options.fieldMapping, "fieldMapping");
  const { dimensions } = options;
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) {
    throw validation("dimensions", `must be a whole number from 1 to ${MAX_DIMENSIONS}`);
  }
  const exactRows = options.exactSearchRows ?? EXACT_SEARCH_ROWS;
  if (!Number.isInteger(exactRows) || exactRows < 0) throw validation("exactSearchRows", "must be a whole number of at least 0");
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10, application_name: "basalt-kb" });
  // An idle client's error (server restart, network cut) is emitted on the pool; unhandled, it
  // would crash the process. The pool drops that client and connects anew on next use.
  pool.on("error", () => undefined);
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new BasaltError("SERVICE_UNAVAILABLE", `Cannot connect to the vector store's PostgreSQL at ${redactUrl(options.connectionString)}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const info = await ensureTable(client, tableName, mapping, dimensions);
    client.release();
    return new PgvectorIndex({ pool, connectionString: options.connectionString, table: quoteTableName(tableName), mapping, dimensions, info, exactSearchRows: exactRows });
  } catch (error) {
    client.release(true);
    await pool.end().catch(() => undefined);
    throw error;
  }
}
