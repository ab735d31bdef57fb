// The guarantees of the default, FIXED_SIZE, NONE and HIERARCHICAL strategies, checked on
// documents with known sentences, tables, headings and pages, counted with the real tokenizer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countTextTokens } from "../../models/text-tokens.ts";
import type { DocumentBlock } from "../document.ts";
import { chunkDocument, type Chunk } from "./chunk-document.ts";
import { parseChunkingConfiguration } from "./chunking-config.ts";
import { DEFAULT_MAX_TOKENS, DEFAULT_OVERLAP_TOKENS } from "./default-strategy.ts";
import { documentOf, heading, paragraph, proseSentences, sentenceRun } from "./test-documents.ts";
import { sentences } from "./units.ts";

/** Paragraphs of `perParagraph` sentences each, from a list of sentences. */
function paragraphs(all: string[], perParagraph: number, headings: string[] = [], pageOf?: (i: number) => number): DocumentBlock[] {
  const blocks: DocumentBlock[] = [];
  for (let i = 0; i < all.length; i += perParagraph) {
    blocks.push(paragraph(all.slice(i, i + perParagraph).join(" "), headings, pageOf?.(i / perParagraph)));
  }
  return blocks;
}

/** The longest end of `previous` that `current` starts with. */
function overlapOf(previous: string, current: string): string {
  for (let n = Math.min(previous.length, current.length); n > 0; n--) if (previous.endsWith(current.slice(0, n))) return current.slice(0, n);
  return "";
}

function assertCounted(chunks: Chunk[]): void {
  for (const chunk of chunks) assert.equal(chunk.tokenCount, countTextTokens(chunk.text), "tokenCount is the real count of the text");
}

describe("sentence splitting", () => {
  it("keeps abbreviations, initials and decimals inside their sentence", () => {
    assert.deepEqual(
      sentences("Dr. Smith paid $3.50 on Jan. 5. The U.S. Army met J. Doe at 10 a.m. on Monday. See Fig. 2 for details! Done"),
      ["Dr. Smith paid $3.50 on Jan. 5.", "The U.S. Army met J. Doe at 10 a.m. on Monday.", "See Fig. 2 for details!", "Done"],
    );
  });

  it("joins hard-wrapped lines but keeps unpunctuated list lines apart", () => {
    assert.deepEqual(sentences("This sentence was wrapped\nby an editor. Next one.\nApples\nBananas"), [
      "This sentence was wrapped\nby an editor.",
      "Next one.",
      "Apples",
      "Bananas",
    ]);
  });
});

