// The model registry: every configured model (plus the embedded defaults) as catalog entries,
// resolvable by id, alias or ARN, each with its language and/or embedding model.
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import type { Config, ModelConfig } from "../config/schema.ts";
import { modelIdFromIdentifier } from "../spec/arn.ts";
import type { ModelEntry } from "../spec/catalog.ts";
import { BasaltError } from "../spec/errors.ts";
import type { EmbeddingModel, LanguageModel } from "../spec/model.ts";
import type { Provider, ProviderContext } from "./provider.ts";
import { withDeadline } from "./deadline.ts";

/** A model as the API layer sees it. */
export interface RegisteredModel {
  entry: ModelEntry;
  language?: LanguageModel;
  embedding?: EmbeddingModel;
}

/** Id of the offline sentence encoder served by default. */
export const DEFAULT_EMBEDDING_MODEL_ID = "basalt.use-lite-v1";

/** Model entries the embedded defaults add: the offline embedder and GGUFs in `<dataDir>/models`. */
export function embeddedModelConfigs(dataDir: string): ModelConfig[] {
  const configs: ModelConfig[] = [{ provider: "use", id: DEFAULT_EMBEDDING_MODEL_ID, aliases: [], lifecycle: "ACTIVE", timeoutMs: 120_000 }];
  let files: string[] = [];
  try {
    files = readdirSync(join(dataDir, "models")).filter((f) => f.toLowerCase().endsWith(".gguf"));
  } catch {
    return configs; // no models folder yet
  }
  for (const file of files.sort()) {
    configs.push({
      provider: "llama-cpp",
      id: localModelId(file),
      aliases: [],
      path: join(dataDir, "models", file),
      contextSize: 4096,
      embedding: false,
      lifecycle: "ACTIVE",
      timeoutMs: 600_000,
    });
  }
  return configs;
}

/** The id a GGUF file in the models folder is served under: `local.<file stem>`. */
export function localModelId(file: string): string {
  const stem = basename(file).replace(/\.gguf$/i, "");
  return `local.${stem.toLowerCase().replace(/[^a-z0-9.-]+/g, "-")}`;
}

/** The models a configuration serves: configured entries first, then each embedded default whose id no entry takes. */
export function servedModelConfigs(config: Config): Array<{ model: ModelConfig; origin: "config" | "embedded" }> {
  const listed = config.models.map((model) => ({ model, origin: "config" as const }));
  if (!config.embeddedDefaults) return listed;
  const taken = new Set(config.models.flatMap((m) => [m.id, ...m.aliases]));
  const extras = embeddedModelConfigs(config.dataDir).filter((m) => !taken.has(m.id));
  return [...listed, ...extras.map((model) => ({ model, origin: "embedded" as const }))];
}

/** Options of {@link ModelRegistry}. */
export interface ModelRegistryOptions {
  providers: Provider[];
  context: ProviderContext;
}

/** Resolves model identifiers to catalog entries and models. */
export class ModelRegistry {
  private readonly byId = new Map<string, RegisteredModel>();
  private readonly ordered: RegisteredModel[] = [];
  private readonly providers: Provider[];

  constructor(options: ModelRegistryOptions) {
    this.providers = options.providers;
    servedModelConfigs(options.context.config).forEach(({ model }, index) => this.add(model, index, options.context));
  }

  private add(model: ModelConfig, index: number, context: ProviderContext): void {
    const provider = this.providers.find((p) => p.name === model.provider);
    if (!provider) throw new Error(`models[${index}].provider: no provider named ${model.provider}`);
    const provided = (provider as Provider<typeof model.provider>).create(model as never, context);
    const defaults = provided.defaults;
    const embedding = Boolean(provided.embedding && !provided.language);
    const entry: ModelEntry = {
      id: model.id,
      aliases: model.aliases,
      name: model.name ?? defaults.name ?? model.id,
      providerName: model.providerName ?? defaults.providerName ?? "Basalt",
      inputModalities: model.inputModalities ?? defaults.inputModalities ?? ["TEXT"],
      outputModalities: model.outputModalities ?? defaults.outputModalities ?? [embedding ? "EMBEDDING" : "TEXT"],
      streaming: model.streaming ?? defaults.streaming ?? !embedding,
      tools: model.tools ?? defaults.tools ?? false,
      vision: model.vision ?? defaults.vision ?? false,
      documents: model.documents ?? defaults.documents ?? false,
      contextLength: model.contextLength ?? defaults.contextLength,
      embeddingDimensions: model.embeddingDimensions ?? defaults.embeddingDimensions,
      supportedDimensions: defaults.supportedDimensions,
      invokeFormat: model.invokeFormat,
      lifecycle: model.lifecycle,
      inferenceTypes: ["ON_DEMAND"],
    };
    const registered: RegisteredModel = {
      entry,
      language: provided.language && withDeadline(provided.language, model.timeoutMs),
      embedding: provided.embedding,
    };
    for (const key of [entry.id, ...entry.aliases]) {
      if (this.byId.has(key)) throw new Error(`models[${index}].id: the id or alias ${key} is used twice`);
      this.byId.set(key, registered);
    }
    this.ordered.push(registered);
  }

  /** Every registered model, in configuration order. */
  list(): RegisteredModel[] {
    return this.ordered;
  }

  /** Finds a model by id, alias or ARN; undefined when unknown. */
  find(identifier: string): RegisteredModel | undefined {
    return this.byId.get(identifier) ?? this.byId.get(modelIdFromIdentifier(identifier));
  }

  /** Finds a model that generates text, or throws Bedrock's error for an invalid identifier. */
  languageModel(identifier: string): RegisteredModel & { language: LanguageModel } {
    const model = this.find(identifier);
    if (!model) throw new BasaltError("VALIDATION", "The provided model identifier is invalid.");
    if (!model.language) {
      throw new BasaltError("VALIDATION", `The model ${model.entry.id} does not support text generation.`);
    }
    return model as RegisteredModel & { language: LanguageModel };
  }

  /** Finds a model that embeds text, or throws Bedrock's error for an invalid identifier. */
  embeddingModel(identifier: string): RegisteredModel & { embedding: EmbeddingModel } {
    const model = this.find(identifier);
    if (!model) throw new BasaltError("VALIDATION", "The provided model identifier is invalid.");
    if (!model.embedding) throw new BasaltError("VALIDATION", `The model ${model.entry.id} does not produce embeddings.`);
    return model as RegisteredModel & { embedding: EmbeddingModel };
  }

  async close(): Promise<void> {
    await Promise.all(this.providers.map((p) => p.close?.()));
  }
}
