// Create/Get/List/Update/DeleteDataSource on bedrock-agent's paths. A new data source is
// AVAILABLE at once; deleting one drops its vectors first (unless its dataDeletionPolicy is
// RETAIN, which the pipeline's lifecycle hook honours) and is refused while it syncs.
import type { DataSourceRef } from "../../kb/store/records.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";
import { newDataSourceFields, parseDataSourceBody, updatedDataSourceFields } from "./data-source-input.ts";
import type { AgentDeps } from "./deps.ts";
import { pageRequest, pathId } from "./input.ts";
import { dataSourceShape, dataSourceSummaryShape } from "./shapes.ts";

/** The data source a path names, in the caller's account. */
export function dataSourceRef(ctx: RequestContext): DataSourceRef {
  return { accountId: ctx.principal.accountId, knowledgeBaseId: pathId(ctx, "knowledgeBaseId"), dataSourceId: pathId(ctx, "dataSourceId") };
}

/** PUT /knowledgebases/{knowledgeBaseId}/datasources/ */
export function createDataSourceHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const knowledgeBaseId = pathId(ctx, "knowledgeBaseId");
    const body = parseDataSourceBody(await ctx.json());
    const { dataSource } = await deps.service.store.createDataSource(ctx.principal.accountId, knowledgeBaseId, { ...newDataSourceFields(body), clientToken: body.clientToken });
    ctx.logFields.dataSourceId = dataSource.id;
    sendJson(ctx.res, 200, { dataSource: dataSourceShape(dataSource) });
  };
}

/** GET /knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId} */
export function getDataSourceHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    sendJson(ctx.res, 200, { dataSource: dataSourceShape(await deps.service.store.getDataSource(dataSourceRef(ctx))) });
  };
}

/** POST /knowledgebases/{knowledgeBaseId}/datasources/ */
export function listDataSourcesHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const knowledgeBaseId = pathId(ctx, "knowledgeBaseId");
    const page = await deps.service.store.listDataSources(ctx.principal.accountId, knowledgeBaseId, pageRequest(await ctx.json()));
    sendJson(ctx.res, 200, { dataSourceSummaries: page.items.map(dataSourceSummaryShape), ...(page.nextToken ? { nextToken: page.nextToken } : {}) });
  };
}

/** PUT /knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId} */
export function updateDataSourceHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const ref = dataSourceRef(ctx);
    const body = parseDataSourceBody(await ctx.json());
    const current = await deps.service.store.getDataSource(ref);
    const updated = await deps.service.store.updateDataSource(ref, updatedDataSourceFields(body, current));
    sendJson(ctx.res, 200, { dataSource: dataSourceShape(updated) });
  };
}

/** DELETE /knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId} → 202 */
export function deleteDataSourceHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const deleted = await deps.service.deleteDataSource(dataSourceRef(ctx));
    sendJson(ctx.res, 202, { knowledgeBaseId: deleted.knowledgeBaseId, dataSourceId: deleted.id, status: deleted.status });
  };
}
