// bedrock-agent-runtime end to end, as users meet it: the AWS SDK client over HTTP/2 and
// LangChain's AmazonKnowledgeBaseRetriever against a live router serving Retrieve,
// RetrieveAndGenerate(+Stream) and Rerank, over a real embedded index filled with vectors of the
// real offline embedding model, real SQLite sessions, real scripted mock models and the real
// tiny GGUF. (Until the server wires the knowledge-base control plane to this surface, this file
// starts the router itself; see startRuntimeServer.)
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  BedrockAgentRuntimeClient,
  RerankCommand,
  RetrieveAndGenerateCommand,
  RetrieveAndGenerateStreamCommand,
  RetrieveCommand,
  type Citation,
  type RetrieveAndGenerateCommandInput,
} from "@aws-sdk/client-bedrock-agent-runtime";
import { AmazonKnowledgeBaseRetriever } from "@langchain/aws";
import { pino } from "pino";
import { registerBedrockAgentRuntimeRoutes } from "../src/api/bedrock-agent-runtime/routes.ts";
import { DualProtocolListener } from "../src/api/protocol/listener.ts";
import { Router } from "../src/api/router.ts";
import { parseConfig } from "../src/config/loader.ts";
import { AccessControl } from "../src/iam/access-control.ts";
import { IamStore } from "../src/iam/store/iam-store.ts";
import { DbRagSessionStore } from "../src/kb/generation/session-store.ts";
import type { OpenKnowledgeBase } from "../src/kb/ingestion/indexes.ts";
import { createDocumentParser, type DocumentParser } from "../src/kb/parsing/document-parser.ts";
import { fillCorpus } from "../src/kb/retrieval/corpus.fixture.ts";
import { openEmbeddedIndex } from "../src/kb/vector-store/embedded/embedded-index.ts";
import { createProviders } from "../src/models/providers/index.ts";
import { DEFAULT_EMBEDDING_MODEL_ID, ModelRegistry } from "../src/models/registry.ts";
import { BasaltError } from "../src/spec/errors.ts";
import { openEncryption } from "../src/store/crypto/open-encryption.ts";
import { MemoryUsageRecorder } from "../src/usage/recorder.ts";
import { createUsageServices } from "../src/usage/services.ts";
import type { EnvelopeEncryption } from "../src/store/crypto/envelope-encryption.ts";
import type { Database } from "../src/store/db/database.ts";
import { migrate } from "../src/store/db/migrate.ts";
import { openDatabase } from "../src/store/db/open-database.ts";
import { createUser, iam, policy, type UserKeys } from "./helpers/iam.ts";
import { parseGuardrailConfig } from "../src/guardrails/config/parse-config.ts";
import { GuardrailService } from "../src/guardrails/guardrail-service.ts";
import { DEFAULT_ACCOUNT_ID } from "../src/spec/principal.ts";
import { DUMMY_CREDENTIALS, SHARED_MODELS } from "./helpers/server.ts";

const KB_ID = "KBTEST0001";
const CITED_ANSWER = "Business class is allowed on flights longer than six hours [1]. Shorter flights are booked in economy [1].";
/** An answer with personal data before, inside and after its cited spans, for the guardrail to mask. */
const CONTACT_ANSWER = "Ask travel-desk@example.com first. Business class is allowed on flights longer than six hours, says ops@example.com [1]. Shorter flights are booked in economy [1]. Questions go to help@example.com.";
const MODELS = [
  { provider: "mock", id: "mock.cite", mode: "script", responses: [{ text: CITED_ANSWER }], chunkSize: 3 },
  { provider: "mock", id: "mock.echo", mode: "echo", chunkSize: 5 },
  { provider: "mock", id: "mock.launch", mode: "script", responses: [{ text: "The launch is planned for March 3 [1]." }] },
  { provider: "mock", id: "mock.broken", mode: "script", responses: [{ text: "This answer breaks off in the middle", errorAfterChunks: 2, error: "MODEL_ERROR" }], chunkSize: 4 },
  { provider: "mock", id: "mock.limited", mode: "script", responses: [{ text: "Limited." }] },
  { provider: "mock", id: "mock.contact", mode: "script", responses: [{ text: CONTACT_ANSWER }], chunkSize: 4 },
  { provider: "llama-cpp", id: "local.stories", path: join(SHARED_MODELS, "stories260K.gguf"), contextSize: 512 },
];

/** A router with the agent-runtime routes over a real index, sessions and models. */
interface RuntimeServer {
  url: string;
  dataDir: string;
  registry: ModelRegistry;
  /** Usage records of every guarded model call (the bookkeeping still queued is written first). */
  usage: { readonly records: MemoryUsageRecorder["records"] };
  /** A guardrail (default account) blocking the word "moonlighting" and masking emails and phone numbers. */
  guardrailId: string;
  stop(): Promise<void>;
}

