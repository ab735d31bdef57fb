// Errors in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`. The statuses
// are what OpenAI clients key their retry logic and exception classes on, so they differ
// from Bedrock's where OpenAI's world has its own convention (timeouts, upstream failures).
import { BasaltError, toBasaltError, type ErrorCode } from "../../spec/errors.ts";
import { sendJson, type AnyResponse } from "../protocol/http.ts";

/** Options of an {@link OpenAiError}. */
export interface OpenAiErrorOptions {
  /** The request parameter at fault, as OpenAI names it (`messages[0].content`). */
  param?: string;
  /** OpenAI's machine-readable code (`invalid_type`, `model_not_found`). */
  code?: string;
}

/** A BasaltError that also names the OpenAI parameter and code, for precise client errors. */
export class OpenAiError extends BasaltError {
  readonly param: string | null;
  readonly wireCode: string | null;

  constructor(code: ErrorCode, message: string, options: OpenAiErrorOptions = {}) {
    super(code, message);
    this.param = options.param ?? null;
    this.wireCode = options.code ?? null;
  }
}

/** A 400 invalid_request_error naming `param`. */
export function invalidRequest(param: string | null, message: string, code = "invalid_value"): OpenAiError {
  return new OpenAiError("VALIDATION", message, { param: param ?? undefined, code });
}

/** OpenAI's 404 for an unknown model, with its exact wording. */
export function modelNotFound(model: string): OpenAiError {
  return new OpenAiError("NOT_FOUND", `The model \`${model}\` does not exist or you do not have access to it.`, {
    param: "model",
    code: "model_not_found",
  });
}

interface WireKind {
  /** Unset: the code's own status from the error registry. */
  status?: number;
  type: string;
  code: string | null;
}

// OpenAI sends type "requests" and code "rate_limit_exceeded" for request-rate 429s.
// Model timeouts are the gateway giving up on its upstream, hence 504 rather than 408,
// and upstream model failures are 502 (Bedrock's 424 would look like a client fault).
const WIRE: Record<ErrorCode, WireKind> = {
  VALIDATION: { type: "invalid_request_error", code: null },
  NOT_FOUND: { type: "invalid_request_error", code: "not_found" },
  ACCESS_DENIED: { type: "invalid_request_error", code: "permission_denied" },
  THROTTLED: { type: "requests", code: "rate_limit_exceeded" },
  MODEL_TIMEOUT: { status: 504, type: "server_error", code: "model_timeout" },
  MODEL_ERROR: { status: 502, type: "server_error", code: "model_error" },
  MODEL_NOT_READY: { status: 503, type: "server_error", code: "model_not_ready" },
  MODEL_STREAM_ERROR: { status: 502, type: "server_error", code: "model_error" },
  SERVICE_UNAVAILABLE: { status: 503, type: "server_error", code: "service_unavailable" },
  SERVICE_QUOTA_EXCEEDED: { status: 429, type: "insufficient_quota", code: "insufficient_quota" },
  CONFLICT: { status: 409, type: "invalid_request_error", code: "conflict" },
  KEY_UNAVAILABLE: { type: "invalid_request_error", code: "permission_denied" },
  INTERNAL: { type: "server_error", code: null },
  MISSING_AUTHENTICATION: { status: 401, type: "invalid_request_error", code: "invalid_api_key" },
  INCOMPLETE_SIGNATURE: { status: 401, type: "invalid_request_error", code: "invalid_api_key" },
  UNRECOGNIZED_CLIENT: { status: 401, type: "invalid_request_error", code: "invalid_api_key" },
  INVALID_SIGNATURE: { status: 401, type: "invalid_request_error", code: "invalid_api_key" },
  EXPIRED_TOKEN: { status: 401, type: "invalid_request_error", code: "invalid_api_key" },
};

/** The HTTP status an error gets on the OpenAI surface. */
export function openAiStatus(err: BasaltError): number {
  // An explicit override (413 for an oversized body, 401 from auth) wins over the table.
  if (err.httpStatus !== err.kind.status) return err.httpStatus;
  return WIRE[err.code].status ?? err.httpStatus;
}

/** The `{"error": {...}}` body for an error, also sent as an in-stream SSE event. */
export function openAiErrorBody(err: BasaltError, status = openAiStatus(err)): { error: Record<string, string | null> } {
  const wire = WIRE[err.code];
  let code = err instanceof OpenAiError && err.wireCode ? err.wireCode : wire.code;
  if (status === 401) code = "invalid_api_key";
  return {
    error: {
      message: err.message,
      type: wire.type,
      param: err instanceof OpenAiError ? err.param : null,
      code,
    },
  };
}

/** Renders an error for a /v1 route (the router's `renderError`). Headers already sent: the socket is ended. */
export function sendOpenAiError(res: AnyResponse, error: unknown, requestId: string): BasaltError {
  const err = toBasaltError(error);
  if (res.headersSent) {
    res.end();
    return err;
  }
  const status = openAiStatus(err);
  const headers: Record<string, string> = { "x-request-id": requestId };
  // Retryable refusals always carry a hint (1 s unless the error knows better); OpenAI's clients honour it.
  if (err.kind.retryable && (status === 429 || status === 503 || err.retryAfterSeconds !== undefined)) {
    headers["retry-after"] = String(Math.max(1, Math.ceil(err.retryAfterSeconds ?? 1)));
  }
  sendJson(res, status, openAiErrorBody(err, status), headers);
  return err;
}
