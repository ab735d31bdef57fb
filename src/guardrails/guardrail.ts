// A guardrail's configuration and assessments, in Bedrock's own shapes. The stored
// configuration is GetGuardrail's shape with every default filled in, so the control plane,
// the policies and the engine all read one normalized form.

export type GuardrailSource = "INPUT" | "OUTPUT";
export type ContentQualifier = "grounding_source" | "query" | "guard_content";
export type FilterStrength = "NONE" | "LOW" | "MEDIUM" | "HIGH";
export type Confidence = FilterStrength;
export type ContentFilterType = "HATE" | "INSULTS" | "SEXUAL" | "VIOLENCE" | "MISCONDUCT" | "PROMPT_ATTACK";
export const CONTENT_FILTER_TYPES: readonly ContentFilterType[] = ["HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT", "PROMPT_ATTACK"];

/** What a matching entry does: BLOCK stops the content, NONE only reports (detect mode). */
export type BlockAction = "BLOCK" | "NONE";
export type PiiAction = "BLOCK" | "ANONYMIZE" | "NONE";

/** Bedrock's 31 sensitive-information entity types. */
export const PII_ENTITY_TYPES = [
  "ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
  "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY", "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL",
  "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD", "PHONE",
  "PIN", "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
  "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER", "US_BANK_ROUTING_NUMBER",
  "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER", "US_SOCIAL_SECURITY_NUMBER",
  "VEHICLE_IDENTIFICATION_NUMBER",
] as const;
export type PiiEntityType = (typeof PII_ENTITY_TYPES)[number];

/** Per-direction switches every policy entry carries. */
export interface DirectionalActions<A extends string> {
  inputAction: A;
  outputAction: A;
  inputEnabled: boolean;
  outputEnabled: boolean;
}

/** What an entry does with content from `source`, or undefined when the entry is off for it. */
export function actionFor<A extends string>(entry: DirectionalActions<A>, source: GuardrailSource): A | undefined {
  if (!(source === "INPUT" ? entry.inputEnabled : entry.outputEnabled)) return undefined;
  return source === "INPUT" ? entry.inputAction : entry.outputAction;
}

export interface TopicConfig extends DirectionalActions<BlockAction> {
  name: string;
  definition: string;
  examples: string[];
  type: "DENY";
}

export interface ContentFilterConfig extends DirectionalActions<BlockAction> {
  type: ContentFilterType;
  inputStrength: FilterStrength;
  outputStrength: FilterStrength;
  inputModalities: ("TEXT" | "IMAGE")[];
  outputModalities: ("TEXT" | "IMAGE")[];
}

export interface WordConfig extends DirectionalActions<BlockAction> {
  text: string;
}

export interface ManagedWordListConfig extends DirectionalActions<BlockAction> {
  type: "PROFANITY";
}

export interface PiiEntityConfig extends DirectionalActions<PiiAction> {
  type: PiiEntityType;
  action: PiiAction;
}

export interface RegexConfig extends DirectionalActions<PiiAction> {
  name: string;
  pattern: string;
  description?: string;
  action: PiiAction;
}

export interface GroundingFilterConfig {
  type: "GROUNDING" | "RELEVANCE";
  /** In [0, 0.99]: a score below it is an intervention. */
  threshold: number;
  action: BlockAction;
  enabled: boolean;
}

/**
 * Which detector each policy uses. Bedrock has no such field; Basalt reads it from the
 * guardrail's tags (`basalt:detector:<policy>` = `builtin` | `model/<modelId>`), so SDK
 * users can choose it too. Absent: the offline built-in detectors.
 */
export interface DetectorSelection {
  content?: DetectorChoice;
  topics?: DetectorChoice;
  grounding?: DetectorChoice;
}
export type DetectorChoice = { kind: "builtin" } | { kind: "model"; modelId: string };

/** The policies of one guardrail version, normalized (GetGuardrail's shape, defaults filled). */
export interface GuardrailPolicies {
  topicPolicy?: { topics: TopicConfig[] };
  contentPolicy?: { filters: ContentFilterConfig[] };
  wordPolicy?: { words: WordConfig[]; managedWordLists: ManagedWordListConfig[] };
  sensitiveInformationPolicy?: { piiEntities: PiiEntityConfig[]; regexes: RegexConfig[] };
  contextualGroundingPolicy?: { filters: GroundingFilterConfig[] };
}

/** One guardrail version's full configuration as stored. */
export interface GuardrailConfig extends GuardrailPolicies {
  name: string;
  description?: string;
  blockedInputMessaging: string;
  blockedOutputsMessaging: string;
  kmsKeyId?: string;
  detectors: DetectorSelection;
}

// ---- Assessments (ApplyGuardrail's and Converse trace's shapes) ----

export type AssessmentAction = "BLOCKED" | "NONE";

export interface TopicAssessment { name: string; type: "DENY"; action: AssessmentAction; detected: boolean }
export interface ContentFilterAssessment {
  type: ContentFilterType;
  confidence: Confidence;
  filterStrength: FilterStrength;
  action: AssessmentAction;
  detected: boolean;
}
export interface CustomWordAssessment { match: string; action: AssessmentAction; detected: boolean }
export interface ManagedWordAssessment { match: string; type: "PROFANITY"; action: AssessmentAction; detected: boolean }
export interface PiiEntityAssessment { match: string; type: PiiEntityType; action: "ANONYMIZED" | "BLOCKED" | "NONE"; detected: boolean }
export interface RegexAssessment { name: string; match: string; regex: string; action: "ANONYMIZED" | "BLOCKED" | "NONE"; detected: boolean }
export interface GroundingAssessment { type: "GROUNDING" | "RELEVANCE"; threshold: number; score: number; action: AssessmentAction; detected: boolean }

export interface Assessment {
  topicPolicy?: { topics: TopicAssessment[] };
  contentPolicy?: { filters: ContentFilterAssessment[] };
  wordPolicy?: { customWords: CustomWordAssessment[]; managedWordLists: ManagedWordAssessment[] };
  sensitiveInformationPolicy?: { piiEntities: PiiEntityAssessment[]; regexes: RegexAssessment[] };
  contextualGroundingPolicy?: { filters: GroundingAssessment[] };
  invocationMetrics?: {
    guardrailProcessingLatency: number;
    usage: GuardrailUsage;
    guardrailCoverage: { textCharacters: { guarded: number; total: number } };
  };
}

export interface GuardrailUsage {
  topicPolicyUnits: number;
  contentPolicyUnits: number;
  wordPolicyUnits: number;
  sensitiveInformationPolicyUnits: number;
  sensitiveInformationPolicyFreeUnits: number;
  contextualGroundingPolicyUnits: number;
}
