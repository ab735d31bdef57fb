// The vector table: created as Bedrock's Aurora guide asks users to create it (uuid key,
// vector(n), text, json metadata, jsonb custom metadata, an HNSW cosine index and a GIN
// full-text index), or checked when it already exists, so a wrong dimension or a missing
// column fails at open with a message that says what to fix.
import type pg from "pg";
import { createHash } from "node:crypto";
import { BasaltError, validation } from "../../../spec/errors.ts";
import { MAX_IDENTIFIER_LENGTH, quoteIdentifier, quoteTableName, type RdsFieldMapping, type TableName } from "./rds-configuration.ts";

/** pgvector's limit for an HNSW index on `vector` (larger vectors are searched exactly). */
export const MAX_HNSW_DIMENSIONS = 2000;

/** Bookkeeping keys Basalt keeps in the metadata column (never filterable user metadata). */
export const BOOKKEEPING = {
  chunkId: "x-basalt-kb-chunk-id",
  documentId: "x-basalt-kb-document-id",
  dataSourceId: "x-basalt-kb-data-source-id",
  sourceUri: "x-basalt-kb-source-uri",
  parentId: "x-basalt-kb-parent-id",
  parentText: "x-basalt-kb-parent-text",
} as const;
/** Prefix of the bookkeeping keys; chunk metadata may not use it. */
export const BOOKKEEPING_PREFIX = "x-basalt-kb-";

/** What the open table offers, found at open. */
export interface TableInfo {
  /** pgvector's version (`0.8.0`). */
  extensionVersion: string;
  /** Whether `hnsw.iterative_scan` exists (pgvector 0.8.0+). */
  iterativeScan: boolean;
  /** Whether the vector column has an HNSW cosine index. */
  hnswIndex: boolean;
  /** The column filters read: `json` or `jsonb` (only jsonb can use a GIN index). */
  filterColumnType: "json" | "jsonb";
  /** The full-text GIN index, whose ANALYZE statistics say how common a word is. */
  textIndex?: { schema: string; name: string };
}

const FIELD_PATH = "storageConfiguration.rdsConfiguration.fieldMapping";

function indexName(table: string, suffix: string): string {
  const name = `${table}_${suffix}`;
  if (name.length <= MAX_IDENTIFIER_LENGTH) return name;
  const hash = createHash("sha1").update(table).digest("hex").slice(0, 8);
  return `${table.slice(0, MAX_IDENTIFIER_LENGTH - suffix.length - hash.length - 2)}_${hash}_${suffix}`;
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split(".").map((part) => Number.parseInt(part, 10));
  return a > major || (a === major && b >= minor);
}

async function ensureExtension(client: pg.ClientBase): Promise<string> {
  const installed = await client.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
  if (installed.rows[0]) return installed.rows[0].extversion;
  try {
    // Savepoint: a refused CREATE EXTENSION must not abort the surrounding transaction.
    await client.query("SAVEPOINT basalt_vector_extension");
    await client.query("CREATE EXTENSION IF NOT EXISTS vector");
    await client.query("RELEASE SAVEPOINT basalt_vector_extension");
  } catch (error) {
    await client.query("ROLLBACK TO SAVEPOINT basalt_vector_extension");
    const code = (error as { code?: string }).code;
    const database = (await client.query<{ db: string; role: string }>("SELECT current_database() AS db, current_user AS role")).rows[0]!;
    const message =
      code === "42501"
        ? `The pgvector extension is not enabled in database '${database.db}', and role '${database.role}' may not enable it: a superuser must run CREATE EXTENSION vector in that database.`
        : code === "58P01" || code === "0A000"
          ? "The PostgreSQL server does not have pgvector installed: install it (Debian: postgresql-<version>-pgvector), then run CREATE EXTENSION vector."
          : `Could not enable the pgvector extension: ${(error as Error).message}`;
    throw new BasaltError("VALIDATION", message, { cause: error });
  }
  return (await client.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).rows[0]!.extversion;
}

interface Column {
  name: string;
  type: string;
}

async function columnsOf(client: pg.ClientBase, qualified: string): Promise<Map<string, string> | undefined> {
  const exists = await client.query<{ oid: string | null }>("SELECT to_regclass($1)::oid::text AS oid", [qualified]);
  if (!exists.rows[0]?.oid) return undefined;
  const rows = await client.query<Column>(
    "SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped",
    [exists.rows[0].oid],
  );
  return new Map(rows.rows.map((row) => [row.name, row.type]));
}

function checkColumns(columns: Map<string, string>, tableName: string, mapping: RdsFieldMapping, dimensions: number): void {
  const need = (field: keyof RdsFieldMapping, accepts: (type: string) => boolean, expected: string) => {
    const column = mapping[field];
    if (column === undefined) return;
    const type = columns.get(column);
    if (type === undefined) throw validation(`${FIELD_PATH}.${field}`, `table ${tableName} has no column '${column}'`);
    if (!accepts(type)) throw validation(`${FIELD_PATH}.${field}`, `column '${column}' of table ${tableName} is ${type}; expected ${expected}`);
  };
  need("primaryKeyField", (t) => t === "uuid" || t === "text" || t.startsWith("character varying"), "uuid");
  need("textField", (t) => t === "text" || t.startsWith("character varying"), "text");
  need("metadataField", (t) => t === "json" || t === "jsonb", "json or jsonb");
  need("customMetadataField", (t) => t === "jsonb" || t === "json", "jsonb");
  need("vectorField", (t) => /^vector\(\d+\)$/.test(t), `vector(${dimensions})`);
  const type = columns.get(mapping.vectorField)!;
  const actual = Number(/^vector\((\d+)\)$/.exec(type)![1]);
  if (actual !== dimensions) {
    throw validation(
      `${FIELD_PATH}.vectorField`,
      `column '${mapping.vectorField}' of table ${tableName} holds ${actual}-dimensional vectors, but the embedding model makes ${dimensions}-dimensional ones: use another table, or drop this one`,
    );
  }
}

