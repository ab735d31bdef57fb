// Direct ingestion end to end, as users meet it: IngestKnowledgeBaseDocuments and
// DeleteKnowledgeBaseDocuments through `@aws-sdk/client-bedrock-agent` against the live server,
// on SQLite and on PostgreSQL, processed by the real pipeline on the durable job queue (real
// parser, the real offline embedding model, the embedded vector store) and checked through
// Retrieve with `@aws-sdk/client-bedrock-agent-runtime`. The crash case is kb-direct-crash.test.ts.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import {
  BedrockAgentClient,
  CreateDataSourceCommand,
  CreateKnowledgeBaseCommand,
  DeleteKnowledgeBaseDocumentsCommand,
  GetKnowledgeBaseDocumentsCommand,
  IngestKnowledgeBaseDocumentsCommand,
  type DocumentIdentifier,
  type KnowledgeBaseDocument,
  type KnowledgeBaseDocumentDetail,
} from "@aws-sdk/client-bedrock-agent";
import { BedrockAgentRuntimeClient, RetrieveCommand } from "@aws-sdk/client-bedrock-agent-runtime";
import { DIRECT_INGESTION_JOB_TYPE } from "../src/kb/ingestion/direct-ingestor.ts";
import { DEFAULT_EMBEDDING_MODEL_ID } from "../src/models/registry.ts";
import { DEFAULT_ACCOUNT_ID } from "../src/spec/principal.ts";
import { openDatabase } from "../src/store/db/open-database.ts";
import { describeEachEngine } from "./conformance/engines.ts";
import { DUMMY_CREDENTIALS, startTestServer, type TestServer } from "./helpers/server.ts";

const ROLE = "arn:aws:iam::000000000000:role/basalt-kb";
const EMBED_ARN = `arn:aws:bedrock:us-east-1::foundation-model/${DEFAULT_EMBEDDING_MODEL_ID}`;
const UNFINISHED = new Set(["STARTING", "IN_PROGRESS", "PENDING", "DELETING", "DELETE_IN_PROGRESS"]);

