import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BasaltError } from "../../spec/errors.ts";
import {
  PII_ENTITY_TYPES,
  type GuardrailPolicies,
  type PiiAction,
  type PiiEntityConfig,
  type PiiEntityType,
  type RegexConfig,
} from "../guardrail.ts";
import type { PiiRecognizer, TextMask } from "../policy.ts";
import { compileGuardrailRegex, createSensitiveInformationPolicy, MAX_REGEX_MATCHES, mergeMasks } from "./sensitive-information.ts";

type Config = NonNullable<GuardrailPolicies["sensitiveInformationPolicy"]>;

function entity(type: PiiEntityType, action: PiiAction = "ANONYMIZE", overrides: Partial<PiiEntityConfig> = {}): PiiEntityConfig {
  return { type, action, inputAction: action, outputAction: action, inputEnabled: true, outputEnabled: true, ...overrides };
}

function regex(name: string, pattern: string, action: PiiAction = "ANONYMIZE", overrides: Partial<RegexConfig> = {}): RegexConfig {
  return { name, pattern, action, inputAction: action, outputAction: action, inputEnabled: true, outputEnabled: true, ...overrides };
}

function applyMasks(text: string, masks: readonly TextMask[]): string {
  let out = "";
  let at = 0;
  for (const m of masks) {
    out += text.slice(at, m.start) + m.replacement;
    at = m.end;
  }
  return out + text.slice(at);
}

