// RetrieveAndGenerate's request body validated into what generation needs: the question, the
// session, the text model, where the passages come from (a knowledge base, or documents passed
// with the request) and the generation settings. Errors name the exact field path.
import { validation } from "../../spec/errors.ts";
import {
  array,
  base64,
  object,
  oneOf,
  optionalArray,
  optionalNumber,
  optionalObject,
  optionalString,
  string,
  type Obj,
} from "../../util/validate.ts";
import { parseQueryText, parseRetrievalConfiguration, type RetrievalSettings } from "../retrieval/retrieval-config.ts";
import { validatePromptTemplate } from "./prompt-template.ts";

/** Bedrock's pattern and length bounds for a session id. */
const SESSION_ID = /^[0-9a-zA-Z._:-]+$/;
const KNOWLEDGE_BASE_ID = /^[0-9a-zA-Z]{1,10}$/;
/** Documents one EXTERNAL_SOURCES request may pass. */
export const MAX_EXTERNAL_SOURCES = 5;

/** How the text model generates. */
export interface GenerationSettings {
  /** The custom textPromptTemplate; the default template when absent. */
  promptTemplate?: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
  /** additionalModelRequestFields, passed to the model as provider options. */
  additionalModelRequestFields?: Obj;
  /** `guardrailConfiguration`: the guardrail applied to the question and the answer. */
  guardrail?: { id: string; version: string };
}

/** A document passed with an EXTERNAL_SOURCES request. */
export type ExternalSourceSpec =
  | { kind: "BYTE_CONTENT"; identifier: string; contentType: string; data: Uint8Array }
  | { kind: "S3"; uri: string };

/** Where the passages come from. */
export type PassageSource =
  | { type: "KNOWLEDGE_BASE"; knowledgeBaseId: string; retrieval: RetrievalSettings }
  | { type: "EXTERNAL_SOURCES"; sources: ExternalSourceSpec[] };

/** A validated RetrieveAndGenerate(Stream) request. */
export interface RagRequest {
  question: string;
  sessionId?: string;
  /** The text model's ARN or id, as the request named it. */
  modelArn: string;
  source: PassageSource;
  generation: GenerationSettings;
  /** Settings accepted but not honoured, for the log. */
  warnings: string[];
}

function unsupported(value: unknown, field: string, what: string): void {
  if (value !== undefined && value !== null) throw validation(field, `${what} is not supported by Basalt`);
}

/** Validates a `generationConfiguration`. */
export function parseGenerationConfiguration(value: unknown, field: string, warnings: string[]): GenerationSettings {
  const config = optionalObject(value, field);
  if (!config) return {};
  if (config.performanceConfig !== undefined && config.performanceConfig !== null) {
    const latency = object(config.performanceConfig, `${field}.performanceConfig`).latency;
    if (latency !== undefined) oneOf(latency, `${field}.performanceConfig.latency`, ["standard", "optimized"] as const);
    if (latency === "optimized") warnings.push(`${field}.performanceConfig.latency: optimized latency is not available; the model runs as configured`);
  }
  const settings: GenerationSettings = {};
  const template = optionalObject(config.promptTemplate, `${field}.promptTemplate`);
  const text = optionalString(template?.textPromptTemplate, `${field}.promptTemplate.textPromptTemplate`, { min: 1, max: 100_000 });
  if (text !== undefined) settings.promptTemplate = validatePromptTemplate(text, `${field}.promptTemplate.textPromptTemplate`);
  const inference = optionalObject(optionalObject(config.inferenceConfig, `${field}.inferenceConfig`)?.textInferenceConfig, `${field}.inferenceConfig.textInferenceConfig`);
  if (inference) {
    const at = `${field}.inferenceConfig.textInferenceConfig`;
    settings.temperature = optionalNumber(inference.temperature, `${at}.temperature`, { min: 0, max: 1 });
    settings.topP = optionalNumber(inference.topP, `${at}.topP`, { min: 0, max: 1 });
    settings.maxTokens = optionalNumber(inference.maxTokens, `${at}.maxTokens`, { min: 1, max: 65_536, integer: true });
    const stops = optionalArray(inference.stopSequences, `${at}.stopSequences`, { max: 4 });
    if (stops) settings.stopSequences = stops.map((s, i) => string(s, `${at}.stopSequences.${i}`, { min: 1, max: 1000 }));
  }
  const additional = optionalObject(config.additionalModelRequestFields, `${field}.additionalModelRequestFields`);
  if (additional) settings.additionalModelRequestFields = additional;
  const guardrail = optionalObject(config.guardrailConfiguration, `${field}.guardrailConfiguration`);
  if (guardrail) {
    settings.guardrail = {
      id: string(guardrail.guardrailId, `${field}.guardrailConfiguration.guardrailId`, { min: 1, max: 2048 }),
      version: string(guardrail.guardrailVersion, `${field}.guardrailConfiguration.guardrailVersion`, { pattern: /^(([1-9][0-9]{0,7})|(DRAFT))$/ }),
    };
  }
  return settings;
}

