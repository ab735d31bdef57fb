// An in-memory PostgreSQL for tests: PGlite (PostgreSQL compiled to WebAssembly) with the real
// pgvector extension, served over the Postgres wire protocol by pglite-socket on 127.0.0.1,
// so the real `pg` driver connects with an ordinary connection string. Works offline. Also the
// targets pgvector suites run on (PGlite, and the real PostgreSQL when it has pgvector).
//
// PGlite is one backend. pglite-socket 0.0.22 queues every client's protocol messages into it
// one by one and pins it to one client only inside an explicit transaction; outside one,
// nothing in its queue keeps a client's Parse/Bind/Execute/Sync together (none interleaved in
// a 400-query trial, but the code allows it). Code under test therefore gets a pool of one
// connection here; the real PostgreSQL runs the same suites with a real pool.
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite/vector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { after, before, describe } from "node:test";
import pg from "pg";
import { openPgvectorIndex, type PgvectorIndexOptions } from "../../src/kb/vector-store/pgvector/pgvector-index.ts";
import type { VectorIndex } from "../../src/kb/vector-store/vector-store.ts";
import { vectorStoreConformance } from "../conformance/vector-store.ts";
import { createTestDatabase, PG_SKIP_REASON } from "./postgres.ts";

/** A running PGlite server. */
export interface PgliteServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  /** Stops the server and the database (its data is gone). */
  close(): Promise<void>;
}

/** Options of {@link startPglite}. */
export interface StartPgliteOptions {
  /** Connections served at once (default 8); each pool should still hold one (see above). */
  maxConnections?: number;
}

/** Starts an in-memory PGlite with pgvector on a free port of 127.0.0.1. */
export async function startPglite(options: StartPgliteOptions = {}): Promise<PgliteServer> {
  const db = await PGlite.create({ extensions: { vector } });
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: options.maxConnections ?? 8 });
  await server.start();
  const port = Number(server.getServerConn().split(":").pop());
  let closed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async close() {
      if (closed) return;
      closed = true;
      await server.stop();
      await db.close();
    },
  };
}

/** An engine a pgvector suite runs on. */
export interface PgvectorTestTarget {
  name: string;
  /** Why the target is skipped here, or false. */
  skip: string | false;
  /** Connections an index may pool: 1 on PGlite (see above), several on PostgreSQL. */
  poolSize: number;
  /** A fresh, empty database; `close` drops it. */
  start(): Promise<PgliteServer>;
}

async function freshPostgres(): Promise<PgliteServer> {
  const database = await createTestDatabase();
  return { url: database.url, close: () => database.drop() };
}

let pgvectorProbe: Promise<string | false> | undefined;

/** Why pgvector cannot be used on BASALT_TEST_PG_URL, or false when a fresh database gets it. */
function probePostgres(): Promise<string | false> {
  pgvectorProbe ??= (async () => {
    if (PG_SKIP_REASON) return PG_SKIP_REASON;
    const database = await freshPostgres();
    const client = new pg.Client({ connectionString: database.url });
    try {
      await client.connect();
      // The role may create it (superuser), or .ci/run created it in template1.
      await client.query("CREATE EXTENSION IF NOT EXISTS vector");
      return false;
    } catch (error) {
      return `pgvector cannot be enabled in a new database on BASALT_TEST_PG_URL (${(error as Error).message}): install pgvector on the server and, as a superuser, CREATE EXTENSION vector in template1`;
    } finally {
      await client.end().catch(() => undefined);
      await database.close();
    }
  })();
  return pgvectorProbe;
}

/** PGlite (always) and the real PostgreSQL (when configured and pgvector can be enabled there). */
export async function pgvectorTestTargets(): Promise<PgvectorTestTarget[]> {
  return [
    { name: "PGlite", skip: false, poolSize: 1, start: () => startPglite() },
    { name: "PostgreSQL", skip: await probePostgres(), poolSize: 4, start: freshPostgres },
  ];
}

/** Bedrock's column names, as its Aurora guide creates them. */
export const BEDROCK_FIELD_MAPPING = { primaryKeyField: "id", vectorField: "embedding", textField: "chunks", metadataField: "metadata", customMetadataField: "custom_metadata" };

/**
 * Runs the vector store conformance suite on pgvector, once per target. With
 * `exactSearchRows: 0` every search goes to the HNSW index (as on a large table), and the
 * database steers the planner off sequential scans, which it would rightly pick for the
 * suite's small tables.
 */
export async function describePgvectorConformance(title: string, tuning: { exactSearchRows?: number } = {}): Promise<void> {
  for (const target of await pgvectorTestTargets()) {
    describe(`${title} on ${target.name}`, { skip: target.skip }, () => {
      let server: PgliteServer | undefined;
      let tables = 0;
      const opened = new WeakMap<VectorIndex, PgvectorIndexOptions>();
      const open = async (options: PgvectorIndexOptions) => {
        const index = await openPgvectorIndex(options);
        opened.set(index, options);
        return index;
      };
      before(async () => {
        server = await target.start();
        if (tuning.exactSearchRows === 0) {
          // Database settings reach every connection opened afterwards.
          const client = new pg.Client({ connectionString: server.url });
          await client.connect();
          const { rows } = await client.query<{ name: string }>("SELECT current_database() AS name");
          await client.query(`ALTER DATABASE "${rows[0]!.name}" SET enable_seqscan = off`);
          await client.end();
        }
      });
      after(async () => server?.close());
      vectorStoreConformance({
        open: (dimensions) =>
          open({ connectionString: server!.url, tableName: `bedrock_integration.bedrock_kb_${++tables}`, fieldMapping: BEDROCK_FIELD_MAPPING, dimensions, poolSize: target.poolSize, ...tuning }),
        reopen: async (closed) => {
          await closed.close();
          return open(opened.get(closed)!);
        },
      });
    });
  }
}
