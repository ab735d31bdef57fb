// The server's wiring: the one file that knows every module. Builds the model registry
// from the configuration, registers every API surface on one router and listens on one
// port for HTTP/1.1 and h2c.
import { mkdirSync } from "node:fs";
import { pino, type Logger } from "pino";
import { registerBedrockRoutes } from "./api/bedrock/routes.ts";
import { registerBedrockRuntimeRoutes } from "./api/bedrock-runtime/routes.ts";
import { registerOpenAiRoutes } from "./api/openai/routes.ts";
import type { ApiDeps } from "./api/deps.ts";
import { sendJson } from "./api/protocol/http.ts";
import { DualProtocolListener } from "./api/protocol/listener.ts";
import { Router } from "./api/router.ts";
import type { Config } from "./config/schema.ts";
import { createProviders } from "./models/providers/index.ts";
import { ModelRegistry } from "./models/registry.ts";

/** A running Basalt server. */
export interface RunningServer {
  port: number;
  url: string;
  registry: ModelRegistry;
  /** Requests being handled right now. */
  inFlight(): number;
  /** Stops accepting, drains in-flight requests and streams, then releases models. */
  close(graceMs?: number): Promise<void>;
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  config: Config;
  logger?: Logger;
}

/**
 * Creates the logger: JSON lines on stdout, buffered (flushed on close) so logging stays off
 * the request hot path. Nothing logs headers, bodies or secrets; content only with logContent.
 */
export function createLogger(config: Config): Logger {
  return pino({ level: config.logging.level, base: undefined }, pino.destination({ dest: 1, sync: false, minLength: 4096 }));
}

/** Starts Basalt. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config);
  mkdirSync(config.dataDir, { recursive: true });
  const registry = new ModelRegistry({ providers: createProviders(), context: { config, logger } });
  const deps: ApiDeps = { config, registry, logger };
  const router = new Router({ logger, bodyLimitBytes: config.server.bodyLimitBytes, logContent: config.logging.logContent });
  router.on("GET", "/healthz", (ctx) => sendJson(ctx.res, 200, { status: "ok", models: registry.list().length }));
  registerBedrockRuntimeRoutes(router, deps);
  registerBedrockRoutes(router, deps);
  registerOpenAiRoutes(router, deps);
  const listener = new DualProtocolListener({
    handler: router.handle,
    logger,
    keepAliveTimeoutMs: config.server.keepAliveTimeoutMs,
    inFlight: () => router.inFlight,
  });
  const port = await listener.listen(config.server.port, config.server.host);
  const host = config.server.host.includes(":") ? `[${config.server.host}]` : config.server.host;
  logger.info({ host: config.server.host, port, models: registry.list().length }, "basalt listening");
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${host}:${port}`,
    registry,
    inFlight: () => router.inFlight,
    close(graceMs = config.server.shutdownGraceMs) {
      closing ??= (async () => {
        await listener.close(graceMs);
        await registry.close();
        logger.flush();
      })();
      return closing;
    },
  };
}
