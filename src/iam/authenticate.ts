// One entry point for both credential kinds Bedrock accepts: SigV4 access keys and bearer
// API keys. The router calls this before any handler and authorizes the returned principal.
import { authFailure, INVALID_TOKEN_MESSAGE, type AuthFailure } from "./auth-errors.ts";
import { ApiKeyVerifier } from "./api-keys.ts";
import { headerValue } from "./sigv4-canonical.ts";
import type { AuthRequest, SigV4Verifier } from "./sigv4.ts";

/** Who signed a request, and with what. */
export type Credential = { type: "access-key"; accessKeyId: string } | { type: "api-key"; keyId: string };

/** The outcome of {@link authenticate}. */
export type AuthResult = { ok: true; credential: Credential } | AuthFailure;

/** The verifiers that are configured; a scheme without one is refused. */
export interface Verifiers {
  sigv4?: SigV4Verifier;
  apiKeys?: ApiKeyVerifier;
}

/** Authenticates a request by its Authorization header: Bearer API key or SigV4. */
export async function authenticate(request: AuthRequest, verifiers: Verifiers): Promise<AuthResult> {
  if (ApiKeyVerifier.isBearer(request.headers)) {
    if (!verifiers.apiKeys) return authFailure("malformed", "UNRECOGNIZED_CLIENT", `${INVALID_TOKEN_MESSAGE} Bearer API keys are not enabled on this server; sign with an access key.`);
    const result = await verifiers.apiKeys.verify(request.headers);
    return result.ok ? { ok: true, credential: { type: "api-key", keyId: result.keyId } } : result;
  }
  if (headerValue(request.headers, "authorization") === undefined) return authFailure("missing", "MISSING_AUTHENTICATION", "Missing Authentication Token");
  if (!verifiers.sigv4) return authFailure("malformed", "UNRECOGNIZED_CLIENT", `${INVALID_TOKEN_MESSAGE} Access keys are not enabled on this server; use an API key.`);
  const result = await verifiers.sigv4.verify(request);
  return result.ok ? { ok: true, credential: { type: "access-key", accessKeyId: result.accessKeyId } } : result;
}