describe("default chunking (no configuration)", () => {
  const all = proseSentences(120);
  const doc = documentOf(paragraphs(all, 4, ["Report"], (p) => 1 + Math.floor(p / 10)));

  it("packs whole sentences into chunks of at most ~300 tokens", async () => {
    const chunks = await chunkDocument(doc, undefined);
    assert.ok(chunks.length >= 5, `expected several chunks, got ${chunks.length}`);
    assertCounted(chunks);
    for (const chunk of chunks) {
      assert.ok(chunk.tokenCount <= DEFAULT_MAX_TOKENS, `chunk of ${chunk.tokenCount} tokens`);
      sentenceRun(chunk.text, all);
    }
    // Chunks are not tiny either: all but the last are over half full.
    for (const chunk of chunks.slice(0, -1)) assert.ok(chunk.tokenCount > DEFAULT_MAX_TOKENS / 2, `chunk of only ${chunk.tokenCount} tokens`);
  });

  it("overlaps consecutive chunks by whole sentences, about 20%, and covers every sentence", async () => {
    const chunks = await chunkDocument(doc, undefined);
    const runs = chunks.map((c) => sentenceRun(c.text, all));
    assert.equal(runs[0]![0], 0);
    assert.equal(runs.at(-1)![1], all.length);
    for (let i = 1; i < runs.length; i++) {
      const [from, to] = runs[i]!;
      const previousEnd = runs[i - 1]![1];
      assert.ok(from < previousEnd, `chunk ${i} repeats the end of chunk ${i - 1}`);
      assert.ok(from > runs[i - 1]![0], `chunk ${i} does not repeat all of chunk ${i - 1}`);
      assert.ok(to > previousEnd, `chunk ${i} brings new sentences`);
      const overlap = countTextTokens(all.slice(from, previousEnd).join(" "));
      assert.ok(overlap <= DEFAULT_OVERLAP_TOKENS + 2, `overlap of ${overlap} tokens`);
    }
  });

  it("reports the pages a chunk spans and the headings of its first block", async () => {
    const chunks = await chunkDocument(doc, undefined);
    assert.deepEqual(chunks[0]!.pages, [1]);
    assert.ok(chunks.some((c) => c.pages.length === 2), "some chunk crosses a page break");
    for (const chunk of chunks) {
      assert.deepEqual(chunk.headings, ["Report"]);
      for (let p = 1; p < chunk.pages.length; p++) assert.ok(chunk.pages[p]! > chunk.pages[p - 1]!);
    }
  });

  it("splits a lone over-long sentence at word boundaries, and only that sentence", async () => {
    const words = Array.from({ length: 700 }, (_, i) => `word${i}`);
    const long = `${words.join(" ")}.`;
    const before = proseSentences(3, 1000);
    const after = proseSentences(3, 2000);
    const chunks = await chunkDocument(documentOf([paragraph([...before, long, ...after].join(" "))]), undefined);
    for (const chunk of chunks) assert.ok(countTextTokens(chunk.text) <= DEFAULT_MAX_TOKENS);
    const seen = chunks.flatMap((c) => c.text.split(/\s+/)).filter((w) => w.startsWith("word"));
    for (const w of seen) assert.match(w, /^word\d+\.?$/, "no word is cut");
    assert.deepEqual(new Set(seen.map((w) => w.replace(".", ""))), new Set(words), "every word of the long sentence is kept");
    for (const s of [...before, ...after]) assert.ok(chunks.some((c) => c.text.includes(s)), `sentence kept whole: ${s}`);
  });

  it("starts a new chunk at a heading once the current one is substantial, and keeps headings with their text", async () => {
    const intro = proseSentences(9, 100);
    const method = proseSentences(9, 200);
    const blocks = [
      heading("Introduction", 1),
      ...paragraphs(intro, 3, ["Introduction"]),
      heading("Method", 1),
      ...paragraphs(method, 3, ["Method"]),
    ];
    const chunks = await chunkDocument(documentOf(blocks), undefined);
    assert.ok(chunks.length >= 2);
    const methodChunk = chunks.find((c) => c.text.includes("Method"));
    assert.ok(methodChunk);
    assert.ok(methodChunk.text.startsWith("Method\n"), "the section's chunk begins with its heading");
    assert.deepEqual(methodChunk.headings, ["Method"]);
    assert.ok(!methodChunk.text.includes(intro.at(-1)!), "no overlap reaches back across a section heading");
    assert.ok(chunks[0]!.text.startsWith("Introduction\n"));
    for (const chunk of chunks) assert.ok(!chunk.text.endsWith("Method"), "a heading never ends a chunk");
  });

  it("packs small blocks together", async () => {
    const blocks = [heading("FAQ", 2), ...proseSentences(6, 300).map((s) => paragraph(s, ["FAQ"]))];
    const chunks = await chunkDocument(documentOf(blocks), undefined);
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]!.text.split("\n").length, 7);
  });

  it("never cuts a table row", async () => {
    const rows: DocumentBlock[] = Array.from({ length: 80 }, (_, i) => ({
      kind: "table-row",
      text: `Region: Region ${i}; Quarter: Q${(i % 4) + 1}; Revenue: ${(i * 137.5).toFixed(1)}; Owner: Team ${i % 7}`,
      headings: ["Sales", "Sheet1"],
      page: 1,
    }));
    const chunks = await chunkDocument(documentOf(rows, "xlsx"), undefined);
    assert.ok(chunks.length > 1);
    for (const chunk of chunks) {
      assert.ok(chunk.tokenCount <= DEFAULT_MAX_TOKENS);
      for (const line of chunk.text.split("\n")) assert.ok(rows.some((r) => r.text === line), `whole row: ${line}`);
      assert.deepEqual(chunk.headings, ["Sales", "Sheet1"]);
    }
  });

  it("gives no chunk for a document without text", async () => {
    assert.deepEqual(await chunkDocument(documentOf([]), undefined), []);
    assert.deepEqual(await chunkDocument(documentOf([paragraph("   \n ")]), undefined), []);
  });

  it("chunks many documents quickly enough to stay linear (smoke check, no timing asserted)", async () => {
    const big = documentOf(paragraphs(proseSentences(2000, 5000), 8));
    const chunks = await chunkDocument(big, undefined);
    assert.ok(chunks.length > 100);
  });
});

