// Policy validation: malformed documents are refused with messages naming statement and field.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parsePolicy, parsePolicyOrThrow } from "./parse.ts";

const ok = { Effect: "Allow", Action: "bedrock:InvokeModel", Resource: "*" };
const doc = (...Statement: unknown[]) => ({ Version: "2012-10-17", Statement });

const malformed: Array<{ name: string; document: unknown; errors: RegExp[] }> = [
  { name: "not JSON", document: "{\"Version\":", errors: [/^The policy document is not valid JSON/] },
  { name: "not an object", document: [ok], errors: [/must be a JSON object/] },
  { name: "missing Version", document: { Statement: [ok] }, errors: [/^Version: must be "2012-10-17" \(it is missing\)\.$/] },
  { name: "old Version", document: { Version: "2008-10-17", Statement: [ok] }, errors: [/^Version: must be "2012-10-17", got "2008-10-17"\.$/] },
  { name: "unknown top-level field", document: { ...doc(ok), Statements: [] }, errors: [/^Statements: unknown top-level field/] },
  { name: "missing Statement", document: { Version: "2012-10-17" }, errors: [/^Statement: must be a statement object or a non-empty array/] },
  { name: "empty Statement", document: doc(), errors: [/^Statement: must be/] },
  { name: "lower-case Effect", document: doc({ ...ok, Sid: "Lower", Effect: "allow" }), errors: [/^Statement\[0\] \(Sid "Lower"\)\.Effect: must be "Allow" or "Deny", got "allow"\.$/] },
  { name: "missing Effect", document: doc(ok, { Action: "bedrock:InvokeModel", Resource: "*" }), errors: [/^Statement\[1\]\.Effect: must be "Allow" or "Deny" \(it is missing\)\.$/] },
  { name: "Action and NotAction", document: doc({ ...ok, NotAction: "bedrock:Create*" }), errors: [/^Statement\[0\]: needs exactly one of Action and NotAction, not both\.$/] },
  { name: "no Resource", document: doc({ Effect: "Allow", Action: "bedrock:InvokeModel" }), errors: [/^Statement\[0\]: needs exactly one of Resource and NotResource\.$/] },
  { name: "action without a service", document: doc({ ...ok, Action: ["bedrock:InvokeModel", "InvokeModel"] }), errors: [/^Statement\[0\]\.Action: 'InvokeModel' is not an action; use service:Action/] },
  { name: "empty Action list", document: doc({ ...ok, Action: [] }), errors: [/^Statement\[0\]\.Action: must be a non-empty string or a non-empty array/] },
  { name: "non-string Resource", document: doc({ ...ok, Resource: ["*", 7] }), errors: [/^Statement\[0\]\.Resource: must be a non-empty string/] },
  { name: "resource that is not an ARN", document: doc({ ...ok, Resource: "foundation-model/x" }), errors: [/^Statement\[0\]\.Resource: 'foundation-model\/x' is not an ARN/] },
  { name: "a Principal in an identity policy", document: doc({ ...ok, Principal: "*" }), errors: [/^Statement\[0\]\.Principal: not allowed in an identity-based policy/] },
  { name: "unknown statement field", document: { Version: "2012-10-17", Statement: { ...ok, Actions: "x" } }, errors: [/^Statement\.Actions: unknown field/] },
  { name: "Sid with spaces", document: doc({ ...ok, Sid: "Allow all" }), errors: [/\.Sid: must be a string of letters and digits/] },
  { name: "duplicate Sid", document: doc({ ...ok, Sid: "Same" }, { ...ok, Sid: "Same" }), errors: [/^Statement\[1\] \(Sid "Same"\)\.Sid: "Same" is used by another statement/] },
  { name: "unknown condition operator", document: doc({ ...ok, Condition: { StringMatches: { "aws:SourceIp": "x" } } }), errors: [/^Statement\[0\]\.Condition\.StringMatches: unsupported condition operator 'StringMatches'/] },
  { name: "unknown set qualifier", document: doc({ ...ok, Condition: { "ForSomeValues:StringEquals": { "aws:TagKeys": "x" } } }), errors: [/unknown set qualifier 'ForSomeValues'/] },
  { name: "Null with IfExists", document: doc({ ...ok, Condition: { NullIfExists: { "aws:TagKeys": "true" } } }), errors: [/Null takes neither/] },
  { name: "non-numeric NumericLessThan", document: doc({ ...ok, Condition: { NumericLessThan: { "bedrock:MaxTokens": "lots" } } }), errors: [/^Statement\[0\]\.Condition\.NumericLessThan\.bedrock:MaxTokens: 'lots' is not a number\.$/] },
  { name: "bad CIDR", document: doc({ ...ok, Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/33" } } }), errors: [/'10\.0\.0\.0\/33' is not an IP address or CIDR block/] },
  { name: "bad date", document: doc({ ...ok, Condition: { DateLessThan: { "aws:CurrentTime": "tomorrow" } } }), errors: [/'tomorrow' is not a date/] },
  { name: "bad Bool", document: doc({ ...ok, Condition: { Bool: { "aws:SecureTransport": "yes" } } }), errors: [/'yes' is not true or false/] },
  { name: "condition key without prefix", document: doc({ ...ok, Condition: { StringEquals: { SourceIp: "x" } } }), errors: [/'SourceIp' is not a condition key/] },
  { name: "condition value that is an object", document: doc({ ...ok, Condition: { StringEquals: { "aws:SourceIp": { a: 1 } } } }), errors: [/aws:SourceIp: must be a string, number or boolean/] },
  { name: "condition that is not an object", document: doc({ ...ok, Condition: "x" }), errors: [/^Statement\[0\]\.Condition: must be an object/] },
  {
    name: "every problem at once",
    document: { Version: "1", Statement: [{ ...ok, Effect: "Permit" }, { ...ok, Resource: "bucket" }] },
    errors: [/^Version/, /^Statement\[0\]\.Effect/, /^Statement\[1\]\.Resource/],
  },
];

describe("policy parsing", () => {
  for (const c of malformed) {
    it(`refuses ${c.name}`, () => {
      const result = parsePolicy("p", c.document);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.errors.length, c.errors.length, result.errors.join("\n"));
      c.errors.forEach((pattern, i) => assert.match(result.errors[i]!, pattern));
    });
  }

  it("accepts a single statement object and scalar or array fields", () => {
    const result = parsePolicy("p", {
      Version: "2012-10-17",
      Id: "ml-team",
      Statement: { Sid: "S1", Effect: "Deny", NotAction: ["bedrock:List*"], NotResource: "arn:aws:bedrock:*::foundation-model/*", Condition: { "ForAnyValue:StringLikeIfExists": { "aws:TagKeys": ["a*", 3, true] } } },
    });
    assert.ok(result.ok);
    assert.deepEqual(result.policy, {
      name: "p",
      version: "2012-10-17",
      id: "ml-team",
      statements: [
        {
          index: 0,
          sid: "S1",
          effect: "Deny",
          notAction: ["bedrock:List*"],
          notResource: ["arn:aws:bedrock:*::foundation-model/*"],
          conditions: [{ operator: "ForAnyValue:StringLikeIfExists", base: "StringLike", qualifier: "ForAnyValue", ifExists: true, key: "aws:TagKeys", values: ["a*", "3", "true"] }],
        },
      ],
    });
    assert.deepEqual(result.warnings, []);
  });

  it("warns about bedrock actions it does not know, without refusing them", () => {
    const result = parsePolicy("p", doc({ ...ok, Action: ["bedrock:InvokeModels", "bedrock:Invoke*", "bedrock:Frob*", "s3:GetObject"] }));
    assert.ok(result.ok);
    assert.deepEqual(result.warnings, [
      "Statement[0].Action: 'bedrock:InvokeModels' matches no Bedrock action Basalt knows (a typo?).",
      "Statement[0].Action: 'bedrock:Frob*' matches no Bedrock action Basalt knows.",
    ]);
  });

  it("throws a ValidationException naming the policy", () => {
    assert.throws(() => parsePolicyOrThrow("team-ml", doc({ ...ok, Effect: "allow" })), {
      name: "ValidationException",
      message: /^The policy 'team-ml' is invalid: Statement\[0\]\.Effect: must be "Allow" or "Deny", got "allow"\.$/,
    });
  });
});
