// Starts a real Basalt server on a free loopback port for end-to-end tests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { parseConfig } from "../../src/config/loader.ts";
import { startServer, type RunningServer } from "../../src/server.ts";

/** Absolute path of the shared test models. */
export const SHARED_MODELS = join(import.meta.dirname, "..", "..", "..", "shared", "models");

/** A started server plus its temporary data directory, removed on stop. */
export interface TestServer extends RunningServer {
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts Basalt with `config` (merged over test defaults: port 0, temp data dir, quiet logs). */
export async function startTestServer(config: Record<string, unknown> = {}, options: { logLines?: string[] } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "basalt-test-"));
  const parsed = parseConfig({
    dataDir,
    ...config,
    server: { port: 0, ...(config.server as object | undefined) },
    logging: { level: process.env.BASALT_TEST_LOG_LEVEL ?? "silent", ...(config.logging as object | undefined) },
  });
  const lines = options.logLines;
  const logger = lines ? pino({ level: parsed.logging.level }, { write: (line: string) => void lines.push(line) }) : pino({ level: parsed.logging.level });
  const server = await startServer({ config: parsed, logger });
  return {
    ...server,
    dataDir,
    async stop() {
      await server.close(1000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Dummy credentials for the AWS SDK clients (no auth is configured in these tests). */
export const DUMMY_CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
