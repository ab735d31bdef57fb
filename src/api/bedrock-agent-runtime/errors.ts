// Errors as bedrock-agent-runtime reports them. Its operations declare their own exception set
// (bedrock-wire.md §7): a failing model behind RetrieveAndGenerate is a DependencyFailedException
// (424), ConflictException is 409, and a stream carries only the union members
// RetrieveAndGenerateStream declares, so anything else travels as internalServerException.
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { BasaltError, statusFor, toBasaltError, type ErrorCode } from "../../spec/errors.ts";
import { sendJson, type AnyResponse } from "../protocol/http.ts";

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Codes that mean the model (a dependency of the knowledge-base service) failed. */
const DEPENDENCY_FAILURES: ReadonlySet<ErrorCode> = new Set(["MODEL_ERROR", "MODEL_STREAM_ERROR", "MODEL_TIMEOUT"]);

/** Exception members of RetrieveAndGenerateStream's output union. */
const STREAM_EXCEPTIONS: ReadonlySet<string> = new Set([
  "InternalServerException",
  "ValidationException",
  "ResourceNotFoundException",
  "ServiceQuotaExceededException",
  "ThrottlingException",
  "AccessDeniedException",
  "ConflictException",
  "DependencyFailedException",
  "BadGatewayException",
]);

/** The exception name and status this surface answers `err` with. */
export function agentRuntimeException(err: BasaltError): { name: string; status: number } {
  if (DEPENDENCY_FAILURES.has(err.code)) return { name: "DependencyFailedException", status: 424 };
  return { name: err.kind.bedrockName, status: statusFor(err, { CONFLICT: 409 }) };
}

/** The router's error renderer for bedrock-agent-runtime routes. */
export function sendAgentRuntimeError(res: AnyResponse, error: unknown, requestId: string): BasaltError {
  const err = toBasaltError(error);
  if (res.headersSent) {
    res.end();
    return err;
  }
  const { name, status } = agentRuntimeException(err);
  const headers: Record<string, string> = { "x-amzn-errortype": `${name}:`, "x-amzn-requestid": requestId };
  if (err.retryAfterSeconds !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(err.retryAfterSeconds)));
  sendJson(res, status, { message: err.message }, headers);
  return err;
}

/** An in-stream exception message of RetrieveAndGenerateStream (`:exception-type` in lowerCamel). */
export function encodeStreamException(error: unknown): { frame: Uint8Array; name: string } {
  const err = toBasaltError(error);
  let { name } = agentRuntimeException(err);
  if (!STREAM_EXCEPTIONS.has(name)) name = "InternalServerException";
  const member = name.charAt(0).toLowerCase() + name.slice(1);
  const frame = codec.encode({
    headers: {
      ":message-type": { type: "string", value: "exception" },
      ":exception-type": { type: "string", value: member },
      ":content-type": { type: "string", value: "application/json" },
    },
    body: fromUtf8(JSON.stringify({ message: err.message })),
  });
  return { frame, name };
}
