// The SigV4 canonical request rebuilt from what arrived on the wire. The rules mirror the
// signer in @smithy/signature-v4 (what every AWS SDK for JavaScript uses) and AWS's
// documented algorithm for services other than S3:
// - the canonical URI is the wire path, dot-segments and empty segments removed, then
//   percent-encoded once more (`%3A` in the path becomes `%253A`, bedrock-wire.md §1.2);
// - the query is decoded, re-encoded with RFC 3986 rules and sorted (smithy's own code);
// - header values are trimmed and inner runs of spaces collapsed.
import { createHash } from "node:crypto";
import { getCanonicalQuery } from "@smithy/signature-v4";

/** Request headers as Node gives them, over HTTP/1.1 and HTTP/2 alike. */
export type WireHeaders = Record<string, string | string[] | undefined>;

/** What the canonical request is built from. */
export interface CanonicalInput {
  method: string;
  /** The request target as it arrived: path and query, still percent-encoded. */
  url: string;
  headers: WireHeaders;
  /** Lower-case names from the Authorization header's SignedHeaders. */
  signedHeaders: string[];
  /** Hex SHA-256 of the payload, or the literal the client put in x-amz-content-sha256. */
  payloadHash: string;
}

/** The hex SHA-256 of an empty payload. */
export const EMPTY_PAYLOAD_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** Hex SHA-256 of a payload. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Builds the canonical request string. */
export function canonicalRequest(input: CanonicalInput): string {
  const queryAt = input.url.indexOf("?");
  const path = queryAt === -1 ? input.url : input.url.slice(0, queryAt);
  const query = queryAt === -1 ? "" : input.url.slice(queryAt + 1);
  const headerLines = input.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(headerValue(input.headers, name))}`);
  return [
    input.method.toUpperCase(),
    canonicalUri(path),
    canonicalQueryString(query),
    ...headerLines,
    "",
    input.signedHeaders.join(";"),
    input.payloadHash,
  ].join("\n");
}

/** The canonical URI: normalized segments, each character encoded again, slashes kept. */
export function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith("/") ? "/" : "";
  const normalized = `${path.startsWith("/") ? "/" : ""}${segments.join("/")}${trailing}`;
  return escapeUri(normalized).replace(/%2F/g, "/");
}

/** The canonical query string: decoded pairs, re-encoded and sorted. */
export function canonicalQueryString(query: string): string {
  if (!query) return "";
  const bag: Record<string, string | string[]> = Object.create(null);
  for (const pair of query.split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const key = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? "" : decode(pair.slice(eq + 1));
    const existing = bag[key];
    if (existing === undefined) bag[key] = value;
    else bag[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return getCanonicalQuery({ query: bag } as unknown as Parameters<typeof getCanonicalQuery>[0]);
}

/**
 * The value of a signed header. A proxy that turns HTTP/2 into HTTP/1.1 rewrites
 * `:authority` into `Host` (and back), so each stands in for the other when absent.
 */
export function headerValue(headers: WireHeaders, name: string): string | undefined {
  let value = own(headers, name);
  if (value === undefined && name === "host") value = own(headers, ":authority");
  if (value === undefined && name === ":authority") value = own(headers, "host");
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(",") : value;
}

function own(headers: WireHeaders, name: string): string | string[] | undefined {
  return Object.hasOwn(headers, name) ? headers[name] : undefined;
}

function canonicalHeaderValue(value: string | undefined): string {
  if (value === undefined) return "";
  return value.replace(/[\r\n]/g, " ").replace(/[ \t]+/g, " ").replace(/^ | $/g, "");
}

/** RFC 3986 encoding as AWS uses it: encodeURIComponent plus `!'()*`. */
export function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // A malformed escape cannot have come from an AWS signer; keep it raw so the
    // signature simply fails to match instead of throwing.
    return value;
  }
}
