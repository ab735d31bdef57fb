// What the bedrock-agent-runtime handlers need besides the common API dependencies: a way to
// open an account's knowledge base, where RetrieveAndGenerate keeps sessions, and the document
// parser for EXTERNAL_SOURCES. The server's wiring builds them.
import type { OpenKnowledgeBase } from "../../kb/ingestion/indexes.ts";
import type { RagSessionStore } from "../../kb/generation/session-store.ts";
import type { DocumentParser } from "../../kb/parsing/document-parser.ts";
import type { ApiDeps } from "../deps.ts";

/** Opens knowledge bases for the runtime. */
export interface KnowledgeBaseResolver {
  /**
   * The account's knowledge base, opened (index and embedding model). Throws
   * ResourceNotFoundException for an id the account does not have.
   */
  resolve(accountId: string, knowledgeBaseId: string): Promise<OpenKnowledgeBase>;
}

/**
 * Dependencies of the bedrock-agent-runtime handlers. (`ApiDeps.knowledgeBases` is the control
 * plane's service; the runtime only needs to open indexes, hence its own member.)
 */
export interface AgentRuntimeDeps extends ApiDeps {
  openKnowledgeBases: KnowledgeBaseResolver;
  /** RetrieveAndGenerate sessions (DbRagSessionStore over the metadata database). */
  sessions: RagSessionStore;
  /** Parses documents passed to RetrieveAndGenerate as EXTERNAL_SOURCES. */
  parser: DocumentParser;
}
