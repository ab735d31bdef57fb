// The real server (startTestServer) plus read-only views of what its usage layer wrote: usage
// records from its database, through a second connection, and samples from /metrics. The server
// writes usage in batches (about a second), so reads wait until the records have caught up
// with the request counters of /metrics.
import { setTimeout as sleep } from "node:timers/promises";
import type { Database } from "../../src/store/db/database.ts";
import { openDatabase } from "../../src/store/db/open-database.ts";
import { DbUsageRecorder } from "../../src/usage/db-usage-recorder.ts";
import { matches, type UsageQuery, type UsageRecord } from "../../src/usage/recorder.ts";
import { parseExposition, total, type Sample } from "./prometheus.ts";
import { startTestServer, type TestServer } from "./server.ts";

/** A started server with views of its usage records and metrics. */
export interface UsageTestServer extends TestServer {
  /** Every usage record so far matching `query`, once the database holds all that /metrics counted. */
  records(query?: UsageQuery): Promise<UsageRecord[]>;
  /** The samples of GET /metrics. */
  metrics(): Promise<{ samples: Sample[]; types: Map<string, string> }>;
}

/** Polls until `check` returns a value; fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Starts Basalt with `config` (no embedded default models unless asked for). */
export async function startUsageTestServer(config: Record<string, unknown> = {}): Promise<UsageTestServer> {
  const server = await startTestServer({ embeddedDefaults: false, ...config });
  // A reader beside the server's own connection (SQLite in WAL mode lets it read while the server writes).
  let db: Database | undefined;
  const metrics = async () => parseExposition(await (await fetch(`${server.url}/metrics`)).text());
  return {
    ...server,
    metrics,
    async records(query: UsageQuery = {}) {
      db ??= openDatabase({ dataDir: server.dataDir });
      const reader = new DbUsageRecorder({ db });
      const counted = total((await metrics()).samples, "basalt_requests_total");
      return waitFor(async () => {
        let written = 0;
        const matching: UsageRecord[] = [];
        for await (const record of reader.query()) {
          written++;
          if (matches(record, query)) matching.push(record);
        }
        return written >= counted ? matching : undefined;
      }, `${counted} usage records`);
    },
    async stop() {
      await db?.close();
      await server.stop();
    },
  };
}
