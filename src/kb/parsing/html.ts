// HTML (.html, and .docx through mammoth's HTML): one streaming pass with htmlparser2 that keeps
// what matters for retrieval — the heading chain, paragraphs, list items, tables as rows written
// with their headers, <pre> as code — and skips what is not content (scripts, styles, <head>
// except its <title>, inline SVG, templates). Entities are decoded and whitespace collapsed.
import { Parser } from "htmlparser2";
import type { ParsedDocument } from "../document.ts";
import { BlockBuilder, collapseSpace, tableRowText, withTitle } from "./block-builder.ts";
import { decodeText } from "./decode-text.ts";

// Elements whose whole content is not document text. <title> is read even inside <head>.
const SKIPPED = new Set(["script", "style", "noscript", "template", "svg", "math", "head", "iframe", "object", "canvas", "select"]);

// Elements that end the running text before and after themselves.
const BLOCK = new Set([
  "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
  "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup", "hr", "html", "legend", "li", "main",
  "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "td", "th",
  "caption", "ul", "h1", "h2", "h3", "h4", "h5", "h6",
]);

const HEADING = /^h([1-6])$/;

interface Table {
  headers: string[] | undefined;
  caption: string;
  row: { cells: string[]; allHeaderCells: boolean; inHead: boolean } | undefined;
  cell: string[] | undefined;
  inHead: boolean;
  inCaption: boolean;
  /** Whether any data row was written (a header-only table is written as a paragraph). */
  wroteRows: boolean;
}

/** Result of walking one HTML string into a builder. */
export interface HtmlWalkResult {
  /** The text of `<title>`, when the page has one. */
  title?: string;
}

/** Walks HTML into `builder`, appending blocks in reading order. */
export function walkHtml(html: string, builder: BlockBuilder): HtmlWalkResult {
  // Open skipped elements; <title> is read when the only ones open are <head>.
  const skipped: string[] = [];
  let titleText: string | undefined;
  let inTitle = false;
  const kinds: Array<"paragraph" | "list-item" | "code" | { heading: number }> = [];
  const tables: Table[] = [];
  let buffer = "";

  const currentKind = () => kinds[kinds.length - 1] ?? "paragraph";
  const table = () => tables[tables.length - 1];

  // Ends the running text: into the open table cell if there is one, else as a block.
  const flush = () => {
    const t = table();
    if (t?.cell) {
      t.cell.push(buffer);
      buffer = "";
      return;
    }
    if (t?.inCaption) {
      t.caption += ` ${buffer}`;
      buffer = "";
      return;
    }
    if (collapseSpace(buffer) !== "") {
      const kind = currentKind();
      if (typeof kind === "object") builder.heading(buffer, kind.heading);
      else builder.add(kind, buffer, { verbatim: kind === "code" });
    }
    buffer = "";
  };

  const endRow = (t: Table) => {
    if (t.cell) endCell(t);
    const row = t.row;
    t.row = undefined;
    if (!row || row.cells.every((c) => c === "")) return;
    if (t.headers === undefined || ((row.inHead || row.allHeaderCells) && !t.wroteRows)) {
      t.headers = row.cells;
      return;
    }
    const text = tableRowText(t.headers, row.cells);
    const caption = collapseSpace(t.caption);
    builder.add("table-row", text, { context: caption ? [caption] : undefined });
    t.wroteRows = true;
  };

  const endCell = (t: Table) => {
    const cellText = collapseSpace([...(t.cell ?? []), buffer].join(" "));
    buffer = "";
    t.cell = undefined;
    t.row?.cells.push(cellText);
  };

  const parser = new Parser(
    {
      onopentag(name) {
        if (name === "title" && skipped.every((s) => s === "head")) {
          inTitle = true;
          return;
        }
        if (SKIPPED.has(name)) {
          skipped.push(name);
          return;
        }
        if (skipped.length > 0) return;
        if (name === "br") {
          buffer += "\n";
          return;
        }
        if (!BLOCK.has(name)) return;
        const t = table();
        if (name === "td" || name === "th") {
          if (!t) return flush();
          if (!t.row) t.row = { cells: [], allHeaderCells: true, inHead: t.inHead };
          if (t.cell) endCell(t);
          else buffer = "";
          t.cell = [];
          if (name === "td") t.row.allHeaderCells = false;
          return;
        }
        if (name === "tr") {
          if (!t) return flush();
          endRow(t);
          buffer = "";
          t.row = { cells: [], allHeaderCells: true, inHead: t.inHead };
          return;
        }
        flush();
        if (name === "table") {
          tables.push({ headers: undefined, caption: "", row: undefined, cell: undefined, inHead: false, inCaption: false, wroteRows: false });
        } else if (name === "thead" && t) {
          t.inHead = true;
        } else if (name === "caption" && t) {
          t.inCaption = true;
        } else if (name === "pre") {
          kinds.push("code");
        } else if (name === "li") {
          kinds.push("list-item");
        } else if (HEADING.test(name)) {
          kinds.push({ heading: Number(name[1]) });
        }
      },
      ontext(text) {
        if (inTitle) titleText = (titleText ?? "") + text;
        else if (skipped.length === 0) buffer += text;
      },
      onclosetag(name) {
        if (name === "title" && inTitle) {
          inTitle = false;
          return;
        }
        if (SKIPPED.has(name)) {
          const at = skipped.lastIndexOf(name);
          if (at >= 0) skipped.length = at;
          return;
        }
        if (skipped.length > 0 || !BLOCK.has(name)) return;
        const t = table();
        if (name === "td" || name === "th") {
          if (t?.cell) endCell(t);
          else if (!t) flush();
          return;
        }
        if (name === "tr") {
          if (t) endRow(t);
          else flush();
          return;
        }
        flush();
        if (name === "table" && t) {
          endRow(t);
          tables.pop();
          if (!t.wroteRows && t.headers?.some((h) => h !== "")) {
            builder.add("paragraph", t.headers.filter((h) => h !== "").join("; "));
          }
        } else if (name === "thead" && t) {
          endRow(t);
          t.inHead = false;
        } else if (name === "caption" && t) {
          t.inCaption = false;
        } else if (name === "pre" || name === "li" || HEADING.test(name)) {
          kinds.pop();
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  flush();
  while (tables.length > 0) endRow(tables.pop()!);
  const title = titleText === undefined ? undefined : collapseSpace(titleText);
  return title ? { title } : {};
}

/** Parses an HTML document. */
export function parseHtml(bytes: Uint8Array): ParsedDocument {
  const builder = new BlockBuilder();
  const { title } = walkHtml(decodeText(bytes, "the HTML page"), builder);
  return withTitle({ format: "html", blocks: builder.blocks }, title);
}

/** Decodes HTML character references in plain text (`&amp;` → `&`), leaving everything else as is. */
export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  let out = "";
  // "<" is escaped first so no part of the text can be taken for a tag.
  const parser = new Parser({ ontext: (t) => (out += t) }, { decodeEntities: true });
  parser.write(text.replace(/</g, "&lt;"));
  parser.end();
  return out;
}
