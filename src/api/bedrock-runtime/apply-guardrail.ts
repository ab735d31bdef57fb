// ApplyGuardrail (POST /guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply): a
// guardrail on its own, on content the caller gives, with no model involved.
import { BasaltError } from "../../spec/errors.ts";
import { array, oneOf } from "../../util/validate.ts";
import type { ApiDeps } from "../deps.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";
import { applyAndObserve, parseGuardrailContent } from "./guardrail-session.ts";

/** POST /guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply */
export function applyGuardrailHandler(deps: ApiDeps) {
  return async (ctx: RequestContext): Promise<void> => {
    const service = deps.guardrails;
    if (!service) throw new BasaltError("NOT_FOUND", "Guardrails are not available on this server.");
    const guardrail = await service.resolve(ctx.principal.accountId, ctx.params.guardrailIdentifier ?? "", ctx.params.guardrailVersion ?? "");
    ctx.logFields.guardrailId = `${guardrail.id}:${guardrail.version}`;
    const body = await ctx.json();
    const source = oneOf(body.source, "source", ["INPUT", "OUTPUT"]);
    const { content, images } = parseGuardrailContent(array(body.content, "content", { min: 1 }));
    const outputScope = body.outputScope === undefined ? "INTERVENTIONS" : oneOf(body.outputScope, "outputScope", ["INTERVENTIONS", "FULL"]);
    const result = await applyAndObserve(deps, ctx, guardrail, { source, content, outputScope, unguardedBlocks: images }, "ApplyGuardrail");
    sendJson(
      ctx.res,
      200,
      {
        usage: result.usage,
        action: result.action,
        actionReason: result.actionReason,
        outputs: result.outputs,
        assessments: [result.assessment],
        guardrailCoverage: { ...result.coverage, ...(images > 0 ? { images: { guarded: 0, total: images } } : {}) },
      },
      { "x-amzn-requestid": ctx.requestId },
    );
  };
}
