// Collects a document's blocks in reading order while keeping the chain of headings above the
// current position, so every format module only says "a heading of level 2 here", "a paragraph
// there" and gets `headings` filled in consistently.
import type { DocumentBlock, ParsedDocument } from "../document.ts";

/** Options of one added block. */
export interface AddOptions {
  page?: number;
  /** Context below the heading chain, e.g. a table's caption or a sheet's name. */
  context?: string[];
  /** Keep the text verbatim (code): no whitespace collapsing. */
  verbatim?: boolean;
}

/** Builds the block list of one document. */
export class BlockBuilder {
  readonly blocks: DocumentBlock[] = [];
  #chain: Array<{ level: number; text: string }> = [];

  /** The headings the next block sits under, outermost first. */
  get headings(): string[] {
    return this.#chain.map((h) => h.text);
  }

  /** Adds a heading block and makes it the innermost heading for what follows. */
  heading(text: string, level: number, options: { page?: number } = {}): void {
    const clean = collapseSpace(text);
    if (clean === "") return;
    const bounded = Math.min(6, Math.max(1, Math.round(level)));
    while (this.#chain.length > 0 && this.#chain[this.#chain.length - 1]!.level >= bounded) this.#chain.pop();
    this.blocks.push(withPage({ kind: "heading", text: clean, level: bounded, headings: this.headings }, options.page));
    this.#chain.push({ level: bounded, text: clean });
  }

  /** Adds a non-heading block; empty text is dropped. */
  add(kind: Exclude<DocumentBlock["kind"], "heading">, text: string, options: AddOptions = {}): void {
    const clean = options.verbatim ? trimBlankLines(text) : collapseSpace(text);
    if (clean === "") return;
    const headings = options.context?.length ? [...this.headings, ...options.context] : this.headings;
    this.blocks.push(withPage({ kind, text: clean, headings }, options.page));
  }

}

/** Sets a document's `title`, falling back to its first level-1 heading. */
export function withTitle(document: ParsedDocument, title: string | undefined): ParsedDocument {
  const chosen = title || document.blocks.find((b) => b.kind === "heading" && b.level === 1)?.text;
  if (chosen) document.title = chosen;
  return document;
}

function withPage(block: DocumentBlock, page: number | undefined): DocumentBlock {
  if (page !== undefined) block.page = page;
  return block;
}

/** Collapses runs of whitespace (including non-breaking spaces) to one space and trims. */
export function collapseSpace(text: string): string {
  return text.replace(/[\s\u00a0\u200b\ufeff]+/g, " ").trim();
}

/**
 * Collapses whitespace within each line but keeps the line breaks (for paragraphs of plain
 * text, where a line break is the author's); blank lines are removed.
 */
export function collapseSpaceKeepLines(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => collapseSpace(line))
    .filter((line) => line !== "")
    .join("\n");
}

function trimBlankLines(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, "").replace(/\s+$/, "");
}

/**
 * A table row written with its headers, `Region: EU; Revenue: 12`, so it stays meaningful
 * wherever a chunk boundary falls. Empty cells are skipped; a cell without a header is named
 * `Column N` (1-based).
 */
export function tableRowText(headers: readonly string[], cells: readonly string[]): string {
  const parts: string[] = [];
  cells.forEach((raw, index) => {
    const value = collapseSpace(raw);
    if (value === "") return;
    const header = collapseSpace(headers[index] ?? "") || `Column ${index + 1}`;
    parts.push(`${header}: ${value}`);
  });
  return parts.join("; ");
}
