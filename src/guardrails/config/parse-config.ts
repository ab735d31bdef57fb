// CreateGuardrail / UpdateGuardrail bodies → the normalized GuardrailConfig. Every limit of
// Bedrock's API reference is checked, with Bedrock's field paths
// (`topicPolicyConfig.topicsConfig.0.definition`), and every default is filled in so the store,
// the policies and GetGuardrail read one shape. Detector choices come from the guardrail's
// tags (`basalt:detector:<policy>` = `builtin` | `model/<modelId>`).
import { RE2JS } from "re2js";
import { BasaltError, validation } from "../../spec/errors.ts";
import { array, number, object, oneOf, optionalArray, optionalBoolean, optionalObject, optionalString, string, type Obj } from "../../util/validate.ts";
import {
  CONTENT_FILTER_TYPES,
  PII_ENTITY_TYPES,
  type BlockAction,
  type ContentFilterConfig,
  type DetectorChoice,
  type DetectorSelection,
  type DirectionalActions,
  type GroundingFilterConfig,
  type GuardrailConfig,
  type GuardrailPolicies,
  type ManagedWordListConfig,
  type PiiAction,
  type PiiEntityConfig,
  type RegexConfig,
  type TopicConfig,
  type WordConfig,
} from "../guardrail.ts";

/** Options of {@link parseGuardrailConfig}. */
export interface ParseGuardrailOptions {
  /** The guardrail's tags: CreateGuardrail's own, or the stored ones on UpdateGuardrail. */
  tags?: { key: string; value: string }[];
}

const NAME = /^[0-9a-zA-Z-_]+$/;
const TOPIC_NAME = /^[0-9a-zA-Z-_ !?.]+$/;
const KMS_KEY = /^(?:arn:aws(?:-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:(?:key\/[a-zA-Z0-9-]{36}|alias\/[a-zA-Z0-9-_/]+)|[a-zA-Z0-9-]{36}|alias\/[a-zA-Z0-9-_/]+)$/;
const STRENGTHS = ["NONE", "LOW", "MEDIUM", "HIGH"] as const;
const MODALITIES = ["TEXT", "IMAGE"] as const;
const BLOCK_ACTIONS = ["BLOCK", "NONE"] as const;
const PII_ACTIONS = ["BLOCK", "ANONYMIZE", "NONE"] as const;
const TIERS = ["CLASSIC", "STANDARD"] as const;

/** Limits from Bedrock's API reference and user guide (guardrails quotas). */
const LIMITS = {
  topics: 30,
  topicDefinition: 200,
  topicExamples: 5,
  contentFilters: CONTENT_FILTER_TYPES.length,
  words: 10_000,
  wordLength: 100,
  /** The user guide: custom words and phrases of up to three words. */
  wordsPerPhrase: 3,
  regexes: 10,
  groundingThreshold: 0.99,
} as const;

const POLICY_FIELDS = ["topicPolicyConfig", "contentPolicyConfig", "wordPolicyConfig", "sensitiveInformationPolicyConfig", "contextualGroundingPolicyConfig"] as const;

/** Validates a CreateGuardrail or UpdateGuardrail body and returns its normalized configuration. */
export function parseGuardrailConfig(body: Record<string, unknown>, options: ParseGuardrailOptions = {}): GuardrailConfig {
  const config: GuardrailConfig = {
    name: string(body.name, "name", { min: 1, max: 50, pattern: NAME }),
    blockedInputMessaging: string(body.blockedInputMessaging, "blockedInputMessaging", { min: 1, max: 500 }),
    blockedOutputsMessaging: string(body.blockedOutputsMessaging, "blockedOutputsMessaging", { min: 1, max: 500 }),
    detectors: parseDetectorTags(options.tags ?? []),
  };
  const description = optionalString(body.description, "description", { min: 1, max: 200 });
  if (description !== undefined) config.description = description;
  const kmsKeyId = optionalString(body.kmsKeyId, "kmsKeyId", { min: 1, max: 2048, pattern: KMS_KEY });
  if (kmsKeyId !== undefined) config.kmsKeyId = kmsKeyId;
  Object.assign(config, parsePolicies(body));
  if (!POLICY_FIELDS.some((field) => body[field] !== undefined && body[field] !== null)) {
    throw new BasaltError("VALIDATION", `A guardrail needs at least one policy: set one of ${POLICY_FIELDS.join(", ")}.`);
  }
  return config;
}

function parsePolicies(body: Obj): GuardrailPolicies {
  const policies: GuardrailPolicies = {};
  const topics = optionalObject(body.topicPolicyConfig, "topicPolicyConfig");
  if (topics) policies.topicPolicy = parseTopicPolicy(topics);
  const content = optionalObject(body.contentPolicyConfig, "contentPolicyConfig");
  if (content) policies.contentPolicy = parseContentPolicy(content);
  const words = optionalObject(body.wordPolicyConfig, "wordPolicyConfig");
  if (words) policies.wordPolicy = parseWordPolicy(words);
  const sensitive = optionalObject(body.sensitiveInformationPolicyConfig, "sensitiveInformationPolicyConfig");
  if (sensitive) policies.sensitiveInformationPolicy = parseSensitiveInformationPolicy(sensitive);
  const grounding = optionalObject(body.contextualGroundingPolicyConfig, "contextualGroundingPolicyConfig");
  if (grounding) policies.contextualGroundingPolicy = parseGroundingPolicy(grounding);
  return policies;
}

// ---- Shared pieces ----

/** The per-direction actions and switches of an entry; actions default to `fallback`, switches to on. */
function directional<A extends string>(entry: Obj, field: string, actions: readonly A[], fallback: A): DirectionalActions<A> {
  const action = (key: "inputAction" | "outputAction") =>
    entry[key] === undefined || entry[key] === null ? fallback : oneOf(entry[key], `${field}.${key}`, actions);
  return {
    inputAction: action("inputAction"),
    outputAction: action("outputAction"),
    inputEnabled: optionalBoolean(entry.inputEnabled, `${field}.inputEnabled`) ?? true,
    outputEnabled: optionalBoolean(entry.outputEnabled, `${field}.outputEnabled`) ?? true,
  };
}

/** Rejects the second entry whose `key` repeats an earlier one. */
function unique<T>(items: readonly T[], key: (item: T) => string, field: (index: number) => string, what: string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const value = key(item);
    if (seen.has(value)) throw validation(field(i), `Member must be unique: the ${what} ${JSON.stringify(value)} appears more than once`);
    seen.add(value);
  });
}

