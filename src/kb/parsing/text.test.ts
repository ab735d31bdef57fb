// Plain text, format detection and the error helpers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { detectFormat, extensionOf } from "./detect-format.ts";
import { DocumentParseError, shortCause } from "./document-parse-error.ts";
import { parseText } from "./text.ts";

describe("plain text", () => {
  it("splits paragraphs on blank lines (with stray spaces), keeping line breaks inside one", () => {
    const doc = parseText(Buffer.from("Title line\r\n\r\nFirst  para\r\nstill first\n \t \nSecond\n\n\n\nThird\n"));
    assert.deepEqual(doc.blocks.map((b) => b.text), ["Title line", "First para\nstill first", "Second", "Third"]);
  });

  it("decodes UTF-16 with a byte-order mark and Windows-1252 without one", () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("Grüße aus Köln", "utf16le")]);
    assert.equal(parseText(utf16).blocks[0]?.text, "Grüße aus Köln");
    assert.equal(parseText(Buffer.from([0x93, 0x71, 0x94, 0x20, 0x80])).blocks[0]?.text, "\u201cq\u201d €");
  });

  it("refuses binary data named .txt", () => {
    assert.throws(() => parseText(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00])), (error) => {
      assert.ok(error instanceof DocumentParseError);
      assert.equal(error.message, "the text file could not be read: it holds binary data, not text");
      return true;
    });
  });
});

describe("format detection", () => {
  it("uses the extension, case-insensitively, from names, keys and paths", () => {
    assert.equal(detectFormat("Report.PDF"), "pdf");
    assert.equal(detectFormat("s3-prefix/dir.v2/notes.Md"), "md");
    assert.equal(detectFormat("C:\\docs\\scan.TIFF"), "tiff");
    assert.equal(extensionOf(".bashrc"), "");
    assert.equal(extensionOf("dir.d/file"), "");
  });

  it("falls back to the content type only when the extension is unknown", () => {
    assert.equal(detectFormat("export", "text/csv"), "csv");
    assert.equal(detectFormat("data.json", "text/plain"), "txt");
    assert.equal(detectFormat("page.html", "application/pdf"), "html");
    assert.throws(() => detectFormat("blob", "application/octet-stream"), /unsupported file type \(no extension\)/);
  });
});

describe("failure messages", () => {
  it("keep the first line of a library's message, without paths, lower-cased", () => {
    assert.equal(shortCause(new Error("Invalid PDF structure.\n    at foo (/work/x.js:1:2)")), "invalid PDF structure");
    assert.equal(shortCause(new Error("Cannot open /home/me/secret/file.docx: bad")), "cannot open <path>: bad");
    assert.equal(shortCause("x".repeat(300)).length, 160);
    assert.equal(shortCause(new TypeError("")), "TypeError");
  });
});
