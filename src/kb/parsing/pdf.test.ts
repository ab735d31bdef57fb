// PDF text rebuilt from pdfjs text items: lines, paragraphs, headings by font size, bullets,
// hyphenated line ends, and pages without a text layer handed over for OCR.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import PDFDocument from "pdfkit";
import { makeScannedPdf } from "../../../test/helpers/documents.ts";
import { DocumentParseError } from "./document-parse-error.ts";
import { parsePdf, renderPdfPage } from "./pdf.ts";

/** Draws with pdfkit and returns the bytes. */
function pdf(draw: (doc: PDFKit.PDFDocument) => void): Promise<Buffer> {
  const doc = new PDFDocument({ size: "LETTER", margin: 72 });
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on("end", () => resolve(Buffer.concat(chunks))));
  draw(doc);
  doc.end();
  return done;
}

const blocks = async (bytes: Buffer) => (await parsePdf(bytes, { ocr: false })).document.blocks.map((b) => [b.kind, b.level ?? null, b.text, b.page]);

describe("PDF parsing", () => {
  it("ranks headings by font size and keeps their chain across pages", async () => {
    const bytes = await pdf((doc) => {
      doc.fontSize(24).text("Annual report").fontSize(16).text("Finance").fontSize(11).text("Revenue grew by a tenth.");
      doc.fontSize(16).text("Staff").fontSize(11).text("Headcount was flat.");
      doc.addPage().fontSize(11).text("Hiring resumes next year.");
    });
    const result = await parsePdf(bytes, { ocr: false });
    assert.deepEqual(
      result.document.blocks.map((b) => [b.kind, b.level ?? null, b.text, b.page, b.headings]),
      [
        ["heading", 1, "Annual report", 1, []],
        ["heading", 2, "Finance", 1, ["Annual report"]],
        ["paragraph", null, "Revenue grew by a tenth.", 1, ["Annual report", "Finance"]],
        ["heading", 2, "Staff", 1, ["Annual report"]],
        ["paragraph", null, "Headcount was flat.", 1, ["Annual report", "Staff"]],
        ["paragraph", null, "Hiring resumes next year.", 2, ["Annual report", "Staff"]],
      ],
    );
    assert.equal(result.document.pageCount, 2);
    assert.equal(result.document.title, "Annual report", "first H1 when the info dictionary has no title");
  });

  it("splits paragraphs on vertical gaps and first-line indents, joins wrapped and hyphenated lines", async () => {
    const bytes = await pdf((doc) => {
      doc.fontSize(12);
      const line = (text: string, x: number, y: number) => doc.text(text, x, y, { lineBreak: false });
      line("The first paragraph wraps onto a", 72, 100);
      line("second line and ends here.", 72, 114);
      line("After a blank line, the second para-", 72, 142);
      line("graph carries a hyphenated word.", 72, 156);
      line("An indented line opens a third one,", 100, 170);
      line("which also wraps.", 72, 184);
    });
    assert.deepEqual(await blocks(bytes), [
      ["paragraph", null, "The first paragraph wraps onto a second line and ends here.", 1],
      ["paragraph", null, "After a blank line, the second para-graph carries a hyphenated word.", 1],
      ["paragraph", null, "An indented line opens a third one, which also wraps.", 1],
    ]);
  });

  it("reads bullets as list items, with their wrapped continuation lines", async () => {
    const bytes = await pdf((doc) => {
      doc.fontSize(12);
      const line = (text: string, x: number, y: number) => doc.text(text, x, y, { lineBreak: false });
      line("Before the list.", 72, 100);
      line("• Check the oil level", 72, 128);
      line("• Replace the air filter, which", 72, 142);
      line("takes ten minutes", 84, 156);
    });
    assert.deepEqual(await blocks(bytes), [
      ["paragraph", null, "Before the list.", 1],
      ["list-item", null, "Check the oil level", 1],
      ["list-item", null, "Replace the air filter, which takes ten minutes", 1],
    ]);
  });

  it("joins runs of one line in different fonts with the right spacing", async () => {
    const bytes = await pdf((doc) => {
      doc.fontSize(12).font("Helvetica").text("Press ", { continued: true }).font("Helvetica-Bold").text("Start", { continued: true });
      doc.font("Helvetica").text(" to begin, then wait.");
    });
    assert.deepEqual(await blocks(bytes), [["paragraph", null, "Press Start to begin, then wait.", 1]]);
  });

  it("refuses a PDF without a text layer when OCR is off, lists its pages for OCR when it is on, renders them", async () => {
    const bytes = await makeScannedPdf(["Only pixels here."]);
    await assert.rejects(parsePdf(bytes, { ocr: false }), (error) => {
      assert.ok(error instanceof DocumentParseError);
      assert.equal(error.reason, "NEEDS_OCR");
      return true;
    });
    const result = await parsePdf(bytes, { ocr: true });
    assert.deepEqual(result.document.blocks, []);
    assert.deepEqual(result.ocrPages, [1]);
    const image = Buffer.from(await renderPdfPage(bytes, 1, 144));
    assert.deepEqual([...image.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG");
    // 612 pt wide at 144 dpi is 1224 px.
    assert.equal(image.readUInt32BE(16), 1224);
    await assert.rejects(renderPdfPage(bytes, 2, 144), /the PDF has no page 2/);
  });

  it("reports a file that is not a PDF", async () => {
    await assert.rejects(parsePdf(Buffer.from("<html>not a pdf</html>"), { ocr: false }), (error) => {
      assert.ok(error instanceof DocumentParseError);
      assert.equal(error.reason, "MALFORMED");
      assert.match(error.message, /^the PDF could not be read: /);
      return true;
    });
  });
});
