// CreateGuardrail / UpdateGuardrail validation: defaults, every documented limit with its
// Bedrock field path, and detector selection from tags.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BasaltError } from "../../spec/errors.ts";
import { parseGuardrailConfig } from "./parse-config.ts";

type Body = Record<string, unknown>;

const MESSAGES = { blockedInputMessaging: "Sorry, I can't help with that.", blockedOutputsMessaging: "Sorry, I can't answer that." };

/** A minimal valid body with one policy, plus `extra`. */
function body(extra: Body = {}): Body {
  return { name: "my-guardrail_1", ...MESSAGES, wordPolicyConfig: { managedWordListsConfig: [{ type: "PROFANITY" }] }, ...extra };
}

const topic = (extra: Body = {}) => ({ name: "Investments", definition: "Advice on where to invest money.", type: "DENY", ...extra });
const topics = (...list: Body[]) => ({ topicPolicyConfig: { topicsConfig: list } });
const filter = (extra: Body = {}) => ({ type: "HATE", inputStrength: "HIGH", outputStrength: "MEDIUM", ...extra });
const filters = (...list: Body[]) => ({ contentPolicyConfig: { filtersConfig: list } });
const words = (list: unknown[], managed: unknown[] = []) => ({ wordPolicyConfig: { wordsConfig: list, ...(managed.length ? { managedWordListsConfig: managed } : {}) } });
const pii = (...list: Body[]) => ({ sensitiveInformationPolicyConfig: { piiEntitiesConfig: list } });
const regexes = (...list: Body[]) => ({ sensitiveInformationPolicyConfig: { regexesConfig: list } });
const regex = (extra: Body = {}) => ({ name: "order-id", pattern: "ORD-\\d{6}", action: "ANONYMIZE", ...extra });
const grounding = (...list: Body[]) => ({ contextualGroundingPolicyConfig: { filtersConfig: list } });

/** The field a ValidationException names. */
function failure(input: Body, tags?: { key: string; value: string }[]): string {
  try {
    parseGuardrailConfig(input, { tags });
  } catch (error) {
    assert.ok(error instanceof BasaltError, String(error));
    assert.equal(error.code, "VALIDATION");
    assert.equal(error.name, "ValidationException");
    return /Value at '([^']*)'/.exec(error.message)?.[1] ?? error.message;
  }
  assert.fail("expected a ValidationException");
}

