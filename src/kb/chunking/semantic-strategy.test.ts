// SEMANTIC chunking with the real offline embedding model (basalt.use-lite-v1): a break between
// two unrelated topics, maxTokens enforced at sentence boundaries, batched embedding calls.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { pino } from "pino";
import { parseConfig } from "../../config/loader.ts";
import { modelConfigSchema, type ModelConfigOf } from "../../config/schema.ts";
import { countTextTokens } from "../../models/text-tokens.ts";
import { mockProvider } from "../../models/providers/mock/provider.ts";
import { useProvider } from "../../models/providers/use/provider.ts";
import type { EmbeddingModel } from "../../spec/model.ts";
import { embedTexts } from "../embedding/embed-batched.ts";
import { chunkDocument } from "./chunk-document.ts";
import type { ChunkingConfiguration } from "./chunking-config.ts";
import { cosineDistance, percentile, SEMANTIC_EMBED_BATCH } from "./semantic-strategy.ts";
import { documentOf, paragraph, proseSentences, sentenceRun } from "./test-documents.ts";

const BREAD = [
  "Knead the bread dough for ten minutes until it becomes smooth and elastic.",
  "Yeast needs warm water and a little sugar to become active.",
  "Let the dough rise in a covered bowl until it doubles in size.",
  "Bake the loaf in a hot oven until the crust turns golden brown.",
  "A good sourdough starter gives the bread a tangy flavour.",
  "Flour with more protein makes a chewier loaf of bread.",
];
const VOLCANOES = [
  "Volcanoes form where magma rises through cracks in the Earth's crust.",
  "Lava flows can reach temperatures above one thousand degrees Celsius.",
  "Explosive eruptions throw ash and rock high into the atmosphere.",
  "Mount Etna in Sicily is one of the most active volcanoes in Europe.",
  "Seismologists monitor small earthquakes to predict volcanic eruptions.",
  "Volcanic ash clouds can force airlines to cancel flights.",
];
const ALL = [...BREAD, ...VOLCANOES];
const DOC = documentOf([paragraph(BREAD.slice(0, 3).join(" "), [], 1), paragraph(BREAD.slice(3).join(" "), [], 1), paragraph(VOLCANOES.join(" "), [], 2)]);

const semantic = (maxTokens: number, bufferSize: number, breakpointPercentileThreshold: number): ChunkingConfiguration => ({
  chunkingStrategy: "SEMANTIC",
  semanticChunkingConfiguration: { maxTokens, bufferSize, breakpointPercentileThreshold },
});

const context = () => ({ config: parseConfig({ embeddedDefaults: false }), logger: pino({ level: "silent" }) });

describe("SEMANTIC chunking", () => {
  let model: EmbeddingModel;
  let calls: string[][] = [];
  const embed = async (texts: string[]) => {
    calls.push(texts);
    return (await embedTexts(model, texts, { purpose: "document" })).vectors;
  };

  before(() => {
    model = useProvider.create(modelConfigSchema.parse({ provider: "use", id: "basalt.use-lite-v1" }) as ModelConfigOf<"use">, context()).embedding!;
  });

  it("breaks exactly between two unrelated topics (bufferSize 0)", async () => {
    const chunks = await chunkDocument(DOC, semantic(500, 0, 95), { embed });
    assert.deepEqual(
      chunks.map((c) => sentenceRun(c.text, ALL)),
      [
        [0, 6],
        [6, 12],
      ],
    );
    assert.deepEqual(chunks[0]!.pages, [1]);
    assert.deepEqual(chunks[1]!.pages, [2]);
    for (const chunk of chunks) assert.equal(chunk.tokenCount, countTextTokens(chunk.text));
  });

  it("embeds each sentence with its neighbours and breaks at the topic change (bufferSize 1)", async () => {
    calls = [];
    const chunks = await chunkDocument(DOC, semantic(500, 1, 95), { embed });
    assert.equal(chunks.length, 2);
    // A window of three sentences smears the change over the sentences around it (Bedrock's method).
    const [, split] = sentenceRun(chunks[0]!.text, ALL);
    assert.ok(Math.abs(split - BREAD.length) <= 1, `break after sentence ${split}`);
    assert.equal(calls.flat().length, ALL.length);
    assert.equal(calls.flat()[0], `${ALL[0]} ${ALL[1]}`);
    assert.equal(calls.flat()[5], `${ALL[4]} ${ALL[5]} ${ALL[6]}`);
  });

  it("enforces maxTokens by splitting large groups at sentence boundaries", async () => {
    const chunks = await chunkDocument(DOC, semantic(40, 0, 95), { embed });
    assert.ok(chunks.length >= 4);
    for (const chunk of chunks) {
      assert.ok(chunk.tokenCount <= 40, `chunk of ${chunk.tokenCount} tokens`);
      const [from, to] = sentenceRun(chunk.text, ALL);
      assert.ok(to <= BREAD.length || from >= BREAD.length, "no chunk mixes the two topics");
    }
  });

  it("breaks more often at a lower percentile", async () => {
    const high = await chunkDocument(DOC, semantic(500, 0, 95), { embed });
    const low = await chunkDocument(DOC, semantic(500, 0, 50), { embed });
    assert.ok(low.length > high.length);
    for (const chunk of low) sentenceRun(chunk.text, ALL);
  });

  it("needs an embedding function", async () => {
    await assert.rejects(chunkDocument(DOC, semantic(300, 0, 95)), /SEMANTIC chunking needs an embedding function/);
  });

  it("batches the embedding calls and honours an abort signal", async () => {
    const mock = mockProvider.create(modelConfigSchema.parse({ provider: "mock", id: "mock.embed", embedding: true, embeddingDimensions: 32 }) as ModelConfigOf<"mock">, context()).embedding!;
    const sizes: number[] = [];
    const counted = async (texts: string[]) => {
      sizes.push(texts.length);
      return (await mock.embed({ texts })).embeddings;
    };
    const many = proseSentences(SEMANTIC_EMBED_BATCH * 2 + 5);
    const chunks = await chunkDocument(documentOf([paragraph(many.join(" "))]), semantic(300, 1, 90), { embed: counted });
    assert.deepEqual(sizes, [SEMANTIC_EMBED_BATCH, SEMANTIC_EMBED_BATCH, 5]);
    for (const chunk of chunks) sentenceRun(chunk.text, many);
    assert.equal(chunks.map((c) => sentenceRun(c.text, many)).at(-1)![1], many.length);

    const controller = new AbortController();
    controller.abort();
    await assert.rejects(chunkDocument(DOC, semantic(300, 0, 95), { embed: counted, signal: controller.signal }), { name: "AbortError" });
  });
});

describe("semantic helpers", () => {
  it("computes percentiles as numpy does (linear interpolation)", () => {
    assert.equal(percentile([1, 2, 3, 4, 5], 50), 3);
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
    assert.ok(Math.abs(percentile([0, 10], 95) - 9.5) < 1e-12);
    assert.equal(percentile([7], 90), 7);
  });

  it("computes cosine distance", () => {
    assert.equal(cosineDistance([1, 0], [1, 0]), 0);
    assert.equal(cosineDistance([1, 0], [0, 1]), 1);
    assert.equal(cosineDistance([1, 0], [-1, 0]), 2);
    assert.equal(cosineDistance([0, 0], [1, 0]), 0);
  });
});
