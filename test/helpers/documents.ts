// Test documents made in memory with real authoring libraries: one of every format a knowledge
// base ingests, each holding one distinctive fact a question can find (pdfkit, docx, SheetJS,
// @napi-rs/canvas for images only OCR can read, and a Word 97 binary written here with SheetJS's
// compound-file writer), plus broken ones for the per-document failure paths.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { GlobalFonts, createCanvas } from "@napi-rs/canvas";
import * as XLSX from "@e965/xlsx";
import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun } from "docx";
import PDFDocument from "pdfkit";
import type { DocumentFormat } from "../../src/kb/document.ts";
import type { DocumentParseReason } from "../../src/kb/parsing/document-parse-error.ts";

/** A generated document with the question it answers. */
export interface TestDocument {
  fileName: string;
  bytes: Buffer;
  format: DocumentFormat;
  /** A question whose answer only this document holds. */
  question: string;
  /** A phrase the answering passage contains, verbatim. */
  answer: string;
  /** True when the fact is only in pixels: it can be found only with OCR on. */
  needsOcr: boolean;
}

/** A broken document and how parsing must report it. */
export interface BadDocument {
  fileName: string;
  bytes: Buffer;
  reason: DocumentParseReason;
  /** A phrase the failure message contains. */
  message: string;
}

// Dates fixed so the same call makes the same bytes (PDF IDs derive from the creation date).
const FIXED_DATE = new Date("2024-01-02T03:04:05Z");

const require = createRequire(import.meta.url);
// A TrueType font that ships inside pdfjs-dist, so rendered images look the same everywhere.
const FONT_FILE = join(dirname(require.resolve("pdfjs-dist/package.json")), "standard_fonts", "LiberationSans-Regular.ttf");
let fontRegistered = false;