/** An optional `tierConfig` (Basalt has one tier; the value is checked, then has no effect). */
function checkTier(policy: Obj, field: string): void {
  const tier = optionalObject(policy.tierConfig, `${field}.tierConfig`);
  if (tier) oneOf(tier.tierName, `${field}.tierConfig.tierName`, TIERS);
}

function entries(value: unknown, field: string, limits: { min?: number; max?: number }): Obj[] {
  return array(value, field, limits).map((entry, i) => object(entry, `${field}.${i}`));
}

// ---- Denied topics ----

function parseTopicPolicy(policy: Obj): NonNullable<GuardrailPolicies["topicPolicy"]> {
  const field = "topicPolicyConfig.topicsConfig";
  checkTier(policy, "topicPolicyConfig");
  const topics = entries(policy.topicsConfig, field, { min: 1, max: LIMITS.topics }).map((entry, i) => parseTopic(entry, `${field}.${i}`));
  unique(topics, (t) => t.name, (i) => `${field}.${i}.name`, "topic name");
  return { topics };
}

function parseTopic(entry: Obj, field: string): TopicConfig {
  const examples = optionalArray(entry.examples, `${field}.examples`, { max: LIMITS.topicExamples }) ?? [];
  return {
    name: string(entry.name, `${field}.name`, { min: 1, max: 100, pattern: TOPIC_NAME }),
    definition: string(entry.definition, `${field}.definition`, { min: 1, max: LIMITS.topicDefinition }),
    examples: examples.map((example, i) => string(example, `${field}.examples.${i}`, { min: 1, max: 100 })),
    type: oneOf(entry.type, `${field}.type`, ["DENY"] as const),
    ...directional(entry, field, BLOCK_ACTIONS, "BLOCK"),
  };
}

// ---- Content filters ----

