import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ModelEntry } from "../../spec/catalog.ts";
import { parseRequest } from "./cohere-embed.ts";

const entry = { id: "e", aliases: [], name: "e", providerName: "p", inputModalities: ["TEXT"], outputModalities: ["EMBEDDING"], streaming: false, tools: false, vision: false, documents: false, lifecycle: "ACTIVE", inferenceTypes: ["ON_DEMAND"] } satisfies ModelEntry;
const info = { modelId: "e", requestId: "req-1" };
const result = { embeddings: [[0.5, -1, 0.25, 0, 1, -0.5, 0.1, -0.1, 0.9]], usage: { inputTokens: 2 }, warnings: [] };

describe("cohere-embed format", () => {
  it("maps input_type to the embedding purpose", () => {
    assert.deepEqual(parseRequest({ texts: ["a", "b"], input_type: "search_query", truncate: "END" }, entry).request, { texts: ["a", "b"], purpose: "query" });
    assert.equal(parseRequest({ texts: ["a"], input_type: "search_document" }, entry).request.purpose, "document");
  });

  it("validates texts, input_type, truncate and embedding_types by name", () => {
    const fails = (body: Record<string, unknown>, field: string) => assert.throws(() => parseRequest(body, entry), (e: Error) => e.name === "ValidationException" && e.message.includes(field));
    fails({ texts: new Array(97).fill("x"), input_type: "clustering" }, "'texts'");
    fails({ texts: [], input_type: "clustering" }, "'texts'");
    fails({ texts: ["a", 2], input_type: "clustering" }, "texts.1");
    fails({ texts: ["a"] }, "input_type");
    fails({ texts: ["a"], input_type: "clustering", truncate: "MIDDLE" }, "truncate");
    fails({ texts: ["a"], input_type: "clustering", embedding_types: ["int4"] }, "embedding_types.0");
  });

  it("renders floats by default and quantized types when asked", () => {
    const plain = parseRequest({ texts: ["a"], input_type: "clustering" }, entry).respond(result, info);
    assert.deepEqual(plain, { id: "req-1", texts: ["a"], embeddings: result.embeddings, response_type: "embeddings_floats" });
    const typed = parseRequest({ texts: ["a"], input_type: "clustering", embedding_types: ["float", "int8", "uint8", "binary", "ubinary"] }, entry).respond(result, info);
    const by = typed.embeddings as Record<string, number[][]>;
    assert.equal(typed.response_type, "embeddings_by_type");
    assert.deepEqual(by.float, result.embeddings);
    assert.deepEqual(by.int8![0], [64, -127, 32, 0, 127, -63, 13, -13, 114]);
    assert.deepEqual(by.uint8![0]!.slice(0, 3), [191, 0, 159]);
    // Positive dims 0,2,4,6 → 0b10101010 = 170, then dim 8 alone → 0b10000000 = 128.
    assert.deepEqual(by.ubinary![0], [170, 128]);
    assert.deepEqual(by.binary![0], [42, 0]);
  });
});
