// CSV through csv-parse: header names on every row, the awkward files real exports produce.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCsv } from "./csv.ts";
import { DocumentParseError } from "./document-parse-error.ts";

const texts = (csv: string | Buffer) => parseCsv(typeof csv === "string" ? Buffer.from(csv) : csv).blocks.map((b) => b.text);

describe("CSV parsing", () => {
  it("writes each row with the header names, skipping empty cells and blank rows", () => {
    assert.deepEqual(texts("name,city,zip\nAnn,Oslo,\n\n,,\nBo,,0150\n"), ["name: Ann; city: Oslo", "name: Bo; zip: 0150"]);
  });

  it("handles a BOM, CRLF, quoted delimiters, quotes and newlines inside quotes", () => {
    assert.deepEqual(texts('\ufeffa,b\r\n"x, y","say ""hi""\r\nthere"\r\n'), ['a: x, y; b: say "hi" there']);
  });

  it("names columns beyond the header and reads short rows", () => {
    assert.deepEqual(texts("k,v\n1\n2,3,4\n"), ["k: 1", "k: 2; v: 3; Column 3: 4"]);
  });

  it("sniffs semicolon and tab delimiters from the header line", () => {
    assert.deepEqual(texts("Land;Einwohner\nÖsterreich;9,1 Mio\n"), ["Land: Österreich; Einwohner: 9,1 Mio"]);
    assert.deepEqual(texts("a\tb\n1\t2\n"), ["a: 1; b: 2"]);
  });

  it("decodes Windows-1252 when the file is not UTF-8", () => {
    assert.deepEqual(texts(Buffer.from([0x63, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a])), ["c: café"]);
  });

  it("reports an unterminated quote as a malformed CSV", () => {
    assert.throws(() => texts('a,b\n"open,1\n2,3\n'), (error) => {
      assert.ok(error instanceof DocumentParseError);
      assert.equal(error.reason, "MALFORMED");
      assert.match(error.message, /^the CSV file could not be read: .*quote/i);
      return true;
    });
  });
});
