// Which reranker a model identifier names: a GGUF reranker served by llama.cpp becomes a
// cross-encoder; any embedding model becomes the bi-encoder re-scorer; anything else cannot
// rerank and is a ValidationException naming the model.
import type { Logger } from "pino";
import type { Config, ModelConfig } from "../../config/schema.ts";
import { servedModelConfigs, type ModelRegistry } from "../../models/registry.ts";
import { BasaltError } from "../../spec/errors.ts";
import { EmbeddingReranker } from "./embedding-reranker.ts";
import { isRerankerGguf, LlamaReranker } from "./llama-reranker.ts";
import type { Reranker } from "./reranker.ts";

/** What resolving a reranker needs. */
export interface RerankerDeps {
  registry: ModelRegistry;
  config: Config;
  logger: Logger;
}

// The registry is built once from the configuration, so its served models are read once per
// configuration too (listing them scans the models folder).
const servedByConfig = new WeakMap<Config, Map<string, ModelConfig>>();

function servedModel(config: Config, id: string): ModelConfig | undefined {
  let served = servedByConfig.get(config);
  if (!served) {
    served = new Map(servedModelConfigs(config).map(({ model }) => [model.id, model]));
    servedByConfig.set(config, served);
  }
  return served.get(id);
}

/** Resolves `identifier` (id, alias or ARN) to a reranker, with the catalog id of its model. */
export async function resolveReranker(deps: RerankerDeps, identifier: string): Promise<Reranker> {
  const found = deps.registry.find(identifier);
  if (!found) throw new BasaltError("VALIDATION", "The provided model identifier is invalid.");
  const { entry } = found;
  const served = servedModel(deps.config, entry.id);
  if (served?.provider === "llama-cpp" && (await isRerankerGguf(served.path))) {
    return new LlamaReranker({ modelId: entry.id, path: served.path, contextSize: served.contextSize, settings: deps.config.llama, logger: deps.logger });
  }
  if (found.embedding) return new EmbeddingReranker(entry.id, found.embedding);
  throw new BasaltError("VALIDATION", `The model ${entry.id} cannot rerank: use a GGUF reranker model or an embedding model.`);
}
