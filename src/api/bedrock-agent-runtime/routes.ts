// bedrock-agent-runtime routes (HTTP/2 from the AWS SDK): Retrieve, RetrieveAndGenerate,
// RetrieveAndGenerateStream and Rerank, with the surface's own error rendering.
import type { Router } from "../router.ts";
import type { AgentRuntimeDeps } from "./deps.ts";
import { sendAgentRuntimeError } from "./errors.ts";
import { rerankHandler } from "./rerank.ts";
import { retrieveHandler } from "./retrieve.ts";
import { retrieveAndGenerateHandler, retrieveAndGenerateStreamHandler } from "./retrieve-and-generate.ts";

/** Registers the agent runtime's knowledge-base operations. */
export function registerBedrockAgentRuntimeRoutes(router: Router, deps: AgentRuntimeDeps): void {
  const renderError = sendAgentRuntimeError;
  // Retrieve names its knowledge base in the path, so the router authorizes it on the knowledge
  // base's ARN; the others are authorized on `*` and their handlers check the rest.
  router.on("POST", "/knowledgebases/:knowledgeBaseId/retrieve", retrieveHandler(deps), { operation: "Retrieve", knowledgeBaseParam: "knowledgeBaseId", renderError });
  router.on("POST", "/retrieveAndGenerate", retrieveAndGenerateHandler(deps), { operation: "RetrieveAndGenerate", renderError });
  router.on("POST", "/retrieveAndGenerateStream", retrieveAndGenerateStreamHandler(deps), { operation: "RetrieveAndGenerateStream", renderError });
  router.on("POST", "/rerank", rerankHandler(deps), { operation: "Rerank", renderError });
}
