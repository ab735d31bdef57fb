// Policy evaluation as a table of cases: each row is policies + request → decision and the
// statement that decided it ("policy/Sid", or "policy#index" for a statement without Sid).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parsePolicyOrThrow } from "./parse.ts";
import { evaluatePolicies, simulate } from "./evaluate.ts";
import type { Decision, RequestContext } from "./types.ts";

const FM = "arn:aws:bedrock:us-east-1::foundation-model";
const HAIKU = `${FM}/anthropic.claude-3-haiku-20240307-v1:0`;
const SONNET = `${FM}/anthropic.claude-3-5-sonnet-20240620-v1:0`;
const LLAMA = `${FM}/meta.llama3-1-8b-instruct-v1:0`;
const INVOKE = "bedrock:InvokeModel";
const STREAM = "bedrock:InvokeModelWithResponseStream";

type Doc = Record<string, unknown>;
const policy = (...Statement: Doc[]): Doc => ({ Version: "2012-10-17", Statement });
const allow = (Action: unknown, Resource: unknown, extra: Doc = {}): Doc => ({ Effect: "Allow", Action, Resource, ...extra });
const deny = (Action: unknown, Resource: unknown, extra: Doc = {}): Doc => ({ Effect: "Deny", Action, Resource, ...extra });
/** Allow InvokeModel on everything when `Condition` holds. */
const allowIf = (Condition: Doc): Doc => policy(allow(INVOKE, "*", { Sid: "Cond", Condition }));

interface Case {
  name: string;
  policies: Doc[];
  action?: string;
  resource?: string;
  context?: RequestContext;
  expect: Decision;
  /** "policyName/Sid" or "policyName#index"; policies are named p0, p1, … */
  by?: string;
}

