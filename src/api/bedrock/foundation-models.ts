// The model catalog on Bedrock's control-plane paths: ListFoundationModels and
// GetFoundationModel (GET /foundation-models[/{modelIdentifier}]).
import { foundationModelArn } from "../../spec/arn.ts";
import type { ModelEntry } from "../../spec/catalog.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { ApiDeps } from "../deps.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";

/** A catalog entry in Bedrock's FoundationModelSummary / FoundationModelDetails shape. */
export function foundationModelSummary(entry: ModelEntry, region: string): Record<string, unknown> {
  return {
    modelArn: foundationModelArn(region, entry.id),
    modelId: entry.id,
    modelName: entry.name,
    providerName: entry.providerName,
    inputModalities: entry.inputModalities,
    outputModalities: entry.outputModalities,
    responseStreamingSupported: entry.streaming,
    customizationsSupported: [],
    inferenceTypesSupported: entry.inferenceTypes,
    modelLifecycle: { status: entry.lifecycle },
  };
}

/** GET /foundation-models */
export function listFoundationModelsHandler(deps: ApiDeps) {
  return (ctx: RequestContext): void => {
    const provider = ctx.query.get("byProvider")?.toLowerCase();
    const output = ctx.query.get("byOutputModality");
    const inference = ctx.query.get("byInferenceType");
    const customization = ctx.query.get("byCustomizationType");
    const summaries = deps.registry
      .list()
      .map((m) => m.entry)
      .filter((e) => !provider || e.providerName.toLowerCase() === provider)
      .filter((e) => !output || e.outputModalities.includes(output as ModelEntry["outputModalities"][number]))
      .filter((e) => !inference || e.inferenceTypes.includes(inference as ModelEntry["inferenceTypes"][number]))
      .filter(() => !customization) // no model here supports customization yet
      .map((e) => foundationModelSummary(e, deps.config.region));
    sendJson(ctx.res, 200, { modelSummaries: summaries });
  };
}

/** GET /foundation-models/{modelIdentifier} */
export function getFoundationModelHandler(deps: ApiDeps) {
  return (ctx: RequestContext): void => {
    const id = ctx.params.modelIdentifier ?? "";
    const model = deps.registry.find(id);
    if (!model) throw new BasaltError("NOT_FOUND", `The model ${id} does not exist.`);
    sendJson(ctx.res, 200, { modelDetails: foundationModelSummary(model.entry, deps.config.region) });
  };
}
