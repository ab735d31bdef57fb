import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeMetadataValue, encodeMetadataValue } from "./s3-metadata.ts";

describe("S3 metadata values", () => {
  it("leaves plain ASCII as it is", () => {
    assert.equal(encodeMetadataValue("report-2024.pdf"), "report-2024.pdf");
    assert.equal(encodeMetadataValue("a b"), "a b");
  });

  it("round-trips what a header cannot carry as is", () => {
    for (const value of ["Zoë", "日本語", "😀", "", " leading", "trailing ", "=?UTF-8?B?aGk=?=", "tab\tinside"]) {
      const encoded = encodeMetadataValue(value);
      assert.match(encoded, /^[\x21-\x7e]*$/, `${JSON.stringify(value)} encodes to printable ASCII`);
      assert.equal(decodeMetadataValue(encoded), value);
    }
  });

  it("decodes the encoded words S3 and other clients send (B and Q, several words)", () => {
    assert.equal(decodeMetadataValue("=?UTF-8?B?Wm/Dqw==?="), "Zoë");
    assert.equal(decodeMetadataValue("=?utf-8?Q?Zo=C3=AB_M=C3=BCller?="), "Zoë Müller");
    assert.equal(decodeMetadataValue("=?UTF-8?B?Wm8=?= =?UTF-8?B?w6s=?="), "Zoë");
    assert.equal(decodeMetadataValue("=?ISO-8859-1?Q?Caf=E9?="), "Café");
    assert.equal(decodeMetadataValue("=?KOI8-R?B?abc?="), "=?KOI8-R?B?abc?=", "an unknown charset stays as sent");
    assert.equal(decodeMetadataValue("plain =? text"), "plain =? text");
  });
});
