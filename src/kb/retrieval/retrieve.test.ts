// Retrieve over a real embedded index filled with vectors of the real offline embedding model:
// semantic and hybrid search, filters passed through, hierarchical parents returned once each,
// and reranking with the embedding re-scorer.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { parseConfig } from "../../config/loader.ts";
import { createProviders } from "../../models/providers/index.ts";
import { DEFAULT_EMBEDDING_MODEL_ID, ModelRegistry } from "../../models/registry.ts";
import type { OpenKnowledgeBase } from "../ingestion/indexes.ts";
import { openEmbeddedIndex } from "../vector-store/embedded/embedded-index.ts";
import type { SearchHit } from "../vector-store/vector-store.ts";
import { fillCorpus } from "./corpus.fixture.ts";
import { EmbeddingReranker } from "./embedding-reranker.ts";
import { collapseHits, retrieve } from "./retrieve.ts";
import { parseRetrievalConfiguration } from "./retrieval-config.ts";

let dir: string;
let kb: OpenKnowledgeBase;
let registry: ModelRegistry;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "basalt-retrieve-"));
  const config = parseConfig({ dataDir: dir });
  registry = new ModelRegistry({ providers: createProviders(), context: { config, logger: pino({ level: "silent" }) } });
  const embedding = registry.embeddingModel(DEFAULT_EMBEDDING_MODEL_ID).embedding;
  const index = await openEmbeddedIndex({ dir: join(dir, "index"), dimensions: 512 });
  await fillCorpus(index, embedding);
  kb = { index, embedding, embeddingModelId: DEFAULT_EMBEDDING_MODEL_ID, dimensions: 512 };
});

after(async () => {
  await kb?.index.close();
  await registry?.close();
  await rm(dir, { recursive: true, force: true });
});

async function ask(query: string, configuration: unknown = undefined, reranker?: EmbeddingReranker) {
  const settings = parseRetrievalConfiguration(configuration);
  return (await retrieve(kb, { query, settings }, { reranker: reranker && (() => reranker) })).passages;
}

