// Start/Get/List/StopIngestionJob on bedrock-agent's paths. An ingestion job is a job of the
// durable queue; its status, statistics and failure reasons are mapped in src/kb/store/ingestion-jobs.ts.
import { INGESTION_JOB_STATUSES, type IngestionJobListRequest } from "../../kb/store/ingestion-jobs.ts";
import { array, object, oneOf } from "../../util/validate.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";
import { dataSourceRef } from "./data-sources.ts";
import type { AgentDeps } from "./deps.ts";
import { clientToken, description, pageRequest, pathId, required } from "./input.ts";
import { ingestionJobShape } from "./shapes.ts";

/** PUT /knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/ingestionjobs/ → 202 */
export function startIngestionJobHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const ref = dataSourceRef(ctx);
    const body = await ctx.json();
    const options = { clientToken: clientToken(body.clientToken), description: description(body.description) };
    const { job } = await deps.service.jobs.start(ref, options);
    ctx.logFields.ingestionJobId = job.ingestionJobId;
    sendJson(ctx.res, 202, { ingestionJob: ingestionJobShape(job) });
  };
}

/** GET /knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/ingestionjobs/{ingestionJobId} */
export function getIngestionJobHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const job = await deps.service.jobs.get(dataSourceRef(ctx), pathId(ctx, "ingestionJobId"));
    sendJson(ctx.res, 200, { ingestionJob: ingestionJobShape(job) });
  };
}

/** POST /knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/ingestionjobs/ */
export function listIngestionJobsHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const ref = dataSourceRef(ctx);
    const page = await deps.service.jobs.list(ref, parseListRequest(await ctx.json()));
    sendJson(ctx.res, 200, {
      ingestionJobSummaries: page.items.map((job) => ingestionJobShape(job, true)),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    });
  };
}

/** POST /knowledgebases/{knowledgeBaseId}/datasources/{dataSourceId}/ingestionjobs/{ingestionJobId}/stop → 202 */
export function stopIngestionJobHandler(deps: AgentDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const job = await deps.service.jobs.stop(dataSourceRef(ctx), pathId(ctx, "ingestionJobId"));
    sendJson(ctx.res, 202, { ingestionJob: ingestionJobShape(job) });
  };
}

/** ListIngestionJobs' filters (STATUS EQ values), sortBy and paging. */
function parseListRequest(body: Record<string, unknown>): IngestionJobListRequest {
  const request: IngestionJobListRequest = pageRequest(body);
  if (body.filters !== undefined && body.filters !== null) {
    const statuses = new Set<(typeof INGESTION_JOB_STATUSES)[number]>();
    array(body.filters, "filters", { min: 1, max: 1 }).forEach((item, i) => {
      const path = `filters.${i}`;
      const filter = object(item, path);
      oneOf(required(filter.attribute, `${path}.attribute`), `${path}.attribute`, ["STATUS"] as const);
      oneOf(required(filter.operator, `${path}.operator`), `${path}.operator`, ["EQ"] as const);
      const values = array(required(filter.values, `${path}.values`), `${path}.values`, { min: 0, max: 10 });
      values.forEach((v, j) => statuses.add(oneOf(v, `${path}.values.${j}`, INGESTION_JOB_STATUSES)));
    });
    request.statuses = [...statuses];
  }
  if (body.sortBy !== undefined && body.sortBy !== null) {
    const sortBy = object(body.sortBy, "sortBy");
    request.sortBy = {
      attribute: oneOf(required(sortBy.attribute, "sortBy.attribute"), "sortBy.attribute", ["STATUS", "STARTED_AT"] as const),
      order: oneOf(required(sortBy.order, "sortBy.order"), "sortBy.order", ["ASCENDING", "DESCENDING"] as const),
    };
  }
  return request;
}