/** One document of every supported format (images and a scanned PDF included). */
export async function makeTestDocuments(): Promise<TestDocument[]> {
  const scanSentence = "The Nimbus glacier retreats eleven meters every year.";
  const pngSentence = "The Falcon squad meets every Thursday at noon.";
  return [
    {
      fileName: "ferry-notes.txt",
      format: "txt",
      bytes: Buffer.from(
        [
          "Harbour operations notes",
          "The harbour office opens at six. Visitors sign in at the gate house and collect a badge.",
          "The Orion ferry departs from Pier 9 at 7:45 every morning.\nIt returns at 18:10 on weekdays.",
          "Cargo deliveries use the east quay; the west quay is reserved for fishing boats.",
        ].join("\n\n"),
      ),
      question: "When does the Orion ferry depart from Pier 9?",
      answer: "departs from Pier 9 at 7:45 every morning",
      needsOcr: false,
    },
    {
      fileName: "lighthouses.md",
      format: "md",
      bytes: Buffer.from(
        [
          "# Coastal lighthouses",
          "",
          "A survey of the lighthouses along the northern coast, with their tower heights.",
          "",
          "## Tower heights",
          "",
          "| Lighthouse | Height | Built |",
          "|---|---|---|",
          "| Gannet Rock | 24 meters | 1872 |",
          "| Kestrel Point | 38 meters | 1904 |",
          "| Cormorant Head | 17 meters | 1899 |",
          "",
          "## Visiting",
          "",
          "- Gannet Rock is open on Sundays.",
          "- Kestrel Point can be visited by appointment.",
          "",
        ].join("\n"),
      ),
      question: "How tall is the Kestrel Point lighthouse?",
      answer: "Lighthouse: Kestrel Point; Height: 38 meters",
      needsOcr: false,
    },
    {
      fileName: "condors.html",
      format: "html",
      bytes: Buffer.from(
        `<!doctype html>
<html><head><title>Birds of the Andes</title><style>td { color: red }</style>
<script>var decoy = "The Andean condor's wingspan is 9 meters";</script></head>
<body>
<h1>Birds of the Andes</h1>
<p>The high Andes are home to some of the largest flying birds on Earth &mdash; and some of the smallest.</p>
<h2>Wingspans</h2>
<table>
  <caption>Measured wingspans</caption>
  <thead><tr><th>Species</th><th>Wingspan</th></tr></thead>
  <tbody>
    <tr><td>Andean condor</td><td>3.2 meters</td></tr>
    <tr><td>Giant hummingbird</td><td>21 centimeters</td></tr>
  </tbody>
</table>
<noscript>Enable JavaScript to see the map.</noscript>
</body></html>`,
      ),
      question: "What is the wingspan of the Andean condor?",
      answer: "Species: Andean condor; Wingspan: 3.2 meters",
      needsOcr: false,
    },
    {
      fileName: "zephyr-turbine.pdf",
      format: "pdf",
      bytes: await makePdf({
        title: "Zephyr Turbine Field Guide",
        pages: [
          {
            heading: "Introduction",
            paragraphs: [
              "This field guide covers installation and operation of the Zephyr series of onshore wind turbines. It is meant for site engineers and maintenance crews.",
              "Read the safety chapter before climbing any tower.",
            ],
          },
          {
            heading: "Specifications",
            paragraphs: [
              "The Zephyr turbine's rated output is 4.2 megawatts.",
              "Its rotor diameter is 136 meters and the hub stands 112 meters above the foundation.",
            ],
          },
          {
            heading: "Maintenance",
            paragraphs: ["Blades are inspected by drone twice a year. Bearings are greased every quarter."],
          },
        ],
      }),
      question: "What is the rated output of the Zephyr turbine?",
      answer: "rated output is 4.2 megawatts",
      needsOcr: false,
    },
    {
      fileName: "maintenance.docx",
      format: "docx",
      bytes: await makeDocx(),
      question: "How often must the gearbox be serviced?",
      answer: "Component: Gearbox; Service interval: every 18 months",
      needsOcr: false,
    },
    {
      fileName: "bridges.doc",
      format: "doc",
      bytes: makeWordDoc([
        "Bridges of the river valley",
        "Three road bridges cross the river within the city limits.",
        "The Halcyon bridge was completed in 1931 after six years of work.",
        "The newest crossing opened to cyclists only.",
      ]),
      question: "When was the Halcyon bridge completed?",
      answer: "Halcyon bridge was completed in 1931",
      needsOcr: false,
    },
    {
      fileName: "inventory.csv",
      format: "csv",
      bytes: Buffer.from(
        '\ufeffWarehouse,Material,Tonnes,Notes\r\nBramble Yard,copper,1200,"Stacked in bays 1-4"\r\nTarragon Depot,cobalt,640,"Sealed drums,\r\nsecond floor"\r\nMoss Lane,nickel,85\r\n',
      ),
      question: "How many tonnes of cobalt are stored, and where?",
      answer: "Warehouse: Tarragon Depot; Material: cobalt; Tonnes: 640",
      needsOcr: false,
    },
    {
      fileName: "revenue.xlsx",
      format: "xlsx",
      bytes: makeWorkbook("xlsx", {
        Summary: [["Quarterly revenue by region, in thousands"]],
        Revenue: [
          ["Region", "Revenue", "Quarter"],
          ["Eastmarch", 640, "Q1"],
          ["Northwind", 812, "Q1"],
          ["Southvale", 455, "Q1"],
        ],
      }),
      question: "Which region had revenue of 812?",
      answer: "Region: Northwind; Revenue: 812",
      needsOcr: false,
    },
    {
      fileName: "field-stations.xls",
      format: "xls",
      bytes: makeWorkbook("biff8", {
        Stations: [
          ["Lab", "Lowest temperature", "Staff"],
          ["Svalbard Station", -41.5, 12],
          ["Tierra Base", -18, 7],
        ],
      }),
      question: "Which field station recorded a lowest temperature of -41.5?",
      answer: "Lab: Svalbard Station; Lowest temperature: -41.5",
      needsOcr: false,
    },
    {
      fileName: "scanned-memo.pdf",
      format: "pdf",
      bytes: await makeScannedPdf([scanSentence]),
      question: "How fast does the Nimbus glacier retreat?",
      answer: "retreats eleven meters every year",
      needsOcr: true,
    },
    {
      fileName: "whiteboard.png",
      format: "png",
      bytes: renderTextImage([pngSentence]),
      question: "When does the Falcon squad meet?",
      answer: "meets every Thursday at noon",
      needsOcr: true,
    },
  ];
}

