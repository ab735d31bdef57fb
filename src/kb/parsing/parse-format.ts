// Runs the parser of one format on a document's bytes. This is what the parse worker executes;
// format modules are imported on first use so the worker starts without loading pdfjs, SheetJS
// and mammoth until a document needs them. Anything a library throws that is not already a
// DocumentParseError becomes one ("the PDF could not be read: <cause>").
import type { DocumentFormat, ParsedDocument } from "../document.ts";
import { describeFormat } from "./detect-format.ts";
import { DocumentParseError, shortCause } from "./document-parse-error.ts";

/** Options of {@link parseFormat}. */
export interface FormatOptions {
  /** List the PDF pages without a text layer instead of refusing a PDF that has none. */
  ocr: boolean;
}

/** What a format parser returns: the text it read, and the PDF pages only OCR can read. */
export interface FormatResult {
  document: ParsedDocument;
  /** 1-based numbers of PDF pages to render and OCR (only when OCR was asked for). */
  ocrPages: number[];
}

/** Parses bytes already known to be of `format` (images are not handled here: they go to OCR whole). */
export async function parseFormat(format: DocumentFormat, bytes: Uint8Array, options: FormatOptions): Promise<FormatResult> {
  try {
    switch (format) {
      case "pdf":
        return await (await import("./pdf.ts")).parsePdf(bytes, options);
      case "txt":
        return done((await import("./text.ts")).parseText(bytes));
      case "md":
        return done((await import("./markdown.ts")).parseMarkdown(bytes));
      case "html":
        return done((await import("./html.ts")).parseHtml(bytes));
      case "csv":
        return done((await import("./csv.ts")).parseCsv(bytes));
      case "docx":
        return done(await (await import("./docx.ts")).parseDocx(bytes));
      case "doc":
        return done(await (await import("./doc.ts")).parseDoc(bytes));
      case "xls":
      case "xlsx":
        return done((await import("./spreadsheet.ts")).parseSpreadsheet(bytes, format));
      default:
        throw new DocumentParseError("NEEDS_OCR", "the image has no text layer; enable OCR in the data source's parsing configuration");
    }
  } catch (error) {
    if (error instanceof DocumentParseError) throw error;
    throw new DocumentParseError("MALFORMED", `${describeFormat(format)} could not be read: ${shortCause(error)}`, { cause: error });
  }
}

function done(document: ParsedDocument): FormatResult {
  return { document, ocrPages: [] };
}
