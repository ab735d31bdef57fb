// One error registry: each error code has an HTTP status, a retryable flag and the Bedrock
// exception name it maps to. Statuses follow ../shared/reference/bedrock-wire.md §2 (runtime).
// Upstream bodies and secrets never go into `message`; keep them in `cause` for logs.

/** Stable error codes of Basalt. */
export type ErrorCode =
  | "VALIDATION"
  | "NOT_FOUND"
  | "ACCESS_DENIED"
  | "THROTTLED"
  | "MODEL_TIMEOUT"
  | "MODEL_ERROR"
  | "MODEL_NOT_READY"
  | "MODEL_STREAM_ERROR"
  | "SERVICE_UNAVAILABLE"
  | "SERVICE_QUOTA_EXCEEDED"
  | "CONFLICT"
  | "KEY_UNAVAILABLE"
  | "INTERNAL"
  | "MISSING_AUTHENTICATION"
  | "INCOMPLETE_SIGNATURE"
  | "UNRECOGNIZED_CLIENT"
  | "INVALID_SIGNATURE"
  | "EXPIRED_TOKEN";

/** How an error code appears on the wire. */
export interface ErrorKind {
  status: number;
  retryable: boolean;
  /** Bedrock's exception name, e.g. ValidationException. */
  bedrockName: string;
  /** Whether the caller or the service is at fault. */
  fault: "client" | "server";
}

/** The registry. */
export const ERROR_KINDS: Record<ErrorCode, ErrorKind> = {
  VALIDATION: { status: 400, retryable: false, bedrockName: "ValidationException", fault: "client" },
  NOT_FOUND: { status: 404, retryable: false, bedrockName: "ResourceNotFoundException", fault: "client" },
  ACCESS_DENIED: { status: 403, retryable: false, bedrockName: "AccessDeniedException", fault: "client" },
  THROTTLED: { status: 429, retryable: true, bedrockName: "ThrottlingException", fault: "client" },
  MODEL_TIMEOUT: { status: 408, retryable: false, bedrockName: "ModelTimeoutException", fault: "client" },
  MODEL_ERROR: { status: 424, retryable: false, bedrockName: "ModelErrorException", fault: "client" },
  MODEL_NOT_READY: { status: 429, retryable: true, bedrockName: "ModelNotReadyException", fault: "client" },
  MODEL_STREAM_ERROR: { status: 424, retryable: false, bedrockName: "ModelStreamErrorException", fault: "client" },
  SERVICE_UNAVAILABLE: { status: 503, retryable: true, bedrockName: "ServiceUnavailableException", fault: "server" },
  SERVICE_QUOTA_EXCEEDED: { status: 400, retryable: false, bedrockName: "ServiceQuotaExceededException", fault: "client" },
  CONFLICT: { status: 400, retryable: false, bedrockName: "ConflictException", fault: "client" },
  // A disabled, pending-deletion or missing encryption key (KMS: DisabledException,
  // KMSInvalidStateException); Bedrock reports an unusable customer key as access denied.
  KEY_UNAVAILABLE: { status: 403, retryable: false, bedrockName: "AccessDeniedException", fault: "client" },
  INTERNAL: { status: 500, retryable: true, bedrockName: "InternalServerException", fault: "server" },
  // Authentication failures carry the names AWS's JSON services answer with (see src/iam/auth-errors.ts).
  MISSING_AUTHENTICATION: { status: 403, retryable: false, bedrockName: "MissingAuthenticationTokenException", fault: "client" },
  INCOMPLETE_SIGNATURE: { status: 400, retryable: false, bedrockName: "IncompleteSignatureException", fault: "client" },
  UNRECOGNIZED_CLIENT: { status: 403, retryable: false, bedrockName: "UnrecognizedClientException", fault: "client" },
  INVALID_SIGNATURE: { status: 403, retryable: false, bedrockName: "InvalidSignatureException", fault: "client" },
  EXPIRED_TOKEN: { status: 403, retryable: false, bedrockName: "ExpiredTokenException", fault: "client" },
};

/**
 * HTTP statuses one API surface gives some codes instead of the registry's: bedrock-agent
 * answers ConflictException with 409 and ServiceQuotaExceededException with 402, where the
 * control plane and runtime use 400 (bedrock-wire.md §5, §6).
 */
export type StatusOverrides = Partial<Record<ErrorCode, number>>;

/** Options of a {@link BasaltError}. */
export interface BasaltErrorOptions {
  cause?: unknown;
  /** Seconds a client should wait before retrying (throttling). */
  retryAfterSeconds?: number;
  /** For MODEL_STREAM_ERROR / MODEL_ERROR: the upstream status, when there was one. */
  originalStatusCode?: number;
  /** An HTTP status other than the code's own (413 for an oversized body). */
  httpStatus?: number;
}

/** The one error type the API layer knows how to render. */
export class BasaltError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterSeconds?: number;
  readonly originalStatusCode?: number;
  readonly httpStatus: number;

  constructor(code: ErrorCode, message: string, options: BasaltErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = ERROR_KINDS[code].bedrockName;
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.originalStatusCode = options.originalStatusCode;
    this.httpStatus = options.httpStatus ?? ERROR_KINDS[code].status;
  }

  get kind(): ErrorKind {
    return ERROR_KINDS[this.code];
  }
}

/** The status to send for `error` on a surface with `overrides`; a status set on the error itself (413) wins. */
export function statusFor(error: BasaltError, overrides?: StatusOverrides): number {
  const override = overrides?.[error.code];
  return override !== undefined && error.httpStatus === error.kind.status ? override : error.httpStatus;
}

/** Shorthand for a ValidationException naming the offending field. */
export function validation(field: string, problem: string): BasaltError {
  return new BasaltError("VALIDATION", `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${problem}`);
}

/** Converts anything thrown into a BasaltError, hiding internals of unknown errors. */
export function toBasaltError(error: unknown): BasaltError {
  if (error instanceof BasaltError) return error;
  if (error instanceof Error && error.name === "AbortError") {
    return new BasaltError("MODEL_TIMEOUT", "The model did not respond in time.", { cause: error });
  }
  return new BasaltError("INTERNAL", "The server encountered an internal error.", { cause: error });
}
