// What the API surfaces need from the rest of Basalt, handed over by the server's wiring.
import type { Logger } from "pino";
import type { Config } from "../config/schema.ts";
import type { GuardrailService } from "../guardrails/guardrail-service.ts";
import type { KnowledgeBaseService } from "../kb/store/knowledge-base-service.ts";
import type { ModelRegistry } from "../models/registry.ts";
import type { UsageServices } from "../usage/services.ts";

/** Dependencies of the HTTP surfaces. */
export interface ApiDeps {
  config: Config;
  registry: ModelRegistry;
  logger: Logger;
  /** Quotas, usage, metrics and invocation logs; absent: model calls skip that work. */
  usage?: UsageServices;
  /** Knowledge bases, data sources, ingestion jobs and direct ingestion; absent: bedrock-agent is not served. */
  knowledgeBases?: KnowledgeBaseService;
  /** Guardrails' control plane and runtime; absent: guardrail APIs are not served and guardrailConfig is refused. */
  guardrails?: GuardrailService;
}
