// Parameters the server accepted but could not honour are never dropped silently: they are
// logged once per request and named in the `x-basalt-warnings` response header, the one
// place OpenAI's wire format leaves room for them.
import type { Warning } from "../../spec/model.ts";
import type { RequestContext } from "../protocol/http.ts";

/** Header naming the settings that were ignored, comma-separated. */
export const WARNINGS_HEADER = "x-basalt-warnings";

/** Logs `warnings` and, when `headers` is given, names them in the response header. */
export function reportWarnings(ctx: RequestContext, warnings: Warning[], headers?: Record<string, string>): void {
  if (warnings.length === 0) return;
  ctx.log.warn({ requestId: ctx.requestId, modelId: ctx.logFields.modelId, warnings }, "parameters not honoured");
  if (headers) headers[WARNINGS_HEADER] = warnings.map((w) => w.setting ?? w.type).join(",");
}