/** One realistic sentence per Bedrock type, and the sensitive value it holds. */
const EXAMPLES: Record<PiiEntityType, { text: string; value: string }> = {
  ADDRESS: { text: "Please ship the replacement to 221B Baker Street, London NW1 6XE by Friday.", value: "221B Baker Street" },
  AGE: { text: "The patient is a pleasant woman, 87 years old, with mild hypertension.", value: "87" },
  AWS_ACCESS_KEY: { text: "Rotate the leaked key AKIAIOSFODNN7EXAMPLE before the audit.", value: "AKIAIOSFODNN7EXAMPLE" },
  AWS_SECRET_KEY: { text: "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
  CA_HEALTH_NUMBER: { text: "My Ontario health card number is 1234-567-890-AB, please update the clinic file.", value: "1234-567-890-AB" },
  CA_SOCIAL_INSURANCE_NUMBER: { text: "For payroll, my SIN is 130 692 544.", value: "130 692 544" },
  CREDIT_DEBIT_CARD_CVV: { text: "Card ending 1111, CVV: 837, please charge it today.", value: "837" },
  CREDIT_DEBIT_CARD_EXPIRY: { text: "The card expires 09/28 so it is still valid.", value: "09/28" },
  CREDIT_DEBIT_CARD_NUMBER: { text: "Charge my Mastercard 5105 1051 0510 5100 for the order.", value: "5105 1051 0510 5100" },
  DRIVER_ID: { text: "My driver's license number is D1234-56789 issued in Ohio.", value: "D1234-56789" },
  EMAIL: { text: "Write to jane.doe+billing@example.co.uk if anything changes.", value: "jane.doe+billing@example.co.uk" },
  INTERNATIONAL_BANK_ACCOUNT_NUMBER: { text: "Send the refund to IBAN GB82 WEST 1234 5698 7654 32 please.", value: "GB82 WEST 1234 5698 7654 32" },
  IP_ADDRESS: { text: "The login came from 203.0.113.42 at midnight.", value: "203.0.113.42" },
  LICENSE_PLATE: { text: "The car with license plate 7ABC123 was parked in the fire lane.", value: "7ABC123" },
  MAC_ADDRESS: { text: "Whitelist the printer at 00:1A:2B:3C:4D:5E on the office network.", value: "00:1A:2B:3C:4D:5E" },
  NAME: { text: "Please forward the contract to Jürgen Müller before noon.", value: "Jürgen Müller" },
  PASSWORD: { text: "My new password is Tr0ub4dor&3 so please reset it.", value: "Tr0ub4dor&3" },
  PHONE: { text: "You can reach me at (415) 555-0132 after six.", value: "(415) 555-0132" },
  PIN: { text: "The ATM asked for my PIN 4821 twice.", value: "4821" },
  SWIFT_CODE: { text: "Our bank's SWIFT code is DEUTDEFF500 for international wires.", value: "DEUTDEFF500" },
  UK_NATIONAL_HEALTH_SERVICE_NUMBER: { text: "Her NHS number is 943 476 5919 according to the GP.", value: "943 476 5919" },
  UK_NATIONAL_INSURANCE_NUMBER: { text: "My National Insurance number is AB 12 34 56 C.", value: "AB 12 34 56 C" },
  UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER: { text: "HMRC wrote about my UTR 12345 67890 last week.", value: "12345 67890" },
  URL: { text: "Log in at https://portal.example.com/account?id=42 to see it.", value: "https://portal.example.com/account?id=42" },
  USERNAME: { text: "Your username: jdoe_42 has been unlocked.", value: "jdoe_42" },
  US_BANK_ACCOUNT_NUMBER: { text: "Deposit it into checking account number 000123456789 please.", value: "000123456789" },
  US_BANK_ROUTING_NUMBER: { text: "Use routing number 021000021 for the direct deposit.", value: "021000021" },
  US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER: { text: "My ITIN is 912-70-1234 for the tax return.", value: "912-70-1234" },
  US_PASSPORT_NUMBER: { text: "My passport number is 530123456 and it expires soon.", value: "530123456" },
  US_SOCIAL_SECURITY_NUMBER: { text: "My social security number is 536-22-1234.", value: "536-22-1234" },
  VEHICLE_IDENTIFICATION_NUMBER: { text: "The VIN 1HGCM82633A004352 is on the dashboard.", value: "1HGCM82633A004352" },
};

describe("sensitive-information policy: built-in entity types", () => {
  for (const type of PII_ENTITY_TYPES) {
    it(`detects and masks ${type}`, async () => {
      const { text, value } = EXAMPLES[type];
      const policy = createSensitiveInformationPolicy({ piiEntities: [entity(type)], regexes: [] });
      const result = await policy.check({ text, source: "INPUT" });
      const entries = result.assessment?.piiEntities ?? [];
      assert.ok(entries.some((e) => e.type === type && e.match.includes(value) && e.action === "ANONYMIZED" && e.detected), JSON.stringify(entries));
      const masked = applyMasks(text, result.masks);
      assert.ok(masked.includes(`{${type}}`), masked);
      assert.ok(!masked.includes(value), masked);
      assert.equal(result.blocked, false);
    });
  }

  it("covers all 31 Bedrock types", () => {
    assert.equal(Object.keys(EXAMPLES).length, 31);
    assert.deepEqual(Object.keys(EXAMPLES).sort(), [...PII_ENTITY_TYPES].sort());
  });

  it("finds every type at once in one mixed text, each with its own mask", async () => {
    const text = PII_ENTITY_TYPES.map((t) => EXAMPLES[t].text).join("\n");
    const policy = createSensitiveInformationPolicy({ piiEntities: PII_ENTITY_TYPES.map((t) => entity(t)), regexes: [] });
    const result = await policy.check({ text, source: "OUTPUT" });
    const types = new Set(result.assessment?.piiEntities.map((e) => e.type));
    assert.deepEqual([...PII_ENTITY_TYPES].filter((t) => !types.has(t)), []);
    for (let i = 1; i < result.masks.length; i++) assert.ok(result.masks[i]!.start >= result.masks[i - 1]!.end);
  });
});

describe("sensitive-information policy: actions and directions", () => {
  const text = "Mail jane@example.com or call (415) 555-0132.";

  it("BLOCK reports BLOCKED and blocks, without masks", async () => {
    const policy = createSensitiveInformationPolicy({ piiEntities: [entity("EMAIL", "BLOCK")], regexes: [] });
    const result = await policy.check({ text, source: "INPUT" });
    assert.equal(result.blocked, true);
    assert.deepEqual(result.assessment?.piiEntities, [{ match: "jane@example.com", type: "EMAIL", action: "BLOCKED", detected: true }]);
    assert.deepEqual(result.masks, []);
  });

  it("NONE only reports", async () => {
    const policy = createSensitiveInformationPolicy({ piiEntities: [entity("PHONE", "NONE")], regexes: [] });
    const result = await policy.check({ text, source: "INPUT" });
    assert.equal(result.blocked, false);
    assert.deepEqual(result.masks, []);
    assert.deepEqual(result.assessment?.piiEntities, [{ match: "(415) 555-0132", type: "PHONE", action: "NONE", detected: true }]);
  });

  it("uses the action and switch of the checked direction", async () => {
    const config: Config = {
      piiEntities: [entity("EMAIL", "BLOCK", { inputAction: "BLOCK", outputAction: "ANONYMIZE" }), entity("PHONE", "BLOCK", { outputEnabled: false })],
      regexes: [],
    };
    const policy = createSensitiveInformationPolicy(config);
    const input = await policy.check({ text, source: "INPUT" });
    assert.equal(input.blocked, true);
    assert.deepEqual(input.assessment?.piiEntities.map((e) => [e.type, e.action]), [["EMAIL", "BLOCKED"], ["PHONE", "BLOCKED"]]);
    const output = await policy.check({ text, source: "OUTPUT" });
    assert.equal(output.blocked, false);
    assert.deepEqual(output.assessment?.piiEntities.map((e) => [e.type, e.action]), [["EMAIL", "ANONYMIZED"]]);
    assert.equal(applyMasks(text, output.masks), "Mail {EMAIL} or call (415) 555-0132.");
  });

  it("has no assessment when nothing matches, and for empty text", async () => {
    const policy = createSensitiveInformationPolicy({ piiEntities: PII_ENTITY_TYPES.map((t) => entity(t)), regexes: [regex("id", "ID-\\d+")] });
    for (const t of ["", "The weather is lovely today and the meeting went well."]) {
      const result = await policy.check({ text: t, source: "INPUT" });
      assert.equal(result.assessment, undefined);
      assert.equal(result.blocked, false);
      assert.deepEqual(result.masks, []);
    }
  });

  it("reports every occurrence", async () => {
    const policy = createSensitiveInformationPolicy({ piiEntities: [entity("EMAIL")], regexes: [] });
    const result = await policy.check({ text: "a@example.com, b@example.com and a@example.com", source: "INPUT" });
    assert.deepEqual(result.assessment?.piiEntities.map((e) => e.match), ["a@example.com", "b@example.com", "a@example.com"]);
    assert.equal(result.masks.length, 3);
  });

  it("passes only the enabled types to a pluggable recognizer", async () => {
    const seen: PiiEntityType[][] = [];
    const recognizer: PiiRecognizer = {
      find(text, types) {
        seen.push([...types]);
        return [{ type: "NAME", start: 0, end: 4, match: text.slice(0, 4), score: 0.9 }];
      },
    };
    const policy = createSensitiveInformationPolicy({ piiEntities: [entity("NAME"), entity("EMAIL", "BLOCK", { inputEnabled: false })], regexes: [] }, recognizer);
    const result = await policy.check({ text: "Anna wrote.", source: "INPUT" });
    assert.deepEqual(seen, [["NAME"]]);
    assert.equal(applyMasks("Anna wrote.", result.masks), "{NAME} wrote.");
  });

  it("stops when the signal is aborted", async () => {
    const policy = createSensitiveInformationPolicy({ piiEntities: [entity("EMAIL")], regexes: [] });
    await assert.rejects(policy.check({ text: "x@example.com", source: "INPUT", signal: AbortSignal.abort() }), { name: "AbortError" });
  });
});

describe("sensitive-information policy: custom regexes", () => {
  it("reports each match with its name and pattern and masks it as {name}", async () => {
    const policy = createSensitiveInformationPolicy({ piiEntities: [], regexes: [regex("employee_id", "EMP-\\d{5}")] });
    const text = "Employees EMP-12345 and EMP-67890 moved; EMP-12 is not an id.";
    const result = await policy.check({ text, source: "INPUT" });
    assert.deepEqual(result.assessment?.regexes, [
      { name: "employee_id", match: "EMP-12345", regex: "EMP-\\d{5}", action: "ANONYMIZED", detected: true },
      { name: "employee_id", match: "EMP-67890", regex: "EMP-\\d{5}", action: "ANONYMIZED", detected: true },
    ]);
    assert.deepEqual(result.assessment?.piiEntities, []);
    assert.equal(applyMasks(text, result.masks), "Employees {employee_id} and {employee_id} moved; EMP-12 is not an id.");
  });

  it("blocks with BLOCK, honours directions, and skips empty matches", async () => {
    const policy = createSensitiveInformationPolicy({
      piiEntities: [],
      regexes: [regex("secret", "(?i)project\\s+falcon", "BLOCK", { outputEnabled: false }), regex("maybe", "x*", "ANONYMIZE")],
    });
    const input = await policy.check({ text: "About Project  Falcon.", source: "INPUT" });
    assert.equal(input.blocked, true);
    assert.deepEqual(input.assessment?.regexes.map((r) => r.match), ["Project  Falcon"]);
    const output = await policy.check({ text: "About Project Falcon.", source: "OUTPUT" });
    assert.equal(output.assessment, undefined);
  });

  it("uses UTF-16 offsets around non-BMP characters", async () => {
    const policy = createSensitiveInformationPolicy({ piiEntities: [], regexes: [regex("code", "[A-Z]{3}-\\d{3}")] });
    const text = "😀 été ABC-123 🎉";
    const result = await policy.check({ text, source: "INPUT" });
    assert.equal(applyMasks(text, result.masks), "😀 été {code} 🎉");
  });

  it("caps the matches of one regex per text", async () => {
    const policy = createSensitiveInformationPolicy({ piiEntities: [], regexes: [regex("digit", "\\d")] });
    const result = await policy.check({ text: "1 ".repeat(MAX_REGEX_MATCHES + 500), source: "INPUT" });
    assert.equal(result.assessment?.regexes.length, MAX_REGEX_MATCHES);
  });

  it("finishes a catastrophic-backtracking pattern on a hostile input (RE2 is linear)", async () => {
    const policy = createSensitiveInformationPolicy({ piiEntities: [], regexes: [regex("evil", "(a+)+$"), regex("evil2", "(x+x+)+y")] });
    const result = await policy.check({ text: "a".repeat(30_000) + "!" + "x".repeat(30_000), source: "INPUT" });
    assert.equal(result.assessment, undefined);
  });

  it("merges a regex mask overlapping an entity mask into one", async () => {
    const policy = createSensitiveInformationPolicy({ piiEntities: [entity("EMAIL")], regexes: [regex("domain", "example\\.com/\\w+")] });
    const text = "Contact jane@example.com/support today";
    const result = await policy.check({ text, source: "INPUT" });
    assert.equal(result.assessment?.piiEntities.length, 1);
    assert.equal(result.assessment?.regexes.length, 1);
    assert.equal(applyMasks(text, result.masks), "Contact {EMAIL} today");
  });
});

describe("compileGuardrailRegex", () => {
  it("compiles RE2 syntax", () => {
    assert.equal(compileGuardrailRegex("(?i)^ab+c$", "pattern").matcher("ABBC").find(), true);
  });

  for (const [pattern, why] of [
    ["(a", "unbalanced"],
    ["a(?=b)", "lookahead"],
    ["(a)\\1", "backreference"],
    ["[z-a]", "bad range"],
    ["", "empty"],
    ["a".repeat(501), "too long"],
  ] as const) {
    it(`rejects a pattern (${why}) with a ValidationException naming the field`, () => {
      assert.throws(
        () => compileGuardrailRegex(pattern, "sensitiveInformationPolicyConfig.regexesConfig.1.member.pattern"),
        (error: unknown) =>
          error instanceof BasaltError &&
          error.code === "VALIDATION" &&
          error.name === "ValidationException" &&
          error.message.includes("sensitiveInformationPolicyConfig.regexesConfig.1.member.pattern"),
      );
    });
  }

  it("makes policy creation fail on a bad pattern", () => {
    assert.throws(() => createSensitiveInformationPolicy({ piiEntities: [], regexes: [regex("bad", "(?<!x)y")] }), { name: "ValidationException" });
  });
});

describe("mergeMasks", () => {
  it("keeps the earlier, longer mask and covers the union of overlapping ones", () => {
    assert.deepEqual(
      mergeMasks([
        { start: 10, end: 14, replacement: "{B}" },
        { start: 0, end: 5, replacement: "{A}" },
        { start: 3, end: 8, replacement: "{C}" },
        { start: 10, end: 20, replacement: "{D}" },
      ]),
      [
        { start: 0, end: 8, replacement: "{A}" },
        { start: 10, end: 20, replacement: "{D}" },
      ],
    );
  });
});