describe("parseGuardrailConfig: defaults", () => {
  it("fills every default of every policy", () => {
    const config = parseGuardrailConfig(
      {
        name: "all",
        description: "Every policy",
        ...MESSAGES,
        kmsKeyId: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ...topics(topic({ examples: ["Should I buy bitcoin?"] })),
        ...filters(filter(), filter({ type: "PROMPT_ATTACK", outputStrength: "NONE", inputAction: "NONE", outputEnabled: false })),
        wordPolicy: "ignored (not a Create field)",
        ...words([{ text: "competitor" }], [{ type: "PROFANITY", outputAction: "NONE" }]),
        sensitiveInformationPolicyConfig: {
          piiEntitiesConfig: [{ type: "EMAIL", action: "ANONYMIZE" }, { type: "US_SOCIAL_SECURITY_NUMBER", action: "BLOCK", outputAction: "ANONYMIZE" }],
          regexesConfig: [regex({ description: "Order numbers" })],
        },
        ...grounding({ type: "GROUNDING", threshold: 0.75 }, { type: "RELEVANCE", threshold: 0, action: "NONE", enabled: false }),
      },
      { tags: [{ key: "team", value: "x" }] },
    );
    const on = { inputEnabled: true, outputEnabled: true };
    assert.deepEqual(config, {
      name: "all",
      description: "Every policy",
      ...MESSAGES,
      kmsKeyId: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      detectors: {},
      topicPolicy: {
        topics: [{ name: "Investments", definition: "Advice on where to invest money.", examples: ["Should I buy bitcoin?"], type: "DENY", inputAction: "BLOCK", outputAction: "BLOCK", ...on }],
      },
      contentPolicy: {
        filters: [
          { type: "HATE", inputStrength: "HIGH", outputStrength: "MEDIUM", inputModalities: ["TEXT"], outputModalities: ["TEXT"], inputAction: "BLOCK", outputAction: "BLOCK", ...on },
          { type: "PROMPT_ATTACK", inputStrength: "HIGH", outputStrength: "NONE", inputModalities: ["TEXT"], outputModalities: ["TEXT"], inputAction: "NONE", outputAction: "BLOCK", inputEnabled: true, outputEnabled: false },
        ],
      },
      wordPolicy: {
        words: [{ text: "competitor", inputAction: "BLOCK", outputAction: "BLOCK", ...on }],
        managedWordLists: [{ type: "PROFANITY", inputAction: "BLOCK", outputAction: "NONE", ...on }],
      },
      sensitiveInformationPolicy: {
        piiEntities: [
          { type: "EMAIL", action: "ANONYMIZE", inputAction: "ANONYMIZE", outputAction: "ANONYMIZE", ...on },
          { type: "US_SOCIAL_SECURITY_NUMBER", action: "BLOCK", inputAction: "BLOCK", outputAction: "ANONYMIZE", ...on },
        ],
        regexes: [{ name: "order-id", pattern: "ORD-\\d{6}", description: "Order numbers", action: "ANONYMIZE", inputAction: "ANONYMIZE", outputAction: "ANONYMIZE", ...on }],
      },
      contextualGroundingPolicy: {
        filters: [
          { type: "GROUNDING", threshold: 0.75, action: "BLOCK", enabled: true },
          { type: "RELEVANCE", threshold: 0, action: "NONE", enabled: false },
        ],
      },
    });
  });

  it("keeps given modalities (without repeats) and leaves absent policies out", () => {
    const config = parseGuardrailConfig(body(filters(filter({ inputModalities: ["TEXT", "IMAGE", "TEXT"], outputModalities: ["IMAGE"] }))));
    assert.deepEqual(config.contentPolicy?.filters[0]?.inputModalities, ["TEXT", "IMAGE"]);
    assert.deepEqual(config.contentPolicy?.filters[0]?.outputModalities, ["IMAGE"]);
    assert.equal(config.topicPolicy, undefined);
    assert.equal(config.description, undefined);
    assert.ok(!("kmsKeyId" in config));
  });

  it("accepts the documented maximums", () => {
    const thirty = Array.from({ length: 30 }, (_, i) => topic({ name: `Topic ${i}?`, definition: "d".repeat(200), examples: Array(5).fill("e".repeat(100)) }));
    const tenThousand = Array.from({ length: 10_000 }, (_, i) => ({ text: `word ${i} ${"x".repeat(80)}` }));
    const ten = Array.from({ length: 10 }, (_, i) => regex({ name: `r${i}`, pattern: "a".repeat(500), description: "d".repeat(1000) }));
    const config = parseGuardrailConfig({
      name: "n".repeat(50),
      description: "d".repeat(200),
      blockedInputMessaging: "m".repeat(500),
      blockedOutputsMessaging: "m".repeat(500),
      ...topics(...thirty),
      ...filters(...["HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT"].map((type) => filter({ type })), filter({ type: "PROMPT_ATTACK", outputStrength: "NONE" })),
      ...words(tenThousand),
      ...regexes(...ten),
      ...grounding({ type: "GROUNDING", threshold: 0.99 }),
    });
    assert.equal(config.topicPolicy?.topics.length, 30);
    assert.equal(config.wordPolicy?.words.length, 10_000);
    assert.equal(config.sensitiveInformationPolicy?.regexes.length, 10);
  });
});

