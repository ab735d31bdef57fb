// The contract between the model registry and each provider in providers/<name>/.
// Providers import only spec/, config types and shared utilities, never each other.
import type { Logger } from "pino";
import type { Config, ModelConfig, ModelConfigOf } from "../config/schema.ts";
import type { ModelEntry } from "../spec/catalog.ts";
import type { EmbeddingModel, LanguageModel } from "../spec/model.ts";

/** What a provider gets from the server. */
export interface ProviderContext {
  config: Config;
  logger: Logger;
}

/** What a provider builds for one configured model. Loading is lazy: building must be cheap. */
export interface ProvidedModel {
  /** Catalog defaults for this provider; the configuration's fields override them. */
  defaults: Partial<ModelEntry>;
  language?: LanguageModel;
  embedding?: EmbeddingModel;
}

/** A provider: turns a model entry of its kind into models. */
export interface Provider<P extends ModelConfig["provider"] = ModelConfig["provider"]> {
  readonly name: P;
  create(model: ModelConfigOf<P>, context: ProviderContext): ProvidedModel;
  /** Releases shared resources (loaded weights, sockets). */
  close?(): Promise<void>;
}
