import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PII_ENTITY_TYPES, type PiiEntityType } from "../../guardrail.ts";
import type { PiiMatch } from "../../policy.ts";
import { builtinPiiRecognizer, createPiiRecognizer, resolveOverlaps } from "./recognizer.ts";

const ALL = new Set<PiiEntityType>(PII_ENTITY_TYPES);

function find(text: string, types: Iterable<PiiEntityType> = ALL): PiiMatch[] {
  return builtinPiiRecognizer.find(text, new Set(types));
}

function found(text: string, types?: Iterable<PiiEntityType>): string[] {
  return find(text, types).map((m) => `${m.type}:${m.match}`);
}

describe("built-in PII recognizer: matches", () => {
  it("reports type, offsets, the matched text and a score in [0, 1]", () => {
    const text = "Mail jane@example.com now";
    const [m] = find(text);
    assert.deepEqual({ ...m, score: undefined }, { type: "EMAIL", start: 5, end: 21, match: "jane@example.com", score: undefined });
    assert.ok(m!.score > 0 && m!.score <= 1);
  });

  it("gives checksum-validated matches a score of 1", () => {
    for (const m of find("Card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, VIN 1HGCM82633A004352.")) assert.equal(m.score, 1, m.type);
  });

  it("finds only the requested types", () => {
    const text = "Jane Doe, jane@example.com, (415) 555-0132";
    assert.deepEqual(found(text, ["PHONE"]), ["PHONE:(415) 555-0132"]);
    assert.deepEqual(find(text, []), []);
  });

  it("returns nothing for empty or blank text", () => {
    assert.deepEqual(find(""), []);
    assert.deepEqual(find(" \n\t "), []);
  });
});