describe("parseGuardrailConfig: validation", () => {
  const cases: [string, Body, string][] = [
    // The guardrail itself
    ["a missing name", { ...body(), name: undefined }, "name"],
    ["an empty name", body({ name: "" }), "name"],
    ["a name over 50 characters", body({ name: "n".repeat(51) }), "name"],
    ["a name with spaces", body({ name: "my guardrail" }), "name"],
    ["an empty description", body({ description: "" }), "description"],
    ["a description over 200 characters", body({ description: "d".repeat(201) }), "description"],
    ["a missing blocked input message", { ...body(), blockedInputMessaging: undefined }, "blockedInputMessaging"],
    ["a blocked input message over 500 characters", body({ blockedInputMessaging: "m".repeat(501) }), "blockedInputMessaging"],
    ["an empty blocked output message", body({ blockedOutputsMessaging: "" }), "blockedOutputsMessaging"],
    ["a malformed KMS key", body({ kmsKeyId: "my-key" }), "kmsKeyId"],
    ["a policy that is not an object", body({ topicPolicyConfig: [] }), "topicPolicyConfig"],
    // Denied topics
    ["no topics", body(topics()), "topicPolicyConfig.topicsConfig"],
    ["31 topics", body(topics(...Array.from({ length: 31 }, (_, i) => topic({ name: `t${i}` })))), "topicPolicyConfig.topicsConfig"],
    ["a topic name over 100 characters", body(topics(topic({ name: "t".repeat(101) }))), "topicPolicyConfig.topicsConfig.0.name"],
    ["a topic name with a forbidden character", body(topics(topic(), topic({ name: "Crypto/Stocks" }))), "topicPolicyConfig.topicsConfig.1.name"],
    ["a missing definition", body(topics(topic({ definition: undefined }))), "topicPolicyConfig.topicsConfig.0.definition"],
    ["a definition over 200 characters", body(topics(topic({ definition: "d".repeat(201) }))), "topicPolicyConfig.topicsConfig.0.definition"],
    ["six examples", body(topics(topic({ examples: Array(6).fill("e") }))), "topicPolicyConfig.topicsConfig.0.examples"],
    ["an example over 100 characters", body(topics(topic({ examples: ["ok", "e".repeat(101)] }))), "topicPolicyConfig.topicsConfig.0.examples.1"],
    ["an empty example", body(topics(topic({ examples: [""] }))), "topicPolicyConfig.topicsConfig.0.examples.0"],
    ["a topic type other than DENY", body(topics(topic({ type: "ALLOW" }))), "topicPolicyConfig.topicsConfig.0.type"],
    ["a repeated topic name", body(topics(topic(), topic())), "topicPolicyConfig.topicsConfig.1.name"],
    ["an unknown topic action", body(topics(topic({ outputAction: "ANONYMIZE" }))), "topicPolicyConfig.topicsConfig.0.outputAction"],
    ["a non-boolean enabled switch", body(topics(topic({ inputEnabled: "yes" }))), "topicPolicyConfig.topicsConfig.0.inputEnabled"],
    ["an unknown tier", body({ topicPolicyConfig: { topicsConfig: [topic()], tierConfig: { tierName: "GOLD" } } }), "topicPolicyConfig.tierConfig.tierName"],
    // Content filters
    ["no content filters", body(filters()), "contentPolicyConfig.filtersConfig"],
    ["an unknown content filter type", body(filters(filter({ type: "SPAM" }))), "contentPolicyConfig.filtersConfig.0.type"],
    ["an unknown strength", body(filters(filter({ inputStrength: "EXTREME" }))), "contentPolicyConfig.filtersConfig.0.inputStrength"],
    ["a missing output strength", body(filters(filter({ outputStrength: undefined }))), "contentPolicyConfig.filtersConfig.0.outputStrength"],
    ["a repeated content filter type", body(filters(filter(), filter({ type: "VIOLENCE" }), filter())), "contentPolicyConfig.filtersConfig.2.type"],
    ["a prompt-attack filter on outputs", body(filters(filter({ type: "PROMPT_ATTACK", outputStrength: "LOW" }))), "contentPolicyConfig.filtersConfig.0.outputStrength"],
    ["an unknown modality", body(filters(filter({ inputModalities: ["AUDIO"] }))), "contentPolicyConfig.filtersConfig.0.inputModalities.0"],
    ["an empty modality list", body(filters(filter({ outputModalities: [] }))), "contentPolicyConfig.filtersConfig.0.outputModalities"],
    // Word filters
    ["a word policy with no lists", body({ wordPolicyConfig: {} }), "wordPolicyConfig"],
    ["an empty word list", body(words([])), "wordPolicyConfig.wordsConfig"],
    ["10,001 words", body(words(Array.from({ length: 10_001 }, (_, i) => ({ text: `w${i}` })))), "wordPolicyConfig.wordsConfig"],
    ["an empty word", body(words([{ text: "ok" }, { text: "" }])), "wordPolicyConfig.wordsConfig.1.text"],
    ["a blank word", body(words([{ text: "   " }])), "wordPolicyConfig.wordsConfig.0.text"],
    ["a word over 100 characters", body(words([{ text: "w".repeat(101) }])), "wordPolicyConfig.wordsConfig.0.text"],
    ["a phrase of four words", body(words([{ text: "one two three four" }])), "wordPolicyConfig.wordsConfig.0.text"],
    ["a word that is not an object", body(words(["plain"])), "wordPolicyConfig.wordsConfig.0"],
    ["an unknown managed list", body(words([{ text: "x" }], [{ type: "SLURS" }])), "wordPolicyConfig.managedWordListsConfig.0.type"],
    ["a repeated managed list", body(words([{ text: "x" }], [{ type: "PROFANITY" }, { type: "PROFANITY" }])), "wordPolicyConfig.managedWordListsConfig.1.type"],
    // Sensitive information
    ["a sensitive-information policy with no lists", body({ sensitiveInformationPolicyConfig: {} }), "sensitiveInformationPolicyConfig"],
    ["an unknown PII type", body(pii({ type: "EMAIL", action: "BLOCK" }, { type: "SSN", action: "BLOCK" })), "sensitiveInformationPolicyConfig.piiEntitiesConfig.1.type"],
    ["a missing PII action", body(pii({ type: "EMAIL" })), "sensitiveInformationPolicyConfig.piiEntitiesConfig.0.action"],
    ["an unknown PII output action", body(pii({ type: "EMAIL", action: "BLOCK", outputAction: "REDACT" })), "sensitiveInformationPolicyConfig.piiEntitiesConfig.0.outputAction"],
    ["a repeated PII type", body(pii({ type: "EMAIL", action: "BLOCK" }, { type: "EMAIL", action: "ANONYMIZE" })), "sensitiveInformationPolicyConfig.piiEntitiesConfig.1.type"],
    ["eleven regexes", body(regexes(...Array.from({ length: 11 }, (_, i) => regex({ name: `r${i}` })))), "sensitiveInformationPolicyConfig.regexesConfig"],
    ["a regex name over 100 characters", body(regexes(regex({ name: "r".repeat(101) }))), "sensitiveInformationPolicyConfig.regexesConfig.0.name"],
    ["a regex pattern over 500 characters", body(regexes(regex({ pattern: "a".repeat(501) }))), "sensitiveInformationPolicyConfig.regexesConfig.0.pattern"],
    ["a regex that does not compile", body(regexes(regex(), regex({ name: "bad", pattern: "ORD-(\\d+" }))), "sensitiveInformationPolicyConfig.regexesConfig.1.pattern"],
    ["a regex RE2 cannot run (lookahead)", body(regexes(regex({ pattern: "(?=ORD)\\w+" }))), "sensitiveInformationPolicyConfig.regexesConfig.0.pattern"],
    ["an empty regex description", body(regexes(regex({ description: "" }))), "sensitiveInformationPolicyConfig.regexesConfig.0.description"],
    ["a regex description over 1000 characters", body(regexes(regex({ description: "d".repeat(1001) }))), "sensitiveInformationPolicyConfig.regexesConfig.0.description"],
    ["a missing regex action", body(regexes(regex({ action: undefined }))), "sensitiveInformationPolicyConfig.regexesConfig.0.action"],
    ["a repeated regex name", body(regexes(regex(), regex())), "sensitiveInformationPolicyConfig.regexesConfig.1.name"],
    // Contextual grounding
    ["no grounding filters", body(grounding()), "contextualGroundingPolicyConfig.filtersConfig"],
    ["a grounding threshold of 1", body(grounding({ type: "GROUNDING", threshold: 1 })), "contextualGroundingPolicyConfig.filtersConfig.0.threshold"],
    ["a negative grounding threshold", body(grounding({ type: "RELEVANCE", threshold: -0.1 })), "contextualGroundingPolicyConfig.filtersConfig.0.threshold"],
    ["a threshold that is not a number", body(grounding({ type: "GROUNDING", threshold: "0.5" })), "contextualGroundingPolicyConfig.filtersConfig.0.threshold"],
    ["an unknown grounding type", body(grounding({ type: "FACTUALITY", threshold: 0.5 })), "contextualGroundingPolicyConfig.filtersConfig.0.type"],
    ["an unknown grounding action", body(grounding({ type: "GROUNDING", threshold: 0.5, action: "ANONYMIZE" })), "contextualGroundingPolicyConfig.filtersConfig.0.action"],
    ["a repeated grounding type", body(grounding({ type: "GROUNDING", threshold: 0.5 }, { type: "GROUNDING", threshold: 0.6 })), "contextualGroundingPolicyConfig.filtersConfig.1.type"],
  ];
  for (const [name, input, field] of cases) {
    it(`rejects ${name} on ${field}`, () => assert.equal(failure(input), field));
  }

  it("rejects a guardrail without any policy", () => {
    const message = failure({ name: "empty", ...MESSAGES, wordPolicyConfig: null });
    assert.match(message, /at least one policy/);
  });

  it("names the offending enum value set", () => {
    assert.throws(() => parseGuardrailConfig(body(filters(filter({ inputStrength: "EXTREME" })))), /enum value set: \[NONE, LOW, MEDIUM, HIGH\]/);
  });
});

