// Verifies AWS Signature Version 4 on requests that arrive over HTTP/1.1 or HTTP/2, as AWS
// does: the canonical request is rebuilt from the wire (sigv4-canonical.ts), the signing key
// is derived with @smithy/signature-v4 from the secret a lookup returns, and the signatures
// are compared in constant time. On top of AWS: the payload hash the client declared must
// match the body, and a signature is accepted once (replay-cache.ts).
import { createHmac, timingSafeEqual } from "node:crypto";
import { Hash } from "@smithy/hash-node";
import { getSigningKey } from "@smithy/signature-v4";
import { authFailure, INVALID_TOKEN_MESSAGE, SIGNATURE_MISMATCH_MESSAGE, type AuthFailure } from "./auth-errors.ts";
import { ReplayCache, type ReplayGuard } from "./replay-cache.ts";
import { canonicalRequest, headerValue, sha256Hex, type WireHeaders } from "./sigv4-canonical.ts";
import { formatAmzDate, parseAmzDate, parseSigV4Authorization, SIGV4_ALGORITHM } from "./sigv4-parse.ts";

/** The request as the verifier needs it; Node's `req` supplies all but the body. */
export interface AuthRequest {
  method: string;
  /** The request target exactly as received (`req.url`; `:path` over HTTP/2). */
  url: string;
  headers: WireHeaders;
  /** The whole body (empty for a GET). */
  body: Uint8Array;
}

/** Finds the secret of an access key; undefined for an unknown or inactive key. */
export type SecretLookup = (accessKeyId: string) => Promise<string | undefined> | string | undefined;

/** Options of {@link SigV4Verifier}. */
export interface SigV4VerifierOptions {
  /** The region this server answers for; a credential scoped to another is refused. */
  region: string;
  lookupSecret: SecretLookup;
  /** Signing name; every Bedrock client signs with `bedrock`. */
  service?: string;
  /** Allowed difference between x-amz-date and the server clock (AWS: 15 minutes). */
  maxSkewMs?: number;
  /** Where used signatures are remembered; an in-memory cache by default. */
  replayGuard?: ReplayGuard;
  now?: () => number;
}

/** A request whose signature verified. */
export interface SigV4Success {
  ok: true;
  accessKeyId: string;
}

/** The outcome of {@link SigV4Verifier.verify}. */
export type SigV4Result = SigV4Success | AuthFailure;

const MINUTE = 60_000;
const PAYLOAD_HASH_PATTERN = /^[0-9a-f]{64}$/;

// The SDK's checksum constructor shape: `new Sha256(secret?)` gives an HMAC, else a hash.
class Sha256 extends Hash {
  constructor(secret?: ConstructorParameters<typeof Hash>[1]) {
    super("sha256", secret);
  }
}

/** Verifies SigV4-signed requests against keys from a {@link SecretLookup}. */
export class SigV4Verifier {
  private readonly region: string;
  private readonly service: string;
  private readonly lookupSecret: SecretLookup;
  private readonly maxSkewMs: number;
  private readonly replayGuard: ReplayGuard;
  private readonly now: () => number;

  constructor(options: SigV4VerifierOptions) {
    this.region = options.region;
    this.service = options.service ?? "bedrock";
    this.lookupSecret = options.lookupSecret;
    this.maxSkewMs = options.maxSkewMs ?? 15 * MINUTE;
    this.now = options.now ?? Date.now;
    this.replayGuard = options.replayGuard ?? new ReplayCache({ now: this.now });
  }

  /** Whether the request carries a SigV4 Authorization header (as opposed to a bearer token or none). */
  static isSigV4(headers: WireHeaders): boolean {
    return headerValue(headers, "authorization")?.trimStart().startsWith(SIGV4_ALGORITHM) ?? false;
  }

