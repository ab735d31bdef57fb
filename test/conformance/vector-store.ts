// One conformance suite every vector store runs (STYLE.md §8): the embedded index and external
// engines (pgvector) must store, delete, search, fuse and filter alike. Call it from an engine's
// test file inside a `describe`; each case opens a fresh index and drops it afterwards.
import assert from "node:assert/strict";
import { it } from "node:test";
import { BasaltError } from "../../src/spec/errors.ts";
import { matchesFilter, parseMetadataFilter, type Metadata, type MetadataFilter } from "../../src/kb/vector-store/filter.ts";
import type { SearchHit, SearchQuery, StoredChunk, VectorIndex } from "../../src/kb/vector-store/vector-store.ts";
import { seededRandom } from "../../src/util/seeded-random.ts";

/** The cases, by the name a `skip` entry uses. */
export type VectorStoreCase =
  | "nearest"
  | "upsertReplaces"
  | "atomicBatch"
  | "deleteDocuments"
  | "chunkIdsAndCount"
  | "lexical"
  | "lexicalQuerySyntax"
  | "hybrid"
  | "filterEquals"
  | "filterNotEquals"
  | "filterRange"
  | "filterIn"
  | "filterNotIn"
  | "filterStartsWith"
  | "filterListContains"
  | "filterStringContains"
  | "filterAndAll"
  | "filterOrAll"
  | "filterNested"
  | "filterMixedTypes"
  | "filterWithK"
  | "hierarchical"
  | "roundTrip"
  | "scores"
  | "kLimits"
  | "validation"
  | "concurrentWrites"
  | "drop"
  | "persistence";

/** Options of {@link vectorStoreConformance}. */
export interface VectorStoreConformanceOptions {
  /** A fresh, empty index for each case; the suite drops it at the end of the case. */
  open: (dimensions: number) => Promise<VectorIndex>;
  /**
   * Opens the same stored index again after `close()` or `drop()` (the persistence and drop
   * cases). Without it those cases are skipped, saying so.
   */
  reopen?: (closed: VectorIndex) => Promise<VectorIndex>;
  /** Cases that cannot hold for this engine, each with the reason written down. */
  skip?: Partial<Record<VectorStoreCase, string>>;
}

/** A random vector with components in [-1, 1). */
function randomVector(random: () => number, dimensions: number): Float32Array {
  return Float32Array.from({ length: dimensions }, () => random() * 2 - 1);
}

/** A unit vector along `axis`, optionally tilted by `tilt` towards `towards`. */
function axisVector(dimensions: number, axis: number, tilt = 0, towards = (axis + 1) % dimensions, sign = 1): Float32Array {
  const v = new Float32Array(dimensions);
  v[axis] = sign;
  v[towards] = (v[towards] ?? 0) + tilt;
  return v;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Ids of the `k` chunks nearest to `query` by cosine similarity, computed exactly. */
function exactNearest(chunks: readonly StoredChunk[], query: Float32Array, k: number): string[] {
  return chunks
    .map((c) => ({ id: c.id, similarity: cosine(c.vector, query) }))
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, k)
    .map((c) => c.id);
}

/** A chunk with sensible defaults; `documentId` defaults to the id's part before `#`. */
function chunk(id: string, vector: Float32Array, fields: Partial<Omit<StoredChunk, "id" | "vector">> = {}): StoredChunk {
  const documentId = fields.documentId ?? id.split("#")[0]!;
  return {
    id,
    documentId,
    dataSourceId: fields.dataSourceId ?? "ds-1",
    text: fields.text ?? `chunk ${id}`,
    sourceUri: fields.sourceUri ?? `s3://bucket/${documentId}`,
    metadata: fields.metadata ?? {},
    vector,
    ...(fields.parent ? { parent: fields.parent } : {}),
  };
}

/** What a hit should hold for a stored chunk: everything but the vector. */
function withoutVector(c: StoredChunk): SearchHit["chunk"] {
  const { vector: _vector, ...rest } = c;
  return rest;
}

function ids(hits: readonly SearchHit[]): string[] {
  return hits.map((h) => h.chunk.id);
}

function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}

function assertScores(hits: readonly SearchHit[], what: string): void {
  for (const [i, hit] of hits.entries()) {
    assert.ok(Number.isFinite(hit.score) && hit.score >= 0 && hit.score <= 1, `${what}: score ${hit.score} of hit ${i} is in [0, 1]`);
    if (i > 0) assert.ok(hits[i - 1]!.score >= hit.score, `${what}: hits are best first (${hits[i - 1]!.score} then ${hit.score})`);
  }
  assert.equal(new Set(ids(hits)).size, hits.length, `${what}: no chunk is returned twice`);
}

async function expectValidation(promise: Promise<unknown>, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BasaltError && error.code === "VALIDATION", `expected a ValidationException, got ${String(error)}`);
    if (message) assert.match(error.message, message);
    return true;
  });
}

const FILTER_DIMENSIONS = 8;

/**
 * The data the filter cases run on: every shape of value (string, number, boolean, list),
 * missing keys, boundary values for the range operators, unicode, and a number stored as a string.
 */
