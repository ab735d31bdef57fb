// The document parser as ingestion uses it: every generated format through the worker sandbox,
// the structure each one keeps, every per-document failure with its reason, and the guards
// (size, time and memory limits, cancellation) that keep one bad file from hurting the rest.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as XLSX from "@e965/xlsx";
import { makeBadDocuments, makeTestDocuments, type TestDocument } from "../../../test/helpers/documents.ts";
import type { DocumentBlock, ParsedDocument } from "../document.ts";
import { DocumentParseError, type DocumentParseReason } from "./document-parse-error.ts";
import { createDocumentParser, type DocumentParser } from "./document-parser.ts";

async function rejection(promise: Promise<unknown>): Promise<DocumentParseError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DocumentParseError, `expected a DocumentParseError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the parse to fail");
}

function expectFailure(error: DocumentParseError, reason: DocumentParseReason, message: string | RegExp): void {
  assert.equal(error.reason, reason, error.message);
  if (typeof message === "string") assert.ok(error.message.includes(message), error.message);
  else assert.match(error.message, message);
  assert.doesNotMatch(error.message, /\n\s+at /, "no stack in the reason");
}

function block(document: ParsedDocument, text: string): DocumentBlock {
  const found = document.blocks.find((b) => b.text.includes(text));
  assert.ok(found, `no block contains ${JSON.stringify(text)}: ${JSON.stringify(document.blocks)}`);
  return found;
}

describe("document parser", () => {
  let parser: DocumentParser;
  let docs: TestDocument[];
  const parsed = new Map<string, ParsedDocument>();

  before(async () => {
    parser = createDocumentParser();
    docs = await makeTestDocuments();
    for (const doc of docs.filter((d) => !d.needsOcr)) {
      parsed.set(doc.fileName, await parser.parse({ bytes: doc.bytes, fileName: doc.fileName }));
    }
  });
  after(() => parser.close());

  it("finds each document's fact in one block, for every format", () => {
    const formats = new Set(docs.map((d) => d.format));
    for (const format of ["txt", "md", "html", "pdf", "doc", "docx", "csv", "xls", "xlsx", "png"]) assert.ok(formats.has(format as never), format);
    for (const doc of docs.filter((d) => !d.needsOcr)) {
      const document = parsed.get(doc.fileName)!;
      assert.equal(document.format, doc.format);
      block(document, doc.answer);
      assert.equal(document.ocr, undefined, `${doc.fileName} needed no OCR`);
    }
  });

  it("txt: paragraphs split on blank lines", () => {
    const document = parsed.get("ferry-notes.txt")!;
    assert.equal(document.blocks.length, 4);
    assert.ok(document.blocks.every((b) => b.kind === "paragraph" && b.headings.length === 0));
    assert.equal(block(document, "Orion").text, "The Orion ferry departs from Pier 9 at 7:45 every morning.\nIt returns at 18:10 on weekdays.");
  });

  it("md: heading chain, table rows with their headers, list items", () => {
    const document = parsed.get("lighthouses.md")!;
    assert.equal(document.title, "Coastal lighthouses");
    const row = block(document, "Kestrel Point; Height");
    assert.equal(row.kind, "table-row");
    assert.equal(row.text, "Lighthouse: Kestrel Point; Height: 38 meters; Built: 1904");
    assert.deepEqual(row.headings, ["Coastal lighthouses", "Tower heights"]);
    const item = block(document, "by appointment");
    assert.equal(item.kind, "list-item");
    assert.deepEqual(item.headings, ["Coastal lighthouses", "Visiting"]);
    assert.deepEqual(
      document.blocks.filter((b) => b.kind === "heading").map((b) => [b.level, b.text]),
      [[1, "Coastal lighthouses"], [2, "Tower heights"], [2, "Visiting"]],
    );
  });

  it("html: title, headings, a table under its caption; script, style and noscript left out", () => {
    const document = parsed.get("condors.html")!;
    assert.equal(document.title, "Birds of the Andes");
    const row = block(document, "Andean condor");
    assert.equal(row.kind, "table-row");
    assert.equal(row.text, "Species: Andean condor; Wingspan: 3.2 meters");
    assert.deepEqual(row.headings, ["Birds of the Andes", "Wingspans", "Measured wingspans"]);
    assert.ok(block(document, "largest flying birds").text.includes("Earth — and"), "entities decoded");
    const all = document.blocks.map((b) => b.text).join("\n");
    assert.doesNotMatch(all, /9 meters|decoy|color: red|Enable JavaScript/);
  });

  it("pdf: one block per paragraph with its page, headings from font size, title and page count", () => {
    const document = parsed.get("zephyr-turbine.pdf")!;
    assert.equal(document.pageCount, 3);
    assert.equal(document.title, "Zephyr Turbine Field Guide");
    const fact = block(document, "rated output");
    assert.equal(fact.text, "The Zephyr turbine's rated output is 4.2 megawatts.");
    assert.equal(fact.kind, "paragraph");
    assert.equal(fact.page, 2);
    assert.deepEqual(fact.headings, ["Specifications"]);
    assert.deepEqual(
      document.blocks.filter((b) => b.kind === "heading").map((b) => [b.page, b.text]),
      [[1, "Introduction"], [2, "Specifications"], [3, "Maintenance"]],
    );
    // A paragraph that pdfkit wrapped onto two lines comes back as one block.
    assert.match(block(document, "field guide covers").text, /onshore wind turbines\. It is meant for site engineers/);
    assert.ok(document.blocks.every((b) => b.page !== undefined));
  });

  it("docx: heading chain and table rows through mammoth", () => {
    const document = parsed.get("maintenance.docx")!;
    assert.equal(document.title, "Turbine maintenance plan");
    const row = block(document, "Gearbox");
    assert.equal(row.kind, "table-row");
    assert.equal(row.text, "Component: Gearbox; Service interval: every 18 months");
    assert.deepEqual(row.headings, ["Turbine maintenance plan", "Service intervals"]);
  });

  it("doc: Word 97 body text as paragraphs", () => {
    const document = parsed.get("bridges.doc")!;
    assert.deepEqual(
      document.blocks.map((b) => b.text),
      [
        "Bridges of the river valley",
        "Three road bridges cross the river within the city limits.",
        "The Halcyon bridge was completed in 1931 after six years of work.",
        "The newest crossing opened to cyclists only.",
      ],
    );
  });

  it("csv: each row with the header names, quoted newlines and a BOM handled", () => {
    const document = parsed.get("inventory.csv")!;
    assert.deepEqual(
      document.blocks.map((b) => [b.kind, b.text]),
      [
        ["table-row", "Warehouse: Bramble Yard; Material: copper; Tonnes: 1200; Notes: Stacked in bays 1-4"],
        ["table-row", "Warehouse: Tarragon Depot; Material: cobalt; Tonnes: 640; Notes: Sealed drums, second floor"],
        ["table-row", "Warehouse: Moss Lane; Material: nickel; Tonnes: 85"],
      ],
    );
  });

  it("xlsx and xls: a heading per sheet, rows with the sheet's header names, page = sheet", () => {
    const xlsx = parsed.get("revenue.xlsx")!;
    assert.equal(xlsx.pageCount, 2);
    assert.deepEqual(xlsx.blocks[0], { kind: "heading", text: "Summary", level: 1, page: 1, headings: [] });
    const row = block(xlsx, "Northwind");
    assert.deepEqual(row, { kind: "table-row", text: "Region: Northwind; Revenue: 812; Quarter: Q1", page: 2, headings: ["Revenue"] });
    const xls = parsed.get("field-stations.xls")!;
    assert.equal(xls.format, "xls");
    assert.deepEqual(block(xls, "Svalbard"), {
      kind: "table-row",
      text: "Lab: Svalbard Station; Lowest temperature: -41.5; Staff: 12",
      page: 1,
      headings: ["Stations"],
    });
  });

  it("reports each bad document with its reason, and goes on parsing", async () => {
    for (const bad of await makeBadDocuments()) {
      const error = await rejection(parser.parse({ bytes: bad.bytes, fileName: bad.fileName }));
      expectFailure(error, bad.reason, bad.message);
      assert.equal(error.code, "VALIDATION");
    }
    const again = await parser.parse({ bytes: Buffer.from("Still working."), fileName: "after.txt" });
    assert.equal(again.blocks[0]?.text, "Still working.");
  });

  it("lists the supported types when refusing one", async () => {
    const error = await rejection(parser.parse({ bytes: Buffer.from("x"), fileName: "notes.XYZ" }));
    expectFailure(error, "UNSUPPORTED_TYPE", "unsupported file type '.xyz'; supported: .txt, .md, .html, .pdf, .doc, .docx, .csv, .xls, .xlsx");
    const none = await rejection(parser.parse({ bytes: Buffer.from("x"), fileName: "README" }));
    expectFailure(none, "UNSUPPORTED_TYPE", "unsupported file type (no extension)");
  });

  it("picks the format by extension, case-insensitively, then by content type", async () => {
    const upper = await parser.parse({ bytes: Buffer.from("# Title\n\nBody"), fileName: "NOTES.MD" });
    assert.equal(upper.format, "md");
    const typed = await parser.parse({ bytes: Buffer.from("<h1>Hi</h1><p>there</p>"), fileName: "page", contentType: "text/html; charset=utf-8" });
    assert.equal(typed.format, "html");
    assert.deepEqual(typed.blocks.map((b) => b.kind), ["heading", "paragraph"]);
  });

  it("refuses a document over the size limit", async () => {
    const small = createDocumentParser({ maxBytes: 1024 });
    try {
      const error = await rejection(small.parse({ bytes: Buffer.alloc(2048, "a"), fileName: "big.txt" }));
      expectFailure(error, "TOO_LARGE", "the document is 2 KiB, over the 1 KiB limit");
      assert.equal((await small.parse({ bytes: Buffer.alloc(1024, "a"), fileName: "ok.txt" })).blocks.length, 1);
    } finally {
      await small.close();
    }
  });

  it("says a scanned PDF or an image needs OCR when OCR is off", async () => {
    const scanned = docs.find((d) => d.fileName === "scanned-memo.pdf")!;
    expectFailure(
      await rejection(parser.parse({ bytes: scanned.bytes, fileName: scanned.fileName })),
      "NEEDS_OCR",
      "the PDF has no text layer; enable OCR in the data source's parsing configuration",
    );
    const png = docs.find((d) => d.format === "png")!;
    expectFailure(await rejection(parser.parse({ bytes: png.bytes, fileName: png.fileName })), "NEEDS_OCR", "enable OCR");
  });

  it("refuses an encrypted Office file and a Word 97 file with its encryption flag set", async () => {
    const container = XLSX.CFB.utils.cfb_new();
    XLSX.CFB.utils.cfb_add(container, "EncryptionInfo", Buffer.alloc(256, 1));
    XLSX.CFB.utils.cfb_add(container, "EncryptedPackage", Buffer.alloc(4096, 2));
    const locked = Buffer.from(XLSX.CFB.write(container, { type: "buffer", fileType: "cfb" }) as Uint8Array);
    expectFailure(await rejection(parser.parse({ bytes: locked, fileName: "locked.docx" })), "ENCRYPTED", "the Word document is password-protected");
    expectFailure(await rejection(parser.parse({ bytes: locked, fileName: "locked.xlsx" })), "ENCRYPTED", "the spreadsheet is password-protected");
  });

  it("leaves the caller's bytes untouched", async () => {
    const pdf = docs.find((d) => d.fileName === "zephyr-turbine.pdf")!;
    const copy = Buffer.from(pdf.bytes);
    await parser.parse({ bytes: pdf.bytes, fileName: pdf.fileName });
    assert.equal(pdf.bytes.length, copy.length);
    assert.ok(pdf.bytes.equals(copy));
  });

  it("fails a parse that runs past the time limit", async () => {
    const slow = createDocumentParser({ timeoutMs: 1 });
    try {
      const pdf = docs.find((d) => d.fileName === "zephyr-turbine.pdf")!;
      expectFailure(await rejection(slow.parse({ bytes: pdf.bytes, fileName: pdf.fileName })), "TIMEOUT", "parsing took longer than the 1 ms limit");
    } finally {
      await slow.close();
    }
  });

  it("cancels a parse through its signal, and keeps working", async () => {
    const pdf = docs.find((d) => d.fileName === "zephyr-turbine.pdf")!;
    const controller = new AbortController();
    const pending = parser.parse({ bytes: pdf.bytes, fileName: pdf.fileName }, { signal: controller.signal });
    controller.abort();
    expectFailure(await rejection(pending), "ABORTED", "parsing was cancelled");
    const already = await rejection(parser.parse({ bytes: pdf.bytes, fileName: pdf.fileName }, { signal: controller.signal }));
    assert.equal(already.reason, "ABORTED");
    assert.equal((await parser.parse({ bytes: Buffer.from("next"), fileName: "next.txt" })).blocks[0]?.text, "next");
  });

  it("fails a document that exhausts the worker's memory limit without harming the process", async () => {
    const rows: unknown[][] = [["Name", "Value", "Note"]];
    for (let i = 0; i < 25_000; i++) rows.push([`row ${i}`, i, `note number ${i}`]);
    const workbook = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(workbook, XLSX.utils.aoa_to_sheet(rows), "Big");
    const bytes = XLSX.write(workbook, { type: "buffer", bookType: "xlsx", compression: true }) as Buffer;
    const tight = createDocumentParser({ maxMemoryMb: 24 });
    try {
      expectFailure(await rejection(tight.parse({ bytes, fileName: "big.xlsx" })), "RESOURCE_LIMIT", "the spreadsheet needs more memory to parse than the limit allows");
      assert.equal((await tight.parse({ bytes: Buffer.from("fine"), fileName: "small.txt" })).blocks[0]?.text, "fine");
    } finally {
      await tight.close();
    }
  });

  it("parses documents concurrently across workers", async () => {
    const pool = createDocumentParser({ concurrency: 2 });
    try {
      const textDocs = docs.filter((d) => ["txt", "md", "html", "csv"].includes(d.format));
      const results = await Promise.all(textDocs.map((d) => pool.parse({ bytes: d.bytes, fileName: d.fileName })));
      results.forEach((result, i) => block(result, textDocs[i]!.answer));
    } finally {
      await pool.close();
    }
  });

  it("fails parses after close", async () => {
    const closing = createDocumentParser();
    await closing.close();
    expectFailure(await rejection(closing.parse({ bytes: Buffer.from("%PDF-1.4"), fileName: "a.pdf" })), "ABORTED", "the parser is closed");
    expectFailure(await rejection(closing.parse({ bytes: Buffer.from("\x89PNG"), fileName: "a.png" }, { ocr: true })), "ABORTED", "the parser is closed");
  });
});
