// Knowledge-base ingestion end to end, as SDK users drive it: a knowledge base over a local
// folder and one over an S3 bucket (s3rver), each holding one document of every supported format
// made by the tests; ingestion statistics; Retrieve finds the passage answering each document's
// question; an incremental sync processes only what changed; bad documents fail one by one with
// their reasons; a missing bucket fails the job with a reason.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  BedrockAgentClient,
  CreateDataSourceCommand,
  CreateKnowledgeBaseCommand,
  GetIngestionJobCommand,
  ListKnowledgeBaseDocumentsCommand,
  StartIngestionJobCommand,
  type IngestionJob,
} from "@aws-sdk/client-bedrock-agent";
import { BedrockAgentRuntimeClient, RetrieveCommand } from "@aws-sdk/client-bedrock-agent-runtime";
import { makeBadDocuments, makeTestDocuments, type TestDocument } from "./helpers/documents.ts";
import { startLocalS3, type LocalS3 } from "./helpers/s3.ts";
import { DUMMY_CREDENTIALS, startTestServer, type TestServer } from "./helpers/server.ts";

const EMBEDDING = "arn:aws:bedrock:us-east-1::foundation-model/basalt.use-lite-v1";
const ROLE = "arn:aws:iam::000000000000:role/kb";

const temps: string[] = [];
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Polls an ingestion job until it is final. */
async function finished(agent: BedrockAgentClient, ids: { knowledgeBaseId: string; dataSourceId: string; ingestionJobId: string }): Promise<IngestionJob> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const { ingestionJob } = await agent.send(new GetIngestionJobCommand(ids));
    if (ingestionJob && ["COMPLETE", "FAILED", "STOPPED"].includes(ingestionJob.status!)) return ingestionJob;
    if (Date.now() > deadline) assert.fail(`ingestion job still ${ingestionJob?.status}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Creates a knowledge base with one S3 data source on `bucket`, and returns a function that syncs it. */
async function knowledgeBaseOn(agent: BedrockAgentClient, name: string, bucket: string, options: { ocr?: boolean } = {}) {
  const { knowledgeBase } = await agent.send(
    new CreateKnowledgeBaseCommand({
      name,
      roleArn: ROLE,
      knowledgeBaseConfiguration: { type: "VECTOR", vectorKnowledgeBaseConfiguration: { embeddingModelArn: EMBEDDING } },
    }),
  );
  const knowledgeBaseId = knowledgeBase!.knowledgeBaseId!;
  const { dataSource } = await agent.send(
    new CreateDataSourceCommand({
      knowledgeBaseId,
      name: `${name}-source`,
      dataSourceConfiguration: { type: "S3", s3Configuration: { bucketArn: `arn:aws:s3:::${bucket}` } },
      ...(options.ocr ? { vectorIngestionConfiguration: { parsingConfiguration: { parsingStrategy: "BEDROCK_DATA_AUTOMATION" } } } : {}),
    }),
  );
  const dataSourceId = dataSource!.dataSourceId!;
  const sync = async () => {
    const { ingestionJob } = await agent.send(new StartIngestionJobCommand({ knowledgeBaseId, dataSourceId }));
    return finished(agent, { knowledgeBaseId, dataSourceId, ingestionJobId: ingestionJob!.ingestionJobId! });
  };
  return { knowledgeBaseId, dataSourceId, sync };
}

async function retrieveText(runtime: BedrockAgentRuntimeClient, knowledgeBaseId: string, question: string, k = 3): Promise<string[]> {
  const out = await runtime.send(new RetrieveCommand({ knowledgeBaseId, retrievalQuery: { text: question }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: k } } }));
  return (out.retrievalResults ?? []).map((r) => r.content?.text ?? "");
}

const normalize = (text: string) => text.replace(/\s+/g, " ");

describe("knowledge-base ingestion", () => {
  let server: TestServer;
  let s3: LocalS3;
  let agent: BedrockAgentClient;
  let runtime: BedrockAgentRuntimeClient;
  let documents: TestDocument[];
  let folder: string;

  before(async () => {
    documents = await makeTestDocuments();
    s3 = await startLocalS3({ bucket: "kb-docs" });
    process.env.BASALT_TEST_S3_KEY = s3.accessKeyId;
    process.env.BASALT_TEST_S3_SECRET = s3.secretAccessKey;
    folder = mkdtempSync(join(tmpdir(), "basalt-kb-folder-"));
    temps.push(folder);
    for (const doc of documents) writeFileSync(join(folder, doc.fileName), doc.bytes);
    server = await startTestServer({
      embeddedDefaults: true,
      knowledgeBases: {
        buckets: {
          "folder-docs": { folder },
          "kb-docs": { s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, accessKeyId: "env::BASALT_TEST_S3_KEY", secretAccessKey: "env::BASALT_TEST_S3_SECRET" } },
          "kb-other-account": { folder, accounts: ["111111111111"] },
          "kb-missing": { s3: { endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, accessKeyId: "env::BASALT_TEST_S3_KEY", secretAccessKey: "env::BASALT_TEST_S3_SECRET" } },
        },
      },
    });
    agent = new BedrockAgentClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
    runtime = new BedrockAgentRuntimeClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
  });

  after(async () => {
    await server?.stop();
    await s3?.close();
  });

  it("ingests a folder holding every format (OCR on), reports statistics, and Retrieve answers each document's question", async () => {
    const kb = await knowledgeBaseOn(agent, "folder-kb", "folder-docs", { ocr: true });
    const job = await kb.sync();
    assert.equal(job.status, "COMPLETE", JSON.stringify(job.failureReasons));
    assert.equal(job.statistics?.numberOfDocumentsScanned, documents.length);
    assert.equal(job.statistics?.numberOfNewDocumentsIndexed, documents.length, JSON.stringify(job.failureReasons));
    assert.equal(job.statistics?.numberOfDocumentsFailed, 0);
    const listed = await agent.send(new ListKnowledgeBaseDocumentsCommand({ knowledgeBaseId: kb.knowledgeBaseId, dataSourceId: kb.dataSourceId }));
    assert.equal(listed.documentDetails?.length, documents.length);
    assert.ok(listed.documentDetails?.every((d) => d.status === "INDEXED"));
    for (const doc of documents) {
      const passages = await retrieveText(runtime, kb.knowledgeBaseId, doc.question);
      assert.ok(passages.some((p) => normalize(p).includes(doc.answer)), `${doc.fileName}: "${doc.answer}" not in the top results for "${doc.question}":\n${passages.join("\n---\n")}`);
    }

    // Change one document, delete another: the next sync processes exactly those.
    const changed = documents.find((d) => d.format === "txt")!;
    writeFileSync(join(folder, changed.fileName), "The Orion ferry now departs from Pier 4 at 8:15 every morning.\n");
    unlinkSync(join(folder, documents.find((d) => d.format === "csv")!.fileName));
    const again = await kb.sync();
    assert.equal(again.status, "COMPLETE");
    assert.deepEqual(
      {
        scanned: again.statistics?.numberOfDocumentsScanned,
        new: again.statistics?.numberOfNewDocumentsIndexed,
        modified: again.statistics?.numberOfModifiedDocumentsIndexed,
        deleted: again.statistics?.numberOfDocumentsDeleted,
        failed: again.statistics?.numberOfDocumentsFailed,
      },
      { scanned: documents.length - 1, new: 0, modified: 1, deleted: 1, failed: 0 },
    );
    const updated = await retrieveText(runtime, kb.knowledgeBaseId, "When does the Orion ferry depart?");
    assert.ok(updated.some((p) => p.includes("Pier 4 at 8:15")));
    assert.ok(!updated.some((p) => p.includes("Pier 9")), "the old version's chunks are gone");
    const cobalt = await retrieveText(runtime, kb.knowledgeBaseId, "How many tonnes of cobalt are stored?", 10);
    assert.ok(!cobalt.some((p) => p.includes("Tarragon Depot")), "the deleted document's chunks are gone");
  });

  it("ingests an S3 bucket with metadata sidecars, and filters on them", async () => {
    const textual = documents.filter((d) => !d.needsOcr);
    for (const [i, doc] of textual.entries()) {
      await s3.client.send(new PutObjectCommand({ Bucket: "kb-docs", Key: `library/${doc.fileName}`, Body: doc.bytes }));
      const sidecar = { metadataAttributes: { format: doc.format, position: i, tags: i % 2 ? ["odd"] : ["even"] } };
      await s3.client.send(new PutObjectCommand({ Bucket: "kb-docs", Key: `library/${doc.fileName}.metadata.json`, Body: JSON.stringify(sidecar) }));
    }
    const kb = await knowledgeBaseOn(agent, "s3-kb", "kb-docs");
    const job = await kb.sync();
    assert.equal(job.status, "COMPLETE", JSON.stringify(job.failureReasons));
    assert.equal(job.statistics?.numberOfNewDocumentsIndexed, textual.length, JSON.stringify(job.failureReasons));
    assert.equal(job.statistics?.numberOfMetadataDocumentsScanned, textual.length);
    const pdf = textual.find((d) => d.format === "pdf")!;
    const out = await runtime.send(
      new RetrieveCommand({
        knowledgeBaseId: kb.knowledgeBaseId,
        retrievalQuery: { text: pdf.question },
        retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 5, filter: { equals: { key: "format", value: "pdf" } } } },
      }),
    );
    assert.ok((out.retrievalResults?.length ?? 0) > 0);
    for (const result of out.retrievalResults ?? []) {
      assert.equal(result.metadata?.format, "pdf");
      assert.equal(result.location?.s3Location?.uri, `s3://kb-docs/library/${pdf.fileName}`);
      assert.equal(typeof result.metadata?.["x-amz-bedrock-kb-document-page-number"], "number", "PDF chunks carry their page");
    }
    assert.ok(out.retrievalResults!.some((r) => normalize(r.content!.text!).includes(pdf.answer)));
    // An unchanged bucket: nothing is processed again.
    const again = await kb.sync();
    assert.equal(again.statistics?.numberOfNewDocumentsIndexed, 0);
    assert.equal(again.statistics?.numberOfModifiedDocumentsIndexed, 0);
    assert.equal(again.statistics?.numberOfDocumentsScanned, textual.length);
  });

  it("fails bad documents one by one with their reasons, and the rest are indexed", async () => {
    const bad = await makeBadDocuments();
    const dir = join(server.dataDir, "buckets", "bad-docs");
    mkdirSync(dir, { recursive: true });
    for (const doc of bad) writeFileSync(join(dir, doc.fileName), doc.bytes);
    writeFileSync(join(dir, "good.txt"), "The Basilisk pump moves nine hundred litres a minute.");
    writeFileSync(join(dir, "tagged.txt"), "The Wyvern valve closes in two seconds.");
    writeFileSync(join(dir, "tagged.txt.metadata.json"), "{ not json");
    const kb = await knowledgeBaseOn(agent, "bad-kb", "bad-docs");
    const job = await kb.sync();
    assert.equal(job.status, "COMPLETE");
    assert.equal(job.statistics?.numberOfNewDocumentsIndexed, 1);
    assert.equal(job.statistics?.numberOfDocumentsFailed, bad.length + 1);
    const reasons = job.failureReasons ?? [];
    for (const doc of bad) assert.ok(reasons.some((r) => r.includes(doc.fileName) && r.includes(doc.message)), `${doc.fileName}: ${doc.message} in ${JSON.stringify(reasons)}`);
    assert.ok(reasons.some((r) => r.includes("tagged.txt") && /not valid JSON/.test(r)));
    assert.ok((await retrieveText(runtime, kb.knowledgeBaseId, "How much does the Basilisk pump move?")).some((p) => p.includes("nine hundred litres")));
  });

  it("refuses a bucket the configuration keeps for other accounts", async () => {
    const kb = await knowledgeBaseOn(agent, "other-kb", "kb-other-account");
    const job = await kb.sync();
    assert.equal(job.status, "FAILED");
    assert.match((job.failureReasons ?? []).join(" "), /The bucket kb-other-account is not available to account 000000000000/);
  });

  it("fails the job with a reason when the bucket does not exist", async () => {
    const kb = await knowledgeBaseOn(agent, "missing-kb", "kb-missing");
    const job = await kb.sync();
    assert.equal(job.status, "FAILED");
    assert.match((job.failureReasons ?? []).join(" "), /does not exist/);
  });
});
