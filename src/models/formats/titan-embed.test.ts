import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ModelEntry } from "../../spec/catalog.ts";
import { parseRequest, parseV1Request } from "./titan-embed.ts";

const entry = (over: Partial<ModelEntry> = {}): ModelEntry => ({
  id: "e", aliases: [], name: "e", providerName: "p", inputModalities: ["TEXT"], outputModalities: ["EMBEDDING"],
  streaming: false, tools: false, vision: false, documents: false, embeddingDimensions: 512, lifecycle: "ACTIVE", inferenceTypes: ["ON_DEMAND"], ...over,
});
const info = { modelId: "e", requestId: "r" };
const result = { embeddings: [[0.6, -0.8, 0]], usage: { inputTokens: 3 }, warnings: [] };

describe("titan-embed format", () => {
  it("parses v2 with the catalog's dimensions as the default and normalize on", () => {
    assert.deepEqual(parseRequest({ inputText: "hi" }, entry()).request, { texts: ["hi"], dimensions: 512, normalize: true });
    assert.deepEqual(parseRequest({ inputText: "hi", dimensions: 256, normalize: false }, entry()).request, { texts: ["hi"], dimensions: 256, normalize: false });
  });

  it("refuses dimensions Titan v2 or the model cannot produce", () => {
    assert.throws(() => parseRequest({ inputText: "hi", dimensions: 300 }, entry()), (e: Error) => e.name === "ValidationException" && e.message.includes("dimensions"));
    assert.throws(() => parseRequest({ inputText: "hi", dimensions: 1024 }, entry({ supportedDimensions: [256, 512] })), /cannot produce 1024/);
    assert.throws(() => parseRequest({ inputText: "hi", embeddingTypes: ["int8"] }, entry()), /embeddingTypes.0/);
    assert.throws(() => parseRequest({ inputText: "" }, entry()), /inputText/);
  });

  it("renders the embedding, its token count and embeddingsByType when asked", () => {
    assert.deepEqual(parseRequest({ inputText: "hi" }, entry()).respond(result, info), { embedding: [0.6, -0.8, 0], inputTextTokenCount: 3 });
    const typed = parseRequest({ inputText: "hi", embeddingTypes: ["binary", "float"] }, entry()).respond(result, info);
    assert.deepEqual(typed.embeddingsByType, { binary: [1, 0, 0], float: [0.6, -0.8, 0] });
    assert.deepEqual(typed.embedding, [0.6, -0.8, 0], "embedding stays float");
  });

  it("takes inputText only for v1 and refuses v2's fields", () => {
    assert.deepEqual(parseV1Request({ inputText: "hi" }).request, { texts: ["hi"] });
    assert.deepEqual(parseV1Request({ inputText: "hi" }).respond(result, info), { embedding: [0.6, -0.8, 0], inputTextTokenCount: 3 });
    assert.throws(() => parseV1Request({ inputText: "hi", dimensions: 512 }), (e: Error) => e.name === "ValidationException" && e.message.includes("dimensions"));
  });
});
