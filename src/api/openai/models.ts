// GET /v1/models and GET /v1/models/{model}: the same catalog as Bedrock's
// ListFoundationModels, in OpenAI's model-object shape. Also resolves the `model` field of
// request bodies, with OpenAI's 404 for unknown ids.
import type { ModelEntry } from "../../spec/catalog.ts";
import type { EmbeddingModel, LanguageModel } from "../../spec/model.ts";
import type { RegisteredModel } from "../../models/registry.ts";
import type { ApiDeps } from "../deps.ts";
import { sendJson, type RequestContext } from "../protocol/http.ts";
import { invalidRequest, modelNotFound } from "./errors.ts";
import { string } from "./params.ts";

/** A catalog entry as an OpenAI model object. */
export function modelObject(entry: ModelEntry, created: number): Record<string, unknown> {
  return { id: entry.id, object: "model", created, owned_by: entry.providerName };
}

function find(deps: ApiDeps, value: unknown): RegisteredModel {
  const id = string(value, "model");
  const model = deps.registry.find(id);
  if (!model) throw modelNotFound(id);
  return model;
}

/** Resolves a body's `model` to a text-generation model (id, alias or ARN). */
export function requireLanguageModel(deps: ApiDeps, value: unknown): RegisteredModel & { language: LanguageModel } {
  const model = find(deps, value);
  if (!model.language) throw invalidRequest("model", `The model ${model.entry.id} does not support chat completions; it produces embeddings.`);
  return model as RegisteredModel & { language: LanguageModel };
}

/** Resolves a body's `model` to an embedding model (id, alias or ARN). */
export function requireEmbeddingModel(deps: ApiDeps, value: unknown): RegisteredModel & { embedding: EmbeddingModel } {
  const model = find(deps, value);
  if (!model.embedding) throw invalidRequest("model", `The model ${model.entry.id} does not produce embeddings.`);
  return model as RegisteredModel & { embedding: EmbeddingModel };
}

/** GET /v1/models */
export function listModelsHandler(deps: ApiDeps, created: number) {
  return (ctx: RequestContext): void => {
    const data = deps.registry.list().map((m) => modelObject(m.entry, created));
    sendJson(ctx.res, 200, { object: "list", data }, { "x-request-id": ctx.requestId });
  };
}

/** GET /v1/models/{model}; the id may be an alias or an ARN (with raw or encoded slashes). */
export function getModelHandler(deps: ApiDeps, created: number) {
  return (ctx: RequestContext): void => {
    const id = ctx.params["*"] ?? "";
    const model = deps.registry.find(id);
    if (!model) throw modelNotFound(id);
    sendJson(ctx.res, 200, modelObject(model.entry, created), { "x-request-id": ctx.requestId });
  };
}
