// Gives a test file its own fresh PostgreSQL database on the server named by BASALT_TEST_PG_URL
// (.ci/run starts one and sets it), and drops it afterwards.
import { randomBytes } from "node:crypto";
import pg from "pg";

/** The server URL tests create their databases on, when one is configured. */
export const PG_SERVER_URL = process.env.BASALT_TEST_PG_URL || undefined;

/** Why PostgreSQL suites are skipped here, or false when they run. */
export const PG_SKIP_REASON: string | false = PG_SERVER_URL
  ? false
  : "BASALT_TEST_PG_URL is not set: point it at a PostgreSQL server whose role may CREATE DATABASE (.ci/run installs, starts and sets one)";

/** A database created for one test file. */
export interface TestPostgresDatabase {
  url: string;
  name: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

async function onServer<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  if (!PG_SERVER_URL) throw new Error(PG_SKIP_REASON as string);
  const client = new pg.Client({ connectionString: PG_SERVER_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database for the calling test file. */
export async function createTestDatabase(): Promise<TestPostgresDatabase> {
  // The prefix lets .ci/run sweep databases a killed test run left behind.
  const name = `basalt_t_${process.pid}_${randomBytes(4).toString("hex")}`;
  await onServer((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_SERVER_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    // WITH (FORCE) (PostgreSQL 13+) also ends connections a failed test did not close. Without
    // pg_signal_backend, PostgreSQL 15 refuses it while an autovacuum worker (the superuser's) is in
    // the database; a plain DROP, which stops autovacuum by itself, is then tried once more.
    drop: () =>
      onServer(async (client) => {
        try {
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } catch (error) {
          if ((error as { code?: string }).code !== "42501") throw error;
          await new Promise((resolve) => setTimeout(resolve, 500));
          await client.query(`DROP DATABASE IF EXISTS ${name}`);
        }
      }),
  };
}
