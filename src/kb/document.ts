// The shape every parser produces and every chunker consumes: a document as structural blocks
// in reading order, each knowing its page (where the format has pages) and the headings above it.

/**
 * Formats a knowledge base ingests, by file extension: the ones Bedrock accepts, then images,
 * which are read only through OCR (when the data source's parsing configuration asks for it).
 */
export const DOCUMENT_FORMATS = ["txt", "md", "html", "pdf", "doc", "docx", "csv", "xls", "xlsx", "png", "jpg", "jpeg", "tif", "tiff"] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

/** One structural piece of a parsed document. */
export interface DocumentBlock {
  kind: "heading" | "paragraph" | "list-item" | "table-row" | "code";
  /**
   * The text. A table row is written with its headers, e.g. `Region: EU; Revenue: 12`, so it
   * stays meaningful wherever a chunk boundary falls.
   */
  text: string;
  /** 1-based page (PDF) or sheet position (spreadsheets); absent where a format has neither. */
  page?: number;
  /** Heading level 1–6, for `heading` blocks. */
  level?: number;
  /** The headings this block sits under, outermost first (for a table row: the sheet or table caption too). */
  headings: string[];
}

/** A parsed document. */
export interface ParsedDocument {
  format: DocumentFormat;
  blocks: DocumentBlock[];
  /** Pages (PDF) or sheets (spreadsheets), where the format has them. */
  pageCount?: number;
  /** Document title where the format carries one (HTML <title>, PDF info, first H1 otherwise). */
  title?: string;
  /** True when some of the text came from OCR. */
  ocr?: boolean;
}
