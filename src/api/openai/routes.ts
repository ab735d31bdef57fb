// OpenAI-compatible routes (/v1/chat/completions, /v1/embeddings, /v1/models).
import type { ApiDeps } from "../deps.ts";
import type { Router } from "../router.ts";

/** Registers the OpenAI-compatible API. */
export function registerOpenAiRoutes(_router: Router, _deps: ApiDeps): void {}
