// A knowledge base whose storageConfiguration is RDS, as Bedrock names it, on a real pgvector
// engine (PGlite served over the Postgres wire protocol): the configuration maps the resource
// ARN to the database, the whole pipeline writes into the table Bedrock's field mapping names,
// and Retrieve searches it semantically, hybrid and with metadata filters.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  BedrockAgentClient,
  CreateDataSourceCommand,
  CreateKnowledgeBaseCommand,
  DeleteKnowledgeBaseCommand,
  GetIngestionJobCommand,
  StartIngestionJobCommand,
} from "@aws-sdk/client-bedrock-agent";
import { BedrockAgentRuntimeClient, RetrieveCommand } from "@aws-sdk/client-bedrock-agent-runtime";
import pg from "pg";
import { startPglite, type PgliteServer } from "./helpers/pglite.ts";
import { DUMMY_CREDENTIALS, startTestServer, type TestServer } from "./helpers/server.ts";

const RESOURCE = "arn:aws:rds:us-east-1:000000000000:cluster:basalt-kb";
const rdsConfiguration = {
  resourceArn: RESOURCE,
  credentialsSecretArn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:kb-AbCdEf",
  databaseName: "postgres",
  tableName: "bedrock_kb",
  fieldMapping: { primaryKeyField: "id", vectorField: "embedding", textField: "chunks", metadataField: "metadata" },
};

const PLANTS = [
  { file: "fern.txt", text: "The royal fern grows in acidic bogs and reaches two metres.", family: "fern", year: 1998 },
  { file: "oak.txt", text: "The sessile oak keeps its acorns on the twig without stalks.", family: "tree", year: 2004 },
  { file: "moss.txt", text: "Sphagnum moss holds twenty times its dry weight in water.", family: "moss", year: 2011 },
  { file: "birch.txt", text: "The silver birch has white bark that peels in thin layers.", family: "tree", year: 2016 },
];

describe("knowledge base on PostgreSQL + pgvector (RDS storage)", () => {
  let pglite: PgliteServer;
  let server: TestServer;
  let agent: BedrockAgentClient;
  let runtime: BedrockAgentRuntimeClient;
  let knowledgeBaseId: string;

  before(async () => {
    pglite = await startPglite();
    server = await startTestServer({ embeddedDefaults: true, knowledgeBases: { rds: { [RESOURCE]: { url: pglite.url, poolSize: 1 } } } });
    const bucket = join(server.dataDir, "buckets", "plants");
    mkdirSync(bucket, { recursive: true });
    for (const plant of PLANTS) {
      writeFileSync(join(bucket, plant.file), plant.text);
      writeFileSync(join(bucket, `${plant.file}.metadata.json`), JSON.stringify({ metadataAttributes: { family: plant.family, year: plant.year } }));
    }
    agent = new BedrockAgentClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
    runtime = new BedrockAgentRuntimeClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
  });
  after(async () => {
    await server?.stop();
    await pglite?.close();
  });

  it("ingests into the mapped table and retrieves with filters", async () => {
    const { knowledgeBase } = await agent.send(
      new CreateKnowledgeBaseCommand({
        name: "plants",
        roleArn: "arn:aws:iam::000000000000:role/kb",
        knowledgeBaseConfiguration: { type: "VECTOR", vectorKnowledgeBaseConfiguration: { embeddingModelArn: "arn:aws:bedrock:us-east-1::foundation-model/basalt.use-lite-v1" } },
        storageConfiguration: { type: "RDS", rdsConfiguration },
      }),
    );
    knowledgeBaseId = knowledgeBase!.knowledgeBaseId!;
    assert.deepEqual(knowledgeBase!.storageConfiguration, { type: "RDS", rdsConfiguration });
    const { dataSource } = await agent.send(
      new CreateDataSourceCommand({ knowledgeBaseId, name: "plants", dataSourceConfiguration: { type: "S3", s3Configuration: { bucketArn: "arn:aws:s3:::plants" } } }),
    );
    const { ingestionJob } = await agent.send(new StartIngestionJobCommand({ knowledgeBaseId, dataSourceId: dataSource!.dataSourceId! }));
    let job = ingestionJob!;
    while (!["COMPLETE", "FAILED"].includes(job.status!)) {
      await new Promise((r) => setTimeout(r, 200));
      job = (await agent.send(new GetIngestionJobCommand({ knowledgeBaseId, dataSourceId: dataSource!.dataSourceId!, ingestionJobId: job.ingestionJobId! }))).ingestionJob!;
    }
    assert.equal(job.status, "COMPLETE", JSON.stringify(job.failureReasons));
    assert.equal(job.statistics?.numberOfNewDocumentsIndexed, PLANTS.length);

    // The chunks are rows of the table the field mapping names.
    const client = new pg.Client({ connectionString: pglite.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ chunks: string }>("SELECT chunks FROM bedrock_kb ORDER BY chunks");
      assert.equal(rows.length, PLANTS.length);
      assert.ok(rows.some((r) => r.chunks.includes("Sphagnum moss")));
    } finally {
      await client.end();
    }

    const retrieve = async (text: string, extra: Record<string, unknown> = {}) =>
      (
        await runtime.send(
          new RetrieveCommand({ knowledgeBaseId, retrievalQuery: { text }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 4, ...extra } } }),
        )
      ).retrievalResults ?? [];
    const semantic = await retrieve("How much water can moss hold?");
    assert.match(semantic[0]!.content!.text!, /Sphagnum/);
    const hybrid = await retrieve("acorns twig", { overrideSearchType: "HYBRID" });
    assert.match(hybrid[0]!.content!.text!, /sessile oak/);
    const trees = await retrieve("bark and leaves", { filter: { andAll: [{ equals: { key: "family", value: "tree" } }, { greaterThan: { key: "year", value: 2010 } }] } });
    assert.deepEqual(trees.map((r) => r.metadata?.family), ["tree"]);
    assert.match(trees[0]!.content!.text!, /silver birch/);
    assert.equal(trees[0]!.location?.s3Location?.uri, undefined, "a folder bucket reports the file's URI");
    assert.match(String(trees[0]!.metadata?.["x-amz-bedrock-kb-source-uri"]), /birch\.txt$/);
  });

  it("drops the table's rows with the knowledge base", async () => {
    await agent.send(new DeleteKnowledgeBaseCommand({ knowledgeBaseId }));
    const client = new pg.Client({ connectionString: pglite.url });
    await client.connect();
    try {
      const exists = await client.query("SELECT to_regclass('bedrock_kb') AS t");
      if (exists.rows[0].t) assert.equal((await client.query("SELECT count(*)::int AS n FROM bedrock_kb")).rows[0].n, 0);
    } finally {
      await client.end();
    }
  });
});