describe("parseGuardrailConfig: detector tags", () => {
  const tags = (...pairs: [string, string][]) => pairs.map(([key, value]) => ({ key, value }));

  it("reads builtin and model choices and ignores other tags", () => {
    const config = parseGuardrailConfig(body(), {
      tags: tags(["basalt:detector:content", "model/meta.llama-guard-3-8b:1"], ["basalt:detector:topics", "builtin"], ["basalt:detector:grounding", "model/qwen2.5"], ["owner", "model/x y"]),
    });
    assert.deepEqual(config.detectors, {
      content: { kind: "model", modelId: "meta.llama-guard-3-8b:1" },
      topics: { kind: "builtin" },
      grounding: { kind: "model", modelId: "qwen2.5" },
    });
  });

  const malformed: [string, [string, string][]][] = [
    ["an unknown policy", [["basalt:detector:pii", "builtin"]]],
    ["an unknown value", [["basalt:detector:content", "llama-guard"]]],
    ["a model without an id", [["basalt:detector:content", "model/"]]],
    ["a model id with spaces", [["basalt:detector:topics", "model/my model"]]],
    ["the same policy twice", [["basalt:detector:content", "builtin"], ["basalt:detector:content", "model/m"]]],
  ];
  for (const [name, pairs] of malformed) {
    it(`rejects ${name} on tags`, () => assert.equal(failure(body(), tags(...pairs)), "tags"));
  }
});
