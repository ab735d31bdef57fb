// Authentication failures with the exception names and messages AWS's JSON services answer
// with, so SDK users see what they would see against Bedrock. Messages never contain a
// secret, a signature the server computed, or the canonical request.
import { BasaltError, type ErrorCode } from "../spec/errors.ts";

/** Why authentication failed; stable strings for logs and metrics. */
export type AuthFailureReason =
  | "missing"
  | "malformed"
  | "unknown-key"
  | "signature-mismatch"
  | "payload-mismatch"
  | "unsigned-payload"
  | "expired"
  | "not-yet-valid"
  | "wrong-region"
  | "wrong-service"
  | "scope-date"
  | "replayed"
  | "session-token"
  | "key-expired";

/** A failed authentication: the reason and the error to render. */
export interface AuthFailure {
  ok: false;
  reason: AuthFailureReason;
  error: BasaltError;
}

/** Builds an {@link AuthFailure}. */
export function authFailure(reason: AuthFailureReason, code: ErrorCode, message: string): AuthFailure {
  return { ok: false, reason, error: new BasaltError(code, message) };
}

/** The message AWS gives for an access key or token it does not know. */
export const INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid.";

/** The message AWS gives when the signature does not match. */
export const SIGNATURE_MISMATCH_MESSAGE =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
