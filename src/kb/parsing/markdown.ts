// Markdown (.md) through marked's lexer (no rendering): headings build the heading chain,
// paragraphs and list items keep their plain text (emphasis, links and code spans reduced to
// their words), tables become rows written with their headers, fenced code stays verbatim.
// Raw HTML blocks go through the HTML walker; YAML front matter gives the title.
import { marked, type Token, type Tokens } from "marked";
import type { ParsedDocument } from "../document.ts";
import { BlockBuilder, tableRowText, withTitle } from "./block-builder.ts";
import { decodeText } from "./decode-text.ts";
import { decodeEntities, walkHtml } from "./html.ts";

/** Parses a Markdown document. */
export function parseMarkdown(bytes: Uint8Array): ParsedDocument {
  const { body, title } = splitFrontMatter(decodeText(bytes, "the Markdown file"));
  const builder = new BlockBuilder();
  walkTokens(marked.lexer(body, { gfm: true }), builder);
  return withTitle({ format: "md", blocks: builder.blocks }, title);
}

function walkTokens(tokens: Token[], builder: BlockBuilder): void {
  for (const token of tokens) {
    switch (token.type) {
      case "heading":
        builder.heading(inline((token as Tokens.Heading).tokens), (token as Tokens.Heading).depth);
        break;
      case "paragraph":
      case "text":
        builder.add("paragraph", inlineOf(token));
        break;
      case "list":
        walkList(token as Tokens.List, builder);
        break;
      case "table": {
        const table = token as Tokens.Table;
        const headers = table.header.map((cell) => inline(cell.tokens));
        for (const row of table.rows) builder.add("table-row", tableRowText(headers, row.map((cell) => inline(cell.tokens))));
        break;
      }
      case "code":
        builder.add("code", (token as Tokens.Code).text, { verbatim: true });
        break;
      case "blockquote":
        walkTokens((token as Tokens.Blockquote).tokens, builder);
        break;
      case "html":
        walkHtml((token as Tokens.HTML).text, builder);
        break;
      default:
        // space, hr, def, and anything a marked extension might add: no text of their own.
        break;
    }
  }
}

function walkList(list: Tokens.List, builder: BlockBuilder): void {
  for (const item of list.items) {
    // An item's own words come first; a nested list follows as items of its own.
    const own: string[] = [];
    const flushOwn = () => {
      if (own.length > 0) builder.add("list-item", own.join("\n"));
      own.length = 0;
    };
    for (const child of item.tokens) {
      if (child.type === "list") {
        flushOwn();
        walkList(child as Tokens.List, builder);
      } else if (child.type === "text" || child.type === "paragraph") {
        own.push(inlineOf(child));
      } else {
        flushOwn();
        walkTokens([child], builder);
      }
    }
    flushOwn();
  }
}

function inlineOf(token: Token): string {
  const children = (token as { tokens?: Token[] }).tokens;
  return children ? inline(children) : decodeEntities((token as { text?: string }).text ?? "");
}

/** The plain words of inline tokens. */
function inline(tokens: Token[] | undefined): string {
  if (!tokens) return "";
  let out = "";
  for (const token of tokens) {
    switch (token.type) {
      case "text":
        out += (token as Tokens.Text).tokens ? inline((token as Tokens.Text).tokens) : decodeEntities((token as Tokens.Text).text);
        break;
      case "escape":
      case "codespan":
        out += (token as Tokens.Codespan).text;
        break;
      case "br":
        out += "\n";
        break;
      case "image":
        out += decodeEntities((token as Tokens.Image).text);
        break;
      case "html":
        // Inline tags such as <b>: the words between them arrive as text tokens.
        break;
      default: {
        const children = (token as { tokens?: Token[] }).tokens;
        out += children ? inline(children) : decodeEntities((token as { text?: string }).text ?? "");
      }
    }
  }
  return out;
}

/** Removes a leading YAML front matter block (`---` … `---`) and reads its `title:`. */
function splitFrontMatter(text: string): { body: string; title?: string } {
  const match = /^---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/.exec(text);
  if (!match) return { body: text };
  const titleLine = /^title:[ \t]*(.+)$/m.exec(match[1]!);
  const title = titleLine?.[1]?.trim().replace(/^(["'])(.*)\1$/, "$2");
  return { body: text.slice(match[0].length), ...(title ? { title } : {}) };
}