function parseContentPolicy(policy: Obj): NonNullable<GuardrailPolicies["contentPolicy"]> {
  const field = "contentPolicyConfig.filtersConfig";
  checkTier(policy, "contentPolicyConfig");
  const filters = entries(policy.filtersConfig, field, { min: 1, max: LIMITS.contentFilters }).map((entry, i) => parseContentFilter(entry, `${field}.${i}`));
  unique(filters, (f) => f.type, (i) => `${field}.${i}.type`, "content filter type");
  return { filters };
}

function parseContentFilter(entry: Obj, field: string): ContentFilterConfig {
  const type = oneOf(entry.type, `${field}.type`, CONTENT_FILTER_TYPES);
  const outputStrength = oneOf(entry.outputStrength, `${field}.outputStrength`, STRENGTHS);
  // Bedrock: prompt attacks are judged on input only.
  if (type === "PROMPT_ATTACK" && outputStrength !== "NONE") {
    throw validation(`${field}.outputStrength`, "a PROMPT_ATTACK filter applies to input only: its outputStrength must be NONE");
  }
  return {
    type,
    inputStrength: oneOf(entry.inputStrength, `${field}.inputStrength`, STRENGTHS),
    outputStrength,
    inputModalities: modalities(entry.inputModalities, `${field}.inputModalities`),
    outputModalities: modalities(entry.outputModalities, `${field}.outputModalities`),
    ...directional(entry, field, BLOCK_ACTIONS, "BLOCK"),
  };
}

function modalities(value: unknown, field: string): ("TEXT" | "IMAGE")[] {
  const list = optionalArray(value, field, { min: 1 });
  if (!list) return ["TEXT"];
  return [...new Set(list.map((m, i) => oneOf(m, `${field}.${i}`, MODALITIES)))];
}

// ---- Word filters ----

function parseWordPolicy(policy: Obj): NonNullable<GuardrailPolicies["wordPolicy"]> {
  const wordsField = "wordPolicyConfig.wordsConfig";
  const listsField = "wordPolicyConfig.managedWordListsConfig";
  const words = optionalArray(policy.wordsConfig, wordsField, { min: 1, max: LIMITS.words }) ?? [];
  const lists = optionalArray(policy.managedWordListsConfig, listsField) ?? [];
  if (words.length === 0 && lists.length === 0) {
    throw validation("wordPolicyConfig", "Member must set wordsConfig or managedWordListsConfig");
  }
  const managedWordLists = lists.map((entry, i) => parseManagedList(object(entry, `${listsField}.${i}`), `${listsField}.${i}`));
  unique(managedWordLists, (l) => l.type, (i) => `${listsField}.${i}.type`, "managed word list");
  return { words: words.map((entry, i) => parseWord(object(entry, `${wordsField}.${i}`), `${wordsField}.${i}`)), managedWordLists };
}

function parseWord(entry: Obj, field: string): WordConfig {
  const text = string(entry.text, `${field}.text`, { min: 1, max: LIMITS.wordLength });
  if (!text.trim()) throw validation(`${field}.text`, "Member must contain a word, not only whitespace");
  if (text.trim().split(/\s+/).length > LIMITS.wordsPerPhrase) {
    throw validation(`${field}.text`, `a custom word or phrase has at most ${LIMITS.wordsPerPhrase} words`);
  }
  return { text, ...directional(entry, field, BLOCK_ACTIONS, "BLOCK") };
}

function parseManagedList(entry: Obj, field: string): ManagedWordListConfig {
  return { type: oneOf(entry.type, `${field}.type`, ["PROFANITY"] as const), ...directional(entry, field, BLOCK_ACTIONS, "BLOCK") };
}

// ---- Sensitive information ----

function parseSensitiveInformationPolicy(policy: Obj): NonNullable<GuardrailPolicies["sensitiveInformationPolicy"]> {
  const piiField = "sensitiveInformationPolicyConfig.piiEntitiesConfig";
  const regexField = "sensitiveInformationPolicyConfig.regexesConfig";
  const pii = optionalArray(policy.piiEntitiesConfig, piiField, { min: 1 }) ?? [];
  const regexList = optionalArray(policy.regexesConfig, regexField, { min: 1, max: LIMITS.regexes }) ?? [];
  if (pii.length === 0 && regexList.length === 0) {
    throw validation("sensitiveInformationPolicyConfig", "Member must set piiEntitiesConfig or regexesConfig");
  }
  const piiEntities = pii.map((entry, i) => parsePiiEntity(object(entry, `${piiField}.${i}`), `${piiField}.${i}`));
  unique(piiEntities, (p) => p.type, (i) => `${piiField}.${i}.type`, "PII entity type");
  const regexes = regexList.map((entry, i) => parseRegex(object(entry, `${regexField}.${i}`), `${regexField}.${i}`));
  unique(regexes, (r) => r.name, (i) => `${regexField}.${i}.name`, "regex name");
  return { piiEntities, regexes };
}

