// Routes of the usage layer: Prometheus metrics at /metrics and Bedrock's model invocation
// logging configuration at /logging/modelinvocations. Registered only with usage services.
import type { ApiDeps } from "../deps.ts";
import type { RequestContext } from "../protocol/http.ts";
import type { Router } from "../router.ts";
import type { UsageServices } from "../../usage/services.ts";
import { deleteLoggingConfigHandler, getLoggingConfigHandler, putLoggingConfigHandler } from "./invocation-logging-handlers.ts";

/** GET /metrics: the text exposition of Basalt's own registry, after the bookkeeping still queued. */
function metricsHandler(usage: UsageServices) {
  const { metrics } = usage;
  return async (ctx: RequestContext): Promise<void> => {
    usage.deferred.drain();
    const text = await metrics.render();
    ctx.res.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(text) });
    ctx.res.end(text);
  };
}

/** Registers /metrics and /logging/modelinvocations; without `deps.usage` there is nothing to serve. */
export function registerUsageRoutes(router: Router, deps: ApiDeps): void {
  const usage = deps.usage;
  if (!usage) return;
  // The metrics name every principal and model, so scraping needs cloudwatch:GetMetricData, the
  // action that governs Bedrock's own metrics on AWS (anyone may scrape while authentication is off).
  router.on("GET", "/metrics", metricsHandler(usage), { operation: "GetMetrics" });
  // The router authorizes these: each is a Bedrock action on `*` of the caller's account.
  router.on("GET", "/logging/modelinvocations", getLoggingConfigHandler(usage), { operation: "GetModelInvocationLoggingConfiguration" });
  router.on("PUT", "/logging/modelinvocations", putLoggingConfigHandler(usage), { operation: "PutModelInvocationLoggingConfiguration" });
  router.on("DELETE", "/logging/modelinvocations", deleteLoggingConfigHandler(usage), { operation: "DeleteModelInvocationLoggingConfiguration" });
}
