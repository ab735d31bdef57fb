// Spreadsheets through SheetJS: sheets as pages, header rows, cell text as displayed, and the
// checks that stop SheetJS from reading arbitrary bytes as a text table or walking a forged range.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as XLSX from "@e965/xlsx";
import { DocumentParseError } from "./document-parse-error.ts";
import { parseSpreadsheet } from "./spreadsheet.ts";

function workbook(sheets: Record<string, XLSX.WorkSheet>, bookType: "xlsx" | "biff8" = "xlsx"): Buffer {
  const book = XLSX.utils.book_new();
  for (const [name, sheet] of Object.entries(sheets)) XLSX.utils.book_append_sheet(book, sheet, name);
  return XLSX.write(book, { type: "buffer", bookType }) as Buffer;
}

function failure(fn: () => unknown): DocumentParseError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DocumentParseError);
    return error;
  }
  assert.fail("expected a failure");
}

describe("spreadsheet parsing", () => {
  it("finds the header in the first non-empty row and skips empty sheets, keeping sheet numbers", () => {
    const data = XLSX.utils.aoa_to_sheet([[], [null, "Item", "Qty"], [null, "Bolts", 40], [], [null, null, 7]]);
    const doc = parseSpreadsheet(workbook({ Empty: XLSX.utils.aoa_to_sheet([]), Stock: data }), "xlsx");
    assert.equal(doc.pageCount, 2);
    assert.deepEqual(
      doc.blocks.map((b) => [b.page, b.kind, b.text]),
      [
        [2, "heading", "Stock"],
        [2, "table-row", "Item: Bolts; Qty: 40"],
        [2, "table-row", "Qty: 7"],
      ],
    );
  });

  it("writes cells as displayed: formatted numbers and dates, booleans, cached formula values", () => {
    const sheet = XLSX.utils.aoa_to_sheet([
      ["When", "Price", "Paid", "Total"],
      [new Date(Date.UTC(2024, 2, 5)), 12.5, true, null],
    ]);
    sheet["B2"]!.z = "$#,##0.00";
    sheet["D2"] = { t: "n", f: "B2*2", v: 25 };
    const doc = parseSpreadsheet(workbook({ Orders: sheet }), "xlsx");
    assert.equal(doc.blocks[1]?.text, "When: 3/5/24; Price: $12.50; Paid: TRUE; Total: 25");
  });

  it("reads only the cells present, whatever range the file declares", () => {
    // The sheet's <dimension> rewritten to the largest range Excel allows: 17 billion cells.
    const zip = XLSX.CFB.read(workbook({ Forged: XLSX.utils.aoa_to_sheet([["a"], ["b"]]) }), { type: "buffer" });
    const entry = XLSX.CFB.find(zip, "/xl/worksheets/sheet1.xml") as { content: Uint8Array };
    const xml = Buffer.from(entry.content).toString("utf8");
    assert.match(xml, /<dimension ref="A1:A2"\/>/);
    entry.content = Buffer.from(xml.replace('<dimension ref="A1:A2"/>', '<dimension ref="A1:XFD1048576"/>'));
    const forged = Buffer.from(XLSX.CFB.write(zip, { type: "buffer", fileType: "zip", compression: true }) as Uint8Array);
    const doc = parseSpreadsheet(forged, "xlsx");
    assert.deepEqual(doc.blocks.map((b) => b.text), ["Forged", "a: b"]);
  });

  it("refuses bytes that are not an Excel container instead of reading them as text", () => {
    const xlsx = failure(() => parseSpreadsheet(Buffer.from("name,value\nnot,excel\n"), "xlsx"));
    assert.equal(xlsx.reason, "MALFORMED");
    assert.equal(xlsx.message, "the spreadsheet could not be read: the file is not a ZIP container (Office Open XML)");
    const xls = failure(() => parseSpreadsheet(Buffer.from("just some words"), "xls"));
    assert.equal(xls.message, "the spreadsheet could not be read: the file is not an Excel 97–2003 file");
    const broken = failure(() => parseSpreadsheet(Buffer.from("PK\x03\x04 truncated zip", "latin1"), "xlsx"));
    assert.equal(broken.reason, "MALFORMED");
    assert.match(broken.message, /^the spreadsheet could not be read: /);
  });

  it("accepts an .xls that is really SpreadsheetML or HTML, as many exports are", () => {
    const html = Buffer.from("<table><tr><th>City</th></tr><tr><td>Lima</td></tr></table>");
    assert.deepEqual(parseSpreadsheet(html, "xls").blocks.map((b) => b.text), ["Sheet1", "City: Lima"]);
  });

  it("reads a BIFF8 workbook saved under an .xlsx name", () => {
    const doc = parseSpreadsheet(workbook({ Old: XLSX.utils.aoa_to_sheet([["k"], ["v"]]) }, "biff8"), "xlsx");
    assert.deepEqual(doc.blocks.map((b) => b.text), ["Old", "k: v"]);
  });
});
