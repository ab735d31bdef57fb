// Picks a document's format: by file extension first (case-insensitive), as Bedrock does, then
// by content type for objects whose name carries no known extension. Also names each format
// the way a failure reason speaks of it ("the PDF", "the spreadsheet").
import { DOCUMENT_FORMATS, type DocumentFormat } from "../document.ts";
import { DocumentParseError } from "./document-parse-error.ts";

/** Formats that hold only pixels and are read through OCR. */
export const IMAGE_FORMATS: ReadonlySet<DocumentFormat> = new Set<DocumentFormat>(["png", "jpg", "jpeg", "tif", "tiff"]);

// Content types (without parameters) that name a format unambiguously. Generic ones such as
// application/octet-stream are deliberately absent: they say nothing about the bytes.
const CONTENT_TYPES: Record<string, DocumentFormat> = {
  "text/plain": "txt",
  "text/markdown": "md",
  "text/x-markdown": "md",
  "text/html": "html",
  "application/xhtml+xml": "html",
  "application/pdf": "pdf",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "text/csv": "csv",
  "application/csv": "csv",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/tiff": "tiff",
};

const KNOWN = new Set<string>(DOCUMENT_FORMATS);

/** The extension of a file name or object key, lower-cased, without the dot ("" when none). */
export function extensionOf(fileName: string): string {
  const base = fileName.slice(Math.max(fileName.lastIndexOf("/"), fileName.lastIndexOf("\\")) + 1);
  const dot = base.lastIndexOf(".");
  return dot <= 0 ? "" : base.slice(dot + 1).toLowerCase();
}

/**
 * The format of a document, from its file name's extension or else its content type.
 * @throws DocumentParseError (UNSUPPORTED_TYPE) naming the extension and the supported ones.
 */
export function detectFormat(fileName: string, contentType?: string): DocumentFormat {
  const extension = extensionOf(fileName);
  if (KNOWN.has(extension)) return extension as DocumentFormat;
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  const byType = mediaType ? CONTENT_TYPES[mediaType] : undefined;
  if (byType) return byType;
  const named = extension === "" ? "(no extension)" : `'.${extension}'`;
  const supported = DOCUMENT_FORMATS.map((f) => `.${f}`).join(", ");
  throw new DocumentParseError("UNSUPPORTED_TYPE", `unsupported file type ${named}; supported: ${supported}`);
}

/** How a failure reason names a document of this format. */
export function describeFormat(format: DocumentFormat): string {
  switch (format) {
    case "pdf":
      return "the PDF";
    case "doc":
    case "docx":
      return "the Word document";
    case "xls":
    case "xlsx":
      return "the spreadsheet";
    case "csv":
      return "the CSV file";
    case "html":
      return "the HTML page";
    case "md":
      return "the Markdown file";
    case "txt":
      return "the text file";
    default:
      return "the image";
  }
}
