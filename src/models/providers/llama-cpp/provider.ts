// The in-process llama.cpp provider: GGUF files served by node-llama-cpp on this machine.
// Building a model is free; weights load on first use into a pool per configuration, capped
// at llama.maxLoadedModels, with llama.parallel sequences per model behind a FIFO queue.
import { basename } from "node:path";
import type { Config } from "../../../config/schema.ts";
import type { Provider, ProviderContext } from "../../provider.ts";
import { LlamaEmbeddingModel } from "./embedding-model.ts";
import { LlamaLanguageModel } from "./language-model.ts";
import { ModelPool, type PooledModelStatus } from "./model-pool.ts";
import { disposeRuntimes, llamaRuntime, resolveThreads } from "./runtime.ts";

/** The provider plus a view of what its pools hold. */
export interface LlamaCppProvider extends Provider<"llama-cpp"> {
  close(): Promise<void>;
  /** Models held in memory for a configuration, least recently used first. */
  status(config: Config): PooledModelStatus[];
}

const pools = new Map<Config, ModelPool>();

function poolFor({ config, logger }: ProviderContext): ModelPool {
  let pool = pools.get(config);
  if (!pool) {
    const settings = config.llama;
    pool = new ModelPool({
      llama: () => llamaRuntime(settings, logger),
      maxLoaded: settings.maxLoadedModels,
      threads: resolveThreads(settings.threads),
      parallel: settings.parallel,
    });
    pools.set(config, pool);
  }
  return pool;
}

/** The llama-cpp provider. */
export const llamaCppProvider: LlamaCppProvider = {
  name: "llama-cpp",
  create(model, context) {
    const pool = poolFor(context);
    const name = `${basename(model.path).replace(/\.gguf$/i, "")} (GGUF)`;
    if (model.embedding) {
      return {
        defaults: { name, providerName: "Local", inputModalities: ["TEXT"], outputModalities: ["EMBEDDING"], streaming: false },
        embedding: new LlamaEmbeddingModel(model, pool),
      };
    }
    return {
      defaults: { name, providerName: "Local", tools: true, streaming: true, contextLength: model.contextSize },
      language: new LlamaLanguageModel(model, pool),
    };
  },
  // The provider is shared by every server of the process: closing unloads all models and the
  // runtime; a server still running loads what it needs again on its next request.
  async close() {
    const all = [...pools.values()];
    pools.clear();
    await Promise.all(all.map((pool) => pool.close()));
    await disposeRuntimes();
  },
  status(config) {
    return pools.get(config)?.status() ?? [];
  },
};
