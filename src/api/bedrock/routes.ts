// Bedrock control-plane routes (HTTP/1.1 clients, `@aws-sdk/client-bedrock`).
import type { ApiDeps } from "../deps.ts";
import type { Router } from "../router.ts";
import { getFoundationModelHandler, listFoundationModelsHandler } from "./foundation-models.ts";

/** Registers the control-plane API. */
export function registerBedrockRoutes(router: Router, deps: ApiDeps): void {
  router.on("GET", "/foundation-models", listFoundationModelsHandler(deps), { operation: "ListFoundationModels" });
  router.on("GET", "/foundation-models/:modelIdentifier", getFoundationModelHandler(deps), { operation: "GetFoundationModel", modelParam: "modelIdentifier" });
}