describe("built-in PII recognizer: checksums reject look-alikes", () => {
  const cases: [string, PiiEntityType, string][] = [
    ["card failing Luhn", "CREDIT_DEBIT_CARD_NUMBER", "Charge my card 4111 1111 1111 1112 today."],
    ["16 digits failing Luhn", "CREDIT_DEBIT_CARD_NUMBER", "Card number: 1234567812345678."],
    ["all-zero card", "CREDIT_DEBIT_CARD_NUMBER", "Card 0000 0000 0000 0000."],
    ["IBAN with a wrong check", "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IBAN GB82 WEST 1234 5698 7654 33."],
    ["IBAN of the wrong length", "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IBAN GB82 WEST 1234 5698 7654."],
    ["routing number failing ABA", "US_BANK_ROUTING_NUMBER", "Routing number 021000022."],
    ["NHS number failing mod 11", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "NHS number 943 476 5918."],
    ["SIN failing Luhn", "CA_SOCIAL_INSURANCE_NUMBER", "My SIN is 130 692 545."],
    ["VIN with a wrong check digit and no cue", "VEHICLE_IDENTIFICATION_NUMBER", "Part 1HGCM82633A004353 shipped."],
    ["SSN with area 000", "US_SOCIAL_SECURITY_NUMBER", "SSN 000-12-3456."],
    ["SSN with area 666", "US_SOCIAL_SECURITY_NUMBER", "SSN 666-12-3456."],
    ["SSN with group 00", "US_SOCIAL_SECURITY_NUMBER", "SSN 536-00-1234."],
    ["ITIN with a group outside the IRS ranges", "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "ITIN 912-40-1234."],
    ["NINO with a forbidden prefix", "UK_NATIONAL_INSURANCE_NUMBER", "NI number GB123456A."],
    ["SWIFT with an unknown country", "SWIFT_CODE", "SWIFT DEUTXXFF."],
  ];
  for (const [why, type, text] of cases) {
    it(`rejects a ${why}`, () => assert.deepEqual(found(text, [type]), []));
  }

  it("accepts the valid twins of those numbers", () => {
    assert.deepEqual(found("Charge my card 4111 1111 1111 1111 today.", ["CREDIT_DEBIT_CARD_NUMBER"]), ["CREDIT_DEBIT_CARD_NUMBER:4111 1111 1111 1111"]);
    assert.deepEqual(found("Routing number 021000021.", ["US_BANK_ROUTING_NUMBER"]), ["US_BANK_ROUTING_NUMBER:021000021"]);
    assert.deepEqual(found("NHS number 943 476 5919.", ["UK_NATIONAL_HEALTH_SERVICE_NUMBER"]), ["UK_NATIONAL_HEALTH_SERVICE_NUMBER:943 476 5919"]);
    assert.deepEqual(found("iban: gb82west12345698765432", ["INTERNATIONAL_BANK_ACCOUNT_NUMBER"]), ["INTERNATIONAL_BANK_ACCOUNT_NUMBER:gb82west12345698765432"]);
  });
});

describe("built-in PII recognizer: cues keep short numbers quiet", () => {
  it("needs a cue for CVV, expiry, PIN, passport, driver ID, account and plate numbers", () => {
    assert.deepEqual(find("Room 837, gate 4821, 09/28 and 530123456 and D1234-56789 and 000123456789 and 7ABC123."), []);
  });

  it("does not take a plain English word as a password or user name", () => {
    assert.deepEqual(found("The password is incorrect and your username is required.", ["PASSWORD", "USERNAME"]), []);
    assert.deepEqual(found('password: "correct horse battery"', ["PASSWORD"]), ["PASSWORD:correct horse battery"]);
  });

  it("takes an AWS secret key only near a secret-key cue or an access key, never a SHA-1", () => {
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    assert.deepEqual(found(`Token ${secret} here`, ["AWS_SECRET_KEY"]), []);
    assert.deepEqual(found(`AKIAIOSFODNN7EXAMPLE:${secret}`, ["AWS_SECRET_KEY"]), [`AWS_SECRET_KEY:${secret}`]);
    assert.deepEqual(found("secret key 3f786850e387550fdab836ed7e6dc881de23001b", ["AWS_SECRET_KEY"]), []);
  });
});

describe("built-in PII recognizer: look-alikes are not PII", () => {
  const quiet = [
    "Order #5551234567 shipped; order number 4155550132 is on its way.",
    "Invoice INV-2023-000123 is due 2024-01-15 at 12:30:45; ref 2023/11/05.",
    "Meeting on 12/05/2023 from 09:00 to 17:30 in room 4-201.",
    "Upgrade to v2.10.3, version 1.2.3.4 or 1.2.3.4-beta, build 10.0.19045.2006.",
    "ISBN 978-3-16-148410-0 and ISBN-13: 9780306406157 are both in print.",
    "Part no. 800-555-0199 and SKU 415-555-0132-XL are in stock; product code 212-555-0147 ships soon.",
    "The zip code is 94105. The other one is 10001.",
    "We measured 3.14159, 2.71828 and 1.41421356; the temperature was 98.6.",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b fixed the build",
    "Transaction 1234567890123456 is pending.",
    "Gate 12 at Terminal 3; flight BA 2490; seat 14C.",
    "Windows 11, Office 365, Boeing 747, Route 66 and Studio 54.",
    "Kubernetes and PostgreSQL run on Linux. Python is a language. Apple released the iPhone 15 in September.",
    "The Great Gatsby was written in 1925. Chapter 12 Section 3 covers the trip.",
    "Call Center Hours: Monday to Friday. Customer Service will respond within 2 days.",
    "Use std::vector and 10:30:00 timestamps; see config.json and README.md.",
  ];
  for (const text of quiet) {
    it(`finds nothing in: ${text.slice(0, 50)}…`, () => assert.deepEqual(found(text), []));
  }

  it("still takes a bare dotted quad as an IP address", () => {
    assert.deepEqual(found("Ping 1.2.3.4 and 10.0.0.255 now.", ["IP_ADDRESS"]), ["IP_ADDRESS:1.2.3.4", "IP_ADDRESS:10.0.0.255"]);
  });
});

describe("built-in PII recognizer: whole addresses", () => {
  const addresses = (text: string): string[] => find(text, ["ADDRESS"]).map((m) => m.match);
  const cases: [string, string, string][] = [
    [
      "the postcode after the country",
      "card number 4111111111111111 is lost, can you please send a new one to 14 Crown Street\n Suite 321\n LONDON\n United Kingdom 75419? I am in Sutri for a business trip",
      "14 Crown Street\n Suite 321\n LONDON\n United Kingdom 75419",
    ],
    ["a region and postcode line", "Bot: where should we send it? User: 0605 Pentelis 210 Apt. 999\nDelmas, MP 35739", "0605 Pentelis 210 Apt. 999\nDelmas, MP 35739"],
    ["a region and postcode line in lower-case text", "bot: where should we send it? user: 0605 πεντέλης 210 apt. 999\ndelmas, mp 35739", "0605 πεντέλης 210 apt. 999\ndelmas, mp 35739"],
    ["city, region and postcode on lines of their own", "The address of Compliance And Risks is 9554 62 Rue Gafsa Apt. 981\nToronto\n, ON\n 82269", "9554 62 Rue Gafsa Apt. 981\nToronto\n, ON\n 82269"],
    ["a numeric region code", "The restaurant is located at 704 1436 Redbud Drive\nCite Essanaouber\n, 32\n 60810. It serves great Slovenian food.", "704 1436 Redbud Drive\nCite Essanaouber\n, 32\n 60810"],
    ["a multi-word country", "Hello I moved, please update my new address is 224 4966 Bond Street\n Suite 413\n Warwick\n United States", "224 4966 Bond Street\n Suite 413\n Warwick\n United States"],
    ["a street name, then the number", "He lives on the north side of Joaquin Suarez 2906.", "Joaquin Suarez 2906"],
    ["a street name with an English first word", "The bus station is on Pod Floriánem 1677", "Pod Floriánem 1677"],
    ["a street name, the number, then postcode and town", "Our office moved to Slovenčeva 51, 1000 Ljubljana last year.", "Slovenčeva 51, 1000 Ljubljana"],
    ["a Czech postcode and the country on the next lines", "Ship to Mlýnská 1540\n110 00 Praha\nCzech Republic", "Mlýnská 1540\n110 00 Praha\nCzech Republic"],
    ["a building number before the street number", "I'll meet you at 010 63 Avenue du Golf Arabe Suite 910\nHellendoorn, OV 21072 after the concert.", "010 63 Avenue du Golf Arabe Suite 910\nHellendoorn, OV 21072"],
    ["a British flat and postcode", "Invoice recipient:\nAcme Ltd\nFlat 12\nJones Fields\nWest Sarah\nSW1A 1AA", "Flat 12\nJones Fields\nWest Sarah\nSW1A 1AA"],
    ["a Canadian postcode and the country", "Head office: 123 Bay Street\nToronto, ON M5J 2N8\nCanada", "123 Bay Street\nToronto, ON M5J 2N8\nCanada"],
    ["a French street type in lower case", "Please deliver to 64, rue de Marchand\n75001 Paris.", "64, rue de Marchand\n75001 Paris"],
    ["a building number and street word before the street number", "The letter arrived at 2035 Gewerbepark 45 Apt. 815 Suite 979, Brú, Iceland 82407 last night.", "2035 Gewerbepark 45 Apt. 815 Suite 979, Brú, Iceland 82407"],
    ["a street name with a particle and a town with one", "I now live in 6570 Jiřího z Poděbrad 1874\n Apt. 008\n Velká Bukovina u Decína\n Czech Republic 67420", "6570 Jiřího z Poděbrad 1874\n Apt. 008\n Velká Bukovina u Decína\n Czech Republic 67420"],
    ["quoted lines with no space after the mark", ">Alberico Rizzo\n>770 26 rue des lieutemants Thomazo\n>Apt. 735\n>DOLE\n>France 35910", "770 26 rue des lieutemants Thomazo\n>Apt. 735\n>DOLE\n>France 35910"],
    ["a unit after a lower-case street type, then town and country", "it is 143 31 rue de la Hulotais Apt. 087 SAINT-PRIEST France", "143 31 rue de la Hulotais Apt. 087 SAINT-PRIEST France"],
    ["a district with an article after a comma", "Lóa lives at 79063 63 Rue de Kairouan, Cite El Farik", "79063 63 Rue de Kairouan, Cite El Farik"],
    ["a street name in lower-case text, without the verb before it", "pedestrians must enter on hegyalja út 98. st. the first three months", "hegyalja út 98."],
    ["a 3+2 postal code closing the address", "Suite 913 0547 Bygget 91\nANNERSTAD nan 340 12", "Suite 913 0547 Bygget 91\nANNERSTAD nan 340 12"],
  ];
  for (const [shape, text, address] of cases) {
    it(`takes ${shape}`, () => assert.deepEqual(addresses(text), [address]));
  }

  it("stops at a second street type, a contact label and the sentence going on", () => {
    assert.deepEqual(addresses("Pedestrians must enter on 137 Avenue Teboulbi St. the first three months"), ["137 Avenue Teboulbi"]);
    assert.deepEqual(addresses("The bus drops you off at 13813 3784 Archwood Avenue St."), ["13813 3784 Archwood Avenue"]);
    assert.deepEqual(addresses("Marisa Alves\nLegistorm\n09457 Vana-Viru 25 Apt. 971\nArchimandrita Pano, PA 73161\nMobile: 432 03 163"), [
      "09457 Vana-Viru 25 Apt. 971\nArchimandrita Pano, PA 73161",
    ]);
    assert.deepEqual(addresses("I once lived in 416 Kiannonkatu 98 Apt. 934 OULU NO. I now live in Oslo."), ["416 Kiannonkatu 98 Apt. 934 OULU NO"]);
  });

  const lookAlikes = [
    "Order 58213 Widget Pro 3 shipped on Monday; your order number 77120 for Blue Mountain 12 is confirmed.",
    "She was born on 14 July 1990 in Lyon and moved to Berlin in 2015.",
    "Upgrade to Windows 11 or macOS Sonoma 14 before Friday; Release 2.3 Beta 4 is out, see Build 1234 notes.",
    "Flight LH 441 to Frankfurt leaves from Gate 23 at 10:45.",
    "Send the draft to Joaquin 12 hours before the call.",
    "It is Kobe 24 forever in our hearts.",
    "The vote was Smith 52 Jones 48 in the final count.",
    "I have 2 Golf Club memberships and 1 Tennis Court booking.",
    "He is on Ozempic 2 mg weekly.",
    "Glassroth v. Moore, 229 F. Supp. 2d 1290 (M.D. Ala. 2002), was appealed.",
    "Items:\n2 Golf Club\n3 Tennis Balls\n1 Water Bottle",
    "the 2020 general election took place in november and we raised 15000 in its first week",
    "In 2019 Apple sold 12 Apt. 4 units to us, and Maria 41 was a great year for Kobe 24.",
    "We met at 10 Downing and 3 Smith u 40 times.",
  ];
  for (const text of lookAlikes) {
    it(`finds no address in: ${text.slice(0, 50)}…`, () => assert.deepEqual(addresses(text), []));
  }
});

describe("built-in PII recognizer: Unicode", () => {
  it("finds names with accents and other scripts' neighbours", () => {
    assert.deepEqual(found("Merci à Émilie Dubois-Lefèvre et à José Ramírez pour leur aide.", ["NAME"]), ["NAME:Émilie Dubois-Lefèvre", "NAME:José Ramírez"]);
  });

  it("stops an e-mail address at CJK text around it", () => {
    assert.deepEqual(found("请联系张伟zhang.wei@example.com谢谢", ["EMAIL"]), ["EMAIL:zhang.wei@example.com"]);
    assert.deepEqual(found("メールはsato@example.jpです。https://example.jp/a。", ["EMAIL", "URL"]), ["EMAIL:sato@example.jp", "URL:https://example.jp/a"]);
  });

  it("keeps UTF-16 offsets right after emoji", () => {
    const text = "🎉🎉 call (415) 555-0132";
    const [m] = find(text, ["PHONE"]);
    assert.equal(text.slice(m!.start, m!.end), "(415) 555-0132");
  });
});

describe("built-in PII recognizer: overlaps", () => {
  it("keeps the longer match: a URL over the IP inside it, an address over the name-like street", () => {
    assert.deepEqual(found("See http://10.1.2.3/admin now"), ["URL:http://10.1.2.3/admin"]);
    assert.deepEqual(found("See http://10.1.2.3/admin now", ["IP_ADDRESS"]), ["IP_ADDRESS:10.1.2.3"]);
    const address = find("Send it to 12 Victoria Street, Springfield", ["ADDRESS", "NAME"]);
    assert.deepEqual(address.map((m) => m.type), ["ADDRESS"]);
  });

  it("resolves overlaps longest first, then by score, and sorts by position", () => {
    const m = (type: PiiEntityType, start: number, end: number, score: number): PiiMatch => ({ type, start, end, match: "", score });
    assert.deepEqual(
      resolveOverlaps([m("NAME", 20, 25, 0.9), m("EMAIL", 0, 10, 1), m("URL", 5, 18, 0.7), m("PHONE", 20, 25, 0.95), m("AGE", 30, 32, 0.8)]),
      [m("URL", 5, 18, 0.7), m("PHONE", 20, 25, 0.95), m("AGE", 30, 32, 0.8)],
    );
  });

  it("runs only the rules it is given", () => {
    const emailOnly = createPiiRecognizer([{ type: "EMAIL", find: (text) => [{ type: "EMAIL", start: 0, end: text.length, match: text, score: 1 }] }]);
    assert.deepEqual(emailOnly.find("x", ALL).map((m) => m.type), ["EMAIL"]);
    assert.deepEqual(emailOnly.find("x", new Set(["NAME"])), []);
  });
});

describe("built-in PII recognizer: long input", () => {
  it("finishes on 100 KB of mixed text and finds every planted value", () => {
    const block =
      "Dear Anna Kowalska, your order shipped to 14 Crown Street, London. Questions: anna.k@example.org or +44 20 7946 0958. " +
      "Card 4111 1111 1111 1111, server 192.168.10.20. Lorem ipsum dolor sit amet, consectetur adipiscing elit 12345 67. ";
    const text = block.repeat(Math.ceil(100_000 / block.length));
    const matches = find(text);
    const copies = Math.ceil(100_000 / block.length);
    const count = (type: PiiEntityType): number => matches.filter((m) => m.type === type).length;
    assert.equal(count("EMAIL"), copies);
    assert.equal(count("CREDIT_DEBIT_CARD_NUMBER"), copies);
    assert.equal(count("IP_ADDRESS"), copies);
    assert.equal(count("PHONE"), copies);
  });

  it("finishes on hostile repetitions (long digit, letter and dot runs)", () => {
    const runs = ["9".repeat(50_000), "a.".repeat(20_000), "A ".repeat(20_000), "1-".repeat(20_000), ":".repeat(20_000), "Aa ".repeat(20_000), "a@".repeat(10_000)];
    assert.deepEqual(find(runs.join(" ")), []);
    assert.deepEqual(find(runs[1]!), []);
  });
});
