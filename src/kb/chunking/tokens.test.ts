// The chunkers' token arithmetic against the real tokenizer: a run of units costs exactly what
// the joined text counts, on text full of the cases o200k's pre-tokenizer treats specially.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DocumentBlock } from "../document.ts";
import { chunkDocument } from "./chunk-document.ts";
import { countTokens, seamTokens, splitAtWords } from "./tokens.ts";
import { documentOf } from "./test-documents.ts";
import { documentUnits } from "./units.ts";

const FRAGMENTS = [
  "The assay was repeated twice.",
  "Results: 12.5% (n = 40).",
  "See /usr/local/bin for the tool.",
  "“Quoted speech,” she said.",
  "Ünïcödé façade in Zürich.",
  "e\u0301te\u0301 decomposed accents.",
  "日本語の文です。",
  "Emoji 🙂 inside!",
  "<|endoftext|> appears in the text.",
  "Tabs\tand  double  spaces.",
  "It's the dogs' bowl.",
  "$5.00?",
  "#hashtag",
  "1234567",
  "Ends with a colon:",
  "- a list marker",
  "...",
  "(parenthetical)",
  "x/y ratio",
  "https://example.com/a/b?c=d.",
];
const KINDS: DocumentBlock["kind"][] = ["paragraph", "list-item", "table-row", "code", "heading"];

function rng(seed: number): () => number {
  let state = seed;
  return () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

describe("token arithmetic", () => {
  it("counts a seam exactly for space and newline joins", () => {
    const pairs: Array<[string, " " | "\n", string]> = [
      ["Done.", "\n", "Next"],
      ["Done", "\n", "Next"],
      ["Done.)", "\n", "/path"],
      ["value", " ", "42 units"],
      ["value", " ", "(case"],
      ["end", " ", "“quoted”"],
      ["a .", "\n", "b"],
    ];
    for (const [a, separator, b] of pairs) {
      const seam = seamTokens({ a, aLeading: "", separator, b, bTokens: countTokens(b) });
      assert.equal(countTokens(a) + countTokens(b) + seam, countTokens(a + separator + b), `${a}${separator}${b}`);
    }
  });

  it("gives every chunk of every strategy its exact token count, on tricky text", async () => {
    const random = rng(11);
    for (let d = 0; d < 40; d++) {
      const blocks: DocumentBlock[] = Array.from({ length: 4 + Math.floor(random() * 8) }, () => {
        const kind = KINDS[Math.floor(random() * KINDS.length)]!;
        const parts = Array.from({ length: 3 + Math.floor(random() * 25) }, () => FRAGMENTS[Math.floor(random() * FRAGMENTS.length)]!);
        const joiner = kind === "code" ? "\n  " : random() < 0.2 ? "\n" : " ";
        return { kind, text: parts.join(joiner), headings: [] };
      });
      const doc = documentOf(blocks);
      const units = documentUnits(doc, 300);
      for (let i = 1; i < units.length; i++) {
        const [a, b] = [units[i - 1]!, units[i]!];
        assert.equal(a.tokens + b.tokens + b.seam, countTokens(a.text + b.separator + b.text), `seam before unit ${i} of document ${d}`);
      }
      for (const config of [undefined, { chunkingStrategy: "FIXED_SIZE" as const, fixedSizeChunkingConfiguration: { maxTokens: 60, overlapPercentage: 20 } }]) {
        for (const chunk of await chunkDocument(doc, config)) {
          assert.equal(chunk.tokenCount, countTokens(chunk.text));
          assert.ok(chunk.tokenCount <= (config ? 60 : 300));
        }
      }
    }
  });

  it("treats special-token text in a document as plain text", async () => {
    assert.ok(countTokens("a <|endoftext|> b") > 3);
    const doc = documentOf([{ kind: "paragraph", text: "Models end with <|endoftext|> markers. Nothing breaks.", headings: [] }]);
    for (const config of [undefined, { chunkingStrategy: "NONE" as const }, { chunkingStrategy: "FIXED_SIZE" as const, fixedSizeChunkingConfiguration: { maxTokens: 5, overlapPercentage: 20 } }]) {
      const chunks = await chunkDocument(doc, config);
      assert.ok(chunks.length >= 1);
      assert.ok(chunks.some((c) => c.text.includes("<|endoftext|>")) || config?.chunkingStrategy === "FIXED_SIZE");
    }
  });

  it("splits an over-long run at words into pieces within the limit", () => {
    const text = Array.from({ length: 400 }, (_, i) => `token${i}`).join(" ");
    const pieces = splitAtWords(text, 50);
    assert.ok(pieces.length >= 8);
    for (const piece of pieces) assert.ok(countTokens(piece) <= 50);
    assert.equal(pieces.join(" "), text);
  });
});
