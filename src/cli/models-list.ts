// `basalt models list`: every model the server would serve with this configuration, read from
// the configuration and the embedded defaults only: no provider is built and no weights load,
// so the command is instant and works while the server is down.
import { existsSync } from "node:fs";
import { Command } from "commander";
import type { Config, ModelConfig } from "../config/schema.ts";
import { servedModelConfigs } from "../models/registry.ts";
import { loadCliConfig, type ConfigOptions } from "./config-options.ts";
import { out, renderTable, tildify } from "./output.ts";

/** One row of `models list`, also its `--json` shape. */
export interface ListedModel {
  id: string;
  aliases: string[];
  provider: ModelConfig["provider"];
  inputModalities: string[];
  outputModalities: string[];
  streaming: boolean;
  /** `config` for an entry of the configuration file, `embedded` for a default. */
  origin: "config" | "embedded";
  /** The GGUF path (llama-cpp), the upstream (`baseUrl` → model) or `built-in`. */
  source: string;
  /** For a GGUF: whether the file is there. */
  missing?: boolean;
}

function sourceOf(model: ModelConfig): string {
  switch (model.provider) {
    case "llama-cpp":
      return model.path;
    case "openai":
    case "anthropic":
      return `${model.baseUrl} → ${model.upstreamModel}`;
    case "bedrock":
      return `${model.endpoint ?? `bedrock ${model.region}`} → ${model.upstreamModel}`;
    case "mock":
      return `mock (${model.embedding ? "embedding" : model.mode})`;
    case "use":
      return "built-in (npm package)";
  }
}

// Without building the provider only the entry's own fields are known; the provider defaults
// they stand in for are the registry's: an embedding model outputs EMBEDDING and does not stream.
function describe(model: ModelConfig, origin: ListedModel["origin"]): ListedModel {
  const embedding = model.provider === "use" || ("embedding" in model && model.embedding);
  const listed: ListedModel = {
    id: model.id,
    aliases: model.aliases,
    provider: model.provider,
    inputModalities: model.inputModalities ?? ["TEXT"],
    outputModalities: model.outputModalities ?? [embedding ? "EMBEDDING" : "TEXT"],
    streaming: model.streaming ?? !embedding,
    origin,
    source: sourceOf(model),
  };
  if (model.provider === "llama-cpp") listed.missing = !existsSync(model.path);
  return listed;
}

/** The models the given configuration would serve, in the server's order. */
export function listModels(config: Config): ListedModel[] {
  return servedModelConfigs(config).map(({ model, origin }) => describe(model, origin));
}

function printTable(models: ListedModel[], config: Config): void {
  const rows = models.map((m) => [
    out.cyan(m.id) + (m.aliases.length ? out.dim(` (+${m.aliases.length} alias${m.aliases.length > 1 ? "es" : ""})`) : ""),
    m.provider,
    `${m.inputModalities.join(",")} → ${m.outputModalities.join(",")}`,
    m.streaming ? "yes" : "no",
    (m.provider === "llama-cpp" ? tildify(m.source) : m.source) + (m.missing ? out.yellow("  (file missing)") : ""),
  ]);
  process.stdout.write(renderTable(["ID", "PROVIDER", "MODALITIES", "STREAMING", "SOURCE"], rows));
  const local = models.filter((m) => m.origin === "embedded" && m.provider === "llama-cpp").length;
  process.stdout.write(
    out.dim(
      `\n${models.length} model${models.length === 1 ? "" : "s"}; data dir ${tildify(config.dataDir)}` +
        (local || !config.embeddedDefaults ? "" : " (no GGUF files yet: add one with `basalt models pull` or `basalt models import`)") +
        "\n",
    ),
  );
  if (models.some((m) => m.missing)) {
    process.stdout.write(out.yellow("Some GGUF files are missing: fix their `path` in the configuration or import them again.\n"));
  }
}

/** The `models list` command. */
export function modelsListCommand(): Command {
  return new Command("list")
    .alias("ls")
    .description("list the models the server would serve (configuration plus embedded defaults)")
    .option("--config <file>", "configuration file (YAML or JSON)")
    .option("--data-dir <dir>", "data directory (default ~/.basalt)")
    .option("--json", "print JSON instead of a table")
    .action((options: ConfigOptions & { json?: boolean }) => {
      const config = loadCliConfig(options);
      const models = listModels(config);
      if (options.json) process.stdout.write(`${JSON.stringify({ dataDir: config.dataDir, models }, null, 2)}\n`);
      else printTable(models, config);
    });
}
