// Direct ingestion through a crash, with real `basalt serve` processes: many documents sent with
// IngestKnowledgeBaseDocuments, kill -9 of the server while its queue works through them, a
// restart that resumes the jobs, and a check that every document ends INDEXED exactly once, with
// exactly its chunks `#0..#n-1` in the index and nothing else stored.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  BedrockAgentClient,
  CreateDataSourceCommand,
  CreateKnowledgeBaseCommand,
  IngestKnowledgeBaseDocumentsCommand,
  paginateListKnowledgeBaseDocuments,
  type KnowledgeBaseDocumentDetail,
} from "@aws-sdk/client-bedrock-agent";
import { DIRECT_INGESTION_JOB_TYPE } from "../src/kb/ingestion/direct-ingestor.ts";
import { openDatabase } from "../src/store/db/open-database.ts";
import { assertExactChunks } from "./helpers/kb-index.ts";
import { serveBasalt } from "./helpers/cli.ts";
import { DUMMY_CREDENTIALS } from "./helpers/server.ts";

const temps: string[] = [];
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));


const DIMENSIONS = 16;
const REQUESTS = 5;
const PER_REQUEST = 24; // under Bedrock's 25 documents per request

describe("direct ingestion through a crash", () => {
  it("resumes after kill -9 and a restart: every document INDEXED once, with exactly its chunks", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "basalt-direct-crash-"));
    temps.push(dataDir);
    const config = join(dataDir, "basalt.json");
    // A slow mock embedder gives the crash a window in the middle of the work; short leases let the restart recover at once.
    const embedder = { provider: "mock", id: "mock.embed", embedding: true, embeddingDimensions: DIMENSIONS, latencyMs: 25 };
    writeFileSync(config, JSON.stringify({ logging: { level: "warn" }, jobs: { leaseSeconds: 2 }, models: [embedder] }));
    let server = await serveBasalt(dataDir, config);
    const agent = (url: string) => new BedrockAgentClient({ endpoint: url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });

    let client = agent(server.url);
    const kb = await client.send(
      new CreateKnowledgeBaseCommand({
        name: "crash",
        roleArn: "arn:aws:iam::000000000000:role/basalt-kb",
        knowledgeBaseConfiguration: { type: "VECTOR", vectorKnowledgeBaseConfiguration: { embeddingModelArn: "arn:aws:bedrock:us-east-1::foundation-model/mock.embed" } },
      }),
    );
    const knowledgeBaseId = kb.knowledgeBase!.knowledgeBaseId!;
    const ds = await client.send(
      new CreateDataSourceCommand({
        knowledgeBaseId,
        name: "custom",
        dataSourceConfiguration: { type: "CUSTOM" },
        // Small chunks, so each document has several and a half-written one would show.
        vectorIngestionConfiguration: { chunkingConfiguration: { chunkingStrategy: "FIXED_SIZE", fixedSizeChunkingConfiguration: { maxTokens: 40, overlapPercentage: 10 } } },
      }),
    );
    const ref = { knowledgeBaseId, dataSourceId: ds.dataSource!.dataSourceId! };
    const count = REQUESTS * PER_REQUEST;
    for (let r = 0; r < REQUESTS; r++) {
      const documents = Array.from({ length: PER_REQUEST }, (_, n) => {
        const i = r * PER_REQUEST + n;
        const paragraphs = Array.from({ length: 8 }, (_, p) => `Document ${i} paragraph ${p} records that station ${i * 100 + p} measured ${(i * 7 + p) % 50} millimetres of rain.`);
        return {
          content: {
            dataSourceType: "CUSTOM" as const,
            custom: { customDocumentIdentifier: { id: `doc-${String(i).padStart(3, "0")}` }, sourceType: "IN_LINE" as const, inlineContent: { type: "TEXT" as const, textContent: { data: paragraphs.join("\n\n") } } },
          },
        };
      });
      const out = await client.send(new IngestKnowledgeBaseDocumentsCommand({ ...ref, documents }));
      assert.ok(out.documentDetails!.every((d) => d.status === "STARTING"));
    }
    const details = async (): Promise<KnowledgeBaseDocumentDetail[]> => {
      const all: KnowledgeBaseDocumentDetail[] = [];
      // A copy: the paginator writes its token into the input it is given.
      for await (const page of paginateListKnowledgeBaseDocuments({ client, pageSize: 100 }, { ...ref })) all.push(...(page.documentDetails ?? []));
      return all;
    };

    // Crash once a fair part, but not all, of the documents are done.
    for (;;) {
      const indexed = (await details()).filter((d) => d.status === "INDEXED").length;
      assert.ok(indexed < count, "every document was indexed before the crash; make the work bigger");
      if (indexed >= 10) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    server.child.kill("SIGKILL");
    await new Promise((r) => server.child.once("exit", r));
    client.destroy();

    server = await serveBasalt(dataDir, config);
    client = agent(server.url);
    const deadline = Date.now() + 120_000;
    let final = await details();
    while (final.length !== count || final.some((d) => d.status !== "INDEXED" && d.status !== "FAILED")) {
      assert.ok(Date.now() < deadline, `${final.length} listed, unfinished: ${JSON.stringify(final.filter((d) => d.status !== "INDEXED").map((d) => d.status))}`);
      await new Promise((r) => setTimeout(r, 200));
      final = await details();
    }
    assert.deepEqual(
      final.filter((d) => d.status !== "INDEXED").map((d) => [d.identifier?.custom?.id, d.status, d.statusReason]),
      [],
    );
    client.destroy();
    server.child.kill("SIGTERM");
    await new Promise((r) => server.child.once("exit", r));

    // Every job completed; every record is INDEXED with exactly its chunks #0..#n-1, and nothing else is stored.
    const db = openDatabase({ dataDir });
    const jobs = await db.query<{ state: string; attempts: number }>("SELECT state, attempts FROM jobs WHERE type = $1", [DIRECT_INGESTION_JOB_TYPE]);
    const records = await db.query<{ document_id: string; chunk_count: number; status: string }>(
      "SELECT document_id, chunk_count, status FROM kb_documents WHERE knowledge_base_id = $1",
      [knowledgeBaseId],
    );
    await db.close();
    assert.deepEqual(
      jobs.map((j) => j.state),
      Array.from({ length: REQUESTS }, () => "COMPLETE"),
    );
    assert.ok(jobs.some((j) => Number(j.attempts) > 1), "the crash interrupted a job, which the restarted server resumed");
    assert.equal(records.length, count);
    await assertExactChunks({ dataDir, knowledgeBaseId, dimensions: DIMENSIONS, records, minChunks: 2 });
  });
});
