// InvokeModel body bytes → a JSON object and its family (models/formats), shared by
// InvokeModel, InvokeModelWithResponseStream and CountTokens' invokeModel input.
import { chooseFamily, unreadFields, type InvokeFamily, type Json } from "../../models/formats/index.ts";
import type { ModelEntry } from "../../spec/catalog.ts";
import { BasaltError, validation } from "../../spec/errors.ts";
import type { GenerateRequest, Warning } from "../../spec/model.ts";

/** Parses body bytes (any content type) as a JSON object; anything else is a ValidationException. */
export function parseInvokeBody(bytes: Uint8Array): Json {
  if (bytes.length === 0) throw new BasaltError("VALIDATION", "Malformed input request: the body is empty, please reformat your input and try again.");
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8"));
  } catch {
    throw new BasaltError("VALIDATION", "Malformed input request: the body is not valid JSON, please reformat your input and try again.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw validation("body", "must be a JSON object");
  return value as Json;
}

/** A parsed body with its family and the warnings for fields the family does not read. */
export interface ResolvedBody {
  body: Json;
  family: InvokeFamily;
  warnings: Warning[];
}

/** Parses the bytes and chooses the family for `entry`, called as `identifier`. */
export function resolveInvokeBody(options: { entry: ModelEntry; identifier?: string; bytes: Uint8Array }): ResolvedBody {
  const body = parseInvokeBody(options.bytes);
  const family = chooseFamily({ entry: options.entry, identifier: options.identifier, body });
  return { body, family, warnings: unreadFields(family, body) };
}

/** Translates a text-generation InvokeModel body to the internal request (CountTokens uses it). */
export function invokeBodyToRequest(entry: ModelEntry, bytes: Uint8Array, identifier?: string): GenerateRequest {
  const { body, family } = resolveInvokeBody({ entry, identifier, bytes });
  if (family.kind !== "text") throw new BasaltError("VALIDATION", `The body is a ${family.name} embedding request; CountTokens counts text-generation requests.`);
  return family.parseRequest(body, entry);
}
