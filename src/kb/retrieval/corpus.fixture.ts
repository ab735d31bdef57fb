// A small knowledge base for retrieval and generation tests: documents on distinct topics with
// filterable metadata, one hierarchical document (children searched, parents returned), stored
// in a real vector index with vectors from a real embedding model, exactly as ingestion stores them.
import type { EmbeddingModel } from "../../spec/model.ts";
import { embedTexts } from "../embedding/embed-batched.ts";
import { METADATA_KEYS } from "../ingestion/process-document.ts";
import type { Metadata } from "../vector-store/filter.ts";
import type { StoredChunk, VectorIndex } from "../vector-store/vector-store.ts";

/** A test document: flat chunks, or parents each cut into children. */
export interface CorpusDocument {
  uri: string;
  chunks?: string[];
  parents?: Array<{ text: string; children: string[] }>;
  metadata?: Metadata;
  page?: number;
}

/** The data source id every fixture chunk carries. */
export const CORPUS_DATA_SOURCE = "DS00000001";

/** The fixture corpus. */
export const CORPUS: CorpusDocument[] = [
  {
    uri: "s3://handbook/travel.md",
    chunks: ["Employees may book economy class for flights shorter than six hours. Business class is allowed for longer flights."],
    metadata: { department: "hr", year: 2021, tags: ["policy", "travel"] },
  },
  {
    uri: "s3://handbook/security.md",
    chunks: ["Laptops must use full-disk encryption and lock the screen after five minutes of inactivity."],
    metadata: { department: "it", year: 2022, tags: ["policy", "security"] },
  },
  {
    uri: "file:///srv/docs/cafeteria.txt",
    chunks: ["The cafeteria serves lunch from 11:30 to 14:00 on weekdays. Vegetarian dishes are available every day."],
    metadata: { department: "facilities", year: 2020 },
  },
  {
    uri: "s3://handbook/parts.csv",
    chunks: ["Part: XK-4471; Description: replacement cooling fan; Fits: rack server model 9"],
    metadata: { department: "it", year: 2023 },
  },
  {
    uri: "s3://reports/revenue-2020.pdf",
    chunks: ["Revenue in 2020 was 12 million euros, up 8 percent on the previous year."],
    metadata: { department: "finance", year: 2020 },
    page: 3,
  },
  {
    uri: "s3://reports/revenue-2021.pdf",
    chunks: ["Revenue in 2021 was 15 million euros, up 25 percent on the previous year."],
    metadata: { department: "finance", year: 2021 },
    page: 2,
  },
  {
    uri: "s3://handbook/onboarding.md",
    parents: [
      {
        text: "Onboarding. New hires receive their laptop on the first day. They meet their mentor during the first week. Badge photos are taken at the reception desk.",
        children: ["New hires receive their laptop on the first day.", "They meet their mentor during the first week.", "Badge photos are taken at the reception desk."],
      },
      {
        text: "Benefits. Health insurance starts on the first day of employment. Gym membership is reimbursed up to 30 euros per month.",
        children: ["Health insurance starts on the first day of employment.", "Gym membership is reimbursed up to 30 euros per month."],
      },
    ],
    metadata: { department: "hr", year: 2024 },
  },
];

/** Chunks of the corpus with their vectors, as ingestion would store them. */
export async function corpusChunks(model: EmbeddingModel, documents: readonly CorpusDocument[] = CORPUS): Promise<StoredChunk[]> {
  const pending: Array<Omit<StoredChunk, "vector">> = [];
  for (const doc of documents) {
    const base = (id: string): Metadata => ({
      ...doc.metadata,
      [METADATA_KEYS.sourceUri]: doc.uri,
      [METADATA_KEYS.dataSourceId]: CORPUS_DATA_SOURCE,
      [METADATA_KEYS.chunkId]: id,
      ...(doc.page === undefined ? {} : { [METADATA_KEYS.pageNumber]: doc.page }),
    });
    let n = 0;
    for (const text of doc.chunks ?? []) {
      const id = `${doc.uri}#${n++}`;
      pending.push({ id, documentId: doc.uri, dataSourceId: CORPUS_DATA_SOURCE, text, sourceUri: doc.uri, metadata: base(id) });
    }
    for (const [p, parent] of (doc.parents ?? []).entries()) {
      for (const text of parent.children) {
        const id = `${doc.uri}#${n++}`;
        pending.push({ id, documentId: doc.uri, dataSourceId: CORPUS_DATA_SOURCE, text, parent: { id: `${doc.uri}#p${p}`, text: parent.text }, sourceUri: doc.uri, metadata: base(id) });
      }
    }
  }
  const { vectors } = await embedTexts(model, pending.map((c) => c.text), { purpose: "document" });
  return pending.map((chunk, i) => ({ ...chunk, vector: vectors[i]! }));
}

/** Fills an index with the corpus. */
export async function fillCorpus(index: VectorIndex, model: EmbeddingModel, documents: readonly CorpusDocument[] = CORPUS): Promise<void> {
  await index.upsert(await corpusChunks(model, documents));
}
