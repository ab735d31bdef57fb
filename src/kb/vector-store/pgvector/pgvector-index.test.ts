// What is particular to the pgvector engine (the shared behaviour is in the conformance suite):
// Bedrock's table layout, tables made by hand, tables that do not fit, the no-custom-column
// layout, transactions across statements, concurrent writers and openers, bad options.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { BEDROCK_FIELD_MAPPING, pgvectorTestTargets, type PgliteServer } from "../../../../test/helpers/pglite.ts";
import { BasaltError } from "../../../spec/errors.ts";
import { parseMetadataFilter } from "../filter.ts";
import type { StoredChunk } from "../vector-store.ts";
import { chunkUuid } from "./chunk-uuid.ts";
import { openPgvectorIndex, type PgvectorIndexOptions } from "./pgvector-index.ts";

function chunk(id: string, vector: number[], fields: Partial<StoredChunk> = {}): StoredChunk {
  const documentId = id.split("#")[0]!;
  return { id, documentId, dataSourceId: "ds-1", text: `text of ${id}`, sourceUri: `s3://bucket/${documentId}`, metadata: {}, ...fields, vector: Float32Array.from(vector) };
}

function withoutVector(c: StoredChunk): Omit<StoredChunk, "vector"> {
  const { vector: _vector, ...rest } = c;
  return rest;
}