function parseExternalSource(value: unknown, field: string): ExternalSourceSpec {
  const source = object(value, field);
  const type = oneOf(source.sourceType, `${field}.sourceType`, ["BYTE_CONTENT", "S3"] as const);
  if (type === "S3") {
    const uri = string(object(source.s3Location, `${field}.s3Location`).uri, `${field}.s3Location.uri`, { min: 1, max: 1024 });
    if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+/.test(uri)) throw validation(`${field}.s3Location.uri`, "must be an S3 URI, s3://<bucket>/<key>");
    return { kind: "S3", uri };
  }
  const content = object(source.byteContent, `${field}.byteContent`);
  return {
    kind: "BYTE_CONTENT",
    identifier: string(content.identifier, `${field}.byteContent.identifier`, { min: 1, max: 1000 }),
    contentType: string(content.contentType, `${field}.byteContent.contentType`, { min: 1, max: 200 }),
    data: base64(content.data, `${field}.byteContent.data`),
  };
}

/** Validates a RetrieveAndGenerate or RetrieveAndGenerateStream body. */
export function parseRagRequest(body: Obj): RagRequest {
  const warnings: string[] = [];
  const question = parseQueryText(object(body.input, "input").text, "input.text");
  const sessionId = optionalString(body.sessionId, "sessionId", { min: 2, max: 100, pattern: SESSION_ID });
  if (body.sessionConfiguration !== undefined && body.sessionConfiguration !== null) {
    string(object(body.sessionConfiguration, "sessionConfiguration").kmsKeyArn, "sessionConfiguration.kmsKeyArn", { min: 1, max: 2048 });
    warnings.push("sessionConfiguration.kmsKeyArn: sessions are encrypted with the account's Basalt data key, not the named KMS key");
  }
  const config = object(body.retrieveAndGenerateConfiguration, "retrieveAndGenerateConfiguration");
  const type = oneOf(config.type, "retrieveAndGenerateConfiguration.type", ["KNOWLEDGE_BASE", "EXTERNAL_SOURCES"] as const);
  if (type === "KNOWLEDGE_BASE") {
    const at = "retrieveAndGenerateConfiguration.knowledgeBaseConfiguration";
    const kb = object(config.knowledgeBaseConfiguration, at);
    unsupported(kb.orchestrationConfiguration, `${at}.orchestrationConfiguration`, "an orchestration configuration (query decomposition)");
    return {
      question,
      sessionId,
      modelArn: string(kb.modelArn, `${at}.modelArn`, { min: 1, max: 2048 }),
      source: {
        type,
        knowledgeBaseId: string(kb.knowledgeBaseId, `${at}.knowledgeBaseId`, { pattern: KNOWLEDGE_BASE_ID }),
        retrieval: parseRetrievalConfiguration(kb.retrievalConfiguration, `${at}.retrievalConfiguration`),
      },
      generation: parseGenerationConfiguration(kb.generationConfiguration, `${at}.generationConfiguration`, warnings),
      warnings,
    };
  }
  const at = "retrieveAndGenerateConfiguration.externalSourcesConfiguration";
  const external = object(config.externalSourcesConfiguration, at);
  const sources = array(external.sources, `${at}.sources`, { min: 1, max: MAX_EXTERNAL_SOURCES }).map((s, i) => parseExternalSource(s, `${at}.sources.${i}`));
  return {
    question,
    sessionId,
    modelArn: string(external.modelArn, `${at}.modelArn`, { min: 1, max: 2048 }),
    source: { type, sources },
    generation: parseGenerationConfiguration(external.generationConfiguration, `${at}.generationConfiguration`, warnings),
    warnings,
  };
}
