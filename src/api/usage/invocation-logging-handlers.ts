// Bedrock's Get/Put/DeleteModelInvocationLoggingConfiguration (GET/PUT/DELETE
// /logging/modelinvocations) for the caller's account. Logging is off until a Put; Get then
// answers `{}` without a loggingConfig, as Bedrock does.
import { parsePutLoggingRequest } from "../../usage/invocation-logging-config.ts";
import type { UsageServices } from "../../usage/services.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";

/** GET /logging/modelinvocations */
export function getLoggingConfigHandler(usage: UsageServices) {
  return async (ctx: RequestContext): Promise<void> => {
    const loggingConfig = await usage.invocationLogs.configs.get(ctx.principal.accountId);
    sendJson(ctx.res, 200, loggingConfig ? { loggingConfig } : {}, { "x-amzn-requestid": ctx.requestId });
  };
}

/** PUT /logging/modelinvocations */
export function putLoggingConfigHandler(usage: UsageServices) {
  return async (ctx: RequestContext): Promise<void> => {
    const config = parsePutLoggingRequest(await ctx.json());
    await usage.invocationLogs.configs.put(ctx.principal.accountId, config);
    ctx.log.info({ requestId: ctx.requestId, accountId: ctx.principal.accountId, s3: Boolean(config.s3Config), text: config.textDataDeliveryEnabled === true }, "invocation logging configured");
    sendJson(ctx.res, 200, {}, { "x-amzn-requestid": ctx.requestId });
  };
}

/** DELETE /logging/modelinvocations */
export function deleteLoggingConfigHandler(usage: UsageServices) {
  return async (ctx: RequestContext): Promise<void> => {
    await usage.invocationLogs.configs.delete(ctx.principal.accountId);
    ctx.log.info({ requestId: ctx.requestId, accountId: ctx.principal.accountId }, "invocation logging turned off");
    sendJson(ctx.res, 200, {}, { "x-amzn-requestid": ctx.requestId });
  };
}