function filterFixture(): StoredChunk[] {
  const random = seededRandom(7);
  const genres = ["fiction", "science", "history", "Science", "sci-fi", "poetry"];
  const rows: Metadata[] = [];
  for (let i = 0; i < 36; i++) {
    const m: Metadata = {};
    if (i % 9 !== 8) m.genre = genres[i % genres.length]!;
    if (i % 7 !== 6) m.year = 1990 + (i % 12) * 3; // 1990 … 2023, with repeats
    if (i % 4 === 0) m.published = true;
    else if (i % 4 === 1) m.published = false;
    if (i % 3 === 0) m.tags = i % 2 === 0 ? ["red", "blue"] : ["green", "dark red"];
    else if (i % 3 === 1) m.tags = ["blue"];
    m.author = ["Zoë Ångström", "Élodie Durand", "Zoe Angstrom", "李白", "O'Brien \"quoted\"", "anon"][i % 6]!;
    m.score = [0.5, 1, 1.5, -2, 0, 100][i % 6]!;
    if (i % 5 === 0) m["x-amz-bedrock-kb-source-uri"] = `s3://docs/reports/${i}.pdf`;
    else m["x-amz-bedrock-kb-source-uri"] = `s3://docs/notes/${i}.txt`;
    rows.push(m);
  }
  // Mixed types: a year written as a string, a genre written as a number.
  rows[3]!.year = "2002";
  rows[10]!.genre = 42;
  return rows.map((metadata, i) =>
    chunk(`doc-${i % 12}#${i}`, randomVector(random, FILTER_DIMENSIONS), { metadata, text: `shared words for item number ${i}` }),
  );
}

/** Wire-shaped filters (as Retrieve receives them), grouped by case. */
const FILTERS: Partial<Record<VectorStoreCase, unknown[]>> = {
  filterEquals: [
    { equals: { key: "genre", value: "science" } },
    { equals: { key: "year", value: 2002 } },
    { equals: { key: "published", value: true } },
    { equals: { key: "published", value: false } },
    { equals: { key: "score", value: 0 } },
    { equals: { key: "author", value: "Zoë Ångström" } },
    { equals: { key: "author", value: "李白" } },
    { equals: { key: "author", value: "O'Brien \"quoted\"" } },
    { equals: { key: "missing", value: "x" } },
  ],
  filterNotEquals: [
    { notEquals: { key: "genre", value: "science" } },
    { notEquals: { key: "year", value: 1990 } },
    { notEquals: { key: "published", value: true } },
    { notEquals: { key: "missing", value: "anything" } },
  ],
  filterRange: [
    { greaterThan: { key: "year", value: 2008 } },
    { greaterThanOrEquals: { key: "year", value: 2008 } },
    { lessThan: { key: "year", value: 1996 } },
    { lessThanOrEquals: { key: "year", value: 1996 } },
    { greaterThan: { key: "score", value: -2 } },
    { lessThan: { key: "score", value: 0.75 } },
    { greaterThanOrEquals: { key: "score", value: 100 } },
    { lessThan: { key: "genre", value: 5 } },
  ],
  filterIn: [
    { in: { key: "genre", value: ["science", "poetry"] } },
    { in: { key: "year", value: [1990, 2023, 1234] } },
    { in: { key: "published", value: [false] } },
    { in: { key: "author", value: ["李白", "Élodie Durand"] } },
  ],
  filterNotIn: [
    { notIn: { key: "genre", value: ["science", "poetry"] } },
    { notIn: { key: "year", value: [1990, 1993] } },
    { notIn: { key: "missing", value: ["x"] } },
  ],
  filterStartsWith: [
    { startsWith: { key: "genre", value: "sci" } },
    { startsWith: { key: "x-amz-bedrock-kb-source-uri", value: "s3://docs/reports/" } },
    { startsWith: { key: "author", value: "Zo" } },
    { startsWith: { key: "author", value: "Zoë" } },
    { startsWith: { key: "year", value: "19" } },
    { startsWith: { key: "genre", value: "%" } },
  ],
  filterListContains: [
    { listContains: { key: "tags", value: "blue" } },
    { listContains: { key: "tags", value: "red" } },
    { listContains: { key: "tags", value: "purple" } },
    { listContains: { key: "genre", value: "science" } },
  ],
  filterStringContains: [
    { stringContains: { key: "author", value: "ngstr" } },
    { stringContains: { key: "author", value: "Ångström" } },
    { stringContains: { key: "x-amz-bedrock-kb-source-uri", value: "/notes/" } },
    { stringContains: { key: "tags", value: "red" } },
    { stringContains: { key: "tags", value: "dark" } },
    { stringContains: { key: "genre", value: "_" } },
    { stringContains: { key: "author", value: "\"quoted\"" } },
  ],
  filterAndAll: [
    { andAll: [{ equals: { key: "published", value: true } }, { greaterThan: { key: "year", value: 1995 } }] },
    { andAll: [{ listContains: { key: "tags", value: "blue" } }, { notEquals: { key: "genre", value: "fiction" } }, { lessThanOrEquals: { key: "score", value: 1 } }] },
  ],
  filterOrAll: [
    { orAll: [{ equals: { key: "genre", value: "poetry" } }, { greaterThanOrEquals: { key: "year", value: 2020 } }] },
    { orAll: [{ equals: { key: "missing", value: 1 } }, { startsWith: { key: "author", value: "É" } }] },
  ],
  filterNested: [
    {
      andAll: [
        { orAll: [{ equals: { key: "genre", value: "science" } }, { equals: { key: "genre", value: "history" } }] },
        { orAll: [{ equals: { key: "published", value: true } }, { lessThan: { key: "year", value: 2000 } }] },
      ],
    },
    {
      orAll: [
        { andAll: [{ listContains: { key: "tags", value: "green" } }, { greaterThan: { key: "score", value: 0 } }] },
        { andAll: [{ notIn: { key: "genre", value: ["fiction", "science"] } }, { equals: { key: "published", value: false } }] },
      ],
    },
  ],
  filterMixedTypes: [
    { equals: { key: "year", value: 2002 } },
    { equals: { key: "year", value: "2002" } },
    { equals: { key: "genre", value: 42 } },
    { in: { key: "year", value: ["2002", 1990] } },
    { greaterThan: { key: "year", value: 2000 } },
    { notEquals: { key: "genre", value: 42 } },
  ],
};