async function rejectsWith(promise: Promise<unknown>, code: BasaltError["code"], ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BasaltError, `expected a BasaltError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

describe("openPgvectorIndex without a server", () => {
  const base: PgvectorIndexOptions = { connectionString: "postgres://u:secret-password@127.0.0.1:1/db", tableName: "kb", fieldMapping: BEDROCK_FIELD_MAPPING, dimensions: 3 };

  it("refuses bad options before connecting, naming the option", async () => {
    await rejectsWith(openPgvectorIndex({ ...base, tableName: 'kb"; DROP TABLE x; --' }), "VALIDATION", /'tableName'/);
    await rejectsWith(openPgvectorIndex({ ...base, fieldMapping: { ...BEDROCK_FIELD_MAPPING, vectorField: "embedding vector" } }), "VALIDATION", /'fieldMapping.vectorField'/);
    await rejectsWith(openPgvectorIndex({ ...base, dimensions: 0 }), "VALIDATION", /'dimensions'/);
    await rejectsWith(openPgvectorIndex({ ...base, dimensions: 2.5 }), "VALIDATION", /'dimensions'/);
  });

  it("reports an unreachable server as ServiceUnavailable, without the password", async () => {
    await assert.rejects(openPgvectorIndex(base), (error: unknown) => {
      assert.ok(error instanceof BasaltError && error.code === "SERVICE_UNAVAILABLE", String(error));
      assert.match(error.message, /127\.0\.0\.1:1/);
      assert.doesNotMatch(error.message, /secret-password/);
      return true;
    });
  });
});

for (const target of await pgvectorTestTargets()) {
  describe(`pgvector index on ${target.name}`, { skip: target.skip }, () => {
    let server: PgliteServer;
    let sql: pg.Client;
    let tables = 0;
    const options = (fields: Partial<PgvectorIndexOptions> = {}): PgvectorIndexOptions => ({
      connectionString: server.url,
      tableName: `kb_${++tables}`,
      fieldMapping: BEDROCK_FIELD_MAPPING,
      dimensions: 3,
      poolSize: target.poolSize,
      ...fields,
    });

    before(async () => {
      server = await target.start();
      sql = new pg.Client({ connectionString: server.url });
      await sql.connect();
    });
    after(async () => {
      await sql?.end();
      await server?.close();
    });

    it("creates the table as Bedrock's Aurora guide lays it out, with its indexes", async () => {
      const index = await openPgvectorIndex(options({ tableName: "bedrock_integration.bedrock_kb", dimensions: 5 }));
      try {
        const columns = await sql.query<{ name: string; type: string; nullable: boolean }>(
          "SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'bedrock_integration.bedrock_kb'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        );
        assert.deepEqual(
          columns.rows.map((c) => `${c.name} ${c.type}`),
          ["id uuid", "embedding vector(5)", "chunks text", "metadata json", "custom_metadata jsonb"],
        );
        const indexes = (await sql.query<{ def: string }>("SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'bedrock_integration' AND tablename = 'bedrock_kb'")).rows.map((r) => r.def);
        for (const expected of [/UNIQUE INDEX .* USING btree \(id\)/, /USING hnsw \(embedding vector_cosine_ops\)/, /USING gin \(to_tsvector\('simple'::regconfig, chunks\)\)/, /USING gin \(custom_metadata\)/, /x-basalt-kb-document-id/]) {
          assert.equal(indexes.filter((def) => expected.test(def)).length, 1, `${expected}: ${indexes.join("; ")}`);
        }
        assert.equal(index.info.hnswIndex, true);
        assert.equal(index.info.iterativeScan, true, `pgvector ${index.info.extensionVersion} has iterative scans`);

        const stored = chunk("s3://bucket/a.pdf#3", [1, 2, 3, 4, 5], { documentId: "s3://bucket/a.pdf", parent: { id: "p", text: "parent" }, metadata: { year: 2020, tags: ["x"] } });
        await index.upsert([stored]);
        const row = (await sql.query("SELECT id::text AS id, chunks, metadata, custom_metadata FROM bedrock_integration.bedrock_kb")).rows[0];
        assert.equal(row.id, chunkUuid(stored.id), "the key is the chunk id's uuid v5");
        assert.equal(row.chunks, stored.text);
        assert.deepEqual(row.custom_metadata, stored.metadata, "filterable metadata in the custom column");
        assert.deepEqual(row.metadata, {
          "x-basalt-kb-chunk-id": stored.id,
          "x-basalt-kb-document-id": stored.documentId,
          "x-basalt-kb-data-source-id": stored.dataSourceId,
          "x-basalt-kb-source-uri": stored.sourceUri,
          "x-basalt-kb-parent-id": "p",
          "x-basalt-kb-parent-text": "parent",
        });
      } finally {
        await index.drop();
      }
      assert.equal((await sql.query("SELECT to_regclass('bedrock_integration.bedrock_kb') AS t")).rows[0].t, null, "drop removes the table");
    });

    it("uses a table made by hand with AWS's SQL, without a second copy of its indexes", async () => {
      await sql.query(`CREATE SCHEMA IF NOT EXISTS handmade;
        CREATE TABLE handmade.bedrock_kb (id uuid PRIMARY KEY, embedding vector(3), chunks text, metadata json, custom_metadata jsonb);
        CREATE INDEX ON handmade.bedrock_kb USING hnsw (embedding vector_cosine_ops);
        CREATE INDEX ON handmade.bedrock_kb USING gin (to_tsvector('simple', chunks));
        CREATE INDEX ON handmade.bedrock_kb USING gin (custom_metadata);`);
      const index = await openPgvectorIndex(options({ tableName: "handmade.bedrock_kb" }));
      try {
        const defs = (await sql.query<{ def: string }>("SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'handmade'")).rows.map((r) => r.def);
        assert.equal(defs.filter((d) => d.includes("USING hnsw")).length, 1, defs.join("; "));
        assert.equal(defs.filter((d) => d.includes("to_tsvector")).length, 1, defs.join("; "));
        assert.equal(defs.filter((d) => /USING gin \(custom_metadata\)/.test(d)).length, 1, defs.join("; "));
        await index.upsert([chunk("a#0", [1, 0, 0], { text: "granite and basalt" }), chunk("b#0", [0, 1, 0], { text: "lava" })]);
        assert.deepEqual((await index.search({ mode: "HYBRID", vector: Float32Array.from([1, 0, 0]), text: "basalt", k: 1 })).map((h) => h.chunk.id), ["a#0"]);
      } finally {
        await index.drop();
      }
    });

    it("refuses a table that does not fit, naming the field to fix", async () => {
      await (await openPgvectorIndex(options({ tableName: "five_dims", dimensions: 5 }))).close();
      await rejectsWith(openPgvectorIndex(options({ tableName: "five_dims", dimensions: 6 })), "VALIDATION", /fieldMapping\.vectorField/, /5-dimensional/, /6-dimensional/);
      await sql.query(`CREATE TABLE no_custom (id uuid PRIMARY KEY, embedding vector(3), chunks text, metadata json)`);
      await rejectsWith(openPgvectorIndex(options({ tableName: "no_custom" })), "VALIDATION", /fieldMapping\.customMetadataField/, /no column 'custom_metadata'/);
      await sql.query(`CREATE TABLE no_key (id uuid, embedding vector(3), chunks text, metadata json, custom_metadata jsonb)`);
      await rejectsWith(openPgvectorIndex(options({ tableName: "no_key" })), "VALIDATION", /fieldMapping\.primaryKeyField/, /primary key/);
      await sql.query(`CREATE TABLE int_text (id uuid PRIMARY KEY, embedding vector(3), chunks integer, metadata json, custom_metadata jsonb)`);
      await rejectsWith(openPgvectorIndex(options({ tableName: "int_text" })), "VALIDATION", /fieldMapping\.textField/, /integer/);
      await sql.query(`CREATE TABLE no_dims (id uuid PRIMARY KEY, embedding vector, chunks text, metadata json, custom_metadata jsonb)`);
      await rejectsWith(openPgvectorIndex(options({ tableName: "no_dims" })), "VALIDATION", /fieldMapping\.vectorField/);
      const five = await openPgvectorIndex(options({ tableName: "five_dims", dimensions: 5 }));
      await five.close();
      await five.drop();
      assert.equal((await sql.query("SELECT to_regclass('five_dims') AS t")).rows[0].t, null, "drop works after close too");
    });

    it("without a custom metadata column keeps filterable metadata in the metadata column", async () => {
      const { customMetadataField: _none, ...mapping } = BEDROCK_FIELD_MAPPING;
      const index = await openPgvectorIndex(options({ fieldMapping: mapping }));
      try {
        const chunks = [
          chunk("d1#0", [1, 0, 0], { metadata: { genre: "science", year: 2020, "x-amz-bedrock-kb-source-uri": "s3://bucket/d1" } }),
          chunk("d2#0", [0, 1, 0], { metadata: { genre: "poetry", year: "2021" }, parent: { id: "d2#p", text: "whole poem" } }),
          chunk("d3#0", [0, 0, 1]),
        ];
        await index.upsert(chunks);
        const all = await index.search({ mode: "SEMANTIC", vector: Float32Array.from([1, 0.1, 0.1]), k: 3 });
        assert.deepEqual(
          all.map((h) => h.chunk).sort((a, b) => a.id.localeCompare(b.id)),
          chunks.map(withoutVector),
          "metadata round-trips without Basalt's bookkeeping keys",
        );
        const filtered = await index.search({ mode: "SEMANTIC", vector: Float32Array.from([1, 0, 0]), k: 3, filter: parseMetadataFilter({ greaterThan: { key: "year", value: 2019 } }) });
        assert.deepEqual(filtered.map((h) => h.chunk.id), ["d1#0"]);
        const bookkeeping = parseMetadataFilter({ equals: { key: "x-basalt-kb-document-id", value: "d1" } });
        assert.deepEqual(await index.search({ mode: "LEXICAL", text: "text of", k: 3, filter: bookkeeping }), [], "bookkeeping is not filterable metadata");
        await rejectsWith(index.upsert([chunk("d4#0", [1, 1, 1], { metadata: { "x-basalt-kb-document-id": "forged" } })]), "VALIDATION", /reserved/);
      } finally {
        await index.drop();
      }
    });

    it("writes a batch spanning several statements in one transaction", async () => {
      const index = await openPgvectorIndex(options());
      try {
        await index.upsert([chunk("kept#0", [1, 0, 0])]);
        const batch = Array.from({ length: 1200 }, (_, i) => chunk(`big#${i}`, [1, i, 0]));
        // PostgreSQL refuses NUL in text: the third statement of the batch fails in the server.
        batch[1100] = chunk("big#1100", [1, 1, 1], { text: "bad \u0000 byte" });
        await assert.rejects(index.upsert(batch));
        assert.equal(await index.count(), 1, "the first 1000 rows were rolled back");
        batch[1100] = chunk("big#1100", [1, 1, 1]);
        await index.upsert(batch);
        assert.equal(await index.count(), 1201);
        assert.equal((await index.chunkIds("big")).length, 1200);
        assert.deepEqual((await index.chunkIds("big")).slice(0, 3), ["big#0", "big#1", "big#2"], "in chunk order");
      } finally {
        await index.drop();
      }
    });

    it("keeps one row per chunk when two writers store the same chunks at once", async () => {
      const shared = options();
      const [a, b] = await Promise.all([openPgvectorIndex(shared), openPgvectorIndex(shared)]);
      try {
        const chunks = Array.from({ length: 300 }, (_, i) => chunk(`doc-${i % 10}#${i}`, [1, i, 2]));
        await Promise.all([a.upsert(chunks), b.upsert(chunks.slice().reverse()), a.upsert(chunks.slice(100, 200))]);
        assert.equal(await a.count(), 300);
        assert.equal(await b.count(), 300);
        assert.equal((await b.chunkIds("doc-3")).length, 30);
      } finally {
        await a.close();
        await b.drop();
      }
    });

    it("stores text and metadata that look like SQL as plain data", async () => {
      const index = await openPgvectorIndex(options());
      const hostile = chunk("x'); DROP TABLE kb; --#0", [1, 2, 3], {
        documentId: "x'); DROP TABLE kb; --",
        text: "Robert'); DROP TABLE students; -- $1 \\ %",
        metadata: { "k'\"; DELETE FROM kb; --": "v'); TRUNCATE kb; --", "$1": ["'", '"', "\\"] },
      });
      try {
        await index.upsert([hostile, chunk("other#0", [3, 2, 1])]);
        const hit = await index.search({ mode: "LEXICAL", text: "Robert'); DROP TABLE students", k: 5, filter: parseMetadataFilter({ equals: { key: "k'\"; DELETE FROM kb; --", value: "v'); TRUNCATE kb; --" } }) });
        assert.deepEqual(hit.map((h) => h.chunk), [withoutVector(hostile)]);
        assert.equal(await index.count(), 2);
        assert.equal(await index.deleteDocuments(["x'); DROP TABLE kb; --"]), 1);
        assert.equal(await index.count(), 1);
      } finally {
        await index.drop();
      }
    });

    it("finds a rare word among many chunks of common words, and fills k from them", async () => {
      const index = await openPgvectorIndex(options({ tableName: "common_words" }));
      try {
        // Over COMMON_TERM_DOCUMENTS chunks hold "the" and "report": both are common words.
        const chunks = Array.from({ length: 1200 }, (_, i) => chunk(`doc-${i}#0`, [1, i % 7, 1], { text: i === 777 ? "the defibrillator report" : `the report number ${i} of the year` }));
        await index.upsert(chunks);
        await sql.query("ANALYZE common_words");
        const one = await index.search({ mode: "LEXICAL", text: "where is the defibrillator report", k: 1 });
        assert.deepEqual(one.map((h) => h.chunk.id), ["doc-777#0"]);
        const three = await index.search({ mode: "LEXICAL", text: "where is the defibrillator report", k: 3 });
        assert.equal(three.length, 3, "common words fill k when rare ones match too few chunks");
        assert.equal(three[0]?.chunk.id, "doc-777#0");
        assert.ok(three[0]!.score > three[1]!.score);
        const common = await index.search({ mode: "LEXICAL", text: "the report", k: 5, filter: parseMetadataFilter({ equals: { key: "missing", value: 1 } }) });
        assert.deepEqual(common, []);
        assert.equal((await index.search({ mode: "LEXICAL", text: "the report", k: 5 })).length, 5, "a query of common words only still answers");
      } finally {
        await index.drop();
      }
    });

    it("ranks lexical hits by rare words, matching any of the question's words", async () => {
      const index = await openPgvectorIndex(options());
      try {
        await index.upsert([
          chunk("stuffed#0", [1, 0, 0], { text: "the the the of the of the report of the year of the board of the the" }),
          chunk("answer#0", [0, 1, 0], { text: "Paris is the capital of France." }),
          chunk("other#0", [0, 0, 1], { text: "Berlin is the capital of Germany, not of France's neighbour Spain." }),
        ]);
        const hits = await index.search({ mode: "LEXICAL", text: "Which city is the capital of France?", k: 3 });
        assert.equal(hits[0]?.chunk.id, "answer#0", hits.map((h) => `${h.chunk.id} ${h.score}`).join(", "));
        assert.equal(hits.at(-1)?.chunk.id, "stuffed#0", "common words alone rank last");
      } finally {
        await index.drop();
      }
    });
  });
}
