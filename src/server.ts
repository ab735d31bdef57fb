// The server's wiring: the one file that knows every module. Builds the model registry
// from the configuration, registers every API surface on one router and listens on one
// port for HTTP/1.1 and h2c.
import { mkdirSync } from "node:fs";
import { pino, type Logger } from "pino";
import { registerBedrockRoutes } from "./api/bedrock/routes.ts";
import { registerBedrockRuntimeRoutes } from "./api/bedrock-runtime/routes.ts";
import { registerBedrockAgentRoutes } from "./api/bedrock-agent/routes.ts";
import { registerBedrockAgentRuntimeRoutes } from "./api/bedrock-agent-runtime/routes.ts";
import { DbRagSessionStore } from "./kb/generation/session-store.ts";
import { closeLlamaRerankers } from "./kb/retrieval/llama-reranker.ts";
import { registerOpenAiRoutes } from "./api/openai/routes.ts";
import type { ApiDeps } from "./api/deps.ts";
import { sendJson } from "./api/protocol/http.ts";
import { DualProtocolListener } from "./api/protocol/listener.ts";
import { Router } from "./api/router.ts";
import type { Config } from "./config/schema.ts";
import { AccessControl } from "./iam/access-control.ts";
import { assertSafeBind, isLoopbackHost } from "./iam/safe-defaults.ts";
import { IamStore } from "./iam/store/iam-store.ts";
import { JobQueue } from "./jobs/job-queue.ts";
import { IngestionJobs } from "./kb/store/ingestion-jobs.ts";
import { KnowledgeBaseService } from "./kb/store/knowledge-base-service.ts";
import { GuardrailService } from "./guardrails/guardrail-service.ts";
import { KnowledgeBaseStore } from "./kb/store/knowledge-base-store.ts";
import { KnowledgeBasePipeline } from "./kb/ingestion/pipeline.ts";
import { createProviders } from "./models/providers/index.ts";
import { ModelRegistry } from "./models/registry.ts";
import { createUsageServices, type UsageServices } from "./usage/services.ts";
import { registerUsageRoutes } from "./api/usage/routes.ts";
import { modelIdFromIdentifier } from "./spec/arn.ts";
import { replayGuardFor } from "./iam/db-replay-cache.ts";
import { openEncryption } from "./store/crypto/open-encryption.ts";
import { databaseOptionsFromConfig, openDatabase } from "./store/db/open-database.ts";
import { migrate } from "./store/db/migrate.ts";