interface IndexDefinition {
  schema: string;
  name: string;
  def: string;
}

async function indexDefinitions(client: pg.ClientBase, qualified: string): Promise<IndexDefinition[]> {
  const rows = await client.query<IndexDefinition>(
    "SELECT n.nspname AS schema, c.relname AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE i.indrelid = to_regclass($1)",
    [qualified],
  );
  return rows.rows;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** pg_get_indexdef quotes a column only where it must; accept both spellings. */
function columnPattern(column: string): string {
  return `(?:${escapeRegExp(column)}|"${escapeRegExp(column)}")`;
}

async function ensureIndexes(client: pg.ClientBase, name: TableName, mapping: RdsFieldMapping, columns: Map<string, string>, dimensions: number): Promise<Pick<TableInfo, "hnswIndex" | "textIndex">> {
  const table = quoteTableName(name);
  const defs = (await indexDefinitions(client, table)).map((index) => index.def);
  const has = (pattern: RegExp) => defs.some((def) => pattern.test(def));
  const vector = columnPattern(mapping.vectorField);
  const text = columnPattern(mapping.textField);
  const unique = has(new RegExp(`^CREATE UNIQUE INDEX .* USING btree \\(${columnPattern(mapping.primaryKeyField)}\\)$`));
  if (!unique) {
    throw validation(`${FIELD_PATH}.primaryKeyField`, `column '${mapping.primaryKeyField}' of table ${name.table} must be the primary key (or have a unique index)`);
  }
  const create = async (suffix: string, method: string, expression: string) =>
    client.query(`CREATE INDEX IF NOT EXISTS ${quoteIdentifier(indexName(name.table, suffix))} ON ${table} USING ${method} (${expression})`);
  let hnsw = has(new RegExp(`USING hnsw \\(${vector} vector_cosine_ops`));
  if (!hnsw && dimensions <= MAX_HNSW_DIMENSIONS) {
    await create("hnsw", "hnsw", `${quoteIdentifier(mapping.vectorField)} vector_cosine_ops`);
    hnsw = true;
  }
  const fullText = new RegExp(`USING gin \\(to_tsvector\\('simple'::regconfig, ${text}\\)\\)`);
  if (!has(fullText)) await create("fts", "gin", `to_tsvector('simple', ${quoteIdentifier(mapping.textField)})`);
  if (mapping.customMetadataField !== undefined) {
    const custom = columnPattern(mapping.customMetadataField);
    if (columns.get(mapping.customMetadataField) === "jsonb" && !has(new RegExp(`USING gin \\(${custom}( jsonb_path_ops)?\\)`))) {
      await create("custom_gin", "gin", quoteIdentifier(mapping.customMetadataField));
    }
  }
  const documentKey = `(${quoteIdentifier(mapping.metadataField)} ->> '${BOOKKEEPING.documentId}'::text)`;
  if (!defs.some((def) => def.includes(BOOKKEEPING.documentId))) await create("document", "btree", documentKey);
  const textIndex = (await indexDefinitions(client, table)).find((index) => fullText.test(index.def));
  return { hnswIndex: hnsw, ...(textIndex ? { textIndex: { schema: textIndex.schema, name: textIndex.name } } : {}) };
}

/**
 * Makes sure pgvector, the table and its indexes exist, and that an existing table fits the
 * mapping and dimension. Runs in one transaction under an advisory lock, so nodes opening the
 * same table together do not race on CREATE.
 */
export async function ensureTable(client: pg.ClientBase, name: TableName, mapping: RdsFieldMapping, dimensions: number): Promise<TableInfo> {
  const table = quoteTableName(name);
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`basalt:pgvector:${table}`]);
    const extensionVersion = await ensureExtension(client);
    let columns = await columnsOf(client, table);
    if (!columns) {
      if (name.schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(name.schema)}`);
      const custom = mapping.customMetadataField === undefined ? "" : `, ${quoteIdentifier(mapping.customMetadataField)} jsonb`;
      await client.query(
        `CREATE TABLE ${table} (${quoteIdentifier(mapping.primaryKeyField)} uuid PRIMARY KEY, ${quoteIdentifier(mapping.vectorField)} vector(${dimensions}) NOT NULL, ` +
          `${quoteIdentifier(mapping.textField)} text NOT NULL, ${quoteIdentifier(mapping.metadataField)} json NOT NULL${custom})`,
      );
      columns = (await columnsOf(client, table))!;
    }
    checkColumns(columns, name.table, mapping, dimensions);
    const indexes = await ensureIndexes(client, name, mapping, columns, dimensions);
    await client.query("COMMIT");
    const filterColumnType = columns.get(mapping.customMetadataField ?? mapping.metadataField) === "jsonb" ? "jsonb" : "json";
    return { extensionVersion, iterativeScan: versionAtLeast(extensionVersion, 0, 8), filterColumnType, ...indexes };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
