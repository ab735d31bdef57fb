// Markdown through marked's lexer: structure kept, inline markup reduced to its words.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMarkdown } from "./markdown.ts";

const parse = (md: string) => parseMarkdown(Buffer.from(md));
const rows = (md: string) => parse(md).blocks.map((b) => [b.kind, b.text]);

describe("Markdown parsing", () => {
  it("reduces inline markup to words and decodes entities", () => {
    assert.deepEqual(rows("Some *em*, **strong**, [a link](http://x.test), `a < b`, ![a chart](c.png), R&amp;D, a\\*b, <b>bold</b>."), [
      ["paragraph", "Some em, strong, a link, a < b, a chart, R&D, a*b, bold."],
    ]);
  });

  it("keeps headings (ATX and setext) as a chain", () => {
    const doc = parse("Guide\n=====\n\nintro\n\n## Setup\n\nstep text\n\n### Linux\n\nlinux text\n\nUsage\n-----\n\nusage text\n");
    assert.equal(doc.title, "Guide");
    assert.deepEqual(
      doc.blocks.filter((b) => b.kind === "paragraph").map((b) => [b.text, b.headings]),
      [["intro", ["Guide"]], ["step text", ["Guide", "Setup"]], ["linux text", ["Guide", "Setup", "Linux"]], ["usage text", ["Guide", "Usage"]]],
    );
  });

  it("reads tight, loose and nested lists as list items", () => {
    assert.deepEqual(rows("- one\n- two\n  - two.a\n  - two.b\n\n1. first\n\n2. second\n"), [
      ["list-item", "one"],
      ["list-item", "two"],
      ["list-item", "two.a"],
      ["list-item", "two.b"],
      ["list-item", "first"],
      ["list-item", "second"],
    ]);
  });

  it("writes table rows with their headers and keeps code fences verbatim", () => {
    assert.deepEqual(rows("| Key | Value |\n|---|:-:|\n| `a` | **1** |\n| b |  |\n\n```ts\nconst x = 1;\n\nconst y = 2;\n```\n"), [
      ["table-row", "Key: a; Value: 1"],
      ["table-row", "Key: b"],
      ["code", "const x = 1;\n\nconst y = 2;"],
    ]);
  });

  it("reads block quotes and raw HTML blocks", () => {
    assert.deepEqual(rows("> quoted *text*\n\n<table><tr><th>H</th></tr><tr><td>v</td></tr></table>\n"), [
      ["paragraph", "quoted text"],
      ["table-row", "H: v"],
    ]);
  });

  it("takes the title from YAML front matter and leaves the front matter out", () => {
    const doc = parse('---\ntitle: "Release notes"\ntags: [a]\n---\n# Version 2\n\nFaster.\n');
    assert.equal(doc.title, "Release notes");
    assert.deepEqual(doc.blocks.map((b) => b.text), ["Version 2", "Faster."]);
  });
});
