// The document parser a knowledge base's ingestion uses: picks the format from the file name
// (content type as a fallback), enforces the size limit, runs the format's parser in a worker
// thread with a time and memory limit, sends images and text-less PDF pages to offline OCR when
// the data source asks for it, and turns every failure into a DocumentParseError whose message
// is the reason recorded for that document in the ingestion job.
import type { DocumentBlock, DocumentFormat, ParsedDocument } from "../document.ts";
import { detectFormat, describeFormat, IMAGE_FORMATS } from "./detect-format.ts";
import { DocumentParseError, shortCause } from "./document-parse-error.ts";
import { checkImage } from "./image.ts";
import { createOcrEngine, type OcrEngine } from "./ocr-engine.ts";
import { ParseSandbox } from "./parse-sandbox.ts";

/** Bedrock's limit on one knowledge-base source document: 50 MiB. */
export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

/** Options of {@link createDocumentParser}. */
export interface DocumentParserOptions {
  /** Largest document accepted, in bytes (default 50 MiB, Bedrock's limit). */
  maxBytes?: number;
  /** Time one document's parse may take, OCR excluded, in milliseconds (default 120 000). */
  timeoutMs?: number;
  /** Time OCR of one image or page may take, in milliseconds (default 60 000). */
  ocrPageTimeoutMs?: number;
  /** Resolution PDF pages are rendered at for OCR (default 250 dpi). */
  ocrDpi?: number;
  /** Heap limit of a parse worker, in MiB (default 2048). */
  maxMemoryMb?: number;
  /** Documents parsed at the same time, one worker thread each (default 1). */
  concurrency?: number;
  /** Idle parse and OCR workers are stopped after this long, in milliseconds (default 60 000). */
  idleMs?: number;
}

/** One document to parse. */
export interface ParseInput {
  bytes: Uint8Array;
  /** The file name or object key; its extension picks the format. */
  fileName: string;
  /** Used when the name has no known extension. */
  contentType?: string;
}

/** Per-document options. */
export interface ParseOptions {
  /** Read images, and PDF pages without a text layer, with OCR (the data source's parsing configuration). */
  ocr?: boolean;
  /** Cancels the parse; it then fails with reason ABORTED. */
  signal?: AbortSignal;
}

/** Parses documents of every format a knowledge base ingests. */
export interface DocumentParser {
  /**
   * Parses one document.
   * @throws DocumentParseError, with a message fit for the ingestion job's failure reasons;
   *   nothing else.
   */
  parse(input: ParseInput, options?: ParseOptions): Promise<ParsedDocument>;
  /** Stops the parse and OCR workers; parses in progress fail as ABORTED. */
  close(): Promise<void>;
}

const TEXT_FORMATS = new Set<DocumentFormat>(["txt", "md", "html", "csv"]);

/** Creates a parser. Worker threads start on first use. */
export function createDocumentParser(options: DocumentParserOptions = {}): DocumentParser {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const ocrDpi = options.ocrDpi ?? 250;
  const idleMs = options.idleMs ?? 60_000;
  const sandbox = new ParseSandbox({
    timeoutMs: options.timeoutMs ?? 120_000,
    maxMemoryMb: options.maxMemoryMb ?? 2048,
    concurrency: options.concurrency ?? 1,
    idleMs,
  });
  let ocrEngine: OcrEngine | undefined;
  let closed = false;
  const ocr = () => (ocrEngine ??= createOcrEngine({ timeoutMs: options.ocrPageTimeoutMs ?? 60_000, idleMs }));

  const parseKnown = async (format: DocumentFormat, input: ParseInput, parseOptions: ParseOptions): Promise<ParsedDocument> => {
    const { signal } = parseOptions;
    const useOcr = parseOptions.ocr === true;
    if (IMAGE_FORMATS.has(format)) {
      if (!useOcr) {
        throw new DocumentParseError("NEEDS_OCR", "the image has no text layer; enable OCR in the data source's parsing configuration");
      }
      checkImage(input.bytes, format);
      const paragraphs = await ocr().recognize(input.bytes, { signal });
      const blocks = paragraphs.map((text): DocumentBlock => ({ kind: "paragraph", text, headings: [] }));
      return { format, blocks, ocr: true };
    }
    const { document, ocrPages } = await sandbox.parse(format, input.bytes, { ocr: useOcr }, signal);
    for (const page of ocrPages) {
      const image = await sandbox.renderPdfPage(input.bytes, page, ocrDpi, signal);
      const paragraphs = await ocr().recognize(image, { signal });
      if (paragraphs.length > 0) {
        insertPage(document.blocks, page, paragraphs);
        document.ocr = true;
      }
    }
    return document;
  };

  return {
    async parse(input, parseOptions = {}) {
      try {
        if (closed) throw new DocumentParseError("ABORTED", "the parser is closed");
        if (parseOptions.signal?.aborted) throw new DocumentParseError("ABORTED", "parsing was cancelled");
        const format = detectFormat(input.fileName, input.contentType);
        if (input.bytes.byteLength === 0) throw new DocumentParseError("EMPTY", "the document is empty");
        if (input.bytes.byteLength > maxBytes) {
          throw new DocumentParseError("TOO_LARGE", `the document is ${sizeText(input.bytes.byteLength)}, over the ${sizeText(maxBytes)} limit`);
        }
        const document = await parseKnown(format, input, parseOptions);
        if (document.blocks.length === 0) throw emptyResult(format, parseOptions.ocr === true);
        return document;
      } catch (error) {
        if (error instanceof DocumentParseError) throw error;
        // A bug here or an unexpected library error: still one document's failure, never a crash.
        throw new DocumentParseError("MALFORMED", `the document could not be read: ${shortCause(error)}`, { cause: error });
      }
    },
    async close() {
      closed = true;
      await Promise.all([sandbox.close(), ocrEngine?.close()]);
    },
  };
}

function emptyResult(format: DocumentFormat, ocr: boolean): DocumentParseError {
  if (TEXT_FORMATS.has(format)) return new DocumentParseError("EMPTY", "the document is empty");
  if (ocr && (format === "pdf" || IMAGE_FORMATS.has(format))) {
    return new DocumentParseError("EMPTY", `no text was found in ${describeFormat(format)}, even with OCR`);
  }
  return new DocumentParseError("EMPTY", `${describeFormat(format)} contains no text`);
}

/**
 * Puts a page's OCR paragraphs where the page belongs: after the blocks of earlier pages, under
 * the headings in force at that point.
 */
function insertPage(blocks: DocumentBlock[], page: number, paragraphs: string[]): void {
  let at = blocks.findIndex((b) => (b.page ?? 0) > page);
  if (at < 0) at = blocks.length;
  const before = blocks[at - 1];
  const headings = before ? (before.kind === "heading" ? [...before.headings, before.text] : [...before.headings]) : [];
  blocks.splice(at, 0, ...paragraphs.map((text): DocumentBlock => ({ kind: "paragraph", text, page, headings })));
}

/** A size in bytes, KiB or MiB, rounded up to a tenth so a file just over the limit never reads as equal to it. */
function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, "KiB"] : [bytes / (1024 * 1024), "MiB"];
  const tenths = Math.ceil(value * 10) / 10;
  return `${Number.isInteger(tenths) ? tenths : tenths.toFixed(1)} ${unit}`;
}
