// Spreadsheets (.xlsx, and .xls through SheetJS's BIFF reader) with @e965/xlsx, the maintained
// SheetJS CE build. Each sheet becomes a heading (its name), then one `table-row` block per row
// written with the names from the sheet's first non-empty row; `page` is the sheet's position.
// SheetJS reads anything as text when it recognises nothing, so the container is checked
// first, and cells are walked from the dense row arrays rather than the declared range, which
// a hostile file can set to a million rows by sixteen thousand columns.
import * as XLSX from "@e965/xlsx";
import type { ParsedDocument } from "../document.ts";
import { BlockBuilder, tableRowText } from "./block-builder.ts";
import { compoundFileKind } from "./compound-file.ts";
import { DocumentParseError, shortCause } from "./document-parse-error.ts";

// Everything that is not cell text is off: no formula strings, styles, number formats, HTML
// renderings, VBA or stubs for empty cells. Formulas are never evaluated by SheetJS anyway;
// their cached values are what is read.
const READ_OPTIONS: XLSX.ParsingOptions = {
  type: "buffer",
  dense: true,
  cellText: true,
  cellFormula: false,
  cellHTML: false,
  cellNF: false,
  cellStyles: false,
  cellDates: false,
  sheetStubs: false,
  bookVBA: false,
  bookDeps: false,
  bookFiles: false,
  WTF: false,
};

interface DenseSheet {
  "!data"?: Array<Array<XLSX.CellObject | null | undefined> | null | undefined>;
}

/** Parses an .xls or .xlsx workbook. */
export function parseSpreadsheet(bytes: Uint8Array, format: "xls" | "xlsx"): ParsedDocument {
  checkContainer(bytes, format);
  let workbook: XLSX.WorkBook;
  try {
    workbook = XLSX.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), READ_OPTIONS);
  } catch (error) {
    // SheetJS's own words for an Excel password (BIFF FILEPASS, or an encrypted package).
    // "Unsupported ZIP encryption" is not one: it is a ZIP flag, usually garbage bits.
    if (/password|encryption scheme/i.test(shortCause(error))) {
      throw new DocumentParseError("ENCRYPTED", "the spreadsheet is password-protected", { cause: error });
    }
    throw new DocumentParseError("MALFORMED", `the spreadsheet could not be read: ${shortCause(error)}`, { cause: error });
  }
  const builder = new BlockBuilder();
  workbook.SheetNames.forEach((name, index) => {
    const sheet = workbook.Sheets[name] as DenseSheet | undefined;
    const rows = (sheet?.["!data"] ?? []).map((row) => (row ?? []).map(cellText));
    const filled = rows.filter((row) => row.some((cell) => cell !== ""));
    if (filled.length === 0) return;
    const page = index + 1;
    builder.heading(name, 1, { page });
    const [headers, ...data] = filled;
    if (data.length === 0) {
      builder.add("paragraph", headers!.filter((cell) => cell !== "").join("; "), { page });
      return;
    }
    for (const row of data) builder.add("table-row", tableRowText(headers!, row), { page });
  });
  const document: ParsedDocument = { format, blocks: builder.blocks, pageCount: workbook.SheetNames.length };
  const title = workbook.Props?.Title?.trim();
  if (title) document.title = title;
  return document;
}

function cellText(cell: XLSX.CellObject | null | undefined): string {
  if (!cell || cell.v === undefined || cell.v === null) return "";
  if (cell.w !== undefined) return cell.w;
  return cell.t === "b" ? (cell.v ? "TRUE" : "FALSE") : String(cell.v);
}

const ZIP = [0x50, 0x4b, 0x03, 0x04];

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((byte, i) => bytes[i] === byte);
}

/**
 * Accepts the containers Excel writes (ZIP for .xlsx; OLE compound file, bare BIFF or
 * SpreadsheetML/HTML for .xls, and either mislabelled as the other). An OLE file holding an
 * `EncryptionInfo` stream is an encrypted .xlsx.
 */
function checkContainer(bytes: Uint8Array, format: "xls" | "xlsx"): void {
  if (startsWith(bytes, ZIP)) return;
  const compound = compoundFileKind(bytes);
  if (compound === "encrypted") throw new DocumentParseError("ENCRYPTED", "the spreadsheet is password-protected");
  if (compound === "other") return;
  const biff = bytes[0] === 0x09 && [0x00, 0x02, 0x04, 0x08].includes(bytes[1] ?? -1);
  const markup = Buffer.from(bytes.subarray(0, 256)).toString("latin1").replace(/^\xef\xbb\xbf/, "").trimStart().startsWith("<");
  if (format === "xls" && (biff || markup)) return;
  const expected = format === "xlsx" ? "a ZIP container (Office Open XML)" : "an Excel 97–2003 file";
  throw new DocumentParseError("MALFORMED", `the spreadsheet could not be read: the file is not ${expected}`);
}
