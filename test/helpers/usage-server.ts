// Starts a real Basalt server (real sockets, h1 and h2c) with quotas, usage, metrics and
// invocation logging wired exactly as startServer wires them once it opens the metadata
// database: the same Router, listener, registry and route registrations, plus the usage
// services and routes. When src/server.ts carries that wiring, tests can use startTestServer.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { registerBedrockRoutes } from "../../src/api/bedrock/routes.ts";
import { registerBedrockRuntimeRoutes } from "../../src/api/bedrock-runtime/routes.ts";
import type { ApiDeps } from "../../src/api/deps.ts";
import { registerOpenAiRoutes } from "../../src/api/openai/routes.ts";
import { DualProtocolListener } from "../../src/api/protocol/listener.ts";
import { Router } from "../../src/api/router.ts";
import { registerUsageRoutes } from "../../src/api/usage/routes.ts";
import { parseConfig } from "../../src/config/loader.ts";
import type { Config } from "../../src/config/schema.ts";
import { createProviders } from "../../src/models/providers/index.ts";
import { ModelRegistry } from "../../src/models/registry.ts";
import type { Database } from "../../src/store/db/database.ts";
import { migrate } from "../../src/store/db/migrate.ts";
import { databaseOptionsFromConfig, openDatabase } from "../../src/store/db/open-database.ts";
import { createUsageServices, type UsageServices, type UsageServicesOptions } from "../../src/usage/services.ts";

/** A started server with its usage services, database and temporary data directory. */
export interface UsageTestServer {
  url: string;
  port: number;
  dataDir: string;
  config: Config;
  usage: UsageServices;
  db: Database;
  /** Drains requests, flushes usage and logs, closes the database and removes the data directory. */
  stop(): Promise<void>;
}

/** Options of {@link startUsageTestServer}. */
export interface UsageTestServerOptions {
  /** Batch delays of the usage recorder and S3 log sink (short by default, so tests see records soon). */
  flushMs?: UsageServicesOptions["flushMs"];
  /** Reuse a data directory (a restart); it is then left in place on stop. */
  dataDir?: string;
}

/** Starts Basalt with `config` (merged over test defaults: port 0, temp data dir, quiet logs). */
export async function startUsageTestServer(config: Record<string, unknown> = {}, options: UsageTestServerOptions = {}): Promise<UsageTestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "basalt-usage-test-"));
  const parsed = parseConfig({
    dataDir,
    embeddedDefaults: false,
    ...config,
    server: { port: 0, ...(config.server as object | undefined) },
    logging: { level: process.env.BASALT_TEST_LOG_LEVEL ?? "silent", ...(config.logging as object | undefined) },
  });
  const logger = pino({ level: parsed.logging.level });
  // What startServer does, in its order: database, usage services, registry, routes, listener.
  const db = openDatabase(databaseOptionsFromConfig(parsed));
  await migrate(db);
  const usage = await createUsageServices({ config: parsed, db, logger, flushMs: options.flushMs ?? { usage: 20, s3Logs: 50 }, processMetrics: false });
  const registry = new ModelRegistry({ providers: createProviders(), context: { config: parsed, logger } });
  const deps: ApiDeps = { config: parsed, registry, logger, usage };
  const router = new Router({ logger, bodyLimitBytes: parsed.server.bodyLimitBytes });
  registerBedrockRuntimeRoutes(router, deps);
  registerBedrockRoutes(router, deps);
  registerOpenAiRoutes(router, deps);
  registerUsageRoutes(router, deps);
  const listener = new DualProtocolListener({ handler: router.handle, logger, keepAliveTimeoutMs: parsed.server.keepAliveTimeoutMs, inFlight: () => router.inFlight });
  const port = await listener.listen(0, "127.0.0.1");
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    config: parsed,
    usage,
    db,
    async stop() {
      await listener.close(1000);
      await registry.close();
      await usage.close();
      await db.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
