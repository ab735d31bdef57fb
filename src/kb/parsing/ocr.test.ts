// Offline OCR through the real tesseract.js engine: a scanned PDF (rendered with pdfjs, then
// read) and a PNG, the latter in a child process whose every thread has networking disabled, so
// the test fails if the engine tried to download its core or language data.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { makeScannedPdf, makePdf, renderTextImage } from "../../../test/helpers/documents.ts";
import { DocumentParseError } from "./document-parse-error.ts";
import { createDocumentParser, type DocumentParser } from "./document-parser.ts";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

// Loaded with --import into the child and, through inherited execArgv, into tesseract's worker
// thread: any fetch or socket fails loudly.
const NO_NETWORK = `data:text/javascript,${encodeURIComponent(`
import net from "node:net";
globalThis.fetch = async (url) => { throw new Error("network access attempted: " + url); };
const refuse = function () { throw new Error("network access attempted"); };
net.Socket.prototype.connect = refuse;
net.connect = net.createConnection = refuse;
`)}`;

describe("OCR", () => {
  let parser: DocumentParser;
  before(() => {
    parser = createDocumentParser();
  });
  after(() => parser.close());

  it("reads a scanned PDF page with OCR and marks the document", async () => {
    const bytes = await makeScannedPdf(["The Nimbus glacier retreats eleven meters every year."]);
    const document = await parser.parse({ bytes, fileName: "scan.pdf" }, { ocr: true });
    assert.equal(document.ocr, true);
    assert.equal(document.pageCount, 1);
    assert.deepEqual(document.blocks, [
      { kind: "paragraph", text: "The Nimbus glacier retreats eleven meters every year.", page: 1, headings: [] },
    ]);
  });

  it("OCRs only the pages without a text layer, in page order under the headings in force", async () => {
    const bytes = await makePdf({
      pages: [
        { heading: "Glacier survey", paragraphs: ["Measurements were taken each autumn from the moraine markers."] },
        { scannedLines: ["The Nimbus glacier retreats eleven meters every year."] },
        { paragraphs: ["The survey team returns next September with new instruments."] },
      ],
    });
    const document = await parser.parse({ bytes, fileName: "mixed.pdf" }, { ocr: true });
    assert.equal(document.ocr, true);
    assert.deepEqual(
      document.blocks.map((b) => [b.page, b.kind, b.text, b.headings]),
      [
        [1, "heading", "Glacier survey", []],
        [1, "paragraph", "Measurements were taken each autumn from the moraine markers.", ["Glacier survey"]],
        [2, "paragraph", "The Nimbus glacier retreats eleven meters every year.", ["Glacier survey"]],
        [3, "paragraph", "The survey team returns next September with new instruments.", ["Glacier survey"]],
      ],
    );
    // Without OCR the text pages still parse; only the scanned page is missing.
    const withoutOcr = await parser.parse({ bytes, fileName: "mixed.pdf" });
    assert.deepEqual(withoutOcr.blocks.map((b) => b.page), [1, 1, 3]);
  });

  it("reads a PNG offline: the engine's core and English data come from node_modules", () => {
    const script = `
      const { createDocumentParser } = await import(${JSON.stringify(new URL("./document-parser.ts", import.meta.url).href)});
      const { renderTextImage } = await import(${JSON.stringify(new URL("../../../test/helpers/documents.ts", import.meta.url).href)});
      const parser = createDocumentParser();
      try {
        const bytes = renderTextImage(["The Falcon squad meets every Thursday at noon."]);
        const document = await parser.parse({ bytes, fileName: "board.PNG" }, { ocr: true });
        process.stdout.write(JSON.stringify(document));
      } finally {
        await parser.close();
      }`;
    // A file, not -e: worker threads inherit execArgv, and --input-type is refused there.
    const dir = mkdtempSync(join(tmpdir(), "basalt-ocr-"));
    const file = join(dir, "offline-ocr.mjs");
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, ["--import", "tsx", "--import", NO_NETWORK, file], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 60_000,
    });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(child.status, 0, child.stderr);
    const document = JSON.parse(child.stdout) as { format: string; ocr: boolean; blocks: Array<{ kind: string; text: string }> };
    assert.equal(document.format, "png");
    assert.equal(document.ocr, true);
    assert.deepEqual(document.blocks, [{ kind: "paragraph", text: "The Falcon squad meets every Thursday at noon.", headings: [] }]);
  });

  it("fails an image whose bytes are not what its name says, or that OCR runs too long on", async () => {
    await assert.rejects(parser.parse({ bytes: Buffer.from("GIF89a not really"), fileName: "photo.png" }, { ocr: true }), (error) => {
      assert.ok(error instanceof DocumentParseError);
      assert.equal(error.reason, "MALFORMED");
      assert.equal(error.message, "the image could not be read: the file is not a PNG image");
      return true;
    });
    const hurried = createDocumentParser({ ocrPageTimeoutMs: 1 });
    try {
      await assert.rejects(hurried.parse({ bytes: renderTextImage(["Too slow."]), fileName: "slow.png" }, { ocr: true }), (error) => {
        assert.ok(error instanceof DocumentParseError);
        assert.equal(error.reason, "TIMEOUT");
        assert.equal(error.message, "OCR of one page took longer than the 1 ms limit");
        return true;
      });
    } finally {
      await hurried.close();
    }
  });
});
