// The knowledge-base control plane end to end, as users meet it: `@aws-sdk/client-bedrock-agent`
// against the live server, on SQLite and on PostgreSQL. Knowledge bases and data sources with
// pagination, Bedrock's validation errors with exact field names, ResourceNotFound for unknown
// ids, ingestion jobs run by the durable queue (a small handler stands in for the sync and reports
// Bedrock's counters), direct ingestion, and IAM policies scoped to one knowledge base.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  BedrockAgentClient,
  CreateDataSourceCommand,
  CreateKnowledgeBaseCommand,
  DeleteDataSourceCommand,
  DeleteKnowledgeBaseCommand,
  DeleteKnowledgeBaseDocumentsCommand,
  GetDataSourceCommand,
  GetIngestionJobCommand,
  GetKnowledgeBaseCommand,
  GetKnowledgeBaseDocumentsCommand,
  IngestKnowledgeBaseDocumentsCommand,
  ListDataSourcesCommand,
  ListIngestionJobsCommand,
  ListKnowledgeBaseDocumentsCommand,
  ListKnowledgeBasesCommand,
  paginateListDataSources,
  paginateListKnowledgeBases,
  StartIngestionJobCommand,
  StopIngestionJobCommand,
  UpdateDataSourceCommand,
  UpdateKnowledgeBaseCommand,
  type CreateKnowledgeBaseCommandInput,
  type IngestionJob,
} from "@aws-sdk/client-bedrock-agent";
import type { JobContext } from "../src/jobs/job.ts";
import { INGESTION_JOB_TYPE, type IngestionJobPayload } from "../src/kb/store/ingestion-jobs.ts";
import { describeEachEngine } from "./conformance/engines.ts";
import { createUser, iam, policy, type UserKeys } from "./helpers/iam.ts";
import { DUMMY_CREDENTIALS, startTestServer, type TestServer } from "./helpers/server.ts";

const MODELS = [
  { provider: "mock", id: "mock.echo" },
  { provider: "mock", id: "mock.embed", embedding: true, embeddingDimensions: 16 },
];
const ROLE = "arn:aws:iam::000000000000:role/basalt-kb";
const EMBED_ARN = "arn:aws:bedrock:us-east-1::foundation-model/mock.embed";

const kbInput = (name: string, extra: Partial<CreateKnowledgeBaseCommandInput> = {}): CreateKnowledgeBaseCommandInput => ({
  name,
  roleArn: ROLE,
  knowledgeBaseConfiguration: { type: "VECTOR", vectorKnowledgeBaseConfiguration: { embeddingModelArn: EMBED_ARN } },
  ...extra,
});

type SdkError = Error & { $metadata?: { httpStatusCode?: number } };

