// Options several commands share (--config, --data-dir, --port) and how they become a
// validated configuration. A configuration error is a usage error: exit code 2.
import { InvalidArgumentError } from "commander";
import { ConfigError, loadConfig } from "../config/loader.ts";
import type { Config } from "../config/schema.ts";
import { CliError } from "./output.ts";

/** Command-line options that feed the configuration. */
export interface ConfigOptions {
  config?: string;
  dataDir?: string;
  host?: string;
  port?: number;
}

/** Loads the configuration the server would use, turning validation failures into exit code 2. */
export function loadCliConfig(options: ConfigOptions): Config {
  try {
    return loadConfig({ file: options.config, overrides: { host: options.host, port: options.port, dataDir: options.dataDir } });
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new CliError(error.message, {
        exitCode: 2,
        hint: "each line above names where a bad value is (`models[0]` is the first model); fix those and run again",
      });
    }
    throw error;
  }
}

/** Commander parser for a TCP port (0 picks a free one). */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError("expected a port number from 0 to 65535.");
  return port;
}

/** Commander parser for a positive integer. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive whole number.");
  return n;
}

/** Commander parser for a finite number. */
export function parseNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError("expected a number.");
  return n;
}
