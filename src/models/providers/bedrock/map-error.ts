// AWS SDK errors from an upstream Bedrock → Basalt errors, by exception name. Messages are
// ours: the upstream's text is kept in `cause` for the debug log only.
import { BasaltError, type ErrorCode } from "../../../spec/errors.ts";
import { retryAfterSeconds, transportError } from "../../upstream/errors.ts";
import { UPSTREAM } from "./map-response.ts";

const BY_NAME: Record<string, { code: ErrorCode; message: string }> = {
  ThrottlingException: { code: "THROTTLED", message: `The ${UPSTREAM} upstream is throttling requests. Try again later.` },
  ServiceQuotaExceededException: { code: "SERVICE_QUOTA_EXCEEDED", message: `The ${UPSTREAM} upstream quota is exhausted.` },
  ModelNotReadyException: { code: "MODEL_NOT_READY", message: `The ${UPSTREAM} upstream model is not ready. Try again later.` },
  ModelTimeoutException: { code: "MODEL_TIMEOUT", message: `The ${UPSTREAM} upstream model timed out.` },
  ModelErrorException: { code: "MODEL_ERROR", message: `The ${UPSTREAM} upstream model failed to process the request.` },
  ModelStreamErrorException: { code: "MODEL_STREAM_ERROR", message: `The ${UPSTREAM} upstream stream failed.` },
  ServiceUnavailableException: { code: "SERVICE_UNAVAILABLE", message: `The ${UPSTREAM} upstream is unavailable. Try again later.` },
  InternalServerException: { code: "MODEL_ERROR", message: `The ${UPSTREAM} upstream had an internal error.` },
  ValidationException: { code: "VALIDATION", message: `The ${UPSTREAM} upstream rejected the request as invalid.` },
  // The configured upstreamModel does not exist there: a server-side configuration problem.
  ResourceNotFoundException: { code: "MODEL_ERROR", message: `The ${UPSTREAM} upstream does not serve the configured model.` },
};

/** Names meaning Basalt's own AWS credentials were refused or missing. */
const CREDENTIALS = new Set([
  "AccessDeniedException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "ExpiredTokenException",
  "IncompleteSignature",
  "MissingAuthenticationTokenException",
  "CredentialsProviderError",
]);

/** Status codes of the exceptions, for `originalStatusCode` when the SDK has none. */
function statusOf(error: Record<string, unknown>): number | undefined {
  if (typeof error.originalStatusCode === "number") return error.originalStatusCode;
  const metadata = error.$metadata as { httpStatusCode?: number } | undefined;
  return metadata?.httpStatusCode;
}

/** Maps anything the SDK threw (or a network failure below it). */
export function bedrockError(error: unknown, signal: AbortSignal | undefined): BasaltError {
  if (signal?.aborted || error instanceof BasaltError) return transportError({ upstream: UPSTREAM, error, signal });
  const err = (error ?? {}) as Record<string, unknown>;
  const name = typeof err.name === "string" ? err.name : "";
  if (CREDENTIALS.has(name)) {
    return new BasaltError(
      "MODEL_ERROR",
      `Basalt's credentials for the ${UPSTREAM} upstream were missing or rejected (${name}); check the model's accessKeyId / secretAccessKey or the default AWS credential chain.`,
      { cause: error, originalStatusCode: statusOf(err) },
    );
  }
  const known = BY_NAME[name];
  if (known) {
    const response = err.$response as { headers?: Record<string, string> } | undefined;
    return new BasaltError(known.code, known.message, {
      cause: error,
      originalStatusCode: known.code === "MODEL_ERROR" || known.code === "MODEL_STREAM_ERROR" ? statusOf(err) : undefined,
      retryAfterSeconds: known.code === "THROTTLED" && response?.headers ? retryAfterSeconds(response.headers) : undefined,
    });
  }
  if (name === "TimeoutError") return new BasaltError("MODEL_TIMEOUT", `The ${UPSTREAM} upstream did not respond in time.`, { cause: error });
  const status = statusOf(err);
  if (status !== undefined) {
    return new BasaltError("MODEL_ERROR", `The ${UPSTREAM} upstream failed with status ${status}.`, { cause: error, originalStatusCode: status });
  }
  // No HTTP status: a socket-level failure (refused, DNS, reset).
  return transportError({ upstream: UPSTREAM, error, signal });
}

/** The same, for a failure after the stream started: a lost connection is a broken stream. */
export function bedrockStreamError(error: unknown, signal: AbortSignal | undefined): BasaltError {
  const mapped = bedrockError(error, signal);
  if (mapped.code !== "MODEL_ERROR" || signal?.aborted) return mapped;
  return new BasaltError("MODEL_STREAM_ERROR", `The connection to the ${UPSTREAM} upstream was lost mid-stream.`, { cause: error, originalStatusCode: mapped.originalStatusCode });
}
