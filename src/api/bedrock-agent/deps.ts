// What the bedrock-agent handlers need, taken from the server's ApiDeps once at registration.
import type { KnowledgeBaseService } from "../../kb/store/knowledge-base-service.ts";
import type { ModelRegistry } from "../../models/registry.ts";

/** Dependencies of the bedrock-agent handlers. */
export interface AgentDeps {
  service: KnowledgeBaseService;
  /** Validates embedding models named by knowledge bases. */
  registry: ModelRegistry;
  /** The region in ARNs this server returns. */
  region: string;
}
