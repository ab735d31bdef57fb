// `basalt serve`: starts the server and drains it on SIGTERM / SIGINT. The startup banner
// goes to stderr (stdout carries the JSON log lines) and always names the bound URL, so
// scripts that pass `--port 0` can read the port from it.
import { Command } from "commander";
import { UnsafeBindError } from "../iam/safe-defaults.ts";
import { startServer } from "../server.ts";
import { loadCliConfig, parsePort, type ConfigOptions } from "./config-options.ts";
import { CliError, err, tildify } from "./output.ts";
import { modelsDir } from "./gguf-file.ts";

// Errors the registry raises for a configuration that validated but cannot be served
// (e.g. `models[3].id: the id or alias x is used twice`) name their path the same way.
const CONFIG_PATH_ERROR = /^models\[\d+\]\./;

function startupError(error: unknown, options: { host: string; port: number }): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UnsafeBindError) return new CliError(error.message, { exitCode: 2, hint: error.hint });
  if (CONFIG_PATH_ERROR.test(message)) {
    return new CliError(`Invalid configuration: ${message}`, { exitCode: 2, hint: "fix the entry at that path and start again" });
  }
  if (code === "EADDRINUSE") {
    return new CliError(`port ${options.port} on ${options.host} is already in use.`, {
      hint: "stop the other process, or pick another port with --port (0 picks a free one)",
    });
  }
  if (code === "EACCES") return new CliError(`not allowed to listen on port ${options.port}.`, { hint: "use a port above 1023" });
  if (code === "EADDRNOTAVAIL") return new CliError(`${options.host} is not an address of this machine.`, { hint: "use --host 127.0.0.1 or 0.0.0.0" });
  return error;
}

function banner(url: string, models: number, dataDir: string): string {
  const dir = tildify(dataDir);
  return (
    `${err.bold("Basalt")} is serving ${models} model${models === 1 ? "" : "s"} at ${err.bold(url)}\n` +
    `  data dir:  ${dir} (GGUF files in ${tildify(modelsDir(dataDir))} are served as local.<name>)\n` +
    `  models:    basalt models list${dir === "~/.basalt" ? "" : ` --data-dir ${dir}`}\n` +
    `  chat:      basalt chat <model-id> --endpoint ${url}\n` +
    err.dim("  Ctrl-C stops the server after in-flight requests finish.\n")
  );
}

/** The serve command. */
export function serveCommand(): Command {
  return new Command("serve")
    .description("start the Bedrock- and OpenAI-compatible server")
    .option("--config <file>", "configuration file (YAML or JSON; env BASALT_CONFIG)")
    .option("--host <host>", "address to bind (default 127.0.0.1)")
    .option("--port <port>", "port to listen on (default 8787; 0 picks a free one)", parsePort)
    .option("--data-dir <dir>", "data directory (default ~/.basalt)")
    .action(async (options: ConfigOptions) => {
      const config = loadCliConfig(options);
      let server;
      try {
        server = await startServer({ config });
      } catch (error) {
        throw startupError(error, config.server);
      }
      process.stderr.write(banner(server.url, server.registry.list().length, config.dataDir));
      let draining = false;
      const stop = (signal: string) => {
        // A second signal while draining means "now": skip the grace period.
        if (draining) process.exit(1);
        draining = true;
        process.stderr.write(`${signal} received: draining in-flight requests (send it again to stop at once)…\n`);
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
    });
}
