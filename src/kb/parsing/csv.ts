// CSV (.csv) through csv-parse: the first row names the columns and every later row becomes a
// `table-row` block written with those names (`Region: EU; Revenue: 812`). Handles a BOM,
// quoted fields with newlines, rows shorter or longer than the header, and files that use
// semicolons or tabs (the delimiter is sniffed from the header line).
import { parse } from "csv-parse/sync";
import type { ParsedDocument } from "../document.ts";
import { BlockBuilder, tableRowText } from "./block-builder.ts";
import { decodeText } from "./decode-text.ts";
import { DocumentParseError, shortCause } from "./document-parse-error.ts";

/** Parses a CSV document. */
export function parseCsv(bytes: Uint8Array): ParsedDocument {
  const text = decodeText(bytes, "the CSV file");
  let rows: string[][];
  try {
    rows = parse(text, {
      bom: true,
      delimiter: sniffDelimiter(text),
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
    }) as string[][];
  } catch (error) {
    throw new DocumentParseError("MALFORMED", `the CSV file could not be read: ${shortCause(error)}`, { cause: error });
  }
  const builder = new BlockBuilder();
  const [headers = [], ...data] = rows;
  for (const row of data) builder.add("table-row", tableRowText(headers, row));
  return { format: "csv", blocks: builder.blocks };
}

const CANDIDATES = [",", ";", "\t", "|"] as const;

/** The candidate delimiter that occurs most often, outside quotes, in the first line. */
function sniffDelimiter(text: string): string {
  const counts = new Map<string, number>();
  let quoted = false;
  for (let i = 0; i < text.length && i < 65536; i++) {
    const ch = text[i]!;
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === "\n" || ch === "\r")) break;
    else if (!quoted && (CANDIDATES as readonly string[]).includes(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ",";
  let bestCount = 0;
  for (const candidate of CANDIDATES) {
    const count = counts.get(candidate) ?? 0;
    if (count > bestCount) [best, bestCount] = [candidate, count];
  }
  return best;
}
