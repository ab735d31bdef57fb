// Word documents: .docx through mammoth and the HTML walker, .doc through word-extractor, files
// saved under the other extension, and the encrypted and broken cases.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Document, Packer, Paragraph } from "docx";
import { makeWordDoc } from "../../../test/helpers/documents.ts";
import { parseDoc } from "./doc.ts";
import { DocumentParseError } from "./document-parse-error.ts";
import { parseDocx } from "./docx.ts";

async function failure(promise: Promise<unknown>): Promise<DocumentParseError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DocumentParseError);
    return error;
  }
  assert.fail("expected a failure");
}

async function docx(children: Paragraph[]): Promise<Buffer> {
  return Packer.toBuffer(new Document({ sections: [{ children }] }));
}

describe("Word parsing", () => {
  it("docx: Title style as the top heading, bullets as list items", async () => {
    const bytes = await docx([
      new Paragraph({ text: "Field manual", style: "Title" }),
      new Paragraph({ text: "Check the tyres.", bullet: { level: 0 } }),
      new Paragraph({ text: "Check the lights.", bullet: { level: 0 } }),
      new Paragraph("Then drive."),
    ]);
    const doc = await parseDocx(bytes);
    assert.equal(doc.title, "Field manual");
    assert.deepEqual(
      doc.blocks.map((b) => [b.kind, b.text, b.headings]),
      [
        ["heading", "Field manual", []],
        ["list-item", "Check the tyres.", ["Field manual"]],
        ["list-item", "Check the lights.", ["Field manual"]],
        ["paragraph", "Then drive.", ["Field manual"]],
      ],
    );
  });

  it("doc: paragraphs of a Word 97 binary, non-ASCII text included", async () => {
    const doc = await parseDoc(makeWordDoc(["Café crème — 20 €", "Zweite Zeile"]));
    assert.deepEqual(doc.blocks.map((b) => [b.kind, b.text]), [["paragraph", "Café crème — 20 €"], ["paragraph", "Zweite Zeile"]]);
  });

  it("reads a .docx saved as .doc and a .doc saved as .docx, under the name's format", async () => {
    const fromDocx = await parseDoc(await docx([new Paragraph("Modern inside.")]));
    assert.equal(fromDocx.format, "doc");
    assert.equal(fromDocx.blocks[0]?.text, "Modern inside.");
    const fromDoc = await parseDocx(makeWordDoc(["Old inside."]));
    assert.equal(fromDoc.format, "docx");
    assert.equal(fromDoc.blocks[0]?.text, "Old inside.");
  });

  it("refuses a Word 97 file whose header says it is encrypted", async () => {
    const error = await failure(parseDoc(makeWordDoc(["scrambled"], { encrypted: true })));
    assert.equal(error.reason, "ENCRYPTED");
    assert.equal(error.message, "the Word document is password-protected");
  });

  it("reports files that are not Word documents", async () => {
    const notDoc = await failure(parseDoc(Buffer.from("{\\rtf1 rich text}")));
    assert.equal(notDoc.message, "the Word document could not be read: the file is not a Word 97–2003 document");
    const badZip = await failure(parseDocx(Buffer.from("PK\x03\x04 not really a zip", "latin1")));
    assert.equal(badZip.reason, "MALFORMED");
    assert.match(badZip.message, /^the Word document could not be read: \S/);
  });
});