function parsePiiEntity(entry: Obj, field: string): PiiEntityConfig {
  const action = oneOf(entry.action, `${field}.action`, PII_ACTIONS);
  return { type: oneOf(entry.type, `${field}.type`, PII_ENTITY_TYPES), action, ...directional<PiiAction>(entry, field, PII_ACTIONS, action) };
}

function parseRegex(entry: Obj, field: string): RegexConfig {
  const action = oneOf(entry.action, `${field}.action`, PII_ACTIONS);
  const regex: RegexConfig = {
    name: string(entry.name, `${field}.name`, { min: 1, max: 100 }),
    pattern: compilable(string(entry.pattern, `${field}.pattern`, { min: 1, max: 500 }), `${field}.pattern`),
    action,
    ...directional<PiiAction>(entry, field, PII_ACTIONS, action),
  };
  const description = optionalString(entry.description, `${field}.description`, { min: 1, max: 1000 });
  if (description !== undefined) regex.description = description;
  return regex;
}

/** Regexes run under RE2 (linear time): a pattern RE2 cannot compile is refused here, not at match time. */
function compilable(pattern: string, field: string): string {
  try {
    RE2JS.compile(pattern);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw validation(field, `Member must be a valid regular expression in RE2 syntax (${reason})`);
  }
  return pattern;
}

// ---- Contextual grounding ----

function parseGroundingPolicy(policy: Obj): NonNullable<GuardrailPolicies["contextualGroundingPolicy"]> {
  const field = "contextualGroundingPolicyConfig.filtersConfig";
  const filters = entries(policy.filtersConfig, field, { min: 1 }).map((entry, i) => parseGroundingFilter(entry, `${field}.${i}`));
  unique(filters, (f) => f.type, (i) => `${field}.${i}.type`, "grounding filter type");
  return { filters };
}

function parseGroundingFilter(entry: Obj, field: string): GroundingFilterConfig {
  return {
    type: oneOf(entry.type, `${field}.type`, ["GROUNDING", "RELEVANCE"] as const),
    threshold: number(entry.threshold, `${field}.threshold`, { min: 0, max: LIMITS.groundingThreshold }),
    action: entry.action === undefined || entry.action === null ? "BLOCK" : oneOf<BlockAction>(entry.action, `${field}.action`, BLOCK_ACTIONS),
    enabled: optionalBoolean(entry.enabled, `${field}.enabled`) ?? true,
  };
}

// ---- Detector selection ----

const DETECTOR_TAG = "basalt:detector:";
const DETECTOR_POLICIES = ["content", "topics", "grounding"] as const;

/** Reads `basalt:detector:<policy>` tags; other tags are the user's own and are left alone. */
export function parseDetectorTags(tags: readonly { key: string; value: string }[]): DetectorSelection {
  const selection: DetectorSelection = {};
  for (const { key, value } of tags) {
    if (!key.startsWith(DETECTOR_TAG)) continue;
    const policy = key.slice(DETECTOR_TAG.length);
    if (!(DETECTOR_POLICIES as readonly string[]).includes(policy)) {
      throw validation("tags", `the tag key ${JSON.stringify(key)} names no detector: use ${DETECTOR_POLICIES.map((p) => DETECTOR_TAG + p).join(", ")}`);
    }
    const name = policy as (typeof DETECTOR_POLICIES)[number];
    if (selection[name]) throw validation("tags", `the tag ${JSON.stringify(key)} is set more than once`);
    selection[name] = detectorChoice(key, value);
  }
  return selection;
}

function detectorChoice(key: string, value: string): DetectorChoice {
  if (value === "builtin") return { kind: "builtin" };
  const model = /^model\/(\S+)$/.exec(value);
  if (model) return { kind: "model", modelId: model[1]! };
  throw validation("tags", `the tag ${JSON.stringify(key)} has the value ${JSON.stringify(value)}: use "builtin" or "model/<modelId>"`);
}