describe("retrieve", () => {
  it("finds the passage that answers a question, with its source and metadata", async () => {
    const [top] = await ask("How long can a flight be before business class is allowed?");
    assert.equal(top?.sourceUri, "s3://handbook/travel.md");
    assert.ok(top.score > 0 && top.score <= 1);
    assert.equal(top.metadata["x-amz-bedrock-kb-source-uri"], "s3://handbook/travel.md");
    assert.equal(top.metadata["x-amz-bedrock-kb-chunk-id"], "s3://handbook/travel.md#0");
    assert.equal(top.metadata["x-amz-bedrock-kb-data-source-id"], "DS00000001");
    assert.equal(top.metadata.department, "hr");
  });

  it("returns numberOfResults passages (5 by default), best first", async () => {
    const five = await ask("company policy");
    assert.equal(five.length, 5);
    for (let i = 1; i < five.length; i++) assert.ok(five[i - 1]!.score >= five[i]!.score);
    assert.equal((await ask("company policy", { vectorSearchConfiguration: { numberOfResults: 2 } })).length, 2);
  });

  it("passes the metadata filter to the index", async () => {
    const query = "What was the revenue?";
    const only2021 = await ask(query, { vectorSearchConfiguration: { numberOfResults: 10, filter: { equals: { key: "year", value: 2021 } } } });
    assert.ok(only2021.length > 0);
    assert.ok(only2021.every((p) => p.metadata.year === 2021));
    assert.equal(only2021[0]?.sourceUri, "s3://reports/revenue-2021.pdf");
    const itPolicies = await ask(query, {
      vectorSearchConfiguration: { numberOfResults: 10, filter: { andAll: [{ equals: { key: "department", value: "it" } }, { listContains: { key: "tags", value: "security" } }] } },
    });
    assert.deepEqual(itPolicies.map((p) => p.sourceUri), ["s3://handbook/security.md"]);
    const none = await ask(query, { vectorSearchConfiguration: { filter: { greaterThan: { key: "year", value: 2030 } } } });
    assert.deepEqual(none, []);
  });

  it("finds an exact part number with hybrid search", async () => {
    const [top] = await ask("XK-4471", { vectorSearchConfiguration: { overrideSearchType: "HYBRID", numberOfResults: 3 } });
    assert.equal(top?.sourceUri, "s3://handbook/parts.csv");
  });

  it("returns each hierarchical parent once, with the parent's text and id", async () => {
    const passages = await ask("What happens on the first day for new hires?", {
      vectorSearchConfiguration: { numberOfResults: 2, filter: { equals: { key: "year", value: 2024 } } },
    });
    // Five children of two parents match; two distinct parents must come back.
    assert.deepEqual(passages.map((p) => p.chunkId).sort(), ["s3://handbook/onboarding.md#p0", "s3://handbook/onboarding.md#p1"]);
    for (const p of passages) {
      assert.ok(p.text.startsWith("Onboarding.") || p.text.startsWith("Benefits."), p.text);
      assert.equal(p.metadata["x-amz-bedrock-kb-chunk-id"], p.chunkId);
    }
  });

  it("searches for more children when the first hits share a parent", async () => {
    const ks: number[] = [];
    const index = kb.index;
    const counting = { ...kb, index: Object.assign(Object.create(index) as typeof index, { search: (q: Parameters<typeof index.search>[0]) => (ks.push(q.k), index.search(q)) }) };
    const settings = parseRetrievalConfiguration({ vectorSearchConfiguration: { numberOfResults: 2, filter: { equals: { key: "year", value: 2024 } } } });
    const { passages } = await retrieve(counting, { query: "new hires laptop mentor badge photo reception first week", settings });
    assert.equal(passages.length, 2);
    assert.equal(passages[0]?.chunkId, "s3://handbook/onboarding.md#p0");
    assert.deepEqual(ks, [2, 8], "the three best children belong to one parent, so a second, wider search runs");
  });

  it("reranks with the embedding re-scorer and keeps numberOfRerankedResults", async () => {
    const reranker = new EmbeddingReranker(DEFAULT_EMBEDDING_MODEL_ID, kb.embedding);
    const query = "When is lunch served in the cafeteria?";
    const passages = await ask(
      query,
      {
        vectorSearchConfiguration: {
          numberOfResults: 6,
          rerankingConfiguration: { type: "BEDROCK_RERANKING_MODEL", bedrockRerankingConfiguration: { modelConfiguration: { modelArn: DEFAULT_EMBEDDING_MODEL_ID }, numberOfRerankedResults: 2 } },
        },
      },
      reranker,
    );
    assert.equal(passages.length, 2);
    assert.equal(passages[0]?.sourceUri, "file:///srv/docs/cafeteria.txt");
    const { scores } = await reranker.score(query, [passages[0]!.text]);
    assert.ok(Math.abs(passages[0]!.score - scores[0]!) < 1e-6, "the score is the reranker's");
  });

  it("collapses children into parents in rank order", () => {
    const hit = (id: string, parent: string | undefined, score: number): SearchHit => ({
      chunk: { id, documentId: "d", dataSourceId: "ds", text: `child ${id}`, parent: parent ? { id: parent, text: `parent ${parent}` } : undefined, sourceUri: "s3://b/d", metadata: {} },
      score,
    });
    const passages = collapseHits([hit("c1", "p1", 0.9), hit("c2", "p1", 0.8), hit("flat", undefined, 0.7), hit("c3", "p2", 0.6)]);
    assert.deepEqual(
      passages.map((p) => [p.chunkId, p.text, p.score]),
      [
        ["p1", "parent p1", 0.9],
        ["flat", "child flat", 0.7],
        ["p2", "parent p2", 0.6],
      ],
    );
  });
});
