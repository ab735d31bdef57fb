// The custom word matcher: normalization (case, spacing, leetspeak, Unicode), word boundaries,
// phrases, a 10,000-word list and a 100 KB text.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCustomWordMatcher } from "./custom-words.ts";

/** The matched texts, in order, for a list of words. */
function matches(words: string[], text: string): string[] {
  return createCustomWordMatcher(words).find(text).map((m) => m.match);
}

describe("custom word matcher", () => {
  it("matches regardless of case and reports the text as written, with its offsets", () => {
    const found = createCustomWordMatcher(["badword"]).find("This is a BadWord, really.");
    assert.deepEqual(found, [{ start: 10, end: 17, match: "BadWord", words: [0] }]);
  });

  const table: [string, string[], string, string[]][] = [
    ["letters spelled out with spaces", ["badword"], "b a d w o r d", ["b a d w o r d"]],
    ["letters spelled out with dots", ["badword"], "say b.a.d.w.o.r.d now", ["b.a.d.w.o.r.d"]],
    ["letters spelled out with hyphens", ["badword"], "b-a-d-w-o-r-d", ["b-a-d-w-o-r-d"]],
    ["a spelled-out word after a one-letter word", ["hate"], "I h a t e them", ["h a t e"]],
    ["leetspeak digits", ["hate"], "I h4t3 this", ["h4t3"]],
    ["leetspeak symbols", ["hate", "shit"], "I h@te this $hit", ["h@te", "$hit"]],
    ["spelled-out leetspeak", ["shit"], "$ h 1 t", ["$ h 1 t"]],
    ["accents either way", ["café"], "cafe CAFÉ café cafe\u0301", ["cafe", "CAFÉ", "café", "cafe\u0301"]],
    ["full-width letters", ["badword"], "Ｂａｄｗｏｒｄ!", ["Ｂａｄｗｏｒｄ"]],
    ["mathematical letters", ["fraud"], "pure 𝐟𝐫𝐚𝐮𝐝 here", ["𝐟𝐫𝐚𝐮𝐝"]],
    ["zero-width characters inside a word", ["badword"], "ba\u200Bd\u00ADword", ["ba\u200Bd\u00ADword"]],
    ["a held key", ["bad"], "so baaaaad", ["baaaaad"]],
    ["a phrase across extra whitespace", ["cheap pills"], "buy cheap \n  pills now", ["cheap \n  pills"]],
    ["several words in one text", ["alpha", "beta"], "beta, then alpha", ["beta", "alpha"]],
    ["a word written with digits, as written", ["covid19"], "Covid19 is over", ["Covid19"]],
    ["a word with symbols", ["c++"], "I write C++ daily", ["C++"]],
    ["a word next to @", ["example"], "mail user@example.com", ["example"]],
    ["a word in a script without spaces", ["禁止"], "这是禁止的", ["禁止"]],
    ["Greek, case-folded", ["σοφία"], "ΣΟΦΊΑ", ["ΣΟΦΊΑ"]],
  ];
  for (const [name, words, text, expected] of table) {
    it(`matches ${name}`, () => assert.deepEqual(matches(words, text), expected));
  }

  const misses: [string, string[], string][] = [
    ["inside a longer word (class ≠ ass)", ["ass"], "a classic class assessment"],
    ["a prefix of a longer word", ["bad"], "badminton and badges"],
    ["a suffix of a longer word", ["word"], "a password and swordfish"],
    ["a phrase with a word missing", ["cheap pills"], "cheap blue pills"],
    ["digits that are just a number next to one letter", ["ai"], "A1 sauce"],
    ["a literal word read as leetspeak", ["3d"], "Ed and Al"],
    ["a word split by a real word boundary", ["badword"], "bad word"],
  ];
  for (const [name, words, text] of misses) {
    it(`does not match ${name}`, () => assert.deepEqual(matches(words, text), []));
  }

  it("reports one match per span with every word found there", () => {
    const found = createCustomWordMatcher(["Bad", "bad", "b4d"]).find("so BAD");
    assert.deepEqual(found.map((m) => [m.match, m.words.sort()]), [["BAD", [0, 1]]]);
    const phrase = createCustomWordMatcher(["bad", "bad word"]).find("a bad word");
    assert.deepEqual(phrase.map((m) => m.match), ["bad", "bad word"]);
  });

  it("ignores empty text, empty lists and words that normalize to nothing", () => {
    assert.deepEqual(matches(["bad"], ""), []);
    assert.deepEqual(matches([], "bad"), []);
    const matcher = createCustomWordMatcher(["\u200B", "  ", "ok"]);
    assert.equal(matcher.size, 1);
    assert.deepEqual(matcher.find("ok \u200B").map((m) => m.match), ["ok"]);
  });

  it("handles a 10,000-word list: every word is found, and others are not", () => {
    // Five-letter words "zq" + three letters, all distinct and none a prefix of another.
    const letters = (i: number) => [676, 26, 1].map((d) => String.fromCharCode(97 + (Math.floor(i / d) % 26))).join("");
    const words = Array.from({ length: 10_000 }, (_, i) => `zq${letters(i)}`);
    const matcher = createCustomWordMatcher(words);
    assert.equal(matcher.size, 10_000);
    const text = "start zqaaa middle ZQEKO end zqoup zqzzz zqabcd";
    assert.deepEqual(matcher.find(text).map((m) => [m.match, m.words]), [
      ["zqaaa", [0]],
      ["ZQEKO", [4 * 676 + 10 * 26 + 14]],
      ["zqoup", [9999]],
    ]);
  });

  it("scans a 100 KB text and finds words at its start, middle and end", () => {
    const filler = "The committee reviewed the quarterly assessment of classic literature. ";
    const chunk = filler.repeat(Math.ceil(50_000 / filler.length));
    const text = `forbidden ${chunk}f o r b i d d e n ${chunk}FORBIDDEN`;
    assert.ok(text.length > 100_000);
    const found = createCustomWordMatcher(["forbidden", "ass"]).find(text);
    assert.deepEqual(found.map((m) => m.match), ["forbidden", "f o r b i d d e n", "FORBIDDEN"]);
    assert.equal(found[2]!.end, text.length);
  });
});
