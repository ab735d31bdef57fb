// Validation shared by every object store, so a key or metadata that one store accepts every
// store accepts. The rules are S3's limits plus what keeps a key safe as a path on disk.
import { validation } from "../../spec/errors.ts";
import type { ByteRange, PutObjectOptions } from "./object-store.ts";

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** S3's limit on user metadata: keys and values together, in UTF-8 bytes. */
export const MAX_METADATA_BYTES = 2048;
/** Objects per list page at most (S3's page size). */
export const MAX_LIST_KEYS = 1000;

// Control characters break HTTP headers and XML 1.0 listings; a backslash is a path separator on Windows.
const FORBIDDEN_KEY_CHARS = /[\u0000-\u001f\u007f\\]/;
const METADATA_KEY = /^[a-z0-9][a-z0-9._-]*$/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Whether a string survives UTF-8 encoding unchanged (no lone surrogates). */
function isWellFormed(text: string): boolean {
  return Buffer.from(text, "utf8").toString("utf8") === text;
}

/** Checks an object key and returns it: relative, `/`-separated, no `.`/`..`/empty segments, ≤ 1024 bytes. */
export function validateObjectKey(key: string, field = "key"): string {
  if (typeof key !== "string" || key.length === 0) throw validation(field, "an object key must not be empty");
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) throw validation(field, `an object key has at most ${MAX_KEY_BYTES} UTF-8 bytes`);
  if (!isWellFormed(key)) throw validation(field, "an object key must be well-formed Unicode");
  if (FORBIDDEN_KEY_CHARS.test(key)) throw validation(field, "an object key must not contain control characters or backslashes");
  if (key.startsWith("/")) throw validation(field, "an object key must be relative (no leading /)");
  for (const segment of key.split("/")) {
    if (segment === "") throw validation(field, "an object key must not have empty segments (// or a trailing /)");
    if (segment === "." || segment === "..") throw validation(field, "an object key must not contain . or .. segments");
  }
  return key;
}

/** Checks a list prefix: any start of a valid key (it may end in `/`). */
export function validatePrefix(prefix: string, field = "prefix"): string {
  if (prefix === "") return prefix;
  if (Buffer.byteLength(prefix, "utf8") > MAX_KEY_BYTES) throw validation(field, `a prefix has at most ${MAX_KEY_BYTES} UTF-8 bytes`);
  if (!isWellFormed(prefix) || FORBIDDEN_KEY_CHARS.test(prefix)) throw validation(field, "a prefix must be well-formed Unicode without control characters or backslashes");
  return prefix;
}

/** Checks put options: content type, metadata keys and values, total metadata size. */
export function validatePutOptions(options: PutObjectOptions = {}): { contentType: string; metadata: Record<string, string> } {
  const contentType = options.contentType ?? "application/octet-stream";
  if (!/^[\x20-\x7e]{1,256}$/.test(contentType)) throw validation("contentType", "a content type is 1 to 256 printable ASCII characters");
  const metadata: Record<string, string> = {};
  let bytes = 0;
  for (const [name, value] of Object.entries(options.metadata ?? {})) {
    // Lowercase only: S3 lowercases header names, so a mixed-case key would not read back as written.
    if (!METADATA_KEY.test(name)) throw validation(`metadata.${name}`, "metadata keys are lowercase letters, digits, '.', '_' and '-'");
    if (typeof value !== "string" || !isWellFormed(value) || CONTROL_CHARS.test(value)) {
      throw validation(`metadata.${name}`, "metadata values are well-formed strings without control characters");
    }
    bytes += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value, "utf8");
    metadata[name] = value;
  }
  if (bytes > MAX_METADATA_BYTES) throw validation("metadata", `user metadata has at most ${MAX_METADATA_BYTES} bytes in all`);
  return { contentType, metadata };
}

/** Checks a byte range's shape; whether it fits the object is the store's to say. */
export function validateRange(range: ByteRange): ByteRange {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) throw validation("range.start", "must be a non-negative integer");
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) throw validation("range.end", "must be an integer no less than range.start");
  return range;
}

/** Checks a page size. */
export function validateMaxKeys(maxKeys: number | undefined): number {
  if (maxKeys === undefined) return MAX_LIST_KEYS;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1 || maxKeys > MAX_LIST_KEYS) throw validation("maxKeys", `must be an integer from 1 to ${MAX_LIST_KEYS}`);
  return maxKeys;
}

/** Orders keys as S3 lists them: by their UTF-8 bytes (which differs from JS string order above U+FFFF). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