describe("FIXED_SIZE", () => {
  const vocabulary = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima"];
  const words = Array.from({ length: 1500 }, (_, i) => vocabulary[(i * 7 + (i >> 3)) % vocabulary.length]! + (i % 11 === 10 ? "." : ""));
  const doc = documentOf([paragraph(words.slice(0, 700).join(" "), [], 1), paragraph(words.slice(700).join(" "), [], 2)]);
  const config = parseChunkingConfiguration({ chunkingStrategy: "FIXED_SIZE", fixedSizeChunkingConfiguration: { maxTokens: 100, overlapPercentage: 25 } });

  it("respects maxTokens and cuts between words", async () => {
    const chunks = await chunkDocument(doc, config);
    assert.ok(chunks.length > 10);
    assertCounted(chunks);
    const allowed = new Set([...vocabulary, ...vocabulary.map((w) => `${w}.`)]);
    for (const chunk of chunks) {
      assert.ok(chunk.tokenCount <= 100, `chunk of ${chunk.tokenCount} tokens`);
      for (const w of chunk.text.split(/\s+/)) assert.ok(allowed.has(w), `cut word ${JSON.stringify(w)}`);
    }
    for (const chunk of chunks.slice(0, -1)) assert.ok(chunk.tokenCount >= 70);
  });

  it("overlaps consecutive chunks by about overlapPercentage and covers the document", async () => {
    const chunks = await chunkDocument(doc, config);
    assert.ok(chunks[0]!.text.startsWith(words.slice(0, 5).join(" ")));
    assert.ok(chunks.at(-1)!.text.endsWith(words.slice(-5).join(" ")));
    for (let i = 1; i < chunks.length; i++) {
      const tokens = countTextTokens(overlapOf(chunks[i - 1]!.text, chunks[i]!.text));
      assert.ok(tokens >= 20 && tokens <= 50, `overlap of ${tokens} tokens between chunks ${i - 1} and ${i}`);
    }
  });

  it("reports the pages each window spans", async () => {
    const chunks = await chunkDocument(doc, config);
    assert.deepEqual(chunks[0]!.pages, [1]);
    assert.deepEqual(chunks.at(-1)!.pages, [2]);
    assert.ok(chunks.some((c) => c.pages.join() === "1,2"));
  });

  it("cuts text without spaces on character boundaries", async () => {
    const cjk = "知识库把文档切成小块，然后为每一块计算向量。".repeat(40);
    const chunks = await chunkDocument(documentOf([paragraph(cjk)]), parseChunkingConfiguration({ chunkingStrategy: "FIXED_SIZE", fixedSizeChunkingConfiguration: { maxTokens: 50, overlapPercentage: 10 } }));
    assert.ok(chunks.length > 3);
    for (const chunk of chunks) {
      assert.ok(!chunk.text.includes("\uFFFD"), "no character is broken");
      assert.ok(chunk.tokenCount <= 50);
      assert.ok(cjk.includes(chunk.text));
    }
  });
});

