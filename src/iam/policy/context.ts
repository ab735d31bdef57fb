// Request contexts: the condition keys a request carries. Keys compare case-insensitively,
// as in IAM; values become strings (dates as ISO 8601, booleans as true/false).
import type { ContextValue, RequestContext } from "./types.ts";

/** A context ready for evaluation: lower-case keys, string values. */
export type NormalizedContext = ReadonlyMap<string, readonly string[]>;

/** Normalizes a request context; undefined values are dropped (the key is absent). */
export function normalizeContext(context: RequestContext = {}): NormalizedContext {
  const out = new Map<string, string[]>();
  for (const [key, raw] of Object.entries(context)) {
    if (raw === undefined) continue;
    const values = (Array.isArray(raw) ? raw : [raw]) as readonly ContextValue[];
    const name = key.toLowerCase();
    out.set(name, [...(out.get(name) ?? []), ...values.map(contextString)]);
  }
  return out;
}

/** What Basalt knows about a request when it authorizes it. */
export interface StandardContextInput {
  now: Date;
  sourceIp?: string;
  principalArn?: string;
  accountId?: string;
  /** The principal's tags, exposed as aws:PrincipalTag/<key>. */
  principalTags?: Record<string, string>;
  /** Region the server answers for (aws:RequestedRegion). */
  region?: string;
  /** Whether the request came over TLS. */
  secureTransport?: boolean;
  /** Service-specific keys, e.g. `bedrock:InferenceProfileArn`. */
  extra?: RequestContext;
}

/** Builds the global condition keys AWS puts in every request context. */
export function standardContext(input: StandardContextInput): RequestContext {
  const context: RequestContext = {
    "aws:CurrentTime": input.now,
    "aws:EpochTime": Math.floor(input.now.getTime() / 1000),
    "aws:SourceIp": input.sourceIp,
    "aws:PrincipalArn": input.principalArn,
    "aws:PrincipalAccount": input.accountId,
    "aws:RequestedRegion": input.region,
    "aws:SecureTransport": input.secureTransport,
  };
  for (const [key, value] of Object.entries(input.principalTags ?? {})) context[`aws:PrincipalTag/${key}`] = value;
  return { ...context, ...input.extra };
}

function contextString(value: ContextValue): string {
  if (value instanceof Date) return value.toISOString();
  return String(value);
}