/** The knowledge base every test account can open (one shared index), by id. */
let sharedKb: OpenKnowledgeBase | undefined;

async function startRuntimeServer(options: { iam?: (dataDir: string) => Promise<void> } = {}): Promise<RuntimeServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "basalt-kb-runtime-"));
  mkdirSync(join(dataDir, "bucket"), { recursive: true });
  const config = parseConfig({
    dataDir,
    models: MODELS,
    knowledgeBases: { buckets: { "team-docs": { folder: join(dataDir, "bucket") } } },
    quotas: { models: { "mock.limited": { requestsPerMinute: 1 } } },
    logging: { level: "silent" },
  });
  const logger = pino({ level: process.env.BASALT_TEST_LOG_LEVEL ?? "silent" });
  const db: Database = openDatabase({ dataDir });
  await migrate(db);
  const encryption: EnvelopeEncryption = await openEncryption({ dataDir });
  const registry = new ModelRegistry({ providers: createProviders(), context: { config, logger } });
  const recorder = new MemoryUsageRecorder();
  const usage = await createUsageServices({ config, db, logger, encryption, recorder, processMetrics: false });
  let access: AccessControl | undefined;
  if (options.iam) {
    await options.iam(dataDir);
    access = new AccessControl({ store: new IamStore({ db, encryption }), region: config.region, modelAccessDefault: "enabled", loopbackOnly: true, resolveModel: (id) => registry.find(id)?.entry.id ?? id, logger });
    await access.refresh();
  }
  if (!sharedKb) {
    const embedding = registry.embeddingModel(DEFAULT_EMBEDDING_MODEL_ID).embedding;
    const index = await openEmbeddedIndex({ dir: join(mkdtempSync(join(tmpdir(), "basalt-kb-index-")), "index"), dimensions: 512 });
    await fillCorpus(index, embedding);
    sharedKb = { index, embedding, embeddingModelId: DEFAULT_EMBEDDING_MODEL_ID, dimensions: 512 };
  }
  const parser: DocumentParser = createDocumentParser();
  const router = new Router({ logger, bodyLimitBytes: config.server.bodyLimitBytes, access, region: config.region });
  const guardrails = new GuardrailService({ db, registry, encryption });
  const guardrail = await guardrails.store.create(
    DEFAULT_ACCOUNT_ID,
    parseGuardrailConfig({
      name: "rag",
      blockedInputMessaging: "That question is not allowed.",
      blockedOutputsMessaging: "That answer is not allowed.",
      wordPolicyConfig: { wordsConfig: [{ text: "moonlighting" }] },
      sensitiveInformationPolicyConfig: { piiEntitiesConfig: [{ type: "EMAIL", action: "ANONYMIZE" }, { type: "PHONE", action: "ANONYMIZE" }] },
    }),
    [],
  );
  registerBedrockAgentRuntimeRoutes(router, {
    config,
    registry,
    logger,
    usage,
    guardrails,
    openKnowledgeBases: {
      async resolve(_accountId, knowledgeBaseId) {
        if (knowledgeBaseId !== KB_ID) throw new BasaltError("NOT_FOUND", `Knowledge base ${knowledgeBaseId} does not exist.`);
        return sharedKb!;
      },
    },
    sessions: new DbRagSessionStore({ db, encryption }),
    parser,
  });
  const listener = new DualProtocolListener({ handler: router.handle, logger, keepAliveTimeoutMs: 5000, inFlight: () => router.inFlight });
  const port = await listener.listen(0, "127.0.0.1");
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    registry,
    usage: {
      get records() {
        usage.deferred.drain();
        return recorder.records;
      },
    },
    guardrailId: guardrail.id,
    async stop() {
      await listener.close(1000);
      await access?.close();
      await usage.close();
      await parser.close();
      await registry.close();
      encryption.close();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function client(url: string, credentials: { accessKeyId: string; secretAccessKey: string } = DUMMY_CREDENTIALS): BedrockAgentRuntimeClient {
  return new BedrockAgentRuntimeClient({ endpoint: url, region: "us-east-1", credentials, maxAttempts: 1 });
}

function kbConfig(modelArn: string, extra: Record<string, unknown> = {}): RetrieveAndGenerateCommandInput["retrieveAndGenerateConfiguration"] {
  return { type: "KNOWLEDGE_BASE", knowledgeBaseConfiguration: { knowledgeBaseId: KB_ID, modelArn, ...extra } };
}

/** Every citation's span slices the output to its text; returns [text, cited URIs] pairs. */
function citedSpans(output: string, citations: Citation[]): Array<[string, string[]]> {
  return citations.map((c) => {
    const part = c.generatedResponsePart!.textResponsePart!;
    assert.equal(output.slice(part.span!.start!, part.span!.end!), part.text);
    return [part.text!, (c.retrievedReferences ?? []).map((r) => r.location?.s3Location?.uri ?? r.location?.customDocumentLocation?.id ?? "?")];
  });
}

async function refused(promise: Promise<unknown>, name: string, status: number, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, name);
    assert.equal(error.$metadata?.httpStatusCode, status);
    if (message) assert.match(error.message, message);
    return true;
  });
}

