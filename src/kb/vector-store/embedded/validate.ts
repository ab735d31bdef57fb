// Input checks of the embedded store, done before any write so a bad batch stores nothing.
// Each error is a ValidationException naming the offending field.
import { validation } from "../../../spec/errors.ts";
import type { SearchQuery, StoredChunk } from "../vector-store.ts";

/** Largest k a search accepts (Bedrock's numberOfResults stops at 100; hybrid asks for more). */
export const MAX_K = 10_000;

const SEARCH_MODES = ["SEMANTIC", "LEXICAL", "HYBRID"] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks a vector's type, length and values. */
export function checkVector(vector: unknown, dimensions: number, field: string): Float32Array {
  if (!(vector instanceof Float32Array)) throw validation(field, "must be a Float32Array");
  if (vector.length !== dimensions) throw validation(field, `must have ${dimensions} dimensions (the index's), got ${vector.length}`);
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i]!)) throw validation(`${field}[${i}]`, "must be a finite number");
  }
  return vector;
}

function checkString(value: unknown, field: string, allowEmpty = false): void {
  if (typeof value !== "string" || (!allowEmpty && value.length === 0)) throw validation(field, allowEmpty ? "must be a string" : "must be a non-empty string");
}

/** Checks a batch of chunks and returns it with repeated ids collapsed (the last one wins). */
export function checkChunks(chunks: readonly StoredChunk[], dimensions: number): StoredChunk[] {
  if (!Array.isArray(chunks)) throw validation("chunks", "must be a list");
  chunks.forEach((chunk, i) => {
    const at = `chunks[${i}]`;
    if (!isPlainObject(chunk)) throw validation(at, "must be an object");
    checkString(chunk.id, `${at}.id`);
    checkString(chunk.documentId, `${at}.documentId`);
    checkString(chunk.dataSourceId, `${at}.dataSourceId`, true);
    checkString(chunk.text, `${at}.text`, true);
    checkString(chunk.sourceUri, `${at}.sourceUri`, true);
    if (!isPlainObject(chunk.metadata)) throw validation(`${at}.metadata`, "must be an object");
    if (chunk.parent !== undefined) {
      if (!isPlainObject(chunk.parent)) throw validation(`${at}.parent`, "must be an object with id and text");
      checkString(chunk.parent.id, `${at}.parent.id`);
      checkString(chunk.parent.text, `${at}.parent.text`, true);
    }
    checkVector(chunk.vector, dimensions, `${at}.vector`);
  });
  const byId = new Map<string, StoredChunk>();
  for (const chunk of chunks) {
    byId.delete(chunk.id);
    byId.set(chunk.id, chunk);
  }
  return [...byId.values()];
}

/** Checks a list of document ids and returns it without repeats. */
export function checkDocumentIds(documentIds: readonly string[]): string[] {
  if (!Array.isArray(documentIds)) throw validation("documentIds", "must be a list");
  documentIds.forEach((id, i) => checkString(id, `documentIds[${i}]`));
  return [...new Set(documentIds)];
}

/** Checks a search: mode, k, and the vector or text the mode needs. */
export function checkQuery(query: SearchQuery, dimensions: number): void {
  if (!isPlainObject(query)) throw validation("query", "must be an object");
  if (!SEARCH_MODES.includes(query.mode)) throw validation("query.mode", `must be one of ${SEARCH_MODES.join(", ")}`);
  if (!Number.isInteger(query.k) || query.k < 1 || query.k > MAX_K) throw validation("query.k", `must be an integer from 1 to ${MAX_K}`);
  if (query.mode !== "LEXICAL") {
    if (query.vector === undefined) throw validation("query.vector", `is required for ${query.mode} search`);
    checkVector(query.vector, dimensions, "query.vector");
  }
  if (query.mode !== "SEMANTIC" && typeof query.text !== "string") throw validation("query.text", `is required for ${query.mode} search`);
}
