// Renders errors as Bedrock does: the `x-amzn-errortype` header plus a JSON body with
// `message`, and the right status (../shared/reference/bedrock-wire.md §1.6).
import { BasaltError, toBasaltError } from "../../spec/errors.ts";
import { sendJson, type AnyResponse } from "./http.ts";

/** Sends an error response in Bedrock's shape. Headers already sent: the socket is ended. */
export function sendBedrockError(res: AnyResponse, error: unknown, requestId: string): BasaltError {
  const err = toBasaltError(error);
  if (res.headersSent) {
    res.end();
    return err;
  }
  const { bedrockName } = err.kind;
  const headers: Record<string, string> = { "x-amzn-errortype": `${bedrockName}:`, "x-amzn-requestid": requestId };
  if (err.retryAfterSeconds !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(err.retryAfterSeconds)));
  sendJson(res, err.httpStatus, { message: err.message }, headers);
  return err;
}

/** The lowerCamel member name Bedrock uses for an exception inside an event stream. */
export function streamExceptionName(error: BasaltError): string {
  const name = error.kind.bedrockName;
  // Bedrock's stream unions name the member e.g. `modelStreamErrorException`.
  return name.charAt(0).toLowerCase() + name.slice(1);
}