/** A running Basalt server. */
export interface RunningServer {
  port: number;
  url: string;
  registry: ModelRegistry;
  /** The durable job queue (started once listening): register job types' handlers on it. */
  jobs: JobQueue;
  /** Knowledge bases, data sources, ingestion jobs and direct ingestion (set its ingestor and lifecycle hooks). */
  knowledgeBases: KnowledgeBaseService;
  /** Guardrails: their store and compiled versions. */
  guardrails: GuardrailService;
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
  const db = openDatabase({ ...databaseOptionsFromConfig(config), onIdleError: (err) => logger.warn({ err }, "database connection error") });
  // On PostgreSQL the wrapped data keys live in the database (first used after the migration below).
  const encryption = await openEncryption({
    dataDir: config.dataDir,
    keyProvider: config.encryption.keyProvider,
    db,
    onKeyConflict: (ref) => logger.error(ref, "a data key in <dataDir>/keys differs from the one all nodes share; what this node sealed with it is unreadable"),
  }).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  // Accepted SigV4 signatures: shared by every node on PostgreSQL, in memory on SQLite.
  const replayGuard = replayGuardFor(db, { onError: (err) => logger.warn({ err }, "could not sweep the SigV4 replay table") });
  const releaseStores = async () => {
    await replayGuard.close?.();
    encryption.close();
    await db.close();
  };
  let access: AccessControl;
  let registry: ModelRegistry;
  let usage: UsageServices | undefined;
  try {
    await migrate(db);
    const iam = new IamStore({ db, encryption });
    assertSafeBind({ host: config.server.host, hasCredentials: await iam.hasCredentials() });
    access = new AccessControl({
      store: iam,
      region: config.region,
      modelAccessDefault: config.modelAccess.default,
      loopbackOnly: isLoopbackHost(config.server.host),
      // Policies and model access name the model actually served, whatever alias or ARN was used.
      resolveModel: (identifier) => registry.find(identifier)?.entry.id ?? modelIdFromIdentifier(identifier),
      logger,
      replayGuard,
    });
    await access.refresh();
    usage = await createUsageServices({ config, db, logger, encryption });
    registry = new ModelRegistry({ providers: createProviders(), context: { config, logger } });
  } catch (error) {
    await usage?.close();
    await releaseStores();
    throw error;
  }
  access.start();
  const jobs = new JobQueue({
    db,
    encryption,
    concurrency: config.jobs.concurrency,
    leaseMs: config.jobs.leaseSeconds * 1000,
    onError: (err) => logger.error({ err }, "job queue error"),
  });
  const kbStore = new KnowledgeBaseStore({ db });
  const pipeline = new KnowledgeBasePipeline({ config, registry, store: kbStore, logger, encryption });
  const ingestionJobs = new IngestionJobs({ db, queue: jobs });
  const knowledgeBases = new KnowledgeBaseService({
    store: kbStore,
    jobs: ingestionJobs,
    ingestor: pipeline.ingestor,
    lifecycle: pipeline.lifecycle,
    onError: (err, what) => logger.error({ err }, `knowledge bases: ${what}`),
  });
  pipeline.register(jobs);
  const guardrails = new GuardrailService({ db, registry, encryption });
  // Guardrail configurations an earlier version stored in the clear are sealed now (read as they are until then).
  await guardrails.store.sealPlaintextConfigs().catch((err: unknown) => logger.warn({ err }, "could not seal the guardrail configurations stored in the clear"));
  const deps: ApiDeps = { config, registry, logger, usage, knowledgeBases, guardrails };
  // Access-log lines join the usage bookkeeping in one deferred queue, drained when the usage services close.
  const router = new Router({ logger, bodyLimitBytes: config.server.bodyLimitBytes, logContent: config.logging.logContent, access, region: config.region, deferred: usage.deferred });
  router.on("GET", "/healthz", (ctx) => sendJson(ctx.res, 200, { status: "ok", models: registry.list().length }), { public: true });
  registerBedrockRuntimeRoutes(router, deps);
  registerBedrockRoutes(router, deps);
  registerOpenAiRoutes(router, deps);
  registerUsageRoutes(router, deps);
  registerBedrockAgentRoutes(router, deps);
  registerBedrockAgentRuntimeRoutes(router, { ...deps, openKnowledgeBases: pipeline, sessions: new DbRagSessionStore({ db, encryption }), parser: pipeline.parser });
  const listener = new DualProtocolListener({
    handler: router.handle,
    logger,
    keepAliveTimeoutMs: config.server.keepAliveTimeoutMs,
    inFlight: () => router.inFlight,
  });
  let port: number;
  try {
    port = await listener.listen(config.server.port, config.server.host);
  } catch (error) {
    await access.close();
    await registry.close();
    await usage.close();
    await releaseStores();
    throw error;
  }
  jobs.start();
  pipeline.startSchedule(ingestionJobs, () => kbStore.allS3DataSources());
  const host = config.server.host.includes(":") ? `[${config.server.host}]` : config.server.host;
  logger.info({ host: config.server.host, port, models: registry.list().length, authentication: access.required }, "basalt listening");
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${host}:${port}`,
    registry,
    jobs,
    knowledgeBases,
    guardrails,
    inFlight: () => router.inFlight,
    close(graceMs = config.server.shutdownGraceMs) {
      closing ??= (async () => {
        await listener.close(graceMs);
        // Jobs (syncs and direct ingestion) write to the database: they stop before it closes.
        await jobs.close({ graceMs });
        await pipeline.close();
        await closeLlamaRerankers();
        await access.close();
        await registry.close();
        await usage.close();
        await releaseStores();
        logger.flush();
      })();
      return closing;
    },
  };
}