  /** Verifies one request; never throws for anything the client sent. */
  async verify(request: AuthRequest): Promise<SigV4Result> {
    const header = headerValue(request.headers, "authorization");
    if (!header) return authFailure("missing", "MISSING_AUTHENTICATION", "Missing Authentication Token");
    const auth = parseSigV4Authorization(header);
    if ("ok" in auth) return auth;

    if (headerValue(request.headers, "x-amz-security-token") !== undefined) {
      return authFailure("session-token", "UNRECOGNIZED_CLIENT", `${INVALID_TOKEN_MESSAGE} Basalt issues no temporary credentials; sign with an access key pair and no session token.`);
    }
    if (auth.service !== this.service) {
      return authFailure("wrong-service", "INVALID_SIGNATURE", `Credential should be scoped to correct service: '${this.service}'.`);
    }
    if (auth.region !== this.region) {
      return authFailure("wrong-region", "INVALID_SIGNATURE", `Credential should be scoped to a valid region, not '${auth.region}'. This endpoint serves '${this.region}'.`);
    }
    if (!auth.signedHeaders.includes("host") && !auth.signedHeaders.includes(":authority")) {
      return authFailure("malformed", "INCOMPLETE_SIGNATURE", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    }
    // An unsigned date could be moved forward to replay an old request.
    if (!auth.signedHeaders.includes("x-amz-date")) {
      return authFailure("malformed", "INCOMPLETE_SIGNATURE", "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
    }

    const amzDate = headerValue(request.headers, "x-amz-date");
    if (amzDate === undefined) {
      return authFailure("malformed", "INCOMPLETE_SIGNATURE", "Authorization header requires existence of a 'X-Amz-Date' header.");
    }
    const signedAt = parseAmzDate(amzDate);
    if (signedAt === undefined) {
      return authFailure("malformed", "INCOMPLETE_SIGNATURE", "X-Amz-Date must have the form YYYYMMDD'T'HHMMSS'Z'.");
    }
    if (amzDate.slice(0, 8) !== auth.scopeDate) {
      return authFailure("scope-date", "INVALID_SIGNATURE", `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
    }
    const skew = this.skewFailure(amzDate, signedAt);
    if (skew) return skew;

    const payloadHash = this.payloadHash(request);
    if (typeof payloadHash !== "string") return payloadHash;

    const secret = await this.lookupSecret(auth.accessKeyId);
    if (secret === undefined) return authFailure("unknown-key", "UNRECOGNIZED_CLIENT", INVALID_TOKEN_MESSAGE);

    const canonical = canonicalRequest({ method: request.method, url: request.url, headers: request.headers, signedHeaders: auth.signedHeaders, payloadHash });
    const stringToSign = [SIGV4_ALGORITHM, amzDate, auth.scope, sha256Hex(canonical)].join("\n");
    const key = await getSigningKey(Sha256, { accessKeyId: auth.accessKeyId, secretAccessKey: secret }, auth.scopeDate, auth.region, auth.service);
    const expected = createHmac("sha256", key).update(stringToSign).digest();
    if (!timingSafeEqual(expected, Buffer.from(auth.signature, "hex"))) {
      return authFailure("signature-mismatch", "INVALID_SIGNATURE", SIGNATURE_MISMATCH_MESSAGE);
    }

    // Recorded only once verified, so unauthenticated traffic cannot fill the cache.
    if (await this.replayGuard.checkAndRecord(auth.signature, signedAt + this.maxSkewMs)) {
      return authFailure("replayed", "INVALID_SIGNATURE", "This request signature has already been used. Sign every request anew; the AWS SDKs do.");
    }
    return { ok: true, accessKeyId: auth.accessKeyId };
  }

  private skewFailure(amzDate: string, signedAt: number): AuthFailure | undefined {
    const now = this.now();
    const minutes = Math.round(this.maxSkewMs / MINUTE);
    if (now - signedAt > this.maxSkewMs) {
      return authFailure("expired", "INVALID_SIGNATURE", `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - this.maxSkewMs)} (${formatAmzDate(now)} - ${minutes} min.)`);
    }
    if (signedAt - now > this.maxSkewMs) {
      return authFailure("not-yet-valid", "INVALID_SIGNATURE", `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + this.maxSkewMs)} (${formatAmzDate(now)} + ${minutes} min.)`);
    }
    return undefined;
  }

  /** The payload hash to sign with: the declared one, checked against the body, else the body's. */
  private payloadHash(request: AuthRequest): string | AuthFailure {
    const actual = sha256Hex(request.body);
    const declared = headerValue(request.headers, "x-amz-content-sha256");
    if (declared === undefined) return actual;
    // UNSIGNED-PAYLOAD and the STREAMING-* forms would let a body change unnoticed; no
    // Bedrock operation Basalt serves needs them.
    if (!PAYLOAD_HASH_PATTERN.test(declared)) {
      return authFailure("unsigned-payload", "INVALID_SIGNATURE", `x-amz-content-sha256 must be the hex SHA-256 of the body; '${declared.slice(0, 40)}' is not accepted.`);
    }
    if (declared !== actual) {
      return authFailure("payload-mismatch", "INVALID_SIGNATURE", "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    return declared;
  }
}
