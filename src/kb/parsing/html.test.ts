// The HTML walker on its own: what it keeps (heading chain, lists, tables with their headers,
// <pre>), what it skips, and how it reads tables without explicit headers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseHtml, decodeEntities } from "./html.ts";

const parse = (html: string) => parseHtml(Buffer.from(html));
const rows = (html: string) => parse(html).blocks.map((b) => [b.kind, b.text]);

describe("HTML parsing", () => {
  it("keeps the heading chain, popping to the right level", () => {
    const doc = parse("<h1>A</h1><p>a</p><h2>B</h2><h3>C</h3><p>c</p><h2>D</h2><p>d</p><h1>E</h1><p>e</p>");
    assert.deepEqual(
      doc.blocks.filter((b) => b.kind === "paragraph").map((b) => [b.text, b.headings]),
      [["a", ["A"]], ["c", ["A", "B", "C"]], ["d", ["A", "D"]], ["e", ["E"]]],
    );
    assert.equal(doc.title, "A", "first H1 when there is no <title>");
  });

  it("skips scripts, styles, templates, inline SVG and the head except its title", () => {
    const doc = parse(`<html><head><title>T &amp; U</title><meta name="x" content="meta text"><style>p{}</style></head>
      <body><script>alert("script text")</script><template><p>template text</p></template>
      <p>Visible <svg><title>svg title</title><text>svg text</text></svg>text.</p><noscript>noscript text</noscript></body></html>`);
    assert.equal(doc.title, "T & U");
    assert.deepEqual(doc.blocks.map((b) => b.text), ["Visible text."]);
  });

  it("decodes entities and collapses whitespace; <br> separates words", () => {
    assert.deepEqual(rows("<p>  caf&eacute;&nbsp;&amp;\n\n  cr&#232;me &#x2014; ok<br>next line</p>"), [["paragraph", "café & crème — ok next line"]]);
  });

  it("reads lists, nested lists and text around blocks", () => {
    assert.deepEqual(rows("<div>intro<ul><li>one</li><li>two<ol><li>two.a</li></ol></li></ul>outro</div>"), [
      ["paragraph", "intro"],
      ["list-item", "one"],
      ["list-item", "two"],
      ["list-item", "two.a"],
      ["paragraph", "outro"],
    ]);
  });

  it("keeps <pre> verbatim as code", () => {
    assert.deepEqual(rows("<pre>\nfunction f() {\n  return 1 &lt; 2;\n}\n</pre>"), [["code", "function f() {\n  return 1 < 2;\n}"]]);
  });

  it("takes table headers from <th> cells, from <thead>, or else from the first row", () => {
    assert.deepEqual(rows("<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>31</td></tr></table>"), [["table-row", "Name: Ann; Age: 31"]]);
    assert.deepEqual(rows("<table><thead><tr><td>Name</td><td>Age</td></tr></thead><tbody><tr><td>Bo</td><td></td></tr></tbody></table>"), [
      ["table-row", "Name: Bo"],
    ]);
    assert.deepEqual(rows("<table><tr><td>City</td><td>Pop</td></tr><tr><td>Oslo</td><td>700k</td><td>extra</td></tr></table>"), [
      ["table-row", "City: Oslo; Pop: 700k; Column 3: extra"],
    ]);
  });

  it("reads tables without closing tags, cells holding paragraphs, and nested tables", () => {
    assert.deepEqual(rows("<table><tr><th>K<th>V<tr><td><p>a</p><p>b</p><td>1</table><p>after</p>"), [
      ["table-row", "K: a b; V: 1"],
      ["paragraph", "after"],
    ]);
    const nested = rows("<table><tr><th>Outer</th></tr><tr><td>x<table><tr><th>In</th></tr><tr><td>y</td></tr></table></td></tr></table>");
    assert.deepEqual(nested, [
      ["table-row", "In: y"],
      ["table-row", "Outer: x"],
    ]);
  });

  it("writes a header-only table as a paragraph rather than losing it", () => {
    assert.deepEqual(rows("<table><tr><th>Only</th><th>Headers</th></tr></table>"), [["paragraph", "Only; Headers"]]);
  });

  it("decodes entities in plain text without reading tags", () => {
    assert.equal(decodeEntities("a &lt; b &amp;&amp; <c> &copy;"), "a < b && <c> ©");
    assert.equal(decodeEntities("no entities <here>"), "no entities <here>");
  });
});
