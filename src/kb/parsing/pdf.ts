// PDF through pdfjs-dist (legacy build, in-thread "fake worker": the whole parser already runs in
// its own worker thread, see parse-sandbox.ts). Text items are rebuilt into lines (by `hasEOL`
// and baseline changes) and lines into paragraphs (by vertical gaps, font-size changes,
// indentation and bullets); paragraphs set clearly larger than the body text become headings.
// Every block carries its 1-based page. Pages without a text layer are listed for OCR, and
// rendered one at a time on request; a PDF with no text layer at all and OCR off is refused.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { getDocument, VerbosityLevel, type PDFDocumentProxy, type PDFPageProxy } from "pdfjs-dist/legacy/build/pdf.mjs";
import type { ParsedDocument } from "../document.ts";
import { BlockBuilder, withTitle } from "./block-builder.ts";
import { DocumentParseError, shortCause } from "./document-parse-error.ts";

/** Text of a PDF, plus the pages without a text layer (listed only when OCR was asked for). */
export interface PdfResult {
  document: ParsedDocument;
  ocrPages: number[];
}

// A page with fewer visible characters than this has no real text layer (a scan may carry a
// stray page number or a Bates stamp).
const MIN_PAGE_CHARS = 16;
// The longest side of a page rendered for OCR, in pixels (about A3 at 250 dpi).
const MAX_RENDER_SIDE = 4200;

const pdfjsRoot = dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"));
// pdfjs wants folder URLs ending in "/"; in Node it reads them with fs.
const ASSETS = {
  standardFontDataUrl: join(pdfjsRoot, "standard_fonts") + "/",
  cMapUrl: join(pdfjsRoot, "cmaps") + "/",
  wasmUrl: join(pdfjsRoot, "wasm") + "/",
  iccUrl: join(pdfjsRoot, "iccs") + "/",
};

