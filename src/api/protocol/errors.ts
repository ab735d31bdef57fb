// Renders errors as Bedrock does: the `x-amzn-errortype` header plus a JSON body with
// `message`, and the right status (../shared/reference/bedrock-wire.md §1.6).
import { BasaltError, statusFor, toBasaltError, type StatusOverrides } from "../../spec/errors.ts";
import { sendJson, type AnyResponse } from "./http.ts";

/**
 * Sends an error response in Bedrock's shape. Headers already sent: the socket is ended.
 * `overrides` are the statuses of the surface answering, where they differ from the registry's.
 */
export function sendBedrockError(res: AnyResponse, error: unknown, requestId: string, overrides?: StatusOverrides): BasaltError {
  const err = toBasaltError(error);
  if (res.headersSent) {
    res.end();
    return err;
  }
  const { bedrockName } = err.kind;
  const headers: Record<string, string> = { "x-amzn-errortype": `${bedrockName}:`, "x-amzn-requestid": requestId };
  if (err.retryAfterSeconds !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(err.retryAfterSeconds)));
  sendJson(res, statusFor(err, overrides), { message: err.message }, headers);
  return err;
}

/** An error renderer in Bedrock's shape for a surface with its own statuses for some codes. */
export function bedrockErrorRenderer(overrides: StatusOverrides): (res: AnyResponse, error: unknown, requestId: string) => BasaltError {
  return (res, error, requestId) => sendBedrockError(res, error, requestId, overrides);
}

/** The lowerCamel member name Bedrock uses for an exception inside an event stream. */
export function streamExceptionName(error: BasaltError): string {
  const name = error.kind.bedrockName;
  // Bedrock's stream unions name the member e.g. `modelStreamErrorException`.
  return name.charAt(0).toLowerCase() + name.slice(1);
}
