// OpenAI-compatible routes (/v1/chat/completions, /v1/embeddings, /v1/models), all rendering
// errors in OpenAI's shape.
import type { ApiDeps } from "../deps.ts";
import type { RequestContext } from "../protocol/http.ts";
import type { Router } from "../router.ts";
import { chatCompletionsHandler } from "./chat-completions.ts";
import { embeddingsHandler } from "./embeddings.ts";
import { OpenAiError, sendOpenAiError } from "./errors.ts";
import { getModelHandler, listModelsHandler } from "./models.ts";

/** Registers the OpenAI-compatible API. */
export function registerOpenAiRoutes(router: Router, deps: ApiDeps): void {
  const options = { renderError: sendOpenAiError };
  // The catalog keeps no creation dates; the server's start time is stable for its lifetime.
  const created = Math.floor(Date.now() / 1000);
  // The model is in the body: these two handlers authorize once they have resolved it.
  router.on("POST", "/v1/chat/completions", chatCompletionsHandler(deps), { ...options, operation: "openai.ChatCompletions" });
  router.on("POST", "/v1/embeddings", embeddingsHandler(deps), { ...options, operation: "openai.Embeddings" });
  router.on("GET", "/v1/models", listModelsHandler(deps, created), { ...options, operation: "openai.ListModels" });
  // A wildcard, so ARNs match with raw slashes as well as %2F.
  router.on("GET", "/v1/models/*", getModelHandler(deps, created), { ...options, operation: "openai.GetModel", modelParam: "*" });
  // Anything else under /v1 is an OpenAI path this server lacks: answer in OpenAI's shape.
  for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"] as const) router.on(method, "/v1/*", unknownRoute, options);
}

function unknownRoute(ctx: RequestContext): void {
  const path = ctx.req.url?.split("?")[0] ?? "";
  throw new OpenAiError("NOT_FOUND", `Invalid URL (${ctx.req.method} ${path})`, { code: "unknown_url" });
}