/** Parses a PDF. */
export async function parsePdf(bytes: Uint8Array, options: { ocr: boolean }): Promise<PdfResult> {
  const pdf = await open(bytes);
  try {
    const pages: PageLines[] = [];
    for (let number = 1; number <= pdf.numPages; number++) {
      const page = await pdf.getPage(number);
      pages.push({ number, lines: await pageLines(page) });
      page.cleanup();
    }
    const textless = pages.filter((p) => visibleChars(p.lines) < MIN_PAGE_CHARS).map((p) => p.number);
    if (textless.length === pages.length && pages.length > 0 && !options.ocr) {
      throw new DocumentParseError("NEEDS_OCR", "the PDF has no text layer; enable OCR in the data source's parsing configuration");
    }
    const builder = new BlockBuilder();
    writeBlocks(pages.filter((p) => !textless.includes(p.number)), builder);
    const ocrPages = options.ocr ? textless : [];
    const info = (await pdf.getMetadata().catch(() => undefined))?.info as { Title?: unknown } | undefined;
    const title = typeof info?.Title === "string" ? info.Title.replace(/\s+/g, " ").trim() : undefined;
    return { document: withTitle({ format: "pdf", blocks: builder.blocks, pageCount: pdf.numPages }, title), ocrPages };
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

async function open(bytes: Uint8Array): Promise<PDFDocumentProxy> {
  // pdfjs takes ownership of (and may detach) the array it is given.
  const task = getDocument({
    data: new Uint8Array(bytes), // a copy: Buffer#slice would be a view of the caller's memory
    ...ASSETS,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: VerbosityLevel.ERRORS,
  });
  try {
    return await task.promise;
  } catch (error) {
    await task.destroy().catch(() => undefined);
    const name = (error as { name?: string } | null)?.name;
    if (name === "PasswordException") {
      throw new DocumentParseError("ENCRYPTED", "the PDF is password-protected", { cause: error });
    }
    throw new DocumentParseError("MALFORMED", `the PDF could not be read: ${shortCause(error)}`, { cause: error });
  }
}

interface Line {
  text: string;
  /** Baseline and left edge, in PDF user space (y grows upwards). */
  x: number;
  y: number;
  endX: number;
  size: number;
}

interface PageLines {
  number: number;
  lines: Line[];
}

interface TextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
  hasEOL: boolean;
}

async function pageLines(page: PDFPageProxy): Promise<Line[]> {
  const content = await page.getTextContent();
  const lines: Line[] = [];
  let current: Line | undefined;
  const end = () => {
    if (current && current.text.trim() !== "") lines.push({ ...current, text: current.text.replace(/\s+/g, " ").trim() });
    current = undefined;
  };
  for (const raw of content.items) {
    if (!("str" in raw)) continue; // marked-content delimiters
    const item = raw as TextItem;
    const [, , c = 0, d = 0, x = 0, y = 0] = item.transform;
    const size = Math.hypot(c, d) || item.height || 1;
    if (item.str !== "") {
      if (current && Math.abs(y - current.y) > Math.max(size, current.size) * 0.5) end();
      if (!current) {
        current = { text: item.str, x, y, endX: x + item.width, size };
      } else {
        const gap = x - current.endX;
        if (gap > size * 0.15 && !/\s$/.test(current.text) && !/^\s/.test(item.str)) current.text += " ";
        current.text += item.str;
        current.endX = Math.max(current.endX, x + item.width);
        current.size = Math.max(current.size, size);
      }
    }
    if (item.hasEOL) end();
  }
  end();
  return lines;
}

function visibleChars(lines: Line[]): number {
  return lines.reduce((sum, line) => sum + line.text.replace(/\s/g, "").length, 0);
}

const BULLET = /^[•◦▪‣●○■□·]\s*/;

interface Paragraph {
  lines: Line[];
  size: number;
  bullet: boolean;
  page: number;
}

/** Groups lines into paragraphs, classifies headings by font size, writes blocks. */
function writeBlocks(pages: PageLines[], builder: BlockBuilder): void {
  const paragraphs: Paragraph[] = [];
  for (const { number, lines } of pages) {
    let current: Paragraph | undefined;
    let previous: Line | undefined;
    for (const line of lines) {
      const bullet = BULLET.test(line.text);
      if (!current || !previous || startsParagraph(previous, line, current, bullet)) {
        current = { lines: [], size: line.size, bullet, page: number };
        paragraphs.push(current);
      }
      current.lines.push(line);
      previous = line;
    }
  }
  const body = bodySize(paragraphs);
  const headingSizes = [...new Set(paragraphs.filter((p) => isHeading(p, body)).map((p) => round(p.size)))].sort((a, b) => b - a);
  for (const paragraph of paragraphs) {
    const text = joinLines(paragraph.lines);
    if (isHeading(paragraph, body)) {
      builder.heading(text, Math.min(6, headingSizes.indexOf(round(paragraph.size)) + 1), { page: paragraph.page });
    } else if (paragraph.bullet) {
      builder.add("list-item", text.replace(BULLET, ""), { page: paragraph.page });
    } else {
      builder.add("paragraph", text, { page: paragraph.page });
    }
  }
}

function startsParagraph(previous: Line, line: Line, paragraph: Paragraph, bullet: boolean): boolean {
  if (bullet) return true;
  const size = Math.max(previous.size, line.size);
  const drop = previous.y - line.y;
  if (drop <= 0 || drop > size * 1.5) return true; // a gap, or a jump up (next column, out-of-order text)
  if (Math.abs(line.size - paragraph.size) > paragraph.size * 0.15) return true;
  // A first-line indent opens a paragraph; a hanging bullet's continuation lines do not.
  const left = paragraph.lines[0]!.x;
  return !paragraph.bullet && line.x > left + size * 1.5 && line.x > previous.x + size * 1.5;
}

/** The body text size: the size carrying the most characters. */
function bodySize(paragraphs: Paragraph[]): number {
  const weight = new Map<number, number>();
  for (const p of paragraphs) for (const line of p.lines) weight.set(round(line.size), (weight.get(round(line.size)) ?? 0) + line.text.length);
  let best = 0;
  let bestWeight = -1;
  for (const [size, w] of weight) if (w > bestWeight) [best, bestWeight] = [size, w];
  return best;
}

function isHeading(paragraph: Paragraph, body: number): boolean {
  if (body === 0 || paragraph.size < body * 1.2 || paragraph.lines.length > 3) return false;
  const text = joinLines(paragraph.lines);
  return text.length <= 200 && /\p{L}/u.test(text);
}

function round(size: number): number {
  return Math.round(size * 2) / 2;
}

/** Joins a paragraph's lines; a line ending in a hyphen before a lower-case word is joined without a space. */
function joinLines(lines: Line[]): string {
  let text = "";
  for (const line of lines) {
    if (text === "") text = line.text;
    else if (/\p{L}-$/u.test(text) && /^\p{Ll}/u.test(line.text)) text += line.text;
    else text += ` ${line.text}`;
  }
  return text;
}

/** Renders one page as a PNG for OCR, at `dpi` (capped so the longer side stays within 4200 px). */
export async function renderPdfPage(bytes: Uint8Array, number: number, dpi: number): Promise<Uint8Array> {
  const pdf = await open(bytes);
  try {
    return await renderPage(pdf, number, dpi);
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

async function renderPage(pdf: PDFDocumentProxy, number: number, dpi: number): Promise<Uint8Array> {
  if (!Number.isInteger(number) || number < 1 || number > pdf.numPages) {
    throw new DocumentParseError("OCR_FAILED", `the PDF has no page ${number}`);
  }
  const page = await pdf.getPage(number);
  try {
    const base = page.getViewport({ scale: 1 });
    const scale = Math.min(dpi / 72, MAX_RENDER_SIDE / Math.max(base.width, base.height));
    const viewport = page.getViewport({ scale });
    const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
    const context = canvas.getContext("2d");
    // pdfjs's types name DOM canvases; @napi-rs/canvas is the Node canvas pdfjs itself uses.
    const params = { canvas, canvasContext: context, viewport, background: "#ffffff" };
    await page.render(params as unknown as Parameters<PDFPageProxy["render"]>[0]).promise;
    return new Uint8Array(await canvas.encode("png"));
  } catch (error) {
    throw new DocumentParseError("OCR_FAILED", `page ${number} of the PDF could not be rendered for OCR: ${shortCause(error)}`, { cause: error });
  } finally {
    page.cleanup();
  }
}