/** Registers the conformance cases in the current describe block. */
export function vectorStoreConformance(options: VectorStoreConformanceOptions): void {
  interface Context {
    index: VectorIndex;
    reopen(): Promise<VectorIndex>;
  }
  const test = (name: VectorStoreCase, title: string, body: (index: VectorIndex, context: Context) => Promise<void>, dimensions = 8): void => {
    const needsReopen = name === "persistence" || name === "drop";
    const skip = options.skip?.[name] ?? (needsReopen && !options.reopen ? "the engine's test gives no reopen()" : false);
    it(`conformance: ${title}`, { skip }, async () => {
      const context: Context = {
        index: await options.open(dimensions),
        async reopen() {
          context.index = await options.reopen!(context.index);
          return context.index;
        },
      };
      try {
        await body(context.index, context);
      } finally {
        await context.index.drop();
      }
    });
  };

  test("nearest", "SEMANTIC search returns the exact nearest chunks on a small set, best first", async (index) => {
    const random = seededRandom(1);
    const chunks = Array.from({ length: 200 }, (_, i) => chunk(`doc-${i % 20}#${i}`, randomVector(random, 16)));
    await index.upsert(chunks);
    for (let q = 0; q < 10; q++) {
      const query = randomVector(random, 16);
      const hits = await index.search({ mode: "SEMANTIC", vector: query, k: 5 });
      assert.deepEqual(ids(hits), exactNearest(chunks, query, 5), `query ${q}`);
      assertScores(hits, `query ${q}`);
    }
    // A stored vector finds itself first.
    const self = await index.search({ mode: "SEMANTIC", vector: chunks[42]!.vector, k: 1 });
    assert.equal(self[0]?.chunk.id, chunks[42]!.id);
  }, 16);

  test("upsertReplaces", "upsert replaces a chunk by id: vector, text and metadata", async (index) => {
    const dims = 8;
    await index.upsert([
      chunk("a#0", axisVector(dims, 0), { text: "original aardvark wording", metadata: { version: 1 } }),
      chunk("a#1", axisVector(dims, 1), { text: "other" }),
      chunk("b#0", axisVector(dims, 2), { text: "unrelated" }),
    ]);
    await index.upsert([chunk("a#0", axisVector(dims, 3), { text: "replacement zebra wording", metadata: { version: 2 }, sourceUri: "s3://bucket/a-v2" })]);
    assert.equal(await index.count(), 3);
    assert.deepEqual(sorted(await index.chunkIds("a")), ["a#0", "a#1"]);
    const near = await index.search({ mode: "SEMANTIC", vector: axisVector(dims, 3), k: 1 });
    assert.deepEqual(near[0]?.chunk, withoutVector(chunk("a#0", axisVector(dims, 3), { text: "replacement zebra wording", metadata: { version: 2 }, sourceUri: "s3://bucket/a-v2" })));
    const old = await index.search({ mode: "SEMANTIC", vector: axisVector(dims, 0), k: 3 });
    assert.ok(old.every((h) => h.chunk.id !== "a#0" || h.chunk.text === "replacement zebra wording"), "the old version is gone");
    assert.deepEqual(ids(await index.search({ mode: "LEXICAL", text: "aardvark", k: 5 })), [], "the old text is no longer indexed");
    assert.deepEqual(ids(await index.search({ mode: "LEXICAL", text: "zebra", k: 5 })), ["a#0"]);
    assert.deepEqual(ids(await index.search({ mode: "SEMANTIC", vector: axisVector(dims, 3), k: 5, filter: parseMetadataFilter({ equals: { key: "version", value: 1 } }) })), []);
    // The same id twice in one batch: the last one wins.
    await index.upsert([chunk("c#0", axisVector(dims, 4), { text: "first" }), chunk("c#0", axisVector(dims, 5), { text: "second" })]);
    assert.equal(await index.count(), 4);
    const c = await index.search({ mode: "SEMANTIC", vector: axisVector(dims, 5), k: 1 });
    assert.equal(c[0]?.chunk.text, "second");
  });

  test("atomicBatch", "a batch with one bad vector stores nothing and says why", async (index) => {
    const dims = 8;
    await index.upsert([chunk("keep#0", axisVector(dims, 0), { text: "kept as it was" })]);
    const batch = [
      chunk("new#0", axisVector(dims, 1)),
      chunk("keep#0", axisVector(dims, 2), { text: "must not replace" }),
      chunk("new#1", new Float32Array(dims + 1)),
      chunk("new#2", axisVector(dims, 3)),
    ];
    await expectValidation(index.upsert(batch), /dimension/i);
    const nan = [chunk("new#0", axisVector(dims, 1)), chunk("new#3", Float32Array.from({ length: dims }, (_, i) => (i === 2 ? Number.NaN : 1)))];
    await expectValidation(index.upsert(nan));
    assert.equal(await index.count(), 1);
    assert.deepEqual(await index.chunkIds("new"), []);
    const kept = await index.search({ mode: "SEMANTIC", vector: axisVector(dims, 0), k: 5 });
    assert.deepEqual(kept.map((h) => h.chunk.text), ["kept as it was"]);
    await index.upsert([]);
    assert.equal(await index.count(), 1, "an empty batch is a no-op");
  });

  test("deleteDocuments", "deleteDocuments removes every chunk of those documents only and counts them", async (index) => {
    const random = seededRandom(2);
    const chunks = [
      ...["a#0", "a#1", "a#2"].map((id) => chunk(id, randomVector(random, 8), { text: `alpha ${id}` })),
      ...["b#0", "b#1"].map((id) => chunk(id, randomVector(random, 8), { text: `alpha ${id}` })),
      chunk("c#0", randomVector(random, 8), { text: "alpha c" }),
      chunk("a-longer-name#0", randomVector(random, 8), { text: "alpha prefix twin" }),
    ];
    await index.upsert(chunks);
    assert.equal(await index.deleteDocuments(["a", "c", "never-stored"]), 4);
    assert.equal(await index.count(), 3);
    assert.deepEqual(await index.chunkIds("a"), []);
    assert.deepEqual(await index.chunkIds("c"), []);
    assert.deepEqual(sorted(await index.chunkIds("b")), ["b#0", "b#1"]);
    assert.deepEqual(await index.chunkIds("a-longer-name"), ["a-longer-name#0"]);
    for (const mode of ["SEMANTIC", "LEXICAL", "HYBRID"] as const) {
      const hits = await index.search({ mode, vector: chunks[0]!.vector, text: "alpha", k: 10 });
      assert.deepEqual(sorted(ids(hits)), ["a-longer-name#0", "b#0", "b#1"], mode);
    }
    assert.equal(await index.deleteDocuments(["a"]), 0, "deleting again removes nothing");
    assert.equal(await index.deleteDocuments([]), 0);
    // A deleted document can be stored again.
    await index.upsert([chunks[0]!]);
    assert.deepEqual(await index.chunkIds("a"), ["a#0"]);
    assert.equal(await index.count(), 4);
  });

  test("chunkIdsAndCount", "chunkIds lists a document's chunks and count follows every write", async (index) => {
    const random = seededRandom(3);
    assert.equal(await index.count(), 0);
    assert.deepEqual(await index.chunkIds("nothing"), []);
    const docs = ["s3://bucket/a b.pdf", "s3://bucket/日本.txt", "file:///srv/x%20y.md"];
    const chunks = docs.flatMap((doc, d) => Array.from({ length: d + 2 }, (_, i) => chunk(`${doc}#${i}`, randomVector(random, 8), { documentId: doc })));
    await index.upsert(chunks.slice(0, 4));
    assert.equal(await index.count(), 4);
    await index.upsert(chunks.slice(2));
    assert.equal(await index.count(), chunks.length);
    for (const [d, doc] of docs.entries()) {
      assert.deepEqual(sorted(await index.chunkIds(doc)), sorted(Array.from({ length: d + 2 }, (_, i) => `${doc}#${i}`)), doc);
    }
  });

  test("lexical", "LEXICAL search finds a rare word, ranks by relevance and ignores vectors", async (index) => {
    const random = seededRandom(4);
    const texts = [
      "The quarterly report covers revenue and costs in the northern region.",
      "Employees may carry over five days of vacation into the next year.",
      "The defibrillator is mounted next to the elevator on every floor.",
      "Revenue grew in the southern region while costs stayed flat.",
      "Parking permits are issued by the facilities team each January.",
      "Travel expenses need a receipt and manager approval within 30 days.",
      "Revenue revenue revenue: the word appears often in this finance summary about revenue.",
    ];
    await index.upsert(texts.map((text, i) => chunk(`doc-${i}#0`, randomVector(random, 8), { text })));
    const rare = await index.search({ mode: "LEXICAL", text: "where is the defibrillator?", k: 3 });
    assert.equal(rare[0]?.chunk.id, "doc-2#0");
    assertScores(rare, "rare word");
    const revenue = await index.search({ mode: "LEXICAL", text: "revenue", k: 10 });
    assert.deepEqual(sorted(ids(revenue)), ["doc-0#0", "doc-3#0", "doc-6#0"], "only chunks holding the word");
    assert.equal(revenue[0]?.chunk.id, "doc-6#0", "the chunk that says it most ranks first");
    assertScores(revenue, "revenue");
    assert.deepEqual(await index.search({ mode: "LEXICAL", text: "xylophone", k: 5 }), []);
    assert.equal((await index.search({ mode: "LEXICAL", text: "revenue region", k: 1 })).length, 1, "k caps the hits");
    const caseInsensitive = await index.search({ mode: "LEXICAL", text: "DEFIBRILLATOR", k: 1 });
    assert.equal(caseInsensitive[0]?.chunk.id, "doc-2#0", "matching ignores case");
  });

  test("lexicalQuerySyntax", "LEXICAL queries are text, never query syntax: operators and quotes cannot break them", async (index) => {
    const random = seededRandom(5);
    await index.upsert([
      chunk("q#0", randomVector(random, 8), { text: "Use NOT and OR carefully: the AND gate's output (see figure 3) is high." }),
      chunk("q#1", randomVector(random, 8), { text: "A plain sentence about gardens." }),
    ]);
    const queries = ['"unbalanced quote', "gate's output", "NOT", "AND OR NOT", "figure* (3)", "col:umn -minus +plus", "a & b | c ! d", "\\ ; -- DROP TABLE x; /* */", "''", ":", "NEAR(gate output)", "^gate", "{gate}", "   "];
    for (const text of queries) {
      const hits = await index.search({ mode: "LEXICAL", text, k: 5 });
      assertScores(hits, JSON.stringify(text));
      assert.ok(hits.every((h) => h.chunk.id === "q#0" || h.chunk.id === "q#1"), JSON.stringify(text));
    }
    assert.equal((await index.search({ mode: "LEXICAL", text: "gate's output", k: 1 }))[0]?.chunk.id, "q#0");
    assert.equal((await index.search({ mode: "LEXICAL", text: "figure* (3)", k: 1 }))[0]?.chunk.id, "q#0");
    assert.deepEqual(await index.search({ mode: "LEXICAL", text: "   ", k: 5 }), [], "a query without words finds nothing");
  });

  test("hybrid", "HYBRID orders equal lexical matches by meaning, and keeps semantic-only matches", async (index) => {
    const dims = 16;
    const query = axisVector(dims, 0);
    // The same words, so the same lexical score: only the vectors tell them apart.
    const lexical = chunk("lex#0", axisVector(dims, 0, 1, 15, -1), { text: "volcanic basalt columns form when lava cools" });
    const both = chunk("both#0", axisVector(dims, 0, 0.3, 1), { text: "volcanic basalt columns form when lava cools" });
    // Semantically identical, lexically nothing.
    const semantic = chunk("sem#0", axisVector(dims, 0), { text: "a sentence about granite quarries" });
    const distractors = Array.from({ length: 10 }, (_, i) => chunk(`d-${i}#0`, axisVector(dims, 0, 1, 2 + i), { text: `filler text number ${i} about gardens` }));
    await index.upsert([lexical, semantic, both, ...distractors]);
    const text = "volcanic basalt columns";
    const lexicalOnly = await index.search({ mode: "LEXICAL", text, k: 5 });
    assert.deepEqual(sorted(ids(lexicalOnly)), ["both#0", "lex#0"], "lexical search finds the two equal matches");
    const semanticOnly = await index.search({ mode: "SEMANTIC", vector: query, k: 3 });
    assert.deepEqual(ids(semanticOnly).slice(0, 2), ["sem#0", "both#0"]);
    const hybrid = await index.search({ mode: "HYBRID", vector: query, text, k: 5 });
    assert.deepEqual(ids(hybrid).slice(0, 2), ["both#0", "lex#0"], `meaning breaks the lexical tie, got ${ids(hybrid).join(", ")}`);
    assert.ok(ids(hybrid).includes("sem#0"), "a semantic-only match is kept");
    assert.equal(hybrid.length, 5);
    assertScores(hybrid, "hybrid");
    // With no lexical match at all, HYBRID still answers from vectors.
    const vectorsOnly = await index.search({ mode: "HYBRID", vector: query, text: "xylophone", k: 2 });
    assert.deepEqual(ids(vectorsOnly), ["sem#0", "both#0"]);
  }, 16);

  for (const [name, filters] of Object.entries(FILTERS) as Array<[VectorStoreCase, unknown[]]>) {
    test(name, `filters (${name.slice("filter".length)}) select exactly what matchesFilter selects, in every mode`, async (index) => {
      const chunks = filterFixture();
      await index.upsert(chunks);
      const query = seededRandom(8)();
      const vector = Float32Array.from({ length: FILTER_DIMENSIONS }, (_, i) => Math.sin(i + query));
      for (const wire of filters) {
        const filter: MetadataFilter = parseMetadataFilter(wire);
        const expected = sorted(chunks.filter((c) => matchesFilter(c.metadata, filter)).map((c) => c.id));
        for (const mode of ["SEMANTIC", "LEXICAL", "HYBRID"] as const) {
          const hits = await index.search({ mode, vector, text: "shared words", k: chunks.length, filter });
          assert.deepEqual(sorted(ids(hits)), expected, `${mode} ${JSON.stringify(wire)}`);
        }
        if (expected.length > 3) {
          const top = await index.search({ mode: "SEMANTIC", vector, k: 3, filter });
          const exact = exactNearest(chunks.filter((c) => matchesFilter(c.metadata, filter)), vector, 3);
          assert.deepEqual(ids(top), exact, `SEMANTIC k=3 ${JSON.stringify(wire)}`);
        }
      }
    }, FILTER_DIMENSIONS);
  }

  test("filterWithK", "a selective filter still returns k hits when k matching chunks exist", async (index) => {
    const random = seededRandom(9);
    const dims = 16;
    const chunks = Array.from({ length: 1500 }, (_, i) => {
      const group = i % 125 === 7 ? "rare" : i % 3 === 0 ? "third" : "common";
      return chunk(`doc-${i % 150}#${i}`, randomVector(random, dims), { text: `common words ${group} item ${i}`, metadata: { group, i } });
    });
    for (let start = 0; start < chunks.length; start += 500) await index.upsert(chunks.slice(start, start + 500));
    const rare = chunks.filter((c) => c.metadata.group === "rare");
    assert.equal(rare.length, 12);
    const filter = parseMetadataFilter({ equals: { key: "group", value: "rare" } });
    for (let q = 0; q < 5; q++) {
      const vector = randomVector(random, dims);
      const semantic = await index.search({ mode: "SEMANTIC", vector, k: 10, filter });
      assert.deepEqual(ids(semantic), exactNearest(rare, vector, 10), `SEMANTIC query ${q}: the 10 nearest rare chunks`);
      for (const mode of ["LEXICAL", "HYBRID"] as const) {
        const hits = await index.search({ mode, vector, text: "common words", k: 10, filter });
        assert.equal(hits.length, 10, `${mode} query ${q} returns k hits`);
        assert.ok(hits.every((h) => h.chunk.metadata.group === "rare"), mode);
      }
    }
    const all = await index.search({ mode: "SEMANTIC", vector: randomVector(random, dims), k: 50, filter });
    assert.equal(all.length, 12, "k above the matches returns every match");
    const third = parseMetadataFilter({ equals: { key: "group", value: "third" } });
    const vector = randomVector(random, dims);
    const hits = await index.search({ mode: "SEMANTIC", vector, k: 20, filter: third });
    assert.equal(hits.length, 20);
    assert.ok(hits.every((h) => h.chunk.metadata.group === "third"));
    const exact = new Set(exactNearest(chunks.filter((c) => c.metadata.group === "third"), vector, 20));
    assert.ok(ids(hits).filter((id) => exact.has(id)).length >= 18, "a broad filter keeps recall");
    const range = parseMetadataFilter({ andAll: [{ greaterThanOrEquals: { key: "i", value: 100 } }, { lessThan: { key: "i", value: 106 } }] });
    assert.deepEqual(sorted(ids(await index.search({ mode: "SEMANTIC", vector, k: 10, filter: range }))), sorted([100, 101, 102, 103, 104, 105].map((i) => chunks[i]!.id)));
  }, 16);

  test("hierarchical", "a child's parent round-trips; chunks without one have none", async (index) => {
    const dims = 8;
    const parentA = { id: "doc#p0", text: "The whole parent section. It holds the child sentences and more context around them." };
    const parentB = { id: "doc#p1", text: "A second parent, with ünïcödé ✓ and\nnew lines." };
    await index.upsert([
      chunk("doc#c0", axisVector(dims, 0), { text: "It holds the child sentences", parent: parentA }),
      chunk("doc#c1", axisVector(dims, 1), { text: "more context around them", parent: parentA }),
      chunk("doc#c2", axisVector(dims, 2), { text: "A second parent", parent: parentB }),
      chunk("flat#0", axisVector(dims, 3), { text: "no parent here" }),
    ]);
    const hits = await index.search({ mode: "SEMANTIC", vector: axisVector(dims, 0), k: 4 });
    const byId = new Map(hits.map((h) => [h.chunk.id, h.chunk]));
    assert.deepEqual(byId.get("doc#c0")?.parent, parentA);
    assert.deepEqual(byId.get("doc#c1")?.parent, parentA);
    assert.deepEqual(byId.get("doc#c2")?.parent, parentB);
    assert.ok(byId.has("flat#0") && !("parent" in byId.get("flat#0")!) , "a chunk without a parent has no parent key");
    const lexical = await index.search({ mode: "LEXICAL", text: "context", k: 1 });
    assert.deepEqual(lexical[0]?.chunk.parent, parentA, "search runs on the child's text and returns its parent");
  });

  test("roundTrip", "every field of a chunk round-trips, unicode included", async (index) => {
    const dims = 8;
    const stored = [
      chunk("s3://bücher/日本語 ファイル.pdf#0", axisVector(dims, 0), {
        documentId: "s3://bücher/日本語 ファイル.pdf",
        dataSourceId: "DS0123456789",
        text: "Ünïcödé text — with emoji 😀, CJK 漢字, RTL עברית, quotes \"'` and a\nnewline\ttab.",
        sourceUri: "s3://bücher/日本語 ファイル.pdf",
        metadata: {
          "x-amz-bedrock-kb-source-uri": "s3://bücher/日本語 ファイル.pdf",
          "x-amz-bedrock-kb-document-page-number": 3,
          "x-amz-bedrock-kb-data-source-id": "DS0123456789",
          "région": "Île-de-France",
          "emoji 😀": "✓",
          price: 12.5,
          negative: -3,
          big: 9007199254740991,
          flag: false,
          tags: ["α", "β", "γ δ"],
          empty: "",
          emptyList: [],
        },
      }),
      chunk("file:///srv/docs/a%20b.md#1", axisVector(dims, 1), { documentId: "file:///srv/docs/a%20b.md", sourceUri: "file:///srv/docs/a%20b.md", metadata: {} }),
    ];
    await index.upsert(stored);
    for (const [i, expected] of stored.entries()) {
      const hit = (await index.search({ mode: "SEMANTIC", vector: axisVector(dims, i), k: 1 }))[0];
      assert.deepEqual(hit?.chunk, withoutVector(expected));
    }
    const unicode = await index.search({ mode: "LEXICAL", text: "emoji Ünïcödé", k: 1 });
    assert.equal(unicode[0]?.chunk.id, stored[0]!.id, "unicode words are found lexically");
    const filtered = await index.search({ mode: "SEMANTIC", vector: axisVector(dims, 1), k: 5, filter: parseMetadataFilter({ equals: { key: "région", value: "Île-de-France" } }) });
    assert.deepEqual(ids(filtered), [stored[0]!.id], "unicode keys and values filter");
  });

  test("scores", "scores lie in [0, 1], best first, and an identical vector scores highest", async (index) => {
    const random = seededRandom(10);
    const chunks = Array.from({ length: 60 }, (_, i) => chunk(`doc-${i}#0`, randomVector(random, 8), { text: `report number ${i} about ${i % 2 ? "revenue" : "costs"} and revenue` }));
    // Opposite and orthogonal vectors, zero-similarity extremes included.
    chunks.push(chunk("opposite#0", chunks[0]!.vector.map((x) => -x), { text: "opposite" }));
    await index.upsert(chunks);
    const semantic = await index.search({ mode: "SEMANTIC", vector: chunks[0]!.vector, k: 61 });
    assert.equal(semantic.length, 61);
    assertScores(semantic, "SEMANTIC");
    assert.equal(semantic[0]?.chunk.id, "doc-0#0");
    assert.ok(semantic[0]!.score >= 0.99, `an identical vector scores about 1, got ${semantic[0]!.score}`);
    assert.equal(semantic.at(-1)?.chunk.id, "opposite#0");
    assert.ok(semantic.at(-1)!.score <= 0.01, `an opposite vector scores about 0, got ${semantic.at(-1)!.score}`);
    // A scaled copy of a vector is the same direction: cosine, not raw dot product or L2.
    const scaled = await index.search({ mode: "SEMANTIC", vector: chunks[5]!.vector.map((x) => x * 7), k: 1 });
    assert.equal(scaled[0]?.chunk.id, "doc-5#0");
    assertScores(await index.search({ mode: "LEXICAL", text: "revenue costs", k: 20 }), "LEXICAL");
    assertScores(await index.search({ mode: "HYBRID", text: "revenue costs", vector: chunks[3]!.vector, k: 20 }), "HYBRID");
  });

  test("kLimits", "k caps the hits; an empty index or a k above the count returns what there is", async (index) => {
    const random = seededRandom(11);
    const query: SearchQuery = { mode: "SEMANTIC", vector: randomVector(random, 8), k: 10 };
    assert.deepEqual(await index.search(query), []);
    assert.deepEqual(await index.search({ mode: "LEXICAL", text: "anything", k: 10 }), []);
    assert.deepEqual(await index.search({ mode: "HYBRID", text: "anything", vector: query.vector, k: 10 }), []);
    const chunks = Array.from({ length: 7 }, (_, i) => chunk(`doc#${i}`, randomVector(random, 8), { text: `word${i} common` }));
    await index.upsert(chunks);
    assert.equal((await index.search(query)).length, 7);
    assert.equal((await index.search({ ...query, k: 1 })).length, 1);
    assert.equal((await index.search({ ...query, k: 100 })).length, 7);
    assert.equal((await index.search({ mode: "LEXICAL", text: "common", k: 3 })).length, 3);
    assert.equal((await index.search({ mode: "HYBRID", text: "common", vector: query.vector, k: 100 })).length, 7);
    await index.deleteDocuments(["doc"]);
    assert.deepEqual(await index.search(query), []);
  });

  test("validation", "bad queries and vectors are refused as ValidationExceptions", async (index) => {
    await index.upsert([chunk("v#0", axisVector(8, 0))]);
    await expectValidation(index.search({ mode: "SEMANTIC", vector: new Float32Array(9), k: 1 }), /dimension/i);
    await expectValidation(index.search({ mode: "SEMANTIC", k: 1 }));
    await expectValidation(index.search({ mode: "HYBRID", text: "x", k: 1 }));
    await expectValidation(index.search({ mode: "SEMANTIC", vector: axisVector(8, 0), k: 0 }));
    await expectValidation(index.search({ mode: "SEMANTIC", vector: Float32Array.from({ length: 8 }, () => Number.POSITIVE_INFINITY), k: 1 }));
    await expectValidation(index.upsert([chunk("v#1", new Float32Array(7))]), /dimension/i);
    assert.equal(index.dimensions, 8);
  });

  test("concurrentWrites", "concurrent upserts, deletes and searches leave a consistent index", async (index) => {
    const random = seededRandom(12);
    const batches = Array.from({ length: 6 }, (_, b) => Array.from({ length: 40 }, (_, i) => chunk(`doc-${b}#${i}`, randomVector(random, 8), { text: `batch ${b} item ${i} shared` })));
    const searches: Array<Promise<SearchHit[]>> = [];
    const writes = batches.map((batch) => index.upsert(batch));
    for (let i = 0; i < 10; i++) searches.push(index.search({ mode: "HYBRID", text: "shared", vector: randomVector(random, 8), k: 5 }));
    await Promise.all([...writes, ...searches]);
    assert.equal(await index.count(), 240);
    const [deleted] = await Promise.all([index.deleteDocuments(["doc-0", "doc-1"]), index.upsert(batches[2]!.map((c) => ({ ...c, text: `${c.text} again` })))]);
    assert.equal(deleted, 80);
    assert.equal(await index.count(), 160);
    assert.equal((await index.chunkIds("doc-2")).length, 40);
    const hits = await index.search({ mode: "SEMANTIC", vector: batches[3]![5]!.vector, k: 1 });
    assert.equal(hits[0]?.chunk.id, "doc-3#5");
  });

  test("drop", "drop removes everything: the same index reopened is empty", async (index, context) => {
    const random = seededRandom(13);
    await index.upsert(Array.from({ length: 20 }, (_, i) => chunk(`doc#${i}`, randomVector(random, 8), { text: "dropped words" })));
    await index.drop();
    const again = await context.reopen();
    assert.equal(await again.count(), 0);
    assert.deepEqual(await again.chunkIds("doc"), []);
    assert.deepEqual(await again.search({ mode: "LEXICAL", text: "dropped", k: 5 }), []);
    assert.deepEqual(await again.search({ mode: "SEMANTIC", vector: randomVector(random, 8), k: 5 }), []);
  });

  test("persistence", "data survives close and reopen, deletes included", async (index, context) => {
    const random = seededRandom(14);
    const chunks = Array.from({ length: 300 }, (_, i) =>
      chunk(`doc-${i % 30}#${i}`, randomVector(random, 8), { text: `persistent text ${i} ${i % 2 ? "odd" : "even"}`, metadata: { i, parity: i % 2 ? "odd" : "even" }, ...(i % 10 === 0 ? { parent: { id: `p${i}`, text: `parent ${i}` } } : {}) }),
    );
    await index.upsert(chunks);
    await index.deleteDocuments(["doc-3", "doc-4"]);
    await index.upsert([chunk("doc-5#5", randomVector(random, 8), { text: "replaced before closing" })]);
    const queries: SearchQuery[] = [
      { mode: "SEMANTIC", vector: randomVector(random, 8), k: 10 },
      { mode: "LEXICAL", text: "odd persistent", k: 10 },
      { mode: "HYBRID", text: "even", vector: randomVector(random, 8), k: 10 },
      { mode: "SEMANTIC", vector: randomVector(random, 8), k: 10, filter: parseMetadataFilter({ equals: { key: "parity", value: "odd" } }) },
    ];
    const before = await Promise.all(queries.map((q) => index.search(q)));
    const count = await index.count();
    assert.equal(count, 280);
    await index.close();
    const reopened = await context.reopen();
    assert.equal(reopened.dimensions, 8);
    assert.equal(await reopened.count(), count);
    assert.deepEqual(await reopened.chunkIds("doc-3"), []);
    assert.deepEqual(sorted(await reopened.chunkIds("doc-7")), sorted(chunks.filter((c) => c.documentId === "doc-7").map((c) => c.id)));
    for (const [i, q] of queries.entries()) {
      const after = await reopened.search(q);
      assert.deepEqual(ids(after), ids(before[i]!), `${q.mode} query ${i} answers as before`);
      assert.deepEqual(after.map((h) => h.chunk), before[i]!.map((h) => h.chunk));
    }
    await reopened.upsert([chunk("after#0", randomVector(random, 8), { text: "written after reopening" })]);
    assert.equal(await reopened.count(), count + 1);
  });
}