after(async () => {
  await sharedKb?.index.close();
});

describe("bedrock-agent-runtime through the AWS SDK and LangChain", () => {
  let server: RuntimeServer;
  let runtime: BedrockAgentRuntimeClient;

  before(async () => {
    server = await startRuntimeServer();
    runtime = client(server.url);
  });
  after(async () => {
    runtime?.destroy();
    await server?.stop();
  });

  describe("Retrieve", () => {
    it("returns the passage answering a question, in Bedrock's result shape", async () => {
      const out = await runtime.send(new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "Which class may employees book for long flights?" } }));
      assert.equal(out.retrievalResults?.length, 5);
      const [top] = out.retrievalResults!;
      assert.deepEqual(top?.location, { type: "S3", s3Location: { uri: "s3://handbook/travel.md" } });
      assert.equal(top?.content?.type, "TEXT");
      assert.match(top?.content?.text ?? "", /Business class is allowed for longer flights/);
      assert.ok(typeof top?.score === "number" && top.score > 0 && top.score <= 1);
      assert.equal(top?.metadata?.["x-amz-bedrock-kb-source-uri"], "s3://handbook/travel.md");
      assert.equal(top?.metadata?.["x-amz-bedrock-kb-chunk-id"], "s3://handbook/travel.md#0");
      assert.deepEqual(top?.metadata?.tags, ["policy", "travel"]);
      assert.equal(out.nextToken, undefined);
    });

    it("reports a local file as a CUSTOM location with its URI", async () => {
      const out = await runtime.send(
        new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "When is lunch served?" }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 1 } } }),
      );
      assert.deepEqual(out.retrievalResults?.[0]?.location, { type: "CUSTOM", customDocumentLocation: { id: "file:///srv/docs/cafeteria.txt" } });
    });

    it("applies filters, hybrid search and reranking", async () => {
      const filtered = await runtime.send(
        new RetrieveCommand({
          knowledgeBaseId: KB_ID,
          retrievalQuery: { text: "revenue" },
          retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 10, filter: { andAll: [{ equals: { key: "department", value: "finance" } }, { greaterThanOrEquals: { key: "year", value: 2021 } }] } } },
        }),
      );
      assert.deepEqual(filtered.retrievalResults?.map((r) => r.location?.s3Location?.uri), ["s3://reports/revenue-2021.pdf"]);
      const hybrid = await runtime.send(
        new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "XK-4471" }, retrievalConfiguration: { vectorSearchConfiguration: { overrideSearchType: "HYBRID", numberOfResults: 3 } } }),
      );
      assert.equal(hybrid.retrievalResults?.[0]?.location?.s3Location?.uri, "s3://handbook/parts.csv");
      const reranked = await runtime.send(
        new RetrieveCommand({
          knowledgeBaseId: KB_ID,
          retrievalQuery: { text: "When is lunch served in the cafeteria?" },
          retrievalConfiguration: {
            vectorSearchConfiguration: {
              numberOfResults: 6,
              rerankingConfiguration: { type: "BEDROCK_RERANKING_MODEL", bedrockRerankingConfiguration: { modelConfiguration: { modelArn: `arn:aws:bedrock:us-east-1::foundation-model/${DEFAULT_EMBEDDING_MODEL_ID}` }, numberOfRerankedResults: 2 } },
            },
          },
        }),
      );
      assert.equal(reranked.retrievalResults?.length, 2);
      assert.equal(reranked.retrievalResults?.[0]?.location?.customDocumentLocation?.id, "file:///srv/docs/cafeteria.txt");
    });

    it("applies a guardrail to the query (guardrailConfiguration): a blocked query retrieves nothing, a masked one is searched masked", async () => {
      const guardrailConfiguration = { guardrailId: server.guardrailId, guardrailVersion: "DRAFT" };
      const before = server.usage.records.length;
      const blocked = await runtime.send(new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "Is moonlighting allowed for employees?" }, guardrailConfiguration }));
      assert.equal(blocked.guardrailAction, "INTERVENED");
      assert.deepEqual(blocked.retrievalResults, []);
      assert.equal(server.usage.records.length, before, "a blocked query is not even embedded");

      const clean = await runtime.send(new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "When is lunch served?" }, guardrailConfiguration }));
      assert.equal(clean.guardrailAction, "NONE");
      assert.equal(clean.retrievalResults?.[0]?.location?.customDocumentLocation?.id, "file:///srv/docs/cafeteria.txt");
      const masked = await runtime.send(
        new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "When is lunch served in the cafeteria? Reply to ann@example.com" }, guardrailConfiguration }),
      );
      assert.equal(masked.guardrailAction, "INTERVENED");
      assert.equal(masked.retrievalResults?.[0]?.location?.customDocumentLocation?.id, "file:///srv/docs/cafeteria.txt");
      const unguarded = await runtime.send(new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "When is lunch served?" } }));
      assert.equal(unguarded.guardrailAction, undefined);

      await refused(
        runtime.send(new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "q" }, guardrailConfiguration: { guardrailId: "Not-An-Id", guardrailVersion: "DRAFT" } })),
        "ValidationException",
        400,
        /'guardrailConfiguration\.guardrailId'/,
      );
      await refused(
        runtime.send(new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "q" }, guardrailConfiguration: { guardrailId: server.guardrailId, guardrailVersion: "0" } })),
        "ValidationException",
        400,
        /'guardrailConfiguration\.guardrailVersion'/,
      );
      await refused(runtime.send(new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "q" }, guardrailConfiguration: { guardrailId: "zzzzzzzzzzzz", guardrailVersion: "DRAFT" } })), "ResourceNotFoundException", 404);
    });

    it("refuses bad input with the exact field, and an unknown knowledge base as not found", async () => {
      await refused(
        runtime.send(new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "q" }, retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 0 } } })),
        "ValidationException",
        400,
        /'retrievalConfiguration\.vectorSearchConfiguration\.numberOfResults'/,
      );
      await refused(
        runtime.send(new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "q" }, retrievalConfiguration: { vectorSearchConfiguration: { filter: { startsWith: { key: "department", value: 3 } } } } })),
        "ValidationException",
        400,
        /'retrievalConfiguration\.vectorSearchConfiguration\.filter\.startsWith\.value'/,
      );
      await refused(runtime.send(new RetrieveCommand({ knowledgeBaseId: "KBMISSING1", retrievalQuery: { text: "q" } })), "ResourceNotFoundException", 404);
    });
  });

  it("serves LangChain's AmazonKnowledgeBaseRetriever unchanged", async () => {
    const retriever = new AmazonKnowledgeBaseRetriever({ knowledgeBaseId: KB_ID, topK: 3, region: "us-east-1", clientOptions: { endpoint: server.url, credentials: DUMMY_CREDENTIALS } });
    const docs = await retriever.invoke("How must laptops be protected?");
    assert.equal(docs.length, 3);
    assert.match(docs[0]!.pageContent, /full-disk encryption/);
    assert.equal(docs[0]!.metadata.source, "s3://handbook/security.md");
    assert.equal(docs[0]!.metadata["x-amz-bedrock-kb-source-uri"], "s3://handbook/security.md");
    assert.equal(typeof docs[0]!.metadata.score, "number");
    const filtered = new AmazonKnowledgeBaseRetriever({
      knowledgeBaseId: KB_ID,
      topK: 5,
      region: "us-east-1",
      clientOptions: { endpoint: server.url, credentials: DUMMY_CREDENTIALS },
      filter: { equals: { key: "department", value: "facilities" } },
      overrideSearchType: "HYBRID",
    });
    const only = await filtered.invoke("lunch");
    assert.deepEqual(only.map((d) => d.metadata["x-amz-bedrock-kb-source-uri"]), ["file:///srv/docs/cafeteria.txt"]);
  });

  it("reranks inline documents with Rerank", async () => {
    const out = await runtime.send(
      new RerankCommand({
        queries: [{ type: "TEXT", textQuery: { text: "How long does a refund take?" } }],
        sources: [
          { type: "INLINE", inlineDocumentSource: { type: "TEXT", textDocument: { text: "The parking garage opens at 6 am." } } },
          { type: "INLINE", inlineDocumentSource: { type: "JSON", jsonDocument: { title: "Refunds", body: "Refunds are paid within 14 days of the returned item arriving." } } },
          { type: "INLINE", inlineDocumentSource: { type: "TEXT", textDocument: { text: "Our cat sleeps most of the afternoon." } } },
        ],
        rerankingConfiguration: { type: "BEDROCK_RERANKING_MODEL", bedrockRerankingConfiguration: { modelConfiguration: { modelArn: DEFAULT_EMBEDDING_MODEL_ID }, numberOfResults: 2 } },
      }),
    );
    assert.equal(out.results?.length, 2);
    assert.equal(out.results?.[0]?.index, 1);
    assert.deepEqual(out.results?.[0]?.document?.jsonDocument, { title: "Refunds", body: "Refunds are paid within 14 days of the returned item arriving." });
    assert.ok(out.results![0]!.relevanceScore! > out.results![1]!.relevanceScore!);
    await refused(
      runtime.send(
        new RerankCommand({
          queries: [{ type: "TEXT", textQuery: { text: "q" } }],
          sources: [{ type: "INLINE", inlineDocumentSource: { type: "TEXT", textDocument: { text: "d" } } }],
          rerankingConfiguration: { type: "BEDROCK_RERANKING_MODEL", bedrockRerankingConfiguration: { modelConfiguration: { modelArn: "mock.echo" } } },
        }),
      ),
      "ValidationException",
      400,
      /mock\.echo cannot rerank/,
    );
  });

  describe("RetrieveAndGenerate", () => {
    it("answers with citations whose spans map the answer to the retrieved passages", async () => {
      const out = await runtime.send(new RetrieveAndGenerateCommand({ input: { text: "Which class may employees book for long flights?" }, retrieveAndGenerateConfiguration: kbConfig("mock.cite") }));
      assert.match(out.sessionId ?? "", /^[0-9a-f-]{36}$/);
      assert.equal(out.output?.text, "Business class is allowed on flights longer than six hours. Shorter flights are booked in economy.");
      assert.deepEqual(citedSpans(out.output!.text!, out.citations ?? []), [
        ["Business class is allowed on flights longer than six hours.", ["s3://handbook/travel.md"]],
        ["Shorter flights are booked in economy.", ["s3://handbook/travel.md"]],
      ]);
      const reference = out.citations![0]!.retrievedReferences![0]!;
      assert.match(reference.content?.text ?? "", /economy class/);
      assert.equal(reference.metadata?.["x-amz-bedrock-kb-chunk-id"], "s3://handbook/travel.md#0");
    });

    it("keeps citations on an answer whose personal data a guardrail masked, their spans moved onto the masked text", async () => {
      const guardrailConfiguration = { guardrailId: server.guardrailId, guardrailVersion: "DRAFT" };
      const question = { input: { text: "Which class may employees book for long flights?" }, retrieveAndGenerateConfiguration: kbConfig("mock.contact", { generationConfiguration: { guardrailConfiguration } }) };
      const maskedText = "Ask {EMAIL} first. Business class is allowed on flights longer than six hours, says {EMAIL}. Shorter flights are booked in economy. Questions go to {EMAIL}.";
      const expected: Array<[string, string[]]> = [
        ["Ask {EMAIL} first. Business class is allowed on flights longer than six hours, says {EMAIL}.", ["s3://handbook/travel.md"]],
        ["Shorter flights are booked in economy.", ["s3://handbook/travel.md"]],
      ];
      const out = await runtime.send(new RetrieveAndGenerateCommand(question));
      assert.equal(out.guardrailAction, "INTERVENED");
      assert.equal(out.output?.text, maskedText);
      assert.deepEqual(citedSpans(out.output!.text!, out.citations ?? []), expected);

      // The stream masks as it goes, and cites the masked text it sent.
      const stream = await runtime.send(new RetrieveAndGenerateStreamCommand(question));
      let text = "";
      const citations: Citation[] = [];
      for await (const event of stream.stream!) {
        text += event.output?.text ?? "";
        if (event.citation) citations.push({ generatedResponsePart: event.citation.generatedResponsePart, retrievedReferences: event.citation.retrievedReferences });
      }
      assert.equal(text, maskedText);
      assert.deepEqual(citedSpans(text, citations), expected);
    });

    it("carries earlier turns of a session into the prompt", async () => {
      const template = "History: $conversation_history$\nQuestion: $query$\nResults: $search_results$";
      const generation = { promptTemplate: { textPromptTemplate: template } };
      const first = await runtime.send(new RetrieveAndGenerateCommand({ input: { text: "When is lunch served?" }, retrieveAndGenerateConfiguration: kbConfig("mock.echo", { generationConfiguration: generation }) }));
      // The echo model repeats its prompt: the first has no history, and holds the search results.
      assert.match(first.output?.text ?? "", /^History: \nQuestion: When is lunch served\?/);
      assert.match(first.output?.text ?? "", /The cafeteria serves lunch from 11:30/);
      const second = await runtime.send(
        new RetrieveAndGenerateCommand({ sessionId: first.sessionId, input: { text: "Is there vegetarian food?" }, retrieveAndGenerateConfiguration: kbConfig("mock.echo", { generationConfiguration: generation }) }),
      );
      assert.equal(second.sessionId, first.sessionId);
      assert.match(second.output?.text ?? "", /^History: User: When is lunch served\?\nAssistant: History: \nQuestion: When is lunch served\?/);
      await refused(
        runtime.send(new RetrieveAndGenerateCommand({ sessionId: "00000000-0000-4000-8000-000000000000", input: { text: "q" }, retrieveAndGenerateConfiguration: kbConfig("mock.cite") })),
        "ValidationException",
        400,
        /Session with Id 00000000-0000-4000-8000-000000000000 is not valid/,
      );
    });

    it("answers from documents passed with the request (EXTERNAL_SOURCES)", async () => {
      const out = await runtime.send(
        new RetrieveAndGenerateCommand({
          input: { text: "When is the launch?" },
          retrieveAndGenerateConfiguration: {
            type: "EXTERNAL_SOURCES",
            externalSourcesConfiguration: {
              modelArn: "mock.launch",
              sources: [{ sourceType: "BYTE_CONTENT", byteContent: { identifier: "plan.md", contentType: "text/markdown", data: Buffer.from("# Plan\n\nThe launch is planned for March 3.") } }],
            },
          },
        }),
      );
      assert.equal(out.output?.text, "The launch is planned for March 3.");
      assert.deepEqual(citedSpans(out.output!.text!, out.citations!), [["The launch is planned for March 3.", ["plan.md"]]]);
      assert.deepEqual(out.citations![0]!.retrievedReferences![0]!.location, { type: "CUSTOM", customDocumentLocation: { id: "plan.md" } });
    });

    it("generates with a real GGUF model", async () => {
      const out = await runtime.send(
        new RetrieveAndGenerateCommand({
          input: { text: "Once upon a time" },
          // One passage and a short template keep the prompt small for a 2-core test machine.
          retrieveAndGenerateConfiguration: kbConfig("local.stories", {
            retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 1 } },
            generationConfiguration: { promptTemplate: { textPromptTemplate: "$search_results$\n$query$" }, inferenceConfig: { textInferenceConfig: { maxTokens: 16, temperature: 0 } } },
          }),
        }),
      );
      assert.ok((out.output?.text ?? "").length > 0);
      citedSpans(out.output!.text!, out.citations ?? []);
    });

    it("runs its model calls through the quota and usage guard", async () => {
      const before = server.usage.records.length;
      await runtime.send(new RetrieveAndGenerateCommand({ input: { text: "When is lunch served?" }, retrieveAndGenerateConfiguration: kbConfig("mock.cite") }));
      const records = server.usage.records.slice(before).map((r) => [r.operation, r.model, r.account, r.outcome]);
      assert.deepEqual(records, [
        ["RetrieveAndGenerate", DEFAULT_EMBEDDING_MODEL_ID, "000000000000", "success"],
        ["RetrieveAndGenerate", "mock.cite", "000000000000", "success"],
      ]);
      const [embedding, generation] = server.usage.records.slice(before);
      assert.ok(embedding!.inputTokens > 0 && embedding!.outputTokens === 0);
      assert.ok(generation!.inputTokens > 0 && generation!.outputTokens > 0);
      // mock.limited allows one request a minute: the second is throttled before any model work.
      const limited = { input: { text: "q" }, retrieveAndGenerateConfiguration: kbConfig("mock.limited") };
      assert.equal((await runtime.send(new RetrieveAndGenerateCommand(limited))).output?.text, "Limited.");
      await refused(runtime.send(new RetrieveAndGenerateCommand(limited)), "ThrottlingException", 429);
      await refused(runtime.send(new RetrieveAndGenerateStreamCommand(limited)), "ThrottlingException", 429);
    });

    it("refuses an unknown model and a missing knowledge base", async () => {
      await refused(runtime.send(new RetrieveAndGenerateCommand({ input: { text: "q" }, retrieveAndGenerateConfiguration: kbConfig("no.such-model") })), "ValidationException", 400, /model identifier is invalid/);
      await refused(
        runtime.send(new RetrieveAndGenerateCommand({ input: { text: "q" }, retrieveAndGenerateConfiguration: { type: "KNOWLEDGE_BASE", knowledgeBaseConfiguration: { knowledgeBaseId: "KBMISSING1", modelArn: "mock.cite" } } })),
        "ResourceNotFoundException",
        404,
      );
    });
  });

  describe("RetrieveAndGenerateStream", () => {
    it("applies a guardrail to the question and the answer (guardrailConfiguration)", async () => {
      const guardrailConfiguration = { guardrailId: server.guardrailId, guardrailVersion: "DRAFT" };
      const blocked = await runtime.send(
        new RetrieveAndGenerateCommand({ input: { text: "Is moonlighting allowed for employees?" }, retrieveAndGenerateConfiguration: kbConfig("mock.cite", { generationConfiguration: { guardrailConfiguration } }) }),
      );
      assert.equal(blocked.guardrailAction, "INTERVENED");
      assert.equal(blocked.output?.text, "That question is not allowed.");
      const clean = await runtime.send(
        new RetrieveAndGenerateCommand({ input: { text: "Which class may employees book for long flights?" }, retrieveAndGenerateConfiguration: kbConfig("mock.cite", { generationConfiguration: { guardrailConfiguration } }) }),
      );
      assert.equal(clean.guardrailAction, "NONE");
      assert.equal(clean.citations?.length, 2, "an untouched answer keeps its citations");
      // The echo model repeats the (masked) question the guardrail let through.
      const masked = await runtime.send(
        new RetrieveAndGenerateCommand({
          input: { text: "Write to hr@example.com about lunch" },
          retrieveAndGenerateConfiguration: kbConfig("mock.echo", { generationConfiguration: { guardrailConfiguration, promptTemplate: { textPromptTemplate: "$query$ | $search_results$" } } }),
        }),
      );
      assert.match(masked.output?.text ?? "", /^Write to \{EMAIL\} about lunch \|/);
      const stream = await runtime.send(
        new RetrieveAndGenerateStreamCommand({ input: { text: "Which class may employees book for long flights?" }, retrieveAndGenerateConfiguration: kbConfig("mock.cite", { generationConfiguration: { guardrailConfiguration } }) }),
      );
      const actions: string[] = [];
      for await (const event of stream.stream!) if (event.guardrail?.action) actions.push(event.guardrail.action);
      assert.deepEqual(actions, ["NONE"]);
    });

    it("streams the answer and citations, with the session in the response header", async () => {
      const out = await runtime.send(new RetrieveAndGenerateStreamCommand({ input: { text: "Which class may employees book for long flights?" }, retrieveAndGenerateConfiguration: kbConfig("mock.cite") }));
      assert.match(out.sessionId ?? "", /^[0-9a-f-]{36}$/);
      let text = "";
      let outputs = 0;
      const citations: Citation[] = [];
      for await (const event of out.stream!) {
        if (event.output) {
          text += event.output.text;
          outputs++;
        }
        if (event.citation) {
          citations.push({ generatedResponsePart: event.citation.generatedResponsePart, retrievedReferences: event.citation.retrievedReferences });
          assert.deepEqual(event.citation.citation, { generatedResponsePart: event.citation.generatedResponsePart, retrievedReferences: event.citation.retrievedReferences });
        }
      }
      assert.ok(outputs > 5, "the text arrives in many events as the model streams");
      assert.equal(text, "Business class is allowed on flights longer than six hours. Shorter flights are booked in economy.");
      assert.deepEqual(citedSpans(text, citations), [
        ["Business class is allowed on flights longer than six hours.", ["s3://handbook/travel.md"]],
        ["Shorter flights are booked in economy.", ["s3://handbook/travel.md"]],
      ]);
      // The streamed turn is in the session: a follow-up with the echo model sees it.
      const followUp = await runtime.send(
        new RetrieveAndGenerateCommand({
          sessionId: out.sessionId,
          input: { text: "And short ones?" },
          retrieveAndGenerateConfiguration: kbConfig("mock.echo", { generationConfiguration: { promptTemplate: { textPromptTemplate: "$conversation_history$ | $search_results$ | $query$" } } }),
        }),
      );
      assert.match(followUp.output?.text ?? "", /^User: Which class may employees book for long flights\?\nAssistant: Business class is allowed/);
    });

    it("reports a model failure after the first byte as an in-stream exception", async () => {
      const out = await runtime.send(new RetrieveAndGenerateStreamCommand({ input: { text: "anything" }, retrieveAndGenerateConfiguration: kbConfig("mock.broken") }));
      let text = "";
      await assert.rejects(
        (async () => {
          for await (const event of out.stream!) text += event.output?.text ?? "";
        })(),
        { name: "DependencyFailedException" },
      );
      assert.ok(text.length > 0 && "This answer breaks off in the middle".startsWith(text));
    });
  });
});

