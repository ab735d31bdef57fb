// Secret redaction for anything written to logs: values under secret-looking keys, and
// secret-looking substrings anywhere (a user may paste a key into a prompt). Patterns err on
// the side of redacting: a log that hides a harmless token costs less than one that leaks a key.

/** What a redacted value becomes. */
export const REDACTED = "[REDACTED]";

/** Object keys whose values are always secrets (headers, SDK fields, config names). */
const SECRET_KEY =
  /^(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[-_]?key|apikey|x-amz-security-token|x-amz-signature|(?:aws[-_]?)?secret(?:[-_]?access[-_]?key)?|client[-_]?secret|(?:aws[-_]?)?session[-_]?token|access[-_]?token|refresh[-_]?token|id[-_]?token|password|passwd|private[-_]?key)$/i;

/** Secret-looking substrings; each keeps an identifying prefix (group 1) where it has one. */
const SECRET_PATTERNS: RegExp[] = [
  // AWS access key ids (long-term AKIA, temporary ASIA, and the other IAM unique-id prefixes).
  /\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA))[A-Z0-9]{16}\b/g,
  // An AWS secret access key next to its name, in any config or env syntax.
  /((?:aws_?)?secret_?access_?key["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}/gi,
  // Authorization header values: SigV4, Bearer, Basic.
  /(AWS4-HMAC-SHA256\s+)[^\n"]+/g,
  /\b((?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  // Provider keys: OpenAI and Anthropic (sk-…), GitHub, Slack, Google.
  /\b(sk-)[A-Za-z0-9_-]{16,}/g,
  /\b(gh[pousr]_)[A-Za-z0-9]{30,}/g,
  /\b(xox[abprs]-)[A-Za-z0-9-]{10,}/g,
  /\b(AIza)[0-9A-Za-z_-]{35}\b/g,
  // JSON Web Tokens.
  /\b(eyJ)[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g,
  // PEM private keys.
  /(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  // name=value / name: value for secret-sounding names.
  /\b((?:api[_-]?key|apikey|access[_-]?token|auth[_-]?token|secret|password|passwd|token)["']?\s*[:=]\s*["']?)[^\s"',;]{6,}/gi,
];

/** Replaces secret-looking substrings of a string. */
export function redactString(text: string, extra: readonly RegExp[] = []): string {
  let out = text;
  for (const pattern of [...SECRET_PATTERNS, ...extra]) {
    out = out.replace(pattern, (...match: unknown[]) => {
      const prefix = typeof match[1] === "string" ? match[1] : "";
      return `${prefix}${REDACTED}`;
    });
  }
  return out;
}

/** Whether an object key names a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A deep copy of a JSON value with secrets redacted (keys by name, strings by pattern). */
export function redactSecrets<T>(value: T, extra: readonly RegExp[] = []): T {
  return walk(value, extra) as T;
}

function walk(value: unknown, extra: readonly RegExp[]): unknown {
  if (typeof value === "string") return redactString(value, extra);
  if (Array.isArray(value)) return value.map((item) => walk(item, extra));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = isSecretKey(key) && item !== null && item !== undefined && item !== "" ? REDACTED : walk(item, extra);
    }
    return out;
  }
  return value;
}
