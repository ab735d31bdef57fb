// bedrock-agent routes (HTTP/1.1 clients, `@aws-sdk/client-bedrock-agent`): knowledge bases,
// data sources, ingestion jobs and direct ingestion. Paths keep Bedrock's trailing slashes; List
// operations are POSTs. Errors use bedrock-agent's statuses (Conflict 409, quota 402).
import type { StatusOverrides } from "../../spec/errors.ts";
import type { ApiDeps } from "../deps.ts";
import { bedrockErrorRenderer } from "../protocol/errors.ts";
import type { Router } from "../router.ts";
import { createDataSourceHandler, deleteDataSourceHandler, getDataSourceHandler, listDataSourcesHandler, updateDataSourceHandler } from "./data-sources.ts";
import type { AgentDeps } from "./deps.ts";
import { deleteDocumentsHandler, getDocumentsHandler, ingestDocumentsHandler, listDocumentsHandler } from "./documents.ts";
import { getIngestionJobHandler, listIngestionJobsHandler, startIngestionJobHandler, stopIngestionJobHandler } from "./ingestion-jobs.ts";
import {
  createKnowledgeBaseHandler,
  deleteKnowledgeBaseHandler,
  getKnowledgeBaseHandler,
  listKnowledgeBasesHandler,
  updateKnowledgeBaseHandler,
} from "./knowledge-bases.ts";

/** Statuses bedrock-agent gives where they differ from the registry's (bedrock-wire.md §6). */
export const BEDROCK_AGENT_STATUSES: StatusOverrides = { CONFLICT: 409, SERVICE_QUOTA_EXCEEDED: 402 };

/** Registers the bedrock-agent API; a server without knowledge-base services serves none of it. */
export function registerBedrockAgentRoutes(router: Router, deps: ApiDeps): void {
  const service = deps.knowledgeBases;
  if (!service) return;
  const agent: AgentDeps = { service, registry: deps.registry, region: deps.config.region };
  const renderError = bedrockErrorRenderer(BEDROCK_AGENT_STATUSES);
  const kb = { renderError, knowledgeBaseParam: "knowledgeBaseId" } as const;

  router.on("PUT", "/knowledgebases/", createKnowledgeBaseHandler(agent), { renderError, operation: "CreateKnowledgeBase" });
  router.on("POST", "/knowledgebases/", listKnowledgeBasesHandler(agent), { renderError, operation: "ListKnowledgeBases" });
  router.on("GET", "/knowledgebases/:knowledgeBaseId", getKnowledgeBaseHandler(agent), { ...kb, operation: "GetKnowledgeBase" });
  router.on("PUT", "/knowledgebases/:knowledgeBaseId", updateKnowledgeBaseHandler(agent), { ...kb, operation: "UpdateKnowledgeBase" });
  router.on("DELETE", "/knowledgebases/:knowledgeBaseId", deleteKnowledgeBaseHandler(agent), { ...kb, operation: "DeleteKnowledgeBase" });

  router.on("PUT", "/knowledgebases/:knowledgeBaseId/datasources/", createDataSourceHandler(agent), { ...kb, operation: "CreateDataSource" });
  router.on("POST", "/knowledgebases/:knowledgeBaseId/datasources/", listDataSourcesHandler(agent), { ...kb, operation: "ListDataSources" });
  router.on("GET", "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId", getDataSourceHandler(agent), { ...kb, operation: "GetDataSource" });
  router.on("PUT", "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId", updateDataSourceHandler(agent), { ...kb, operation: "UpdateDataSource" });
  router.on("DELETE", "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId", deleteDataSourceHandler(agent), { ...kb, operation: "DeleteDataSource" });

  router.on("PUT", "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/ingestionjobs/", startIngestionJobHandler(agent), { ...kb, operation: "StartIngestionJob" });
  router.on("POST", "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/ingestionjobs/", listIngestionJobsHandler(agent), { ...kb, operation: "ListIngestionJobs" });
  router.on("GET", "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/ingestionjobs/:ingestionJobId", getIngestionJobHandler(agent), {
    ...kb,
    operation: "GetIngestionJob",
  });
  router.on("POST", "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/ingestionjobs/:ingestionJobId/stop", stopIngestionJobHandler(agent), {
    ...kb,
    operation: "StopIngestionJob",
  });

  router.on("PUT", "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/documents", ingestDocumentsHandler(agent), { ...kb, operation: "IngestKnowledgeBaseDocuments" });
  router.on("POST", "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/documents", listDocumentsHandler(agent), { ...kb, operation: "ListKnowledgeBaseDocuments" });
  router.on("POST", "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/documents/getDocuments", getDocumentsHandler(agent), {
    ...kb,
    operation: "GetKnowledgeBaseDocuments",
  });
  router.on("POST", "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/documents/deleteDocuments", deleteDocumentsHandler(agent), {
    ...kb,
    operation: "DeleteKnowledgeBaseDocuments",
  });
}