describe("NONE", () => {
  it("gives the whole document as one chunk", async () => {
    const all = proseSentences(300);
    const doc = documentOf([heading("Title", 1, [], 1), ...paragraphs(all, 10, ["Title"], (p) => p + 1)]);
    const chunks = await chunkDocument(doc, { chunkingStrategy: "NONE" });
    assert.equal(chunks.length, 1);
    const [chunk] = chunks as [Chunk];
    assert.ok(chunk.text.startsWith("Title\n"));
    for (const s of all) assert.ok(chunk.text.includes(s));
    assert.equal(chunk.tokenCount, countTextTokens(chunk.text));
    assert.ok(chunk.tokenCount > 5000);
    assert.equal(chunk.pages.length, 30);
    assert.deepEqual(chunk.headings, ["Title"]);
    assert.deepEqual(await chunkDocument(documentOf([]), { chunkingStrategy: "NONE" }), []);
  });
});

describe("HIERARCHICAL", () => {
  const all = proseSentences(200);
  const doc = documentOf(paragraphs(all, 5, ["Handbook"], (p) => p + 1));
  const config = parseChunkingConfiguration({
    chunkingStrategy: "HIERARCHICAL",
    hierarchicalChunkingConfiguration: { levelConfigurations: [{ maxTokens: 600 }, { maxTokens: 120 }], overlapTokens: 20 },
  });

  it("cuts children inside parents, each child carrying its parent's text and ordinal", async () => {
    const chunks = await chunkDocument(doc, config);
    assertCounted(chunks);
    const parents = new Map<number, string>();
    for (const chunk of chunks) {
      assert.ok(chunk.parent, "every chunk has a parent");
      assert.ok(chunk.tokenCount <= 120, `child of ${chunk.tokenCount} tokens`);
      assert.ok(countTextTokens(chunk.parent.text) <= 600, "parent within the first level's size");
      assert.ok(chunk.parent.text.includes(chunk.text), "child text lies inside its parent");
      const known = parents.get(chunk.parent.index);
      if (known !== undefined) assert.equal(known, chunk.parent.text, "one text per parent index");
      parents.set(chunk.parent.index, chunk.parent.text);
    }
    const indexes = [...parents.keys()];
    assert.deepEqual(indexes, indexes.map((_, i) => i), "parent indexes are 0, 1, 2, … in document order");
    assert.ok(parents.size >= 5);
    // Several children per parent, and parents cover the document from start to end.
    assert.ok(chunks.length >= parents.size * 3);
    assert.ok(parents.get(0)!.startsWith(all[0]!));
    assert.ok(parents.get(parents.size - 1)!.endsWith(all.at(-1)!));
  });

  it("overlaps parents and children by about overlapTokens", async () => {
    const chunks = await chunkDocument(doc, config);
    const parents = [...new Map(chunks.map((c) => [c.parent!.index, c.parent!.text])).values()];
    for (let i = 1; i < parents.length; i++) {
      const tokens = countTextTokens(overlapOf(parents[i - 1]!, parents[i]!));
      assert.ok(tokens >= 10 && tokens <= 30, `parents ${i - 1} and ${i} overlap by ${tokens} tokens`);
    }
    const siblings = chunks.filter((c) => c.parent!.index === 1);
    assert.ok(siblings.length >= 3);
    for (let i = 1; i < siblings.length; i++) {
      const tokens = countTextTokens(overlapOf(siblings[i - 1]!.text, siblings[i]!.text));
      assert.ok(tokens >= 10 && tokens <= 30, `children ${i - 1} and ${i} overlap by ${tokens} tokens`);
    }
  });

  it("carries pages per child", async () => {
    const chunks = await chunkDocument(doc, config);
    assert.equal(chunks[0]!.pages[0], 1);
    assert.ok(chunks.at(-1)!.pages.includes(40));
    assert.ok(chunks.some((c) => c.pages.length > 1), "a child crossing a block boundary lists both pages");
    for (const chunk of chunks) assert.deepEqual(chunk.headings, ["Handbook"]);
  });
});