/** Documents every parser must reject, each with the reason it must give. */
export async function makeBadDocuments(): Promise<BadDocument[]> {
  const valid = await makePdf({ pages: [{ heading: "Secret", paragraphs: ["Nobody may read this."] }] });
  return [
    {
      fileName: "corrupt.pdf",
      // A PDF header, then the middle of a real file cut away: no cross-reference table or trailer.
      bytes: Buffer.concat([Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1"), Buffer.alloc(4096, 0x2a)]),
      reason: "MALFORMED",
      message: "the PDF could not be read",
    },
    {
      fileName: "encrypted.pdf",
      bytes: await makePdf({ pages: [{ heading: "Secret", paragraphs: ["Nobody may read this."] }], userPassword: "s3cret" }),
      reason: "ENCRYPTED",
      message: "the PDF is password-protected",
    },
    { fileName: "blank.txt", bytes: Buffer.from("  \r\n\n\t \n"), reason: "EMPTY", message: "the document is empty" },
    { fileName: "zero.pdf", bytes: Buffer.alloc(0), reason: "EMPTY", message: "the document is empty" },
    {
      fileName: "setup.exe",
      bytes: Buffer.concat([Buffer.from("MZ\x90\x00", "latin1"), valid.subarray(0, 64)]),
      reason: "UNSUPPORTED_TYPE",
      message: "unsupported file type '.exe'",
    },
    {
      fileName: "slides.pptx",
      bytes: Buffer.from("PK\x03\x04\x14\x00\x00\x00\x08\x00", "latin1"),
      reason: "UNSUPPORTED_TYPE",
      message: "unsupported file type '.pptx'",
    },
  ];
}

/** Content of one generated PDF page: text, or (with `scannedLines`) only a picture of text. */
export interface PdfPageSpec {
  heading?: string;
  paragraphs?: string[];
  /** Lines drawn into an image that fills the page, as a scanner makes it: no text layer. */
  scannedLines?: string[];
}

/** A text PDF (pdfkit, Helvetica): a 20 pt heading and 12 pt paragraphs per page. Deterministic. */
export function makePdf(options: { pages: PdfPageSpec[]; title?: string; userPassword?: string }): Promise<Buffer> {
  const doc = new PDFDocument({
    autoFirstPage: false,
    info: { CreationDate: FIXED_DATE, ...(options.title ? { Title: options.title } : {}) },
    ...(options.userPassword ? { userPassword: options.userPassword, ownerPassword: `${options.userPassword}-owner`, pdfVersion: "1.7" as const } : {}),
  });
  const done = collect(doc);
  for (const page of options.pages) {
    if (page.scannedLines) {
      // A strip of paper, not a whole letter page: OCR time grows with the page's area.
      const image = renderTextImage(page.scannedLines, { width: 1700, fontSize: 42 });
      doc.addPage({ size: [612, Math.ceil((612 * textImageHeight(page.scannedLines.length, 42)) / 1700)], margin: 0 });
      doc.image(image, 0, 0, { width: 612 });
      continue;
    }
    doc.addPage({ size: "LETTER", margin: 72 });
    if (page.heading) doc.font("Helvetica-Bold").fontSize(20).text(page.heading).moveDown(0.5);
    doc.font("Helvetica").fontSize(12);
    for (const paragraph of page.paragraphs ?? []) doc.text(paragraph).moveDown();
  }
  doc.end();
  return done;
}

/** A one-page PDF that is only a picture of text, as a scanner makes it: no text layer at all. */
export function makeScannedPdf(lines: string[]): Promise<Buffer> {
  return makePdf({ pages: [{ scannedLines: lines }] });
}

/** Black text on white, large and clear, as a PNG. */
export function renderTextImage(lines: string[], options: { width?: number; height?: number; fontSize?: number } = {}): Buffer {
  if (!fontRegistered) {
    GlobalFonts.registerFromPath(FONT_FILE, "Basalt Test Sans");
    fontRegistered = true;
  }
  const fontSize = options.fontSize ?? 48;
  const width = options.width ?? 1400;
  const height = options.height ?? textImageHeight(lines.length, fontSize);
  const canvas = createCanvas(width, height);
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, width, height);
  context.fillStyle = "#000000";
  context.font = `${fontSize}px "Basalt Test Sans"`;
  lines.forEach((line, i) => context.fillText(line, 60, 60 + fontSize + i * fontSize * 1.5));
  return canvas.toBuffer("image/png");
}

function textImageHeight(lines: number, fontSize: number): number {
  return Math.max(200, Math.ceil(80 + lines * fontSize * 1.5));
}

function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
}

