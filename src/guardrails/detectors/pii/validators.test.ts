import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAbaRouting, isBic, isCardNumber, isCaSin, isIban, isItin, isNhsNumber, isNino, isSsn, luhn, vinCheckDigitOk } from "./validators.ts";

describe("PII validators", () => {
  it("Luhn", () => {
    assert.equal(luhn("4111111111111111"), true);
    assert.equal(luhn("4111111111111112"), false);
    assert.equal(luhn("79927398713"), true);
    assert.equal(luhn(""), false);
    assert.equal(luhn("12a4"), false);
  });

  it("card brands by prefix and length", () => {
    assert.equal(isCardNumber("4111111111111111"), true); // Visa 16
    assert.equal(isCardNumber("378282246310005"), true); // Amex 15
    assert.equal(isCardNumber("5105105105105100"), true); // Mastercard
    assert.equal(isCardNumber("2223003122003222"), true); // Mastercard 2-series
    assert.equal(isCardNumber("6011111111111117"), true); // Discover
    assert.equal(isCardNumber("3530111333300000"), true); // JCB
    assert.equal(isCardNumber("30569309025904"), true); // Diners 14
    assert.equal(isCardNumber("378282246310005" + "0"), false); // Amex prefix, wrong length
    assert.equal(isCardNumber("9111111111111111"), false); // no brand
  });

  it("ABA routing numbers", () => {
    assert.equal(isAbaRouting("021000021"), true);
    assert.equal(isAbaRouting("011000015"), true);
    assert.equal(isAbaRouting("021000022"), false); // check digit
    assert.equal(isAbaRouting("991000021"), false); // prefix outside the Federal Reserve ranges
  });

  it("NHS numbers (mod 11)", () => {
    assert.equal(isNhsNumber("9434765919"), true);
    assert.equal(isNhsNumber("9434765918"), false);
    assert.equal(isNhsNumber("943476591"), false);
  });

  it("VIN check digit", () => {
    assert.equal(vinCheckDigitOk("1HGCM82633A004352"), true);
    assert.equal(vinCheckDigitOk("11111111111111111"), false); // no letters
    assert.equal(vinCheckDigitOk("1HGCM82633A004353"), false);
    assert.equal(vinCheckDigitOk("1HGCM8263IA004352"), false); // I is not allowed
  });

  it("SSN and ITIN issuance rules", () => {
    assert.equal(isSsn("536221234"), true);
    for (const bad of ["000221234", "666221234", "936221234", "536001234", "536220000"]) assert.equal(isSsn(bad), false, bad);
    assert.equal(isItin("912701234"), true);
    assert.equal(isItin("912401234"), false);
    assert.equal(isItin("812701234"), false);
  });

  it("UK National Insurance numbers", () => {
    assert.equal(isNino("AB123456C"), true);
    for (const bad of ["GB123456A", "QQ123456C", "AB123456E", "DA123456A", "AO123456A"]) assert.equal(isNino(bad), false, bad);
  });

  it("Canadian SINs", () => {
    assert.equal(isCaSin("130692544"), true);
    assert.equal(isCaSin("130692545"), false);
    assert.equal(isCaSin("046454286"), false); // Luhn-valid, but 0 is not issued
  });

  it("IBAN and BIC through ibantools", () => {
    assert.equal(isIban("GB82 WEST 1234 5698 7654 32"), true);
    assert.equal(isIban("gb82west12345698765432"), true);
    assert.equal(isIban("GB82WEST12345698765433"), false);
    assert.equal(isIban("DE89370400440532013000"), true);
    assert.equal(isBic("DEUTDEFF"), true);
    assert.equal(isBic("DEUTDEFF500"), true);
    assert.equal(isBic("DEUTXXFF"), false);
  });
});
