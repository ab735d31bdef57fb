// EXTERNAL_SOURCES: inline bytes and S3 objects (a configured folder bucket) parsed by the real
// document parser into passages with pages, the prompt budget keeping the relevant passages,
// and bad documents refused with the field that named them.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makePdf } from "../../../test/helpers/documents.ts";
import { parseConfig } from "../../config/loader.ts";
import type { Config } from "../../config/schema.ts";
import { resolveSource } from "../ingestion/sources/resolve-source.ts";
import { createDocumentParser, type DocumentParser } from "../parsing/document-parser.ts";
import { loadExternalPassages, type ExternalSourceDeps } from "./external-sources.ts";

let dir: string;
let config: Config;
let parser: DocumentParser;
let deps: ExternalSourceDeps;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "basalt-external-"));
  await mkdir(join(dir, "shelf", "reports"), { recursive: true });
  // Three full pages, the fact at the end of the third: its chunk holds page 3 text only.
  const paragraph = (n: number) =>
    `Paragraph ${n} describes how the regional offices organised their work during the year, which teams were formed, how budgets were planned and reviewed each quarter, and what the staff learned from the projects finished before the end of the period.`;
  const page = (from: number) => Array.from({ length: 6 }, (_, i) => paragraph(from + i));
  const pdf = await makePdf({ pages: [{ paragraphs: page(1) }, { paragraphs: page(7) }, { paragraphs: [...page(13), "Net profit in 2022 reached 4.2 million euros."] }] });
  await writeFile(join(dir, "shelf", "reports", "annual.pdf"), pdf);
  config = parseConfig({ dataDir: dir, knowledgeBases: { buckets: { "team-docs": { folder: join(dir, "shelf") } } } });
  parser = createDocumentParser();
  deps = { parser, openSource: (bucket) => resolveSource(config, bucket, "000000000000"), maxDocumentBytes: 1024 * 1024 };
});

after(async () => {
  await parser.close();
  await rm(dir, { recursive: true, force: true });
});

const bytes = (identifier: string, contentType: string, text: string) => ({ kind: "BYTE_CONTENT" as const, identifier, contentType, data: Buffer.from(text) });

describe("external sources", () => {
  it("turns inline documents into passages located by their identifier", async () => {
    const passages = await loadExternalPassages([bytes("notes", "text/markdown", "# Notes\n\nThe launch is planned for March 3.")], "When is the launch?", deps, { maxChars: 10_000 });
    assert.equal(passages.length, 1);
    assert.match(passages[0]!.text, /The launch is planned for March 3\./);
    assert.equal(passages[0]!.sourceUri, "notes");
    assert.equal(passages[0]!.metadata["x-amz-bedrock-kb-source-uri"], "notes");
  });

  it("reads an S3 object through the configured bucket, keeping page numbers", async () => {
    const passages = await loadExternalPassages([{ kind: "S3", uri: "s3://team-docs/reports/annual.pdf" }], "What was the net profit?", deps, { maxChars: 10_000 });
    const profit = passages.find((p) => p.text.includes("4.2 million"));
    assert.ok(profit, "the page-3 text is among the passages");
    assert.equal(profit.sourceUri, "s3://team-docs/reports/annual.pdf");
    assert.equal(profit.metadata["x-amz-bedrock-kb-document-page-number"], 3);
  });

  it("keeps the passages closest to the question when the documents exceed the budget", async () => {
    const filler = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} talks about office plants and watering schedules in detail.`).join("\n\n");
    const sources = [bytes("plants.txt", "text/plain", filler), bytes("launch.txt", "text/plain", "The rocket launch window opens on March 3 at dawn.")];
    const passages = await loadExternalPassages(sources, "When does the rocket launch window open?", deps, { maxChars: 400 });
    assert.equal(passages[0]?.sourceUri, "launch.txt");
    assert.ok(passages.reduce((n, p) => n + p.text.length, 0) <= 400);
  });

  it("refuses a document it cannot read, naming the source", async () => {
    await assert.rejects(loadExternalPassages([bytes("slides.pptx", "application/vnd.ms-powerpoint", "PK")], "q", deps, { maxChars: 1000 }), {
      name: "ValidationException",
      message: /slides\.pptx \(retrieveAndGenerateConfiguration\.externalSourcesConfiguration\.sources\.0\) could not be read: unsupported file type/,
    });
    await assert.rejects(loadExternalPassages([{ kind: "S3", uri: "s3://team-docs/missing.txt" }], "q", deps, { maxChars: 1000 }), {
      name: "ValidationException",
      message: /s3:\/\/team-docs\/missing\.txt .*could not be read/,
    });
    await assert.rejects(loadExternalPassages([bytes("big.txt", "text/plain", "x".repeat(2 * 1024 * 1024))], "q", deps, { maxChars: 1000 }), /over the 1048576-byte limit/);
  });
});
