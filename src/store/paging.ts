// Opaque page tokens for the store's lists: keyset pagination (the last row's sort key, encoded),
// so a page never skips or repeats rows when others are inserted or deleted meanwhile.
import { validation } from "../spec/errors.ts";

/** A position in a list: the sort key of the last row of a page. */
export type PageKey = Array<string | number>;

/** The token for the page after `key`. */
export function encodePageToken(scope: string, key: PageKey): string {
  return Buffer.from(JSON.stringify([scope, ...key]), "utf8").toString("base64url");
}

/**
 * The key inside a token this list (`scope`) returned, checked against `shape` (the type of each
 * part); anything else is Bedrock's ValidationException on `nextToken`.
 */
export function decodePageToken(scope: string, token: string, shape: ReadonlyArray<"string" | "number">): PageKey {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parts = undefined;
  }
  const valid =
    Array.isArray(parts) &&
    parts.length === shape.length + 1 &&
    parts[0] === scope &&
    shape.every((type, i) => typeof parts[i + 1] === type);
  if (!valid) throw validation("nextToken", "must be a token returned by the previous call of this operation");
  return (parts as unknown[]).slice(1) as PageKey;
}
