// The managed profanity list (obscenity's English dataset) and the evasions Basalt adds to it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findProfanity } from "./profanity.ts";

function found(text: string): [string, string][] {
  return findProfanity(text).map((m) => [m.match, m.word]);
}

describe("profanity list", () => {
  const hits: [string, string, [string, string][]][] = [
    ["plain", "well fuck that", [["fuck", "fuck"]]],
    ["upper case", "FUCK", [["FUCK", "fuck"]]],
    ["repeated letters", "fuuuuuck", [["fuuuuuck", "fuck"]]],
    ["leetspeak", "sh1t happens", [["sh1t", "shit"]]],
    ["letters spelled out with spaces", "f u c k you", [["f u c k", "fuck"]]],
    ["letters spelled out with dots", "F.U.C.K", [["F.U.C.K", "fuck"]]],
    ["spelled-out leetspeak", "$ h 1 t", [["$ h 1 t", "shit"]]],
    ["a spelled-out word after a one-letter word", "what a s h i t t y day", [["s h i t", "shit"]]],
    ["zero-width characters between letters", "f\u200Bu\u200Bc\u200Bk off", [["f\u200Bu\u200Bc\u200Bk", "fuck"]]],
    ["full-width letters", "ＦＵＣＫ", [["ＦＵＣＫ", "fuck"]]],
    ["mathematical letters (surrogate pairs)", "𝐟𝐮𝐜𝐤 you", [["𝐟𝐮𝐜𝐤", "fuck"]]],
    ["a compound, named as the whole word", "motherfucker", [["motherfucker", "fuck"]]],
  ];
  for (const [name, text, expected] of hits) {
    it(`finds ${name}`, () => assert.deepEqual(found(text), expected));
  }

  it("reports offsets into the original text", () => {
    const [m] = findProfanity("so f u c k it");
    assert.deepEqual([m!.start, m!.end], [3, 10]);
  });

  for (const text of ["a classic class assessment", "the pen is mightier", "Scunthorpe", "grapes and bananas", "", "I am a b c d student"]) {
    it(`finds nothing in ${JSON.stringify(text)}`, () => assert.deepEqual(found(text), []));
  }
});
