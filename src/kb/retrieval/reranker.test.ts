// Reranking: the embedding re-scorer with the real offline model, which models can rerank
// (read from the catalog and from a real GGUF header), and the metadata the reranker sees.
// No GGUF reranker is available offline, so the llama.cpp cross-encoder path is covered only up
// to detecting that a GGUF lacks a classification head.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { parseConfig } from "../../config/loader.ts";
import type { Config } from "../../config/schema.ts";
import { createProviders } from "../../models/providers/index.ts";
import { DEFAULT_EMBEDDING_MODEL_ID, ModelRegistry } from "../../models/registry.ts";
import { isRerankerGguf } from "./llama-reranker.ts";
import { metadataForReranking, rerankPassages, rerankTexts } from "./reranker.ts";
import { resolveReranker } from "./resolve-reranker.ts";

const STORIES = join(import.meta.dirname, "..", "..", "..", "..", "shared", "models", "stories260K.gguf");

let dir: string;
let config: Config;
let registry: ModelRegistry;
const logger = pino({ level: "silent" });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "basalt-rerank-"));
  config = parseConfig({
    dataDir: dir,
    models: [
      { provider: "llama-cpp", id: "local.stories", path: STORIES, contextSize: 256 },
      { provider: "mock", id: "mock.text" },
    ],
  });
  registry = new ModelRegistry({ providers: createProviders(), context: { config, logger } });
});

after(async () => {
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

describe("rerankers", () => {
  it("ranks the relevant document first with the embedding re-scorer", async () => {
    const reranker = await resolveReranker({ registry, config, logger }, `arn:aws:bedrock:us-east-1::foundation-model/${DEFAULT_EMBEDDING_MODEL_ID}`);
    assert.equal(reranker.kind, "bi-encoder");
    assert.equal(reranker.modelId, DEFAULT_EMBEDDING_MODEL_ID);
    const documents = ["The parking garage opens at 6 am.", "Our cat sleeps most of the afternoon.", "Refunds are paid within 14 days of the returned item arriving."];
    const { ranked, inputTokens } = await rerankTexts(reranker, "How long does a refund take?", documents);
    assert.equal(ranked[0]?.index, 2);
    assert.equal(ranked.length, 3);
    assert.ok(ranked.every((r) => r.relevanceScore >= 0 && r.relevanceScore <= 1));
    assert.ok(ranked[0]!.relevanceScore > ranked[1]!.relevanceScore);
    assert.ok(inputTokens > 0);
    const top1 = await rerankTexts(reranker, "How long does a refund take?", documents, { top: 1 });
    assert.deepEqual(top1.ranked.map((r) => r.index), [2]);
  });

  it("refuses models that cannot rerank, reading the GGUF header for a classification head", async () => {
    assert.equal(await isRerankerGguf(STORIES), false);
    await assert.rejects(resolveReranker({ registry, config, logger }, "local.stories"), /local\.stories cannot rerank/);
    await assert.rejects(resolveReranker({ registry, config, logger }, "mock.text"), /mock\.text cannot rerank/);
    await assert.rejects(resolveReranker({ registry, config, logger }, "no.such-model"), { name: "ValidationException", message: "The provided model identifier is invalid." });
  });

  it("shows the reranker the metadata the selection names", () => {
    const metadata = { year: 2021, tags: ["a", "b"], department: "hr" };
    assert.equal(metadataForReranking(metadata, { mode: "NONE" }), "");
    assert.equal(metadataForReranking(metadata, { mode: "ALL" }), "year: 2021\ntags: a, b\ndepartment: hr");
    assert.equal(metadataForReranking(metadata, { mode: "INCLUDE", fields: ["department"] }), "department: hr");
    assert.equal(metadataForReranking(metadata, { mode: "EXCLUDE", fields: ["tags", "year"] }), "department: hr");
  });

  it("reorders passages by the reranker's scores", async () => {
    const reranker = { modelId: "fixed", kind: "bi-encoder" as const, score: async (_q: string, docs: readonly string[]) => ({ scores: docs.map((d) => (d.includes("department: it") ? 0.9 : 0.1)), inputTokens: docs.length }) };
    const passage = (text: string, department: string) => ({ text, score: 0.5, sourceUri: `s3://b/${text}`, chunkId: text, documentId: text, metadata: { department } });
    const { passages } = await rerankPassages(reranker, "q", [passage("one", "hr"), passage("two", "it"), passage("three", "hr")], { metadata: { mode: "ALL" }, numberOfRerankedResults: 2 });
    assert.deepEqual(passages.map((p) => [p.text, p.score]), [
      ["two", 0.9],
      ["one", 0.1],
    ]);
  });
});