const cases: Case[] = [
  // Allow, default deny.
  { name: "allow on an exact model ARN", policies: [policy(allow(INVOKE, HAIKU, { Sid: "Haiku" }))], resource: HAIKU, expect: "allowed", by: "p0/Haiku" },
  { name: "another model is implicitly denied", policies: [policy(allow(INVOKE, HAIKU))], resource: SONNET, expect: "implicitDeny" },
  { name: "another action is implicitly denied", policies: [policy(allow(INVOKE, HAIKU))], action: STREAM, resource: HAIKU, expect: "implicitDeny" },
  { name: "no policies at all", policies: [], expect: "implicitDeny" },
  { name: "a statement without Sid is named by index", policies: [policy(allow("s3:GetObject", "*"), allow(INVOKE, "*"))], expect: "allowed", by: "p0#1" },
  // Case rules.
  { name: "actions match case-insensitively", policies: [policy(allow("BEDROCK:invokemodel", HAIKU))], resource: HAIKU, expect: "allowed" },
  { name: "resources match case-sensitively", policies: [policy(allow(INVOKE, HAIKU.replace("anthropic", "Anthropic")))], resource: HAIKU, expect: "implicitDeny" },
  // Wildcards.
  { name: "* in an action", policies: [policy(allow("bedrock:Invoke*", HAIKU))], action: STREAM, resource: HAIKU, expect: "allowed" },
  { name: "* in a resource", policies: [policy(allow(INVOKE, `${FM}/anthropic.*`))], resource: SONNET, expect: "allowed" },
  { name: "* in a resource does not cross into another prefix", policies: [policy(allow(INVOKE, `${FM}/anthropic.*`))], resource: LLAMA, expect: "implicitDeny" },
  { name: "? matches exactly one character", policies: [policy(allow(INVOKE, `${FM}/meta.llama3-?-8b-instruct-v1:0`))], resource: LLAMA, expect: "allowed" },
  { name: "? does not match two characters", policies: [policy(allow(INVOKE, `${FM}/meta.llama3-??-8b-instruct-v1:0`))], resource: LLAMA, expect: "implicitDeny" },
  { name: "* everywhere", policies: [policy(allow("*", "*"))], action: "bedrock:CreateKnowledgeBase", resource: "*", expect: "allowed" },
  { name: "region wildcard in an ARN", policies: [policy(allow(INVOKE, "arn:aws:bedrock:*::foundation-model/*"))], resource: HAIKU, expect: "allowed" },
  { name: "an ARN-scoped statement does not cover a '*' resource", policies: [policy(allow("bedrock:List*", `${FM}/*`))], action: "bedrock:ListFoundationModels", resource: "*", expect: "implicitDeny" },
  // Explicit deny.
  {
    name: "deny in another policy wins over allow",
    policies: [policy(allow("bedrock:*", "*", { Sid: "All" })), policy(deny(INVOKE, `${FM}/anthropic.*`, { Sid: "NoClaude" }))],
    resource: HAIKU,
    expect: "explicitDeny",
    by: "p1/NoClaude",
  },
  { name: "deny after allow in the same policy wins", policies: [policy(allow(INVOKE, "*", { Sid: "A" }), deny(INVOKE, HAIKU, { Sid: "D" }))], resource: HAIKU, expect: "explicitDeny", by: "p0/D" },
  { name: "a deny that does not match leaves the allow", policies: [policy(allow(INVOKE, "*", { Sid: "A" }), deny(INVOKE, HAIKU))], resource: LLAMA, expect: "allowed", by: "p0/A" },
  // NotAction / NotResource.
  { name: "NotAction allows what it does not list", policies: [policy({ Effect: "Allow", NotAction: "bedrock:Create*", Resource: "*" })], expect: "allowed" },
  { name: "NotAction does not allow what it lists", policies: [policy({ Effect: "Allow", NotAction: ["bedrock:Create*"], Resource: "*" })], action: "bedrock:CreateKnowledgeBase", resource: "*", expect: "implicitDeny" },
  { name: "Deny with NotResource denies every other model", policies: [policy(allow(INVOKE, "*"), { Sid: "OnlyHaiku", Effect: "Deny", Action: INVOKE, NotResource: HAIKU })], resource: LLAMA, expect: "explicitDeny", by: "p0/OnlyHaiku" },
  { name: "Deny with NotResource spares the listed model", policies: [policy(allow(INVOKE, "*", { Sid: "A" }), { Effect: "Deny", Action: INVOKE, NotResource: [HAIKU] })], resource: HAIKU, expect: "allowed", by: "p0/A" },
  // String conditions.
  { name: "StringEquals holds", policies: [allowIf({ StringEquals: { "aws:PrincipalTag/team": "ml" } })], context: { "aws:PrincipalTag/team": "ml" }, expect: "allowed", by: "p0/Cond" },
  { name: "StringEquals fails", policies: [allowIf({ StringEquals: { "aws:PrincipalTag/team": "ml" } })], context: { "aws:PrincipalTag/team": "web" }, expect: "implicitDeny" },
  { name: "StringEquals on a missing key is false", policies: [allowIf({ StringEquals: { "aws:PrincipalTag/team": "ml" } })], expect: "implicitDeny" },
  { name: "condition keys match case-insensitively", policies: [allowIf({ StringEquals: { "aws:principaltag/team": "ml" } })], context: { "AWS:PrincipalTag/Team": "ml" }, expect: "allowed" },
  { name: "several values are ORed", policies: [allowIf({ StringEquals: { "aws:PrincipalTag/team": ["ml", "research"] } })], context: { "aws:PrincipalTag/team": "research" }, expect: "allowed" },
  { name: "StringNotEquals with several values is a NOR", policies: [allowIf({ StringNotEquals: { "aws:PrincipalTag/team": ["ml", "web"] } })], context: { "aws:PrincipalTag/team": "web" }, expect: "implicitDeny" },
  { name: "StringNotEquals on a missing key is true", policies: [policy(allow(INVOKE, "*"), deny("*", "*", { Sid: "Region", Condition: { StringNotEquals: { "aws:RequestedRegion": "us-east-1" } } }))], expect: "explicitDeny", by: "p0/Region" },
  { name: "StringNotEquals holds for another value", policies: [policy(allow(INVOKE, "*"), deny("*", "*", { Sid: "Region", Condition: { StringNotEquals: { "aws:RequestedRegion": "us-east-1" } } }))], context: { "aws:RequestedRegion": "eu-west-1" }, expect: "explicitDeny" },
  { name: "StringNotEquals fails for the listed value", policies: [policy(allow(INVOKE, "*"), deny("*", "*", { Condition: { StringNotEquals: { "aws:RequestedRegion": "us-east-1" } } }))], context: { "aws:RequestedRegion": "us-east-1" }, expect: "allowed" },
  { name: "StringEqualsIgnoreCase", policies: [allowIf({ StringEqualsIgnoreCase: { "aws:PrincipalTag/team": "ML" } })], context: { "aws:PrincipalTag/team": "ml" }, expect: "allowed" },
  { name: "StringNotEqualsIgnoreCase", policies: [allowIf({ StringNotEqualsIgnoreCase: { "aws:PrincipalTag/team": "ML" } })], context: { "aws:PrincipalTag/team": "ml" }, expect: "implicitDeny" },
  { name: "StringLike with *", policies: [allowIf({ StringLike: { "aws:PrincipalArn": "arn:aws:iam::111122223333:user/ml-*" } })], context: { "aws:PrincipalArn": "arn:aws:iam::111122223333:user/ml-alice" }, expect: "allowed" },
  { name: "StringLike is case-sensitive", policies: [allowIf({ StringLike: { "aws:PrincipalArn": "*/ML-*" } })], context: { "aws:PrincipalArn": "arn:aws:iam::111122223333:user/ml-alice" }, expect: "implicitDeny" },
  { name: "StringNotLike", policies: [allowIf({ StringNotLike: { "aws:PrincipalArn": "*/intern-*" } })], context: { "aws:PrincipalArn": "arn:aws:iam::111122223333:user/intern-bob" }, expect: "implicitDeny" },
  // Numeric conditions.
  { name: "NumericLessThan holds", policies: [allowIf({ NumericLessThan: { "bedrock:MaxTokens": 1000 } })], context: { "bedrock:MaxTokens": 999 }, expect: "allowed" },
  { name: "NumericLessThan fails at the bound", policies: [allowIf({ NumericLessThan: { "bedrock:MaxTokens": "1000" } })], context: { "bedrock:MaxTokens": 1000 }, expect: "implicitDeny" },
  { name: "NumericLessThanEquals holds at the bound", policies: [allowIf({ NumericLessThanEquals: { "bedrock:MaxTokens": 1000 } })], context: { "bedrock:MaxTokens": "1000" }, expect: "allowed" },
  { name: "NumericGreaterThan", policies: [allowIf({ NumericGreaterThan: { "bedrock:MaxTokens": 10 } })], context: { "bedrock:MaxTokens": 10 }, expect: "implicitDeny" },
  { name: "NumericGreaterThanEquals", policies: [allowIf({ NumericGreaterThanEquals: { "bedrock:MaxTokens": 10 } })], context: { "bedrock:MaxTokens": 10.0 }, expect: "allowed" },
  { name: "NumericEquals compares numbers, not text", policies: [allowIf({ NumericEquals: { "bedrock:MaxTokens": "10" } })], context: { "bedrock:MaxTokens": "10.0" }, expect: "allowed" },
  { name: "NumericNotEquals", policies: [allowIf({ NumericNotEquals: { "bedrock:MaxTokens": [10, 20] } })], context: { "bedrock:MaxTokens": 20 }, expect: "implicitDeny" },
  // Bool.
  { name: "Bool true holds", policies: [allowIf({ Bool: { "aws:SecureTransport": "true" } })], context: { "aws:SecureTransport": true }, expect: "allowed" },
  { name: "Bool true fails on false", policies: [allowIf({ Bool: { "aws:SecureTransport": true } })], context: { "aws:SecureTransport": false }, expect: "implicitDeny" },
  { name: "Bool false in a Deny", policies: [policy(allow(INVOKE, "*"), deny("*", "*", { Sid: "Tls", Condition: { Bool: { "aws:SecureTransport": "false" } } }))], context: { "aws:SecureTransport": "false" }, expect: "explicitDeny", by: "p0/Tls" },
  // IP addresses.
  { name: "IpAddress in a CIDR", policies: [allowIf({ IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"] } })], context: { "aws:SourceIp": "10.1.2.3" }, expect: "allowed" },
  { name: "IpAddress for an IPv4-mapped IPv6 client", policies: [allowIf({ IpAddress: { "aws:SourceIp": "10.0.0.0/8" } })], context: { "aws:SourceIp": "::ffff:10.1.2.3" }, expect: "allowed" },
  { name: "IpAddress for IPv6", policies: [allowIf({ IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"] } })], context: { "aws:SourceIp": "2001:db8:1::5" }, expect: "allowed" },
  { name: "IpAddress outside the range", policies: [allowIf({ IpAddress: { "aws:SourceIp": "10.0.0.0/8" } })], context: { "aws:SourceIp": "192.168.1.1" }, expect: "implicitDeny" },
  { name: "IpAddress with a single address", policies: [allowIf({ IpAddress: { "aws:SourceIp": "192.168.1.1" } })], context: { "aws:SourceIp": "192.168.1.1" }, expect: "allowed" },
  { name: "NotIpAddress in a Deny", policies: [policy(allow(INVOKE, "*"), deny("*", "*", { Sid: "Office", Condition: { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } } }))], context: { "aws:SourceIp": "198.51.100.7" }, expect: "explicitDeny", by: "p0/Office" },
  { name: "NotIpAddress spares the office", policies: [policy(allow(INVOKE, "*", { Sid: "A" }), deny("*", "*", { Condition: { NotIpAddress: { "aws:SourceIp": "203.0.113.0/24" } } }))], context: { "aws:SourceIp": "203.0.113.9" }, expect: "allowed", by: "p0/A" },
  // Dates.
  { name: "DateLessThan holds", policies: [allowIf({ DateLessThan: { "aws:CurrentTime": "2027-01-01T00:00:00Z" } })], context: { "aws:CurrentTime": new Date("2026-11-22T10:00:00Z") }, expect: "allowed" },
  { name: "DateLessThan fails after", policies: [allowIf({ DateLessThan: { "aws:CurrentTime": "2027-01-01T00:00:00Z" } })], context: { "aws:CurrentTime": "2027-06-01T00:00:00Z" }, expect: "implicitDeny" },
  { name: "DateGreaterThan with epoch seconds", policies: [allowIf({ DateGreaterThan: { "aws:EpochTime": 1798761600 } })], context: { "aws:EpochTime": 1798761601 }, expect: "allowed" },
  { name: "DateGreaterThanEquals", policies: [allowIf({ DateGreaterThanEquals: { "aws:CurrentTime": "2026-11-22T10:00:00Z" } })], context: { "aws:CurrentTime": "2026-11-22T09:59:59Z" }, expect: "implicitDeny" },
  { name: "DateLessThanEquals", policies: [allowIf({ DateLessThanEquals: { "aws:CurrentTime": "2026-11-22T10:00:00Z" } })], context: { "aws:CurrentTime": "2026-11-22T10:00:00Z" }, expect: "allowed" },
  // ARNs.
  { name: "ArnLike component by component", policies: [allowIf({ ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/ml-*" } })], context: { "aws:PrincipalArn": "arn:aws:iam::111122223333:role/ml-batch" }, expect: "allowed" },
  { name: "ArnNotEquals", policies: [allowIf({ ArnNotEquals: { "aws:PrincipalArn": "arn:aws:iam::111122223333:role/ml-batch" } })], context: { "aws:PrincipalArn": "arn:aws:iam::111122223333:role/ml-batch" }, expect: "implicitDeny" },
  // Set qualifiers, IfExists, Null.
  { name: "ForAnyValue: one shared value is enough", policies: [allowIf({ "ForAnyValue:StringEquals": { "aws:TagKeys": ["b", "c"] } })], context: { "aws:TagKeys": ["a", "b"] }, expect: "allowed" },
  { name: "ForAnyValue: a missing key is false", policies: [allowIf({ "ForAnyValue:StringEquals": { "aws:TagKeys": ["b"] } })], expect: "implicitDeny" },
  { name: "ForAllValues: every value listed", policies: [allowIf({ "ForAllValues:StringEquals": { "aws:TagKeys": ["a", "b", "c"] } })], context: { "aws:TagKeys": ["a", "b"] }, expect: "allowed" },
  { name: "ForAllValues: one unlisted value fails", policies: [allowIf({ "ForAllValues:StringEquals": { "aws:TagKeys": ["a", "b"] } })], context: { "aws:TagKeys": ["a", "d"] }, expect: "implicitDeny" },
  { name: "ForAllValues: a missing key is true", policies: [allowIf({ "ForAllValues:StringLike": { "aws:TagKeys": ["team-*"] } })], expect: "allowed" },
  { name: "IfExists: a missing key passes", policies: [allowIf({ StringEqualsIfExists: { "aws:PrincipalTag/team": "ml" } })], expect: "allowed" },
  { name: "IfExists: a present key is checked", policies: [allowIf({ StringEqualsIfExists: { "aws:PrincipalTag/team": "ml" } })], context: { "aws:PrincipalTag/team": "web" }, expect: "implicitDeny" },
  { name: "Null true: deny principals without a team tag", policies: [policy(allow(INVOKE, "*"), deny("*", "*", { Sid: "NeedTeam", Condition: { Null: { "aws:PrincipalTag/team": "true" } } }))], expect: "explicitDeny", by: "p0/NeedTeam" },
  { name: "Null true: a tagged principal passes", policies: [policy(allow(INVOKE, "*", { Sid: "A" }), deny("*", "*", { Condition: { Null: { "aws:PrincipalTag/team": "true" } } }))], context: { "aws:PrincipalTag/team": "ml" }, expect: "allowed" },
  // Combining.
  {
    name: "keys and operators are ANDed",
    policies: [allowIf({ StringEquals: { "aws:PrincipalTag/team": "ml", "aws:RequestedRegion": "us-east-1" }, IpAddress: { "aws:SourceIp": "10.0.0.0/8" } })],
    context: { "aws:PrincipalTag/team": "ml", "aws:RequestedRegion": "us-east-1", "aws:SourceIp": "10.0.0.1" },
    expect: "allowed",
  },
  {
    name: "one failing key fails the statement",
    policies: [allowIf({ StringEquals: { "aws:PrincipalTag/team": "ml", "aws:RequestedRegion": "us-east-1" }, IpAddress: { "aws:SourceIp": "10.0.0.0/8" } })],
    context: { "aws:PrincipalTag/team": "ml", "aws:RequestedRegion": "us-east-1", "aws:SourceIp": "11.0.0.1" },
    expect: "implicitDeny",
  },
];

describe("policy evaluation", () => {
  for (const c of cases) {
    it(c.name, () => {
      const policies = c.policies.map((doc, i) => parsePolicyOrThrow(`p${i}`, doc));
      const result = evaluatePolicies(policies, { action: c.action ?? INVOKE, resource: c.resource ?? HAIKU, context: c.context });
      assert.equal(result.decision, c.expect);
      if (c.expect === "implicitDeny") assert.equal(result.matchedStatement, null);
      if (c.by) {
        const m = result.matchedStatement!;
        assert.equal(m.sid ? `${m.policyName}/${m.sid}` : `${m.policyName}#${m.index}`, c.by);
        assert.equal(m.effect, c.expect === "allowed" ? "Allow" : "Deny");
      }
    });
  }

  it("simulate parses documents, fills the time keys and names the deciding statement", () => {
    const principalPolicies = [
      { name: "invoke-claude", document: JSON.stringify(policy(allow([INVOKE, STREAM], `${FM}/anthropic.*`, { Sid: "Claude", Condition: { DateLessThan: { "aws:CurrentTime": "2027-01-01T00:00:00Z" } } }))) },
      { name: "guard", document: policy(deny(STREAM, SONNET, { Sid: "NoSonnetStreams" })) },
    ];
    const now = new Date("2026-11-22T10:00:00Z");
    assert.deepEqual(simulate({ principalPolicies, action: INVOKE, resource: HAIKU, now }), {
      decision: "allowed",
      matchedStatement: { policyName: "invoke-claude", index: 0, sid: "Claude", effect: "Allow" },
    });
    assert.deepEqual(simulate({ principalPolicies, action: STREAM, resource: SONNET, now }), {
      decision: "explicitDeny",
      matchedStatement: { policyName: "guard", index: 0, sid: "NoSonnetStreams", effect: "Deny" },
    });
    assert.equal(simulate({ principalPolicies, action: INVOKE, resource: HAIKU, now: new Date("2027-02-01T00:00:00Z") }).decision, "implicitDeny");
    assert.equal(simulate({ principalPolicies, action: INVOKE, resource: LLAMA, now }).decision, "implicitDeny");
    assert.throws(() => simulate({ principalPolicies: [{ name: "broken", document: "{" }], action: INVOKE, resource: HAIKU }), {
      name: "ValidationException",
      message: /policy 'broken' is invalid: The policy document is not valid JSON/,
    });
  });
});
