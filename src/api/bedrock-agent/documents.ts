// Direct ingestion on bedrock-agent's paths: Ingest/Delete/Get/ListKnowledgeBaseDocuments. The
// documents are validated and recorded (STARTING or DELETING) before the answer; the pipeline
// then processes them in the background and records each outcome, which Get and List report.
import type { DataSourceRecord, DocumentRecord } from "../../kb/store/records.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";
import { dataSourceRef } from "./data-sources.ts";
import type { AgentDeps } from "./deps.ts";
import { parseDocumentIdentifiers, parseIngestDocuments } from "./document-input.ts";
import { clientToken, pageRequest } from "./input.ts";
import { documentDetailShape } from "./shapes.ts";

const details = (docs: DocumentRecord[], dataSource: DataSourceRecord) => docs.map((doc) => documentDetailShape(doc, dataSource.configuration.type));

/** PUT /knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/documents → 202 */
export function ingestDocumentsHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const ref = dataSourceRef(ctx);
    const body = await ctx.json();
    const token = clientToken(body.clientToken);
    const dataSource = await deps.service.store.getDataSource(ref);
    const documents = parseIngestDocuments(body.documents, dataSource);
    const records = await deps.service.ingestDocuments(ref, documents, { clientToken: token });
    sendJson(ctx.res, 202, { documentDetails: details(records, dataSource) });
  };
}

/** POST /knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/documents/deleteDocuments → 202 */
export function deleteDocumentsHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const ref = dataSourceRef(ctx);
    const body = await ctx.json();
    const token = clientToken(body.clientToken);
    const dataSource = await deps.service.store.getDataSource(ref);
    const ids = parseDocumentIdentifiers(body.documentIdentifiers, dataSource);
    const records = await deps.service.deleteDocuments(ref, ids, { clientToken: token });
    sendJson(ctx.res, 202, { documentDetails: details(records, dataSource) });
  };
}

/** POST /knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/documents/getDocuments */
export function getDocumentsHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const ref = dataSourceRef(ctx);
    const body = await ctx.json();
    const dataSource = await deps.service.store.getDataSource(ref);
    const ids = parseDocumentIdentifiers(body.documentIdentifiers, dataSource);
    sendJson(ctx.res, 200, { documentDetails: details(await deps.service.documentDetails(ref, ids), dataSource) });
  };
}

/** POST /knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/documents */
export function listDocumentsHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const ref = dataSourceRef(ctx);
    const page = pageRequest(await ctx.json());
    const dataSource = await deps.service.store.getDataSource(ref);
    const listed = await deps.service.store.listDocuments(ref, page);
    sendJson(ctx.res, 200, { documentDetails: details(listed.items, dataSource), ...(listed.nextToken ? { nextToken: listed.nextToken } : {}) });
  };
}