/** Asserts an SDK call fails with `name`, HTTP `status` and a message matching `message`. */
async function refused(promise: Promise<unknown>, name: string, status: number, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: SdkError) => {
    assert.equal(error.name, name, error.message);
    assert.equal(error.$metadata?.httpStatusCode, status);
    if (message) assert.match(error.message, message);
    return true;
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const value = await read();
    if (done(value)) return value;
    if (i > 300) throw new Error(`timed out; last value: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

function agent(server: TestServer, credentials: { accessKeyId: string; secretAccessKey: string } = DUMMY_CREDENTIALS): BedrockAgentClient {
  return new BedrockAgentClient({ endpoint: server.url, region: "us-east-1", credentials, maxAttempts: 1 });
}

describeEachEngine("knowledge-base control plane", (target) => {
  let server: TestServer;
  let client: BedrockAgentClient;
  // Ingestion jobs wait here until the test lets them finish (or stops them).
  const gates = new Map<string, () => void>();

  before(async () => {
    server = await startTestServer({ database: { url: target.url() }, embeddedDefaults: false, models: MODELS });
    client = agent(server);
    // The real sync (tested in kb-ingestion.test.ts) is replaced by a gated one, so jobs can be held running.
    server.jobs.register<IngestionJobPayload, unknown>(INGESTION_JOB_TYPE, async (ctx: JobContext<IngestionJobPayload>) => {
      await ctx.progress({ counters: { numberOfDocumentsScanned: 4, numberOfNewDocumentsIndexed: 3, numberOfDocumentsFailed: 1 } });
      await new Promise<void>((resolve) => {
        gates.set(ctx.job.id, resolve);
        ctx.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      if (ctx.signal.aborted) throw ctx.signal.reason;
      return { failureReasons: ["s3://docs/broken.pdf: the PDF is malformed"] };
    }, { replace: true });
    // Direct ingestion: the pipeline's part, reduced to recording each document as indexed.
    const store = server.knowledgeBases.store;
    server.knowledgeBases.ingestor = {
      async ingest(ref, documents) {
        await store.putDocuments(
          ref,
          documents.map((d) => ({ documentId: d.documentId, contentFingerprint: createHash("sha256").update(JSON.stringify(d.content)).digest("hex"), status: "INDEXED", chunkCount: 1 })),
        );
      },
      async remove(ref, ids) {
        await store.deleteDocuments(ref, ids);
      },
    };
  });
  after(async () => server?.stop());

  it("creates, reads, lists in pages, updates and deletes knowledge bases", async () => {
    const created = await client.send(new CreateKnowledgeBaseCommand(kbInput("handbook", { description: "The employee handbook" })));
    assert.equal(created.$metadata.httpStatusCode, 202);
    const kb = created.knowledgeBase!;
    assert.match(kb.knowledgeBaseId!, /^[0-9A-Z]{10}$/);
    assert.equal(kb.status, "ACTIVE");
    assert.equal(kb.knowledgeBaseArn, `arn:aws:bedrock:us-east-1:000000000000:knowledge-base/${kb.knowledgeBaseId}`);
    assert.ok(kb.createdAt instanceof Date && kb.updatedAt instanceof Date);
    assert.deepEqual(kb.knowledgeBaseConfiguration, kbInput("x").knowledgeBaseConfiguration);
    assert.equal(kb.storageConfiguration, undefined);

    const got = (await client.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: kb.knowledgeBaseId }))).knowledgeBase!;
    assert.equal(got.name, "handbook");
    assert.equal(got.description, "The employee handbook");

    for (const name of ["kb-a", "kb-b", "kb-c", "kb-d"]) await client.send(new CreateKnowledgeBaseCommand(kbInput(name)));
    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListKnowledgeBases({ client, pageSize: 2 }, {})) {
      assert.ok(page.knowledgeBaseSummaries!.length <= 2);
      names.push(...page.knowledgeBaseSummaries!.map((s) => s.name!));
      pages++;
    }
    assert.ok(pages >= 3, `${pages} pages`);
    for (const name of ["handbook", "kb-a", "kb-b", "kb-c", "kb-d"]) assert.ok(names.includes(name), name);
    assert.equal(new Set(names).size, names.length, "no knowledge base on two pages");

    // Update: the name, description and role may change; the configurations may not.
    const updated = await client.send(
      new UpdateKnowledgeBaseCommand({ knowledgeBaseId: kb.knowledgeBaseId, ...kbInput("handbook-2026", { knowledgeBaseConfiguration: { type: "VECTOR", vectorKnowledgeBaseConfiguration: { embeddingModelArn: "mock.embed" } } }) }),
    );
    assert.equal(updated.$metadata.httpStatusCode, 202);
    assert.equal(updated.knowledgeBase!.name, "handbook-2026");
    assert.equal(updated.knowledgeBase!.description, undefined);
    await refused(
      client.send(
        new UpdateKnowledgeBaseCommand({
          knowledgeBaseId: kb.knowledgeBaseId,
          ...kbInput("handbook-2026", {
            knowledgeBaseConfiguration: {
              type: "VECTOR",
              vectorKnowledgeBaseConfiguration: { embeddingModelArn: EMBED_ARN, embeddingModelConfiguration: { bedrockEmbeddingModelConfiguration: { dimensions: 16 } } },
            },
          }),
        }),
      ),
      "ValidationException",
      400,
      /'knowledgeBaseConfiguration'.*cannot change/,
    );
    await refused(client.send(new CreateKnowledgeBaseCommand(kbInput("kb-a"))), "ConflictException", 409, /kb-a already exists/);

    const deleted = await client.send(new DeleteKnowledgeBaseCommand({ knowledgeBaseId: kb.knowledgeBaseId }));
    assert.equal(deleted.$metadata.httpStatusCode, 202);
    assert.equal(deleted.status, "DELETING");
    await refused(client.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: kb.knowledgeBaseId })), "ResourceNotFoundException", 404);
    await refused(client.send(new DeleteKnowledgeBaseCommand({ knowledgeBaseId: kb.knowledgeBaseId })), "ResourceNotFoundException", 404);
  });

  it("returns the knowledge base a client token created instead of creating another", async () => {
    const clientToken = "retry-token-0123456789-0123456789-abc";
    const first = await client.send(new CreateKnowledgeBaseCommand(kbInput("idempotent", { clientToken })));
    const again = await client.send(new CreateKnowledgeBaseCommand(kbInput("idempotent", { clientToken })));
    assert.equal(again.knowledgeBase!.knowledgeBaseId, first.knowledgeBase!.knowledgeBaseId);
    await refused(client.send(new CreateKnowledgeBaseCommand(kbInput("other-name", { clientToken }))), "ConflictException", 409, /client token/);
  });

  it("refuses invalid knowledge bases with Bedrock's ValidationException naming the field", async () => {
    const invalid = async (input: Record<string, unknown>, field: string, problem?: RegExp) => {
      await refused(client.send(new CreateKnowledgeBaseCommand(input as unknown as CreateKnowledgeBaseCommandInput)), "ValidationException", 400, new RegExp(`Value at '${field.replace(/\./g, "\\.")}'`));
      if (problem) await refused(client.send(new CreateKnowledgeBaseCommand(input as unknown as CreateKnowledgeBaseCommandInput)), "ValidationException", 400, problem);
    };
    await invalid({ ...kbInput("bad name!") }, "name");
    await invalid({ ...kbInput("x"), name: undefined }, "name", /must not be null/);
    await invalid({ ...kbInput("x"), description: "d".repeat(201) }, "description");
    await invalid({ ...kbInput("x"), roleArn: "not-a-role" }, "roleArn");
    await invalid({ ...kbInput("x"), knowledgeBaseConfiguration: { type: "KENDRA" } }, "knowledgeBaseConfiguration.type", /VECTOR knowledge bases only/);
    await invalid(
      { ...kbInput("x"), knowledgeBaseConfiguration: { type: "VECTOR", vectorKnowledgeBaseConfiguration: { embeddingModelArn: "mock.echo" } } },
      "knowledgeBaseConfiguration.vectorKnowledgeBaseConfiguration.embeddingModelArn",
      /must name an embedding model/,
    );
    await invalid(
      { ...kbInput("x"), knowledgeBaseConfiguration: { type: "VECTOR", vectorKnowledgeBaseConfiguration: { embeddingModelArn: "amazon.titan-embed-text-v2:0" } } },
      "knowledgeBaseConfiguration.vectorKnowledgeBaseConfiguration.embeddingModelArn",
    );
    await invalid(
      {
        ...kbInput("x"),
        knowledgeBaseConfiguration: {
          type: "VECTOR",
          vectorKnowledgeBaseConfiguration: { embeddingModelArn: "mock.embed", embeddingModelConfiguration: { bedrockEmbeddingModelConfiguration: { dimensions: 1024 } } },
        },
      },
      "knowledgeBaseConfiguration.vectorKnowledgeBaseConfiguration.embeddingModelConfiguration.bedrockEmbeddingModelConfiguration.dimensions",
      /produces 16-dimensional vectors/,
    );
    await invalid(
      { ...kbInput("x"), storageConfiguration: { type: "OPENSEARCH_SERVERLESS", opensearchServerlessConfiguration: {} } },
      "storageConfiguration.type",
      /embedded vector store \(omit storageConfiguration\) and RDS/,
    );
    await invalid({ ...kbInput("x"), storageConfiguration: { type: "RDS", rdsConfiguration: { resourceArn: "arn:aws:rds:us-east-1:000000000000:cluster:kb" } } }, "storageConfiguration.rdsConfiguration.credentialsSecretArn");
    // A complete RDS configuration names a database the server's configuration must map (the
    // request never picks a connection): unmapped, it is refused. kb-pgvector.test.ts serves one.
    const rdsConfiguration = {
      resourceArn: "arn:aws:rds:us-east-1:000000000000:cluster:kb",
      credentialsSecretArn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:kb-AbCdEf",
      databaseName: "kb",
      tableName: "bedrock_integration.bedrock_kb",
      fieldMapping: { primaryKeyField: "id", vectorField: "embedding", textField: "chunks", metadataField: "metadata" },
    };
    await refused(
      client.send(new CreateKnowledgeBaseCommand(kbInput("on-rds", { storageConfiguration: { type: "RDS", rdsConfiguration } }))),
      "ValidationException",
      400,
      /No database is configured for arn:aws:rds:us-east-1:000000000000:cluster:kb; add it under knowledgeBases\.rds/,
    );
    await refused(client.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: "not-an-id" })), "ValidationException", 400, /'knowledgeBaseId'/);
    await refused(client.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: "ABCDEFGHIJ" })), "ResourceNotFoundException", 404, /ABCDEFGHIJ does not exist/);
    await refused(client.send(new ListKnowledgeBasesCommand({ maxResults: 1001 })), "ValidationException", 400, /'maxResults'/);
    await refused(client.send(new ListKnowledgeBasesCommand({ nextToken: "forged" })), "ValidationException", 400, /'nextToken'/);
  });

  it("creates, lists, updates and deletes data sources, with validation and unknown ids", async () => {
    const kbId = (await client.send(new CreateKnowledgeBaseCommand(kbInput("with-sources")))).knowledgeBase!.knowledgeBaseId!;
    const s3 = { type: "S3" as const, s3Configuration: { bucketArn: "arn:aws:s3:::team-docs", inclusionPrefixes: ["policies/"] } };
    const chunking = { chunkingStrategy: "FIXED_SIZE" as const, fixedSizeChunkingConfiguration: { maxTokens: 200, overlapPercentage: 10 } };
    const created = await client.send(
      new CreateDataSourceCommand({ knowledgeBaseId: kbId, name: "policies", dataSourceConfiguration: s3, vectorIngestionConfiguration: { chunkingConfiguration: chunking } }),
    );
    const ds = created.dataSource!;
    assert.equal(ds.status, "AVAILABLE");
    assert.equal(ds.dataDeletionPolicy, "DELETE");
    assert.deepEqual(ds.dataSourceConfiguration, s3);
    assert.deepEqual(ds.vectorIngestionConfiguration, { chunkingConfiguration: chunking });
    const got = (await client.send(new GetDataSourceCommand({ knowledgeBaseId: kbId, dataSourceId: ds.dataSourceId }))).dataSource!;
    assert.equal(got.name, "policies");
    for (const name of ["second", "third"]) await client.send(new CreateDataSourceCommand({ knowledgeBaseId: kbId, name, dataSourceConfiguration: { type: "CUSTOM" } }));
    const names: string[] = [];
    for await (const page of paginateListDataSources({ client, pageSize: 2 }, { knowledgeBaseId: kbId })) names.push(...page.dataSourceSummaries!.map((s) => s.name!));
    assert.deepEqual(names.sort(), ["policies", "second", "third"]);
    await refused(client.send(new CreateDataSourceCommand({ knowledgeBaseId: kbId, name: "second", dataSourceConfiguration: { type: "CUSTOM" } })), "ConflictException", 409);

    const badSource = async (input: Record<string, unknown>, field: string, problem?: RegExp) =>
      refused(
        client.send(new CreateDataSourceCommand({ knowledgeBaseId: kbId, name: "bad", dataSourceConfiguration: s3, ...input } as never)),
        "ValidationException",
        400,
        problem ?? new RegExp(`Value at '${field.replace(/\./g, "\\.")}'`),
      );
    await badSource({ dataSourceConfiguration: { type: "S3", s3Configuration: { bucketArn: "arn:aws:s3:::Bad_Bucket" } } }, "dataSourceConfiguration.s3Configuration.bucketArn");
    await badSource({ dataSourceConfiguration: { type: "S3", s3Configuration: { bucketArn: "arn:aws:s3:::ok-bucket", inclusionPrefixes: ["a/", "b/"] } } }, "dataSourceConfiguration.s3Configuration.inclusionPrefixes");
    await badSource({ dataSourceConfiguration: { type: "WEB" } }, "dataSourceConfiguration.type", /S3 and CUSTOM/);
    await badSource(
      { vectorIngestionConfiguration: { chunkingConfiguration: { chunkingStrategy: "FIXED_SIZE", fixedSizeChunkingConfiguration: { maxTokens: 100, overlapPercentage: 0 } } } },
      "vectorIngestionConfiguration.chunkingConfiguration.fixedSizeChunkingConfiguration.overlapPercentage",
    );
    await badSource({ dataDeletionPolicy: "KEEP" }, "dataDeletionPolicy");

    // Update: the chunking configuration may not change; the rest may.
    const ref = { knowledgeBaseId: kbId, dataSourceId: ds.dataSourceId };
    await refused(
      client.send(
        new UpdateDataSourceCommand({
          ...ref,
          name: "policies",
          dataSourceConfiguration: s3,
          vectorIngestionConfiguration: { chunkingConfiguration: { chunkingStrategy: "NONE" } },
        }),
      ),
      "ValidationException",
      400,
      /'vectorIngestionConfiguration\.chunkingConfiguration'/,
    );
    const updated = await client.send(
      new UpdateDataSourceCommand({ ...ref, name: "policies-2", dataSourceConfiguration: { ...s3, s3Configuration: { bucketArn: s3.s3Configuration.bucketArn } }, dataDeletionPolicy: "RETAIN" }),
    );
    assert.equal(updated.dataSource!.name, "policies-2");
    assert.equal(updated.dataSource!.dataDeletionPolicy, "RETAIN");
    assert.deepEqual(updated.dataSource!.vectorIngestionConfiguration, { chunkingConfiguration: chunking });

    await refused(client.send(new GetDataSourceCommand({ knowledgeBaseId: kbId, dataSourceId: "ZZZZZZZZZZ" })), "ResourceNotFoundException", 404, /Data source ZZZZZZZZZZ/);
    await refused(client.send(new ListDataSourcesCommand({ knowledgeBaseId: "ZZZZZZZZZZ" })), "ResourceNotFoundException", 404, /Knowledge base ZZZZZZZZZZ/);
    const deleted = await client.send(new DeleteDataSourceCommand(ref));
    assert.equal(deleted.$metadata.httpStatusCode, 202);
    assert.equal(deleted.status, "DELETING");
    await refused(client.send(new GetDataSourceCommand(ref)), "ResourceNotFoundException", 404);
  });

  it("runs ingestion jobs on the job queue: statistics, one at a time, client tokens, lists and stop", async () => {
    const kbId = (await client.send(new CreateKnowledgeBaseCommand(kbInput("synced")))).knowledgeBase!.knowledgeBaseId!;
    const dsId = (
      await client.send(new CreateDataSourceCommand({ knowledgeBaseId: kbId, name: "bucket", dataSourceConfiguration: { type: "S3", s3Configuration: { bucketArn: "arn:aws:s3:::synced-docs" } } }))
    ).dataSource!.dataSourceId!;
    const ref = { knowledgeBaseId: kbId, dataSourceId: dsId };
    const get = async (ingestionJobId: string): Promise<IngestionJob> => (await client.send(new GetIngestionJobCommand({ ...ref, ingestionJobId }))).ingestionJob!;

    const clientToken = "sync-token-0123456789-0123456789-0123";
    const started = await client.send(new StartIngestionJobCommand({ ...ref, clientToken, description: "nightly" }));
    assert.equal(started.$metadata.httpStatusCode, 202);
    const job = started.ingestionJob!;
    assert.match(job.status!, /^(STARTING|IN_PROGRESS)$/);
    assert.equal(job.description, "nightly");
    assert.ok(job.startedAt instanceof Date);
    const jobId = job.ingestionJobId!;
    // The same client token is the same job; another start while it runs is a ConflictException.
    assert.equal((await client.send(new StartIngestionJobCommand({ ...ref, clientToken, description: "nightly" }))).ingestionJob!.ingestionJobId, jobId);
    await refused(client.send(new StartIngestionJobCommand(ref)), "ConflictException", 409, /already has an ingestion job in progress/);
    // Neither the data source nor its knowledge base can go while it syncs.
    await refused(client.send(new DeleteDataSourceCommand(ref)), "ConflictException", 409);
    await refused(client.send(new DeleteKnowledgeBaseCommand({ knowledgeBaseId: kbId })), "ConflictException", 409);

    const running = await until(
      () => get(jobId),
      (j) => j.statistics?.numberOfDocumentsScanned === 4,
    );
    assert.equal(running.status, "IN_PROGRESS");
    gates.get(jobId)!();
    const complete = await until(
      () => get(jobId),
      (j) => j.status === "COMPLETE",
    );
    assert.deepEqual(complete.statistics, {
      numberOfDocumentsScanned: 4,
      numberOfMetadataDocumentsScanned: 0,
      numberOfNewDocumentsIndexed: 3,
      numberOfModifiedDocumentsIndexed: 0,
      numberOfMetadataDocumentsModified: 0,
      numberOfDocumentsDeleted: 0,
      numberOfDocumentsFailed: 1,
    });
    assert.deepEqual(complete.failureReasons, ["s3://docs/broken.pdf: the PDF is malformed"]);
    await refused(client.send(new StopIngestionJobCommand({ ...ref, ingestionJobId: jobId })), "ConflictException", 409, /already ended/);

    // Stop a second one while it runs.
    const second = (await client.send(new StartIngestionJobCommand(ref))).ingestionJob!.ingestionJobId!;
    await until(() => Promise.resolve(gates.has(second)), Boolean);
    const stopping = await client.send(new StopIngestionJobCommand({ ...ref, ingestionJobId: second }));
    assert.equal(stopping.$metadata.httpStatusCode, 202);
    assert.match(stopping.ingestionJob!.status!, /^STOPP(ING|ED)$/);
    await until(
      () => get(second),
      (j) => j.status === "STOPPED",
    );

    const listed = await client.send(new ListIngestionJobsCommand(ref));
    assert.deepEqual(
      listed.ingestionJobSummaries!.map((s) => [s.ingestionJobId, s.status]),
      [
        [second, "STOPPED"],
        [jobId, "COMPLETE"],
      ],
    );
    assert.equal(listed.ingestionJobSummaries![1]!.statistics!.numberOfNewDocumentsIndexed, 3);
    const filtered = await client.send(new ListIngestionJobsCommand({ ...ref, filters: [{ attribute: "STATUS", operator: "EQ", values: ["COMPLETE"] }] }));
    assert.deepEqual(
      filtered.ingestionJobSummaries!.map((s) => s.ingestionJobId),
      [jobId],
    );
    const page = await client.send(new ListIngestionJobsCommand({ ...ref, maxResults: 1, sortBy: { attribute: "STARTED_AT", order: "ASCENDING" } }));
    assert.equal(page.ingestionJobSummaries![0]!.ingestionJobId, jobId);
    const next = await client.send(new ListIngestionJobsCommand({ ...ref, maxResults: 1, nextToken: page.nextToken, sortBy: { attribute: "STARTED_AT", order: "ASCENDING" } }));
    assert.equal(next.ingestionJobSummaries![0]!.ingestionJobId, second);
    await refused(
      client.send(new ListIngestionJobsCommand({ ...ref, filters: [{ attribute: "STATUS", operator: "EQ", values: ["DONE"] }] } as never)),
      "ValidationException",
      400,
      /'filters\.0\.values\.0'/,
    );
    await refused(client.send(new GetIngestionJobCommand({ ...ref, ingestionJobId: "ZZZZZZZZZZ" })), "ResourceNotFoundException", 404, /Ingestion job ZZZZZZZZZZ/);

    // Once nothing runs, the knowledge base goes with its data source.
    await client.send(new DeleteKnowledgeBaseCommand({ knowledgeBaseId: kbId }));
    await refused(client.send(new GetIngestionJobCommand({ ...ref, ingestionJobId: jobId })), "ResourceNotFoundException", 404);
  });

  it("ingests, reports, lists and deletes documents directly in a CUSTOM data source", async () => {
    const kbId = (await client.send(new CreateKnowledgeBaseCommand(kbInput("direct")))).knowledgeBase!.knowledgeBaseId!;
    const dsId = (await client.send(new CreateDataSourceCommand({ knowledgeBaseId: kbId, name: "custom", dataSourceConfiguration: { type: "CUSTOM" } }))).dataSource!.dataSourceId!;
    const ref = { knowledgeBaseId: kbId, dataSourceId: dsId };
    const text = (id: string, data: string) => ({
      content: { dataSourceType: "CUSTOM" as const, custom: { customDocumentIdentifier: { id }, sourceType: "IN_LINE" as const, inlineContent: { type: "TEXT" as const, textContent: { data } } } },
      metadata: { type: "IN_LINE_ATTRIBUTE" as const, inlineAttributes: [{ key: "year", value: { type: "NUMBER" as const, numberValue: 2026 } }] },
    });
    const ingested = await client.send(new IngestKnowledgeBaseDocumentsCommand({ ...ref, documents: [text("faq-1", "Refunds take five days."), text("faq-2", "Shipping is free.")] }));
    assert.equal(ingested.$metadata.httpStatusCode, 202);
    assert.deepEqual(
      ingested.documentDetails!.map((d) => [d.identifier?.custom?.id, d.identifier?.dataSourceType, d.status]),
      [
        ["faq-1", "CUSTOM", "STARTING"],
        ["faq-2", "CUSTOM", "STARTING"],
      ],
    );
    const identifiers = [{ dataSourceType: "CUSTOM" as const, custom: { id: "faq-1" } }, { dataSourceType: "CUSTOM" as const, custom: { id: "faq-2" } }, { dataSourceType: "CUSTOM" as const, custom: { id: "nope" } }];
    const indexed = await until(
      async () => (await client.send(new GetKnowledgeBaseDocumentsCommand({ ...ref, documentIdentifiers: identifiers }))).documentDetails!,
      (docs) => docs.slice(0, 2).every((d) => d.status === "INDEXED"),
    );
    assert.equal(indexed[2]!.status, "NOT_FOUND");
    const listed = await client.send(new ListKnowledgeBaseDocumentsCommand({ ...ref, maxResults: 1 }));
    assert.equal(listed.documentDetails!.length, 1);
    assert.ok(listed.nextToken);

    const removed = await client.send(new DeleteKnowledgeBaseDocumentsCommand({ ...ref, documentIdentifiers: identifiers.slice(0, 1) }));
    assert.equal(removed.$metadata.httpStatusCode, 202);
    assert.equal(removed.documentDetails![0]!.status, "DELETING");
    await until(
      async () => (await client.send(new ListKnowledgeBaseDocumentsCommand(ref))).documentDetails!.map((d) => d.identifier?.custom?.id),
      (ids) => ids.length === 1 && ids[0] === "faq-2",
    );

    // Bedrock's rules for direct ingestion.
    const s3Doc = { content: { dataSourceType: "S3" as const, s3: { s3Location: { uri: "s3://bucket/a.txt" } } } };
    await refused(client.send(new IngestKnowledgeBaseDocumentsCommand({ ...ref, documents: [s3Doc] })), "ValidationException", 400, /'documents\.0\.content\.dataSourceType'.*must match the type/);
    const s3Metadata = { ...text("faq-3", "x"), metadata: { type: "S3_LOCATION" as const, s3Location: { uri: "s3://bucket/faq-3.metadata.json" } } };
    await refused(client.send(new IngestKnowledgeBaseDocumentsCommand({ ...ref, documents: [s3Metadata] })), "ValidationException", 400, /'documents\.0\.metadata\.type'/);
    await refused(client.send(new IngestKnowledgeBaseDocumentsCommand({ ...ref, documents: [text("dup", "a"), text("dup", "b")] })), "ValidationException", 400, /a second time/);
    await refused(
      client.send(new IngestKnowledgeBaseDocumentsCommand({ ...ref, documents: Array.from({ length: 26 }, (_, i) => text(`d${i}`, "x")) })),
      "ValidationException",
      400,
      /'documents'/,
    );
  });
});

describe("knowledge-base authorization with real keys", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "basalt-kb-iam-"));
  let server: TestServer;
  let admin: UserKeys;
  let reader: UserKeys;
  let zed: UserKeys;
  let kb1: string;
  let kb2: string;
  const arn = (id: string) => `arn:aws:bedrock:us-east-1:000000000000:knowledge-base/${id}`;

  before(async () => {
    admin = await createUser(dataDir, { user: "admin", policy: policy([{ Effect: "Allow", Action: "bedrock:*", Resource: "*" }]) });
    const accountB = JSON.parse((await iam(dataDir, "create-account", "--name", "tenant-b", "--json")).out).Account.Id as string;
    zed = await createUser(dataDir, { user: "zed", account: accountB, policy: policy([{ Effect: "Allow", Action: "bedrock:*", Resource: "*" }]) });
    reader = await createUser(dataDir, { user: "reader" }); // its policy names a knowledge base, made below
    server = await startTestServer({ dataDir, embeddedDefaults: false, models: MODELS });
    const asAdmin = agent(server, admin);
    kb1 = (await asAdmin.send(new CreateKnowledgeBaseCommand(kbInput("kb-one")))).knowledgeBase!.knowledgeBaseId!;
    kb2 = (await asAdmin.send(new CreateKnowledgeBaseCommand(kbInput("kb-two")))).knowledgeBase!.knowledgeBaseId!;
    const readerPolicy = policy([{ Sid: "OneKnowledgeBase", Effect: "Allow", Action: ["bedrock:Retrieve", "bedrock:GetKnowledgeBase", "bedrock:ListDataSources"], Resource: arn(kb1) }]);
    await iam(dataDir, "put-policy", "--policy-name", "kb-one-only", "--policy-document", JSON.stringify(readerPolicy));
    await iam(dataDir, "attach-policy", "--policy-name", "kb-one-only", "--user-name", "reader");
  });
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lets a user allowed one knowledge base read it, and denies creating knowledge bases and touching another", async () => {
    const client = agent(server, reader);
    assert.equal((await client.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: kb1 }))).knowledgeBase!.name, "kb-one");
    // Data-source actions are authorized on the knowledge base's ARN.
    assert.deepEqual((await client.send(new ListDataSourcesCommand({ knowledgeBaseId: kb1 }))).dataSourceSummaries, []);
    await refused(
      client.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: kb2 })),
      "AccessDeniedException",
      403,
      new RegExp(`user/reader is not authorized to perform: bedrock:GetKnowledgeBase on resource: ${arn(kb2)}`),
    );
    await refused(client.send(new CreateKnowledgeBaseCommand(kbInput("mine"))), "AccessDeniedException", 403, /bedrock:CreateKnowledgeBase on resource: \*/);
    await refused(client.send(new ListKnowledgeBasesCommand({})), "AccessDeniedException", 403, /bedrock:ListKnowledgeBases/);
    await refused(client.send(new CreateDataSourceCommand({ knowledgeBaseId: kb1, name: "x", dataSourceConfiguration: { type: "CUSTOM" } })), "AccessDeniedException", 403, /bedrock:CreateDataSource/);
    await refused(client.send(new StartIngestionJobCommand({ knowledgeBaseId: kb1, dataSourceId: "ZZZZZZZZZZ" })), "AccessDeniedException", 403, /bedrock:StartIngestionJob/);
    // An unknown id is denied like a real one: the answer reveals nothing.
    await refused(client.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: "ZZZZZZZZZZ" })), "AccessDeniedException", 403);
  });

  it("keeps accounts apart: another account's knowledge base is not found, and lists show only one's own", async () => {
    const client = agent(server, zed);
    await refused(client.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: kb1 })), "ResourceNotFoundException", 404);
    await refused(client.send(new DeleteKnowledgeBaseCommand({ knowledgeBaseId: kb1 })), "ResourceNotFoundException", 404);
    await refused(client.send(new CreateDataSourceCommand({ knowledgeBaseId: kb1, name: "x", dataSourceConfiguration: { type: "CUSTOM" } })), "ResourceNotFoundException", 404);
    const own = (await client.send(new CreateKnowledgeBaseCommand(kbInput("kb-one")))).knowledgeBase!;
    assert.match(own.knowledgeBaseArn!, /^arn:aws:bedrock:us-east-1:\d{12}:knowledge-base\//);
    assert.doesNotMatch(own.knowledgeBaseArn!, /:000000000000:/);
    assert.deepEqual(
      (await client.send(new ListKnowledgeBasesCommand({}))).knowledgeBaseSummaries!.map((s) => s.knowledgeBaseId),
      [own.knowledgeBaseId],
    );
    // The admin of the first account still has exactly its two.
    const mine = (await agent(server, admin).send(new ListKnowledgeBasesCommand({}))).knowledgeBaseSummaries!.map((s) => s.knowledgeBaseId);
    assert.deepEqual(mine.sort(), [kb1, kb2].sort());
  });
});