async function makeDocx(): Promise<Buffer> {
  const cell = (text: string, bold = false) => new TableCell({ children: [new Paragraph({ children: [new TextRun({ text, bold })] })] });
  const doc = new Document({
    creator: "Basalt tests",
    title: "Turbine maintenance plan",
    sections: [
      {
        children: [
          new Paragraph({ text: "Turbine maintenance plan", heading: HeadingLevel.HEADING_1 }),
          new Paragraph("This plan lists the service intervals for the drivetrain of each turbine."),
          new Paragraph({ text: "Service intervals", heading: HeadingLevel.HEADING_2 }),
          new Table({
            rows: [
              new TableRow({ tableHeader: true, children: [cell("Component", true), cell("Service interval", true)] }),
              new TableRow({ children: [cell("Gearbox"), cell("every 18 months")] }),
              new TableRow({ children: [cell("Yaw motor"), cell("every 6 months")] }),
            ],
          }),
          new Paragraph("Record every service in the site logbook."),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}

function makeWorkbook(bookType: "xlsx" | "biff8", sheets: Record<string, unknown[][]>): Buffer {
  const workbook = XLSX.utils.book_new();
  for (const [name, rows] of Object.entries(sheets)) XLSX.utils.book_append_sheet(workbook, XLSX.utils.aoa_to_sheet(rows), name);
  workbook.Props = { Title: "Generated workbook", CreatedDate: FIXED_DATE };
  return XLSX.write(workbook, { type: "buffer", bookType, compression: true }) as Buffer;
}

/**
 * A Word 97–2003 (.doc) binary: an OLE compound file with a `WordDocument` stream (the File
 * Information Block, then the text as UTF-16LE) and a `1Table` stream holding the CLX, whose
 * piece table maps character positions to that text (MS-DOC 2.5.1, 2.9.38). This is the part
 * text extractors read; the formatting tables Word itself also writes (style sheet, character
 * and paragraph property pages, fonts) are left out.
 */
export function makeWordDoc(paragraphs: string[], options: { encrypted?: boolean } = {}): Buffer {
  const text = `${paragraphs.join("\r")}\r`; // every paragraph ends with a paragraph mark
  const textBytes = Buffer.from(text, "utf16le");
  const TEXT_OFFSET = 0x800;
  const FIB_SIZE = 898 + 2;
  const word = Buffer.alloc(Math.max(4096, align(TEXT_OFFSET + textBytes.length, 512)));
  // FibBase
  word.writeUInt16LE(0xa5ec, 0x00); // wIdent
  word.writeUInt16LE(0x00c1, 0x02); // nFib: Word 97
  word.writeUInt16LE(0x0409, 0x06); // lid: en-US
  // fWhichTblStm (the table stream is 1Table), fExtChar; fEncrypted only to test its refusal.
  word.writeUInt16LE(0x0200 | 0x1000 | (options.encrypted ? 0x0100 : 0), 0x0a);
  word.writeUInt16LE(0x00bf, 0x0c); // nFibBack
  word.writeUInt32LE(TEXT_OFFSET, 0x18); // fcMin (older FIB field): where the text starts
  word.writeUInt32LE(TEXT_OFFSET + textBytes.length, 0x1c); // fcMac: where it ends
  word.writeUInt16LE(14, 0x20); // csw: FibRgW97 is 14 shorts
  word.writeUInt16LE(22, 0x3e); // cslw: FibRgLw97 is 22 longs
  word.writeUInt32LE(word.length, 0x40); // cbMac
  word.writeUInt32LE(text.length, 0x4c); // ccpText: characters in the main document
  word.writeUInt16LE(0x5d, 0x98); // cbRgFcLcb: FibRgFcLcb97 is 93 pairs
  // CLX: one piece covering the whole text, stored as UTF-16 (fCompressed clear) at TEXT_OFFSET.
  const plcPcd = Buffer.alloc(4 * 2 + 8);
  plcPcd.writeUInt32LE(0, 0);
  plcPcd.writeUInt32LE(text.length, 4);
  plcPcd.writeUInt16LE(0, 8); // Pcd flags
  plcPcd.writeUInt32LE(TEXT_OFFSET, 10); // FcCompressed
  plcPcd.writeUInt16LE(0, 14); // prm
  const clx = Buffer.concat([Buffer.from([0x02]), u32(plcPcd.length), plcPcd]);
  const table = Buffer.alloc(align(clx.length, 512));
  clx.copy(table, 0);
  word.writeUInt32LE(0, 0x1a2); // fcClx: offset in 1Table
  word.writeUInt32LE(clx.length, 0x1a6); // lcbClx
  if (FIB_SIZE > TEXT_OFFSET) throw new Error("FIB overlaps the text");
  textBytes.copy(word, TEXT_OFFSET);

  const container = XLSX.CFB.utils.cfb_new();
  XLSX.CFB.utils.cfb_add(container, "WordDocument", word);
  XLSX.CFB.utils.cfb_add(container, "1Table", table);
  return Buffer.from(XLSX.CFB.write(container, { type: "buffer", fileType: "cfb" }) as Uint8Array);
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value, 0);
  return b;
}

function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}
