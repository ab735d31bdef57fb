// embedTexts and embeddingDimensions against the real mock embedding model (deterministic hashed
// vectors), wrapped only to count calls or to change what it returns.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { parseConfig } from "../../config/loader.ts";
import { modelConfigSchema, type ModelConfigOf } from "../../config/schema.ts";
import { mockProvider } from "../../models/providers/mock/provider.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { EmbeddingModel, EmbedRequest } from "../../spec/model.ts";
import { embedTexts, embeddingDimensions } from "./embed-batched.ts";

function mockEmbedding(id: string, dimensions: number): EmbeddingModel {
  const config = modelConfigSchema.parse({ provider: "mock", id, embedding: true, embeddingDimensions: dimensions }) as ModelConfigOf<"mock">;
  return mockProvider.create(config, { config: parseConfig({ embeddedDefaults: false }), logger: pino({ level: "silent" }) }).embedding!;
}

/** The model, recording each request. */
function counting(model: EmbeddingModel): { model: EmbeddingModel; requests: EmbedRequest[] } {
  const requests: EmbedRequest[] = [];
  return {
    requests,
    model: {
      modelId: model.modelId,
      countTokens: (text) => model.countTokens(text),
      embed: (request) => {
        requests.push(request);
        return model.embed(request);
      },
    },
  };
}

const texts = Array.from({ length: 70 }, (_, i) => `passage number ${i} about topic ${i % 9}`);

describe("embedTexts", () => {
  it("embeds in batches, keeps order and sums input tokens", async () => {
    const base = mockEmbedding("mock.embed-64", 64);
    const { model, requests } = counting(base);
    const progress: Array<[number, number]> = [];
    const result = await embedTexts(model, texts, { purpose: "document", batchSize: 32, onBatch: (done, total) => progress.push([done, total]) });
    assert.deepEqual(
      requests.map((r) => r.texts.length),
      [32, 32, 6],
    );
    assert.ok(requests.every((r) => r.purpose === "document"));
    assert.deepEqual(progress, [
      [32, 70],
      [64, 70],
      [70, 70],
    ]);
    assert.equal(result.vectors.length, 70);
    const alone = await base.embed({ texts: [texts[45]!] });
    assert.ok(result.vectors[45] instanceof Float32Array);
    assert.deepEqual(Array.from(result.vectors[45]!), Array.from(Float32Array.from(alone.embeddings[0]!)), "vector 45 belongs to text 45");
    const expectedTokens = (await base.embed({ texts })).usage.inputTokens;
    assert.equal(result.inputTokens, expectedTokens);
  });

  it("uses 32 texts per call by default and passes the query purpose", async () => {
    const { model, requests } = counting(mockEmbedding("mock.embed-16", 16));
    await embedTexts(model, texts, { purpose: "query" });
    assert.deepEqual(
      requests.map((r) => [r.texts.length, r.purpose]),
      [
        [32, "query"],
        [32, "query"],
        [6, "query"],
      ],
    );
  });

  it("makes no call for an empty input", async () => {
    const { model, requests } = counting(mockEmbedding("mock.embed-16", 16));
    assert.deepEqual(await embedTexts(model, [], { purpose: "document", expectedDimensions: 16 }), { vectors: [], inputTokens: 0 });
    assert.equal(requests.length, 0);
  });

  it("fails with both sizes when the vector store expects other dimensions", async () => {
    const model = mockEmbedding("basalt.use-lite-v1", 512);
    await assert.rejects(embedTexts(model, texts.slice(0, 3), { purpose: "document", expectedDimensions: 384 }), (error: unknown) => {
      assert.ok(error instanceof BasaltError);
      assert.equal(error.code, "VALIDATION");
      assert.equal(error.message, "embedding model basalt.use-lite-v1 returned 512 dimensions, but the knowledge base's vector store holds 384");
      return true;
    });
    const ok = await embedTexts(model, texts.slice(0, 3), { purpose: "document", expectedDimensions: 512 });
    assert.ok(ok.vectors.every((v) => v.length === 512));
  });

  it("fails when a model's vectors disagree with each other", async () => {
    const base = mockEmbedding("mock.unsteady", 8);
    let call = 0;
    const unsteady: EmbeddingModel = {
      modelId: "mock.unsteady",
      countTokens: (text) => base.countTokens(text),
      embed: (request) => base.embed({ ...request, dimensions: call++ === 0 ? 8 : 12 }),
    };
    await assert.rejects(embedTexts(unsteady, texts.slice(0, 4), { purpose: "document", batchSize: 2 }), /embedding model mock.unsteady returned 12 dimensions, but an earlier vector of the same run holds 8/);
  });

  it("stops before the next batch once aborted", async () => {
    const { model, requests } = counting(mockEmbedding("mock.embed-16", 16));
    const controller = new AbortController();
    await assert.rejects(
      embedTexts(model, texts, { purpose: "document", signal: controller.signal, onBatch: () => controller.abort() }),
      { name: "AbortError" },
    );
    assert.equal(requests.length, 1);
  });

  it("refuses a batch size that is not a positive integer", async () => {
    await assert.rejects(embedTexts(mockEmbedding("mock.embed-16", 16), texts, { purpose: "document", batchSize: 0 }), RangeError);
  });
});

describe("embeddingDimensions", () => {
  it("probes a model once and caches the answer per model id", async () => {
    const { model, requests } = counting(mockEmbedding("mock.dims-48", 48));
    assert.equal(await embeddingDimensions(model), 48);
    assert.equal(await embeddingDimensions(model), 48);
    assert.equal(requests.length, 1);
    assert.equal(requests[0]!.texts.length, 1);
    assert.equal(await embeddingDimensions(mockEmbedding("mock.dims-24", 24)), 24);
  });

  it("probes again after a failed probe", async () => {
    const base = mockEmbedding("mock.flaky-dims", 20);
    let failures = 1;
    const flaky: EmbeddingModel = {
      modelId: "mock.flaky-dims",
      countTokens: (text) => base.countTokens(text),
      embed: async (request) => {
        if (failures-- > 0) throw new BasaltError("MODEL_NOT_READY", "warming up");
        return base.embed(request);
      },
    };
    await assert.rejects(embeddingDimensions(flaky), /warming up/);
    assert.equal(await embeddingDimensions(flaky), 20);
  });
});
