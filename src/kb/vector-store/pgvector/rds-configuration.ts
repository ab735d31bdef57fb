// Bedrock's `storageConfiguration.rdsConfiguration` (Aurora PostgreSQL with pgvector): its wire
// shape, validated with exact field paths, and the SQL identifiers it names. Table and column
// names end up in SQL as quoted identifiers, so they are held to a strict pattern here and
// quoted again where they are used; values always travel as parameters.
import { validation } from "../../../spec/errors.ts";

/** Column names of the vector table, as Bedrock's `RdsFieldMapping` names them. */
export interface RdsFieldMapping {
  /** `uuid` primary key. */
  primaryKeyField: string;
  /** `vector(n)`: the chunk's embedding. */
  vectorField: string;
  /** `text`: the chunk's text, also indexed for full-text search. */
  textField: string;
  /** `json`: Bedrock's (and Basalt's) own metadata about the chunk. */
  metadataField: string;
  /** `jsonb`: the filterable metadata; without it, filters read `metadataField`. */
  customMetadataField?: string;
}

/** A validated `rdsConfiguration`. */
export interface RdsConfiguration {
  resourceArn: string;
  credentialsSecretArn: string;
  databaseName: string;
  /** `table` or `schema.table`. */
  tableName: string;
  fieldMapping: RdsFieldMapping;
}

/** One SQL identifier as Basalt accepts it (stricter than Bedrock's `[a-zA-Z0-9_\-]+`). */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** PostgreSQL's NAMEDATALEN - 1. */
export const MAX_IDENTIFIER_LENGTH = 63;

// Bedrock's own patterns (API reference, RdsConfiguration).
const RESOURCE_ARN = /^arn:aws(|-cn|-us-gov):rds:[a-zA-Z0-9-]*:[0-9]{12}:cluster:[a-zA-Z0-9-]{1,63}$/;
const SECRET_ARN = /^arn:aws(|-cn|-us-gov):secretsmanager:[a-z0-9-]{1,20}:([0-9]{12}|):secret:[a-zA-Z0-9!/_+=.@-]{1,512}$/;
const DATABASE_NAME = /^[a-zA-Z0-9_-]{1,63}$/;

const FIELDS = ["primaryKeyField", "vectorField", "textField", "metadataField", "customMetadataField"] as const;

/** A table name split into its optional schema and the table. */
export interface TableName {
  schema?: string;
  table: string;
}

function isIdentifier(value: string): boolean {
  return IDENTIFIER_PATTERN.test(value) && value.length <= MAX_IDENTIFIER_LENGTH;
}

/** Checks one column name; throws a ValidationException naming `path`. */
export function checkIdentifier(value: unknown, path: string): string {
  if (value === undefined || value === null) throw validation(path, "Member must not be null");
  if (typeof value !== "string" || !isIdentifier(value)) {
    throw validation(path, `Member must be a SQL identifier of 1 to ${MAX_IDENTIFIER_LENGTH} characters matching ${IDENTIFIER_PATTERN.source}`);
  }
  return value;
}

/** Checks and splits `table` or `schema.table`; throws a ValidationException naming `path`. */
export function parseTableName(value: unknown, path: string): TableName {
  if (value === undefined || value === null) throw validation(path, "Member must not be null");
  const parts = typeof value === "string" ? value.split(".") : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every(isIdentifier)) {
    throw validation(path, `Member must be a table name, optionally schema-qualified (schema.table), each part matching ${IDENTIFIER_PATTERN.source} and at most ${MAX_IDENTIFIER_LENGTH} characters`);
  }
  return parts.length === 2 ? { schema: parts[0]!, table: parts[1]! } : { table: parts[0]! };
}

/** Quotes an identifier for SQL (doubling any quote, although validated names have none). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The quoted, possibly schema-qualified table name. */
export function quoteTableName(name: TableName): string {
  return name.schema === undefined ? quoteIdentifier(name.table) : `${quoteIdentifier(name.schema)}.${quoteIdentifier(name.table)}`;
}

/** Validates a field mapping: every name an identifier, no two fields on one column. */
export function parseFieldMapping(input: unknown, path: string): RdsFieldMapping {
  if (input === undefined || input === null) throw validation(path, "Member must not be null");
  if (!input || typeof input !== "object" || Array.isArray(input)) throw validation(path, "Member must be an object");
  const raw = input as Record<string, unknown>;
  const mapping: RdsFieldMapping = {
    primaryKeyField: checkIdentifier(raw.primaryKeyField, `${path}.primaryKeyField`),
    vectorField: checkIdentifier(raw.vectorField, `${path}.vectorField`),
    textField: checkIdentifier(raw.textField, `${path}.textField`),
    metadataField: checkIdentifier(raw.metadataField, `${path}.metadataField`),
  };
  if (raw.customMetadataField !== undefined && raw.customMetadataField !== null) {
    mapping.customMetadataField = checkIdentifier(raw.customMetadataField, `${path}.customMetadataField`);
  }
  // PostgreSQL folds nothing here (names are quoted), so only exact duplicates collide.
  const seen = new Map<string, string>();
  for (const field of FIELDS) {
    const column = mapping[field];
    if (column === undefined) continue;
    const other = seen.get(column);
    if (other) throw validation(`${path}.${field}`, `Member must name a column other than ${other}'s ('${column}')`);
    seen.set(column, field);
  }
  return mapping;
}

function requireString(raw: Record<string, unknown>, key: string, path: string, pattern: RegExp): string {
  const value = raw[key];
  if (value === undefined || value === null) throw validation(`${path}.${key}`, "Member must not be null");
  if (typeof value !== "string" || !pattern.test(value)) {
    throw validation(`${path}.${key}`, `Member must satisfy regular expression pattern: ${pattern.source}`);
  }
  return value;
}

/**
 * Validates `storageConfiguration.rdsConfiguration` as it arrives on the wire. Errors name the
 * offending field, e.g. `storageConfiguration.rdsConfiguration.fieldMapping.vectorField`.
 */
export function parseRdsConfiguration(input: unknown, path = "storageConfiguration.rdsConfiguration"): RdsConfiguration {
  if (!input || typeof input !== "object" || Array.isArray(input)) throw validation(path, "Member must be an object");
  const raw = input as Record<string, unknown>;
  const resourceArn = requireString(raw, "resourceArn", path, RESOURCE_ARN);
  const credentialsSecretArn = requireString(raw, "credentialsSecretArn", path, SECRET_ARN);
  const databaseName = requireString(raw, "databaseName", path, DATABASE_NAME);
  parseTableName(raw.tableName, `${path}.tableName`);
  const fieldMapping = parseFieldMapping(raw.fieldMapping, `${path}.fieldMapping`);
  return { resourceArn, credentialsSecretArn, databaseName, tableName: raw.tableName as string, fieldMapping };
}
