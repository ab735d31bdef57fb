import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalizeText } from "./normalize.ts";

describe("normalizeText", () => {
  it("folds case, full-width forms and accents", () => {
    assert.equal(normalizeText("HATE"), "hate");
    assert.equal(normalizeText("ｈａｔｅ"), "hate");
    assert.equal(normalizeText("hàté"), "hate");
  });

  it("maps leetspeak inside words but leaves numbers alone", () => {
    assert.equal(normalizeText("k1ll"), "kill");
    assert.equal(normalizeText("h4t3"), "hate");
    assert.equal(normalizeText("a55hole"), "asshole");
    assert.equal(normalizeText("$hit"), "shit");
    assert.equal(normalizeText("in 2023 at 10:30"), "in 2023 at 10:30");
    assert.equal(normalizeText("covid-19"), "covid-19");
  });

  it("keeps a trailing exclamation mark as punctuation", () => {
    assert.equal(normalizeText("go away!"), "go away!");
  });

  it("joins letters spelled out one by one", () => {
    assert.equal(normalizeText("we h a t e you"), "we hate you");
    // A leading one-letter word cannot be told apart from the spelled word: "I H A T E" → "ihate".
    assert.equal(normalizeText("I H A T E"), "ihate");
    assert.equal(normalizeText("h.a.t.e"), "hate");
    assert.equal(normalizeText("k-i-l-l them"), "kill them");
    // Two single letters are ordinary words, not a spelled-out word.
    assert.equal(normalizeText("a b"), "a b");
  });

  it("maps Cyrillic and Greek look-alikes to Latin letters", () => {
    assert.equal(normalizeText("раураl"), "paypal");
    assert.equal(normalizeText("іdіοt"), "idiot");
  });

  it("shortens runs of a repeated letter and collapses whitespace", () => {
    assert.equal(normalizeText("kiiiiill"), "kiill");
    assert.equal(normalizeText("  so \n\t tired  "), "so tired");
  });

  it("reads masked-PII placeholders as plain words, and leaves other braces alone", () => {
    assert.equal(normalizeText("Please send the invoice to {EMAIL}."), "please send the invoice to email.");
    assert.equal(normalizeText("SSN: {US_SOCIAL_SECURITY_NUMBER}"), "ssn: us social security number");
    assert.equal(normalizeText("{name} and {{system}} and {}"), "{name} and {{system}} and {}");
  });

  it("handles empty and emoji-only text", () => {
    assert.equal(normalizeText(""), "");
    assert.equal(normalizeText("🙂🙂🙂"), "🙂🙂");
  });
});