const text = (id: string, data: string, year = 2026): KnowledgeBaseDocument => ({
  content: { dataSourceType: "CUSTOM", custom: { customDocumentIdentifier: { id }, sourceType: "IN_LINE", inlineContent: { type: "TEXT", textContent: { data } } } },
  metadata: { type: "IN_LINE_ATTRIBUTE", inlineAttributes: [{ key: "year", value: { type: "NUMBER", numberValue: year } }] },
});
const bytes = (id: string, mimeType: string, data: string | Buffer): KnowledgeBaseDocument => ({
  content: { dataSourceType: "CUSTOM", custom: { customDocumentIdentifier: { id }, sourceType: "IN_LINE", inlineContent: { type: "BYTE", byteContent: { mimeType, data: Buffer.from(data) } } } },
});
const identifier = (id: string): DocumentIdentifier => ({ dataSourceType: "CUSTOM", custom: { id } });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachEngine("direct ingestion on the durable queue", (target) => {
  let server: TestServer;
  let agent: BedrockAgentClient;
  let runtime: BedrockAgentRuntimeClient;

  before(async () => {
    server = await startTestServer({ database: { url: target.url() }, models: [{ provider: "mock", id: "mock.echo" }] });
    agent = new BedrockAgentClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
    runtime = new BedrockAgentRuntimeClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
  });
  after(async () => {
    agent?.destroy();
    runtime?.destroy();
    await server?.stop();
  });

  async function customDataSource(name: string): Promise<{ knowledgeBaseId: string; dataSourceId: string }> {
    const kb = await agent.send(
      new CreateKnowledgeBaseCommand({ name, roleArn: ROLE, knowledgeBaseConfiguration: { type: "VECTOR", vectorKnowledgeBaseConfiguration: { embeddingModelArn: EMBED_ARN } } }),
    );
    const knowledgeBaseId = kb.knowledgeBase!.knowledgeBaseId!;
    const ds = await agent.send(new CreateDataSourceCommand({ knowledgeBaseId, name: "custom", dataSourceConfiguration: { type: "CUSTOM" } }));
    return { knowledgeBaseId, dataSourceId: ds.dataSource!.dataSourceId! };
  }

  /** The documents' details once none is still being worked on. */
  async function settled(ref: { knowledgeBaseId: string; dataSourceId: string }, ids: string[]): Promise<KnowledgeBaseDocumentDetail[]> {
    for (let i = 0; ; i++) {
      const { documentDetails } = await agent.send(new GetKnowledgeBaseDocumentsCommand({ ...ref, documentIdentifiers: ids.map(identifier) }));
      if (!documentDetails!.some((d) => UNFINISHED.has(d.status!))) return documentDetails!;
      assert.ok(i < 600, `still unfinished: ${JSON.stringify(documentDetails)}`);
      await sleep(50);
    }
  }

  async function retrieve(knowledgeBaseId: string, query: string, numberOfResults = 10) {
    const out = await runtime.send(new RetrieveCommand({ knowledgeBaseId, retrievalQuery: { text: query }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults } } }));
    return out.retrievalResults ?? [];
  }

  it("answers STARTING, then indexes inline text and bytes in the background, each document INDEXED or FAILED with its reason", async () => {
    const ref = await customDataSource("direct-basics");
    const ingested = await agent.send(
      new IngestKnowledgeBaseDocumentsCommand({
        ...ref,
        documents: [
          text("faq-refunds", "Refunds are paid within fourteen days of the returned parcel arriving at the warehouse."),
          bytes("travel.md", "text/markdown", "# Travel\n\nBusiness class may be booked for flights longer than six hours."),
          bytes("broken.pdf", "application/pdf", "this is not a PDF at all"),
        ],
      }),
    );
    assert.equal(ingested.$metadata.httpStatusCode, 202);
    assert.deepEqual(
      ingested.documentDetails!.map((d) => [d.identifier?.custom?.id, d.status]),
      [
        ["faq-refunds", "STARTING"],
        ["travel.md", "STARTING"],
        ["broken.pdf", "STARTING"],
      ],
    );
    const done = await settled(ref, ["faq-refunds", "travel.md", "broken.pdf"]);
    assert.deepEqual(
      done.map((d) => [d.identifier?.custom?.id, d.status]),
      [
        ["faq-refunds", "INDEXED"],
        ["travel.md", "INDEXED"],
        ["broken.pdf", "FAILED"],
      ],
    );
    assert.ok(done[2]!.statusReason, "a failed document says why");

    const [top] = await retrieve(ref.knowledgeBaseId, "How long do refunds take?", 1);
    assert.deepEqual(top?.location, { type: "CUSTOM", customDocumentLocation: { id: "faq-refunds" } });
    assert.match(top?.content?.text ?? "", /fourteen days/);
    assert.equal(top?.metadata?.year, 2026);
    const [travel] = await retrieve(ref.knowledgeBaseId, "Which class for long flights?", 1);
    assert.equal(travel?.location?.customDocumentLocation?.id, "travel.md");

    // The queued documents were sealed at rest with the job's payload; the job completed.
    const db = openDatabase({ url: target.url() });
    try {
      const rows = await db.query<{ payload: string; state: string }>("SELECT payload, state FROM jobs WHERE type = $1", [DIRECT_INGESTION_JOB_TYPE]);
      assert.ok(rows.length > 0);
      for (const row of rows) assert.doesNotMatch(row.payload, /fourteen days|Business class/);
    } finally {
      await db.close();
    }
    const jobs = await server.jobs.list(DEFAULT_ACCOUNT_ID, { type: DIRECT_INGESTION_JOB_TYPE });
    assert.ok(jobs.every((j) => j.state === "COMPLETE"));
    assert.deepEqual(jobs.at(-1)!.result, { indexed: 2, failed: 1, deleted: 0, superseded: 0 });
  });

  it("replaces a document's chunks when it comes again, and deletes documents with their chunks", async () => {
    const ref = await customDataSource("direct-replace");
    await agent.send(new IngestKnowledgeBaseDocumentsCommand({ ...ref, documents: [text("menu", "The cafeteria serves pancakes every Tuesday morning."), text("hours", "The office opens at eight.")] }));
    await settled(ref, ["menu", "hours"]);
    await agent.send(new IngestKnowledgeBaseDocumentsCommand({ ...ref, documents: [text("menu", "The cafeteria serves risotto every Thursday evening.")] }));
    assert.equal((await settled(ref, ["menu"]))[0]!.status, "INDEXED");
    const texts = (await retrieve(ref.knowledgeBaseId, "What does the cafeteria serve?")).map((r) => r.content?.text ?? "");
    assert.ok(texts.some((t) => /risotto/.test(t)));
    assert.ok(!texts.some((t) => /pancakes/.test(t)), "the first version's chunks are gone");

    const removed = await agent.send(new DeleteKnowledgeBaseDocumentsCommand({ ...ref, documentIdentifiers: [identifier("menu"), identifier("never-there")] }));
    assert.equal(removed.$metadata.httpStatusCode, 202);
    assert.deepEqual(
      removed.documentDetails!.map((d) => [d.identifier?.custom?.id, d.status]),
      [
        ["menu", "DELETING"],
        ["never-there", "NOT_FOUND"],
      ],
    );
    assert.equal((await settled(ref, ["menu"]))[0]!.status, "NOT_FOUND");
    const left = await retrieve(ref.knowledgeBaseId, "What does the cafeteria serve?");
    assert.deepEqual([...new Set(left.map((r) => r.location?.customDocumentLocation?.id))], ["hours"]);
  });

  it("queues a request retried with its client token once, and lets the later of two requests for a document win", async () => {
    const ref = await customDataSource("direct-tokens");
    const before = (await server.jobs.list(DEFAULT_ACCOUNT_ID, { type: DIRECT_INGESTION_JOB_TYPE })).length;
    const request = { ...ref, clientToken: "direct-ingestion-client-token-000000001", documents: [text("policy", "Laptops must use full-disk encryption.")] };
    await agent.send(new IngestKnowledgeBaseDocumentsCommand(request));
    const again = await agent.send(new IngestKnowledgeBaseDocumentsCommand(request));
    assert.equal(again.documentDetails![0]!.identifier?.custom?.id, "policy");
    assert.equal((await server.jobs.list(DEFAULT_ACCOUNT_ID, { type: DIRECT_INGESTION_JOB_TYPE })).length, before + 1);

    // Back to back: the second request takes the document over, whatever order the jobs run in.
    await agent.send(new IngestKnowledgeBaseDocumentsCommand({ ...ref, documents: [text("race", "The first version mentions walruses.")] }));
    await agent.send(new IngestKnowledgeBaseDocumentsCommand({ ...ref, documents: [text("race", "The second version mentions penguins.")] }));
    assert.equal((await settled(ref, ["policy", "race"])).map((d) => d.status).join(), "INDEXED,INDEXED");
    const race = (await retrieve(ref.knowledgeBaseId, "Which animals are mentioned?")).filter((r) => r.location?.customDocumentLocation?.id === "race");
    assert.equal(race.length, 1);
    assert.match(race[0]!.content?.text ?? "", /penguins/);
  });
});
