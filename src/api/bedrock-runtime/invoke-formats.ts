// PLACEHOLDER until the InvokeModel family translations land (same session).
import { BasaltError } from "../../spec/errors.ts";
import type { ModelEntry } from "../../spec/catalog.ts";
import type { GenerateRequest } from "../../spec/model.ts";

export function invokeBodyToRequest(_entry: ModelEntry, _body: Uint8Array): GenerateRequest {
  throw new BasaltError("VALIDATION", "InvokeModel bodies are not supported yet.");
}
