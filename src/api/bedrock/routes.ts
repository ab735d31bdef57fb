// Bedrock control-plane routes (HTTP/1.1 clients, `@aws-sdk/client-bedrock`).
import type { ApiDeps } from "../deps.ts";
import type { Router } from "../router.ts";
import {
  createGuardrailHandler,
  createGuardrailVersionHandler,
  deleteGuardrailHandler,
  getGuardrailHandler,
  listGuardrailsHandler,
  updateGuardrailHandler,
  type GuardrailDeps,
} from "./guardrails.ts";
import { getFoundationModelHandler, listFoundationModelsHandler } from "./foundation-models.ts";

/** Registers the control-plane API. */
export function registerBedrockRoutes(router: Router, deps: ApiDeps): void {
  router.on("GET", "/foundation-models", listFoundationModelsHandler(deps), { operation: "ListFoundationModels" });
  router.on("GET", "/foundation-models/:modelIdentifier", getFoundationModelHandler(deps), { operation: "GetFoundationModel", modelParam: "modelIdentifier" });
  if (deps.guardrails) {
    const g: GuardrailDeps = { guardrails: deps.guardrails, region: deps.config.region };
    const one = { guardrailParam: "guardrailIdentifier" } as const;
    router.on("POST", "/guardrails", createGuardrailHandler(g), { operation: "CreateGuardrail" });
    router.on("GET", "/guardrails", listGuardrailsHandler(g), { operation: "ListGuardrails" });
    router.on("GET", "/guardrails/:guardrailIdentifier", getGuardrailHandler(g), { operation: "GetGuardrail", ...one });
    router.on("PUT", "/guardrails/:guardrailIdentifier", updateGuardrailHandler(g), { operation: "UpdateGuardrail", ...one });
    router.on("DELETE", "/guardrails/:guardrailIdentifier", deleteGuardrailHandler(g), { operation: "DeleteGuardrail", ...one });
    router.on("POST", "/guardrails/:guardrailIdentifier", createGuardrailVersionHandler(g), { operation: "CreateGuardrailVersion", ...one });
  }
}
