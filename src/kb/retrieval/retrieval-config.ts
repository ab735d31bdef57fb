// Bedrock's `retrievalConfiguration` (Retrieve, and RetrieveAndGenerate's knowledge-base
// configuration) validated into settings: how many results, semantic or hybrid search, the
// metadata filter and optional reranking. Errors name the exact field path.
import { validation } from "../../spec/errors.ts";
import { array, object, oneOf, optionalNumber, optionalObject, string, type Obj } from "../../util/validate.ts";
import { parseMetadataFilter, type MetadataFilter } from "../vector-store/filter.ts";

/** Bedrock's default `numberOfResults`. */
export const DEFAULT_NUMBER_OF_RESULTS = 5;
/** Bedrock's bounds on `numberOfResults`. */
export const MAX_NUMBER_OF_RESULTS = 100;
/** Longest query text accepted (RetrieveAndGenerateInput's documented limit; Retrieve documents none). */
export const MAX_QUERY_LENGTH = 20_000;

/** Which metadata the reranker sees beside each passage's text. */
export type RerankMetadataSelection =
  | { mode: "NONE" }
  | { mode: "ALL" }
  | { mode: "INCLUDE"; fields: string[] }
  | { mode: "EXCLUDE"; fields: string[] };

/** Reranking of retrieved passages by a model (`rerankingConfiguration`). */
export interface RerankingSettings {
  /** The model's ARN or id, as the request named it. */
  modelArn: string;
  /** How many passages to keep after reranking; all retrieved ones when absent. */
  numberOfRerankedResults?: number;
  metadata: RerankMetadataSelection;
  /** `additionalModelRequestFields` of the model configuration, passed to the reranker as is. */
  additionalModelRequestFields?: Obj;
}

/** Validated retrieval settings. */
export interface RetrievalSettings {
  numberOfResults: number;
  searchType: "SEMANTIC" | "HYBRID";
  filter?: MetadataFilter;
  reranking?: RerankingSettings;
}

/** The settings of a request that sets none. */
export const DEFAULT_RETRIEVAL_SETTINGS: RetrievalSettings = Object.freeze({ numberOfResults: DEFAULT_NUMBER_OF_RESULTS, searchType: "SEMANTIC" });

/** Validates a query text (`retrievalQuery.text`, `input.text`). */
export function parseQueryText(value: unknown, field: string): string {
  const text = string(value, field, { max: MAX_QUERY_LENGTH });
  if (text.trim().length === 0) throw validation(field, "Member must not be blank");
  return text;
}

function parseFieldNames(value: unknown, field: string): string[] {
  return array(value, field, { min: 1, max: 100 }).map((entry, i) => string(object(entry, `${field}.${i}`).fieldName, `${field}.${i}.fieldName`, { min: 1, max: 2000 }));
}

function parseMetadataSelection(value: unknown, field: string): RerankMetadataSelection {
  const config = optionalObject(value, field);
  if (!config) return { mode: "NONE" };
  const mode = oneOf(config.selectionMode, `${field}.selectionMode`, ["SELECTIVE", "ALL"] as const);
  if (mode === "ALL") return { mode: "ALL" };
  const selective = object(config.selectiveModeConfiguration, `${field}.selectiveModeConfiguration`);
  const at = `${field}.selectiveModeConfiguration`;
  const include = selective.fieldsToInclude;
  const exclude = selective.fieldsToExclude;
  if ((include === undefined) === (exclude === undefined)) throw validation(at, "must set exactly one of fieldsToInclude and fieldsToExclude");
  return include !== undefined ? { mode: "INCLUDE", fields: parseFieldNames(include, `${at}.fieldsToInclude`) } : { mode: "EXCLUDE", fields: parseFieldNames(exclude, `${at}.fieldsToExclude`) };
}

/** Validates `rerankingConfiguration` of a vector search configuration. */
export function parseRerankingConfiguration(value: unknown, field: string): RerankingSettings {
  const config = object(value, field);
  oneOf(config.type, `${field}.type`, ["BEDROCK_RERANKING_MODEL"] as const);
  const bedrock = object(config.bedrockRerankingConfiguration, `${field}.bedrockRerankingConfiguration`);
  const at = `${field}.bedrockRerankingConfiguration`;
  const model = object(bedrock.modelConfiguration, `${at}.modelConfiguration`);
  const modelArn = string(model.modelArn, `${at}.modelConfiguration.modelArn`, { min: 1, max: 2048 });
  const additional = optionalObject(model.additionalModelRequestFields, `${at}.modelConfiguration.additionalModelRequestFields`);
  const numberOfRerankedResults = optionalNumber(bedrock.numberOfRerankedResults, `${at}.numberOfRerankedResults`, { min: 1, max: MAX_NUMBER_OF_RESULTS, integer: true });
  return {
    modelArn,
    numberOfRerankedResults,
    metadata: parseMetadataSelection(bedrock.metadataConfiguration, `${at}.metadataConfiguration`),
    additionalModelRequestFields: additional,
  };
}

/**
 * Validates a `retrievalConfiguration` (absent: Bedrock's defaults). `field` is its path in
 * the request, so errors read e.g. `retrievalConfiguration.vectorSearchConfiguration.numberOfResults`.
 */
export function parseRetrievalConfiguration(value: unknown, field = "retrievalConfiguration"): RetrievalSettings {
  const config = optionalObject(value, field);
  if (!config) return DEFAULT_RETRIEVAL_SETTINGS;
  if (config.managedSearchConfiguration !== undefined && config.managedSearchConfiguration !== null) {
    throw validation(`${field}.managedSearchConfiguration`, "managed search is not supported by Basalt; use vectorSearchConfiguration");
  }
  const at = `${field}.vectorSearchConfiguration`;
  const vector = optionalObject(config.vectorSearchConfiguration, at);
  if (!vector) return DEFAULT_RETRIEVAL_SETTINGS;
  if (vector.implicitFilterConfiguration !== undefined && vector.implicitFilterConfiguration !== null) {
    // Implicit filters need a model to turn the query into a filter; Basalt does not do that yet.
    throw validation(`${at}.implicitFilterConfiguration`, "implicit filters are not supported by Basalt; pass an explicit filter");
  }
  const numberOfResults = optionalNumber(vector.numberOfResults, `${at}.numberOfResults`, { min: 1, max: MAX_NUMBER_OF_RESULTS, integer: true }) ?? DEFAULT_NUMBER_OF_RESULTS;
  const searchType = vector.overrideSearchType === undefined || vector.overrideSearchType === null ? "SEMANTIC" : oneOf(vector.overrideSearchType, `${at}.overrideSearchType`, ["HYBRID", "SEMANTIC"] as const);
  const settings: RetrievalSettings = { numberOfResults, searchType };
  if (vector.filter !== undefined && vector.filter !== null) settings.filter = parseMetadataFilter(vector.filter, `${at}.filter`);
  if (vector.rerankingConfiguration !== undefined && vector.rerankingConfiguration !== null) {
    settings.reranking = parseRerankingConfiguration(vector.rerankingConfiguration, `${at}.rerankingConfiguration`);
  }
  return settings;
}
