// Parsing of the SigV4 `Authorization` header and the `x-amz-date` timestamp. Failures use
// the wording AWS uses for the same mistakes, so a misconfigured client reads familiar text.
import { authFailure, type AuthFailure } from "./auth-errors.ts";

/** The SigV4 algorithm Basalt verifies (SigV4a's ECDSA variant is not accepted). */
export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";

/** The parts of a SigV4 `Authorization` header. */
export interface SigV4Authorization {
  accessKeyId: string;
  /** YYYYMMDD from the credential scope. */
  scopeDate: string;
  region: string;
  service: string;
  /** `date/region/service/aws4_request`. */
  scope: string;
  /** Lower-case header names, in the order the client listed them. */
  signedHeaders: string[];
  /** 64 lower-case hex digits. */
  signature: string;
}

const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;
const HEADER_NAME_PATTERN = /^:?[a-z0-9!#$%&'*+.^_`|~-]+$/;
const SCOPE_DATE_PATTERN = /^\d{8}$/;
const AMZ_DATE_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
export function parseSigV4Authorization(header: string): SigV4Authorization | AuthFailure {
  const trimmed = header.trim();
  const space = trimmed.indexOf(" ");
  const algorithm = space === -1 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    return authFailure("malformed", "INCOMPLETE_SIGNATURE", `Unsupported AWS 'algorithm': '${truncate(algorithm)}'. Use ${SIGV4_ALGORITHM}.`);
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(space + 1).split(",")) {
    const item = part.trim();
    if (!item) continue;
    const eq = item.indexOf("=");
    if (eq <= 0) return authFailure("malformed", "INCOMPLETE_SIGNATURE", `Authorization header requires each component to be of the form key=value, got '${truncate(item)}'.`);
    fields.set(item.slice(0, eq), item.slice(eq + 1));
  }
  const missing = ["Credential", "SignedHeaders", "Signature"].filter((name) => !fields.get(name));
  if (missing.length > 0) {
    return authFailure("malformed", "INCOMPLETE_SIGNATURE", missing.map((name) => `Authorization header requires '${name}' parameter.`).join(" "));
  }
  const credential = fields.get("Credential")!.split("/");
  if (credential.length !== 5 || credential.some((piece) => piece === "")) {
    return authFailure("malformed", "INCOMPLETE_SIGNATURE", "Credential must have the form <AccessKeyId>/<YYYYMMDD>/<region>/<service>/aws4_request.");
  }
  const [accessKeyId, scopeDate, region, service, terminator] = credential as [string, string, string, string, string];
  if (terminator !== "aws4_request") {
    return authFailure("malformed", "INVALID_SIGNATURE", `Credential should be scoped with a valid terminator: 'aws4_request', not '${truncate(terminator)}'.`);
  }
  if (!SCOPE_DATE_PATTERN.test(scopeDate)) {
    return authFailure("malformed", "INCOMPLETE_SIGNATURE", `Credential date '${truncate(scopeDate)}' must be of the form YYYYMMDD.`);
  }
  const signedHeaders = fields.get("SignedHeaders")!.split(";");
  const badHeader = signedHeaders.find((name) => !HEADER_NAME_PATTERN.test(name));
  if (badHeader !== undefined) {
    return authFailure("malformed", "INCOMPLETE_SIGNATURE", `SignedHeaders must be lower-case header names separated by ';', got '${truncate(badHeader)}'.`);
  }
  const signature = fields.get("Signature")!;
  if (!SIGNATURE_PATTERN.test(signature)) {
    return authFailure("malformed", "INCOMPLETE_SIGNATURE", "Signature must be 64 lower-case hexadecimal digits.");
  }
  return { accessKeyId, scopeDate, region, service, scope: `${scopeDate}/${region}/${service}/aws4_request`, signedHeaders, signature };
}

/** Parses an ISO 8601 basic timestamp (`20261122T101500Z`) to epoch milliseconds. */
export function parseAmzDate(value: string): number | undefined {
  const m = AMZ_DATE_PATTERN.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 20261340 over into a later month; a real timestamp round-trips.
  return formatAmzDate(ms) === value ? ms : undefined;
}

/** Formats epoch milliseconds as an ISO 8601 basic timestamp (`20261122T101500Z`). */
export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

function truncate(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}