describe("bedrock-agent-runtime authorization", () => {
  let server: RuntimeServer;
  let reader: UserKeys;
  let guarded: UserKeys;
  let noRetrieve: UserKeys;
  let other: UserKeys;
  let zed: UserKeys;
  const kbArn = (account: string) => `arn:aws:bedrock:us-east-1:${account}:knowledge-base/${KB_ID}`;

  before(async () => {
    server = await startRuntimeServer({
      iam: async (dataDir) => {
        const everything = ["bedrock:Retrieve", "bedrock:RetrieveAndGenerate", "bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:Rerank"];
        reader = await createUser(dataDir, { user: "reader", policy: policy([{ Effect: "Allow", Action: everything, Resource: "*" }]) });
        guarded = await createUser(dataDir, { user: "guarded", policy: policy([{ Effect: "Allow", Action: [...everything, "bedrock:ApplyGuardrail"], Resource: "*" }]) });
        noRetrieve = await createUser(dataDir, {
          user: "no-retrieve",
          policy: policy([
            { Effect: "Allow", Action: everything, Resource: "*" },
            { Effect: "Deny", Action: "bedrock:Retrieve", Resource: kbArn("000000000000") },
          ]),
        });
        other = await createUser(dataDir, { user: "other", policy: policy([{ Effect: "Allow", Action: ["bedrock:RetrieveAndGenerate", "bedrock:InvokeModel"], Resource: "*" }]) });
        const accountB = JSON.parse((await iam(dataDir, "create-account", "--name", "tenant-b", "--json")).out).Account.Id as string;
        zed = await createUser(dataDir, { user: "zed", account: accountB, policy: policy([{ Effect: "Allow", Action: everything, Resource: "*" }]) });
      },
    });
  });
  after(async () => server?.stop());

  it("authorizes Retrieve on the knowledge base's ARN", async () => {
    const ok = await client(server.url, reader).send(new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "lunch" } }));
    assert.ok((ok.retrievalResults?.length ?? 0) > 0);
    await refused(client(server.url, noRetrieve).send(new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "lunch" } })), "AccessDeniedException", 403, /bedrock:Retrieve on resource: arn:aws:bedrock:us-east-1:000000000000:knowledge-base\/KBTEST0001/);
  });

  it("requires bedrock:ApplyGuardrail on the guardrail for Retrieve with guardrailConfiguration", async () => {
    const request = { knowledgeBaseId: KB_ID, retrievalQuery: { text: "lunch" }, guardrailConfiguration: { guardrailId: server.guardrailId, guardrailVersion: "DRAFT" } };
    await refused(
      client(server.url, reader).send(new RetrieveCommand(request)),
      "AccessDeniedException",
      403,
      new RegExp(`bedrock:ApplyGuardrail on resource: arn:aws:bedrock:us-east-1:000000000000:guardrail/${server.guardrailId}`),
    );
    const ok = await client(server.url, guarded).send(new RetrieveCommand(request));
    assert.equal(ok.guardrailAction, "NONE");
    assert.ok((ok.retrievalResults?.length ?? 0) > 0);
  });

  it("requires bedrock:Retrieve on the knowledge base for RetrieveAndGenerate, as AWS does", async () => {
    const input = { input: { text: "When is lunch served?" }, retrieveAndGenerateConfiguration: kbConfig("mock.cite") };
    const ok = await client(server.url, reader).send(new RetrieveAndGenerateCommand(input));
    assert.ok(ok.output?.text);
    await refused(client(server.url, noRetrieve).send(new RetrieveAndGenerateCommand(input)), "AccessDeniedException", 403, /bedrock:Retrieve/);
    await refused(client(server.url, other).send(new RetrieveAndGenerateCommand(input)), "AccessDeniedException", 403, /bedrock:Retrieve/);
    // External sources need no knowledge base.
    const external = await client(server.url, other).send(
      new RetrieveAndGenerateCommand({
        input: { text: "When is the launch?" },
        retrieveAndGenerateConfiguration: { type: "EXTERNAL_SOURCES", externalSourcesConfiguration: { modelArn: "mock.launch", sources: [{ sourceType: "BYTE_CONTENT", byteContent: { identifier: "plan.txt", contentType: "text/plain", data: Buffer.from("The launch is planned for March 3.") } }] } },
      }),
    );
    assert.equal(external.output?.text, "The launch is planned for March 3.");
  });

  it("keeps a session to the account that created it", async () => {
    const mine = await client(server.url, reader).send(new RetrieveAndGenerateCommand({ input: { text: "When is lunch served?" }, retrieveAndGenerateConfiguration: kbConfig("mock.cite") }));
    const zedClient = client(server.url, zed);
    assert.ok((await zedClient.send(new RetrieveCommand({ knowledgeBaseId: KB_ID, retrievalQuery: { text: "lunch" } }))).retrievalResults?.length);
    await refused(
      zedClient.send(new RetrieveAndGenerateCommand({ sessionId: mine.sessionId, input: { text: "And dinner?" }, retrieveAndGenerateConfiguration: kbConfig("mock.cite") })),
      "ValidationException",
      400,
      /is not valid/,
    );
  });
});
