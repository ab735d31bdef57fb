// Bedrock Runtime routes. Labels arrive percent-encoded (`…-v1%3A0`, ARNs with %2F);
// find-my-way decodes each parameter after matching, and a raw `:` is accepted as well.
import type { ApiDeps } from "../deps.ts";
import type { Router } from "../router.ts";
import { applyGuardrailHandler } from "./apply-guardrail.ts";
import { converseHandler, converseStreamHandler, countTokensHandler } from "./converse.ts";
import { invokeModelHandler, invokeModelStreamHandler } from "./invoke.ts";

/** Registers the runtime API. */
export function registerBedrockRuntimeRoutes(router: Router, deps: ApiDeps): void {
  // The model is in the path, so the router authorizes each call before its handler runs.
  const model = { modelParam: "modelId" } as const;
  router.on("POST", "/model/:modelId/converse", converseHandler(deps), { operation: "Converse", ...model });
  router.on("POST", "/model/:modelId/converse-stream", converseStreamHandler(deps), { operation: "ConverseStream", ...model });
  router.on("POST", "/model/:modelId/count-tokens", countTokensHandler(deps), { operation: "CountTokens", ...model });
  router.on("POST", "/model/:modelId/invoke", invokeModelHandler(deps), { operation: "InvokeModel", ...model });
  router.on("POST", "/model/:modelId/invoke-with-response-stream", invokeModelStreamHandler(deps), { operation: "InvokeModelWithResponseStream", ...model });
  router.on("POST", "/guardrail/:guardrailIdentifier/version/:guardrailVersion/apply", applyGuardrailHandler(deps), { operation: "ApplyGuardrail", guardrailParam: "guardrailIdentifier" });
}
