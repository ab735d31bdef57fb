// Loads the configuration: file (YAML or JSON) → environment overrides → validation.
// An invalid value fails at start with its exact path, e.g. `models[2].provider`.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { configSchema, type Config } from "./schema.ts";

/** A configuration that failed validation; the message lists every problem with its path. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Path of the configuration file; none means embedded defaults. */
  file?: string;
  /** Overrides from the command line, applied last. */
  overrides?: { host?: string; port?: number; dataDir?: string };
  env?: NodeJS.ProcessEnv;
}

/** Formats a zod path the way users write it: `models[2].provider`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || "(root)";
}

function describeIssues(issues: z.core.$ZodIssue[], source: string): string {
  const lines = issues.map((issue) => `  ${formatPath(issue.path)}: ${issue.message}`);
  return `Invalid configuration in ${source}:\n${lines.join("\n")}`;
}

function readFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`Cannot read configuration file ${file}: ${(error as Error).message}`);
  }
  try {
    return file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(`Cannot parse configuration file ${file}: ${(error as Error).message}`);
  }
}

function envOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const server = (raw.server ??= {}) as Record<string, unknown>;
  const logging = (raw.logging ??= {}) as Record<string, unknown>;
  if (env.BASALT_HOST) server.host = env.BASALT_HOST;
  if (env.BASALT_PORT) server.port = Number(env.BASALT_PORT);
  if (env.BASALT_DATA_DIR) raw.dataDir = env.BASALT_DATA_DIR;
  if (env.BASALT_REGION) raw.region = env.BASALT_REGION;
  if (env.BASALT_LOG_LEVEL) logging.level = env.BASALT_LOG_LEVEL;
  if (env.BASALT_LOG_CONTENT) logging.logContent = env.BASALT_LOG_CONTENT === "1" || env.BASALT_LOG_CONTENT === "true";
  if (env.BASALT_LLAMA_THREADS) ((raw.llama ??= {}) as Record<string, unknown>).threads = Number(env.BASALT_LLAMA_THREADS);
}

/** Expands a leading `~` to the home directory and makes the path absolute. */
export function expandHome(path: string): string {
  return resolve(path === "~" || path.startsWith("~/") ? homedir() + path.slice(1) : path);
}

/** Validates an already-parsed configuration object (used by tests and embedders). */
export function parseConfig(raw: unknown, source = "configuration"): Config {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(describeIssues(result.error.issues, source));
  return { ...result.data, dataDir: expandHome(result.data.dataDir) };
}

/** Loads, overrides and validates the configuration. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.BASALT_CONFIG;
  const raw = (file ? readFile(file) : {}) ?? {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(`Invalid configuration in ${file}: the top level must be a mapping.`);
  }
  const data = raw as Record<string, unknown>;
  envOverrides(data, env);
  const { host, port, dataDir } = options.overrides ?? {};
  const server = data.server as Record<string, unknown>;
  if (host !== undefined) server.host = host;
  if (port !== undefined) server.port = port;
  if (dataDir !== undefined) data.dataDir = dataDir;
  return parseConfig(data, file ?? "environment");
}
