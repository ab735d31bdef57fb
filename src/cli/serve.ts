// `basalt serve`: starts the server and drains it on SIGTERM / SIGINT.
import { Command } from "commander";
import { ConfigError, loadConfig } from "../config/loader.ts";
import { startServer } from "../server.ts";

/** The serve command. */
export function serveCommand(): Command {
  return new Command("serve")
    .description("start the Bedrock- and OpenAI-compatible server")
    .option("--config <file>", "configuration file (YAML or JSON)")
    .option("--host <host>", "address to bind (default 127.0.0.1)")
    .option("--port <port>", "port to listen on (default 8787)", (v) => Number.parseInt(v, 10))
    .option("--data-dir <dir>", "data directory (default ~/.basalt)")
    .action(async (options: { config?: string; host?: string; port?: number; dataDir?: string }) => {
      let config;
      try {
        config = loadConfig({ file: options.config, overrides: { host: options.host, port: options.port, dataDir: options.dataDir } });
      } catch (error) {
        if (error instanceof ConfigError) {
          process.stderr.write(`${error.message}\n`);
          process.exit(2);
        }
        throw error;
      }
      const server = await startServer({ config });
      process.stderr.write(`Basalt is serving ${server.registry.list().length} models at ${server.url}\n`);
      const stop = (signal: string) => {
        process.stderr.write(`${signal} received: draining in-flight requests…\n`);
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
}
