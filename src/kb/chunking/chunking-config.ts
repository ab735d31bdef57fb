// Bedrock's `vectorIngestionConfiguration.chunkingConfiguration` on the wire, and its validation.
// Limits follow the bedrock-agent API reference (FixedSizeChunkingConfiguration,
// HierarchicalChunkingConfiguration, HierarchicalChunkingLevelConfiguration,
// SemanticChunkingConfiguration); the two rules it leaves to the console are noted where applied.
import { validation } from "../../spec/errors.ts";
import { array, isObject, number, object, oneOf } from "../../util/validate.ts";

/** Chunking strategies Bedrock names. Absent configuration means Bedrock's default chunking. */
export const CHUNKING_STRATEGIES = ["FIXED_SIZE", "NONE", "HIERARCHICAL", "SEMANTIC"] as const;
export type ChunkingStrategy = (typeof CHUNKING_STRATEGIES)[number];

/** `fixedSizeChunkingConfiguration`. */
export interface FixedSizeChunkingConfiguration {
  /** 1–8192. */
  maxTokens: number;
  /** 1–99. */
  overlapPercentage: number;
}

/** `hierarchicalChunkingConfiguration`: parent level first, then child level. */
export interface HierarchicalChunkingConfiguration {
  levelConfigurations: [{ maxTokens: number }, { maxTokens: number }];
  /** Tokens repeated across adjacent chunks of the same level (≥ 1). */
  overlapTokens: number;
}

/** `semanticChunkingConfiguration`. */
export interface SemanticChunkingConfiguration {
  /** ≥ 1. */
  maxTokens: number;
  /** Sentences on each side embedded with a sentence: 0 or 1. */
  bufferSize: number;
  /** 50–99: pairs less similar than this percentile of all pairs start a new chunk. */
  breakpointPercentileThreshold: number;
}

/** A validated chunking configuration, as stored on a data source and returned by GetDataSource. */
export type ChunkingConfiguration =
  | { chunkingStrategy: "FIXED_SIZE"; fixedSizeChunkingConfiguration: FixedSizeChunkingConfiguration }
  | { chunkingStrategy: "NONE" }
  | { chunkingStrategy: "HIERARCHICAL"; hierarchicalChunkingConfiguration: HierarchicalChunkingConfiguration }
  | { chunkingStrategy: "SEMANTIC"; semanticChunkingConfiguration: SemanticChunkingConfiguration };

/** Token ceiling Bedrock documents for a chunk (fixed-size and hierarchical levels). */
export const MAX_CHUNK_TOKENS = 8192;

const SUB_CONFIGURATIONS = {
  FIXED_SIZE: "fixedSizeChunkingConfiguration",
  HIERARCHICAL: "hierarchicalChunkingConfiguration",
  SEMANTIC: "semanticChunkingConfiguration",
} as const;

const int = (value: unknown, field: string, min: number, max?: number): number =>
  number(value, field, { integer: true, min, ...(max === undefined ? {} : { max }) });

const required = (obj: Record<string, unknown>, key: string, field: string): unknown => {
  const value = obj[key];
  if (value === undefined || value === null) throw validation(`${field}.${key}`, "Member must not be null");
  return value;
};

/**
 * Validates a chunking configuration from the wire. `undefined`/`null` input returns `undefined`,
 * which means Bedrock's default chunking (about 300 tokens, sentence boundaries kept).
 * Throws a ValidationException naming the exact field, under `path`.
 */
export function parseChunkingConfiguration(
  input: unknown,
  path = "vectorIngestionConfiguration.chunkingConfiguration",
): ChunkingConfiguration | undefined {
  if (input === undefined || input === null) return undefined;
  const body = object(input, path);
  const strategy = oneOf(required(body, "chunkingStrategy", path), `${path}.chunkingStrategy`, CHUNKING_STRATEGIES);

  // Only the sub-configuration of the chosen strategy may be present (Bedrock: "If you set the
  // chunkingStrategy as NONE, exclude this field").
  for (const [other, key] of Object.entries(SUB_CONFIGURATIONS)) {
    if (other !== strategy && body[key] !== undefined && body[key] !== null) {
      throw validation(`${path}.${key}`, `must not be set when chunkingStrategy is ${strategy}`);
    }
  }

  switch (strategy) {
    case "NONE":
      return { chunkingStrategy: "NONE" };
    case "FIXED_SIZE": {
      const field = `${path}.fixedSizeChunkingConfiguration`;
      const sub = object(required(body, "fixedSizeChunkingConfiguration", path), field);
      return {
        chunkingStrategy: "FIXED_SIZE",
        fixedSizeChunkingConfiguration: {
          maxTokens: int(required(sub, "maxTokens", field), `${field}.maxTokens`, 1, MAX_CHUNK_TOKENS),
          overlapPercentage: int(required(sub, "overlapPercentage", field), `${field}.overlapPercentage`, 1, 99),
        },
      };
    }
    case "HIERARCHICAL":
      return { chunkingStrategy: "HIERARCHICAL", hierarchicalChunkingConfiguration: parseHierarchical(body, path) };
    case "SEMANTIC": {
      const field = `${path}.semanticChunkingConfiguration`;
      const sub = object(required(body, "semanticChunkingConfiguration", path), field);
      return {
        chunkingStrategy: "SEMANTIC",
        semanticChunkingConfiguration: {
          maxTokens: int(required(sub, "maxTokens", field), `${field}.maxTokens`, 1),
          bufferSize: int(required(sub, "bufferSize", field), `${field}.bufferSize`, 0, 1),
          breakpointPercentileThreshold: int(
            required(sub, "breakpointPercentileThreshold", field),
            `${field}.breakpointPercentileThreshold`,
            50,
            99,
          ),
        },
      };
    }
  }
}

function parseHierarchical(body: Record<string, unknown>, path: string): HierarchicalChunkingConfiguration {
  const field = `${path}.hierarchicalChunkingConfiguration`;
  const sub = object(required(body, "hierarchicalChunkingConfiguration", path), field);
  const levelsField = `${field}.levelConfigurations`;
  // The API reference: "Array Members: Fixed number of 2 items."
  const levels = array(required(sub, "levelConfigurations", field), levelsField, { min: 2, max: 2 });
  const [parent, child] = levels.map((level, i) => {
    const levelField = `${levelsField}.${i}`;
    if (!isObject(level)) throw validation(levelField, "must be an object");
    return int(required(level, "maxTokens", levelField), `${levelField}.maxTokens`, 1, MAX_CHUNK_TOKENS);
  }) as [number, number];
  // The console's rule (children are cut from their parent, so they cannot be larger).
  if (child > parent) {
    throw validation(`${levelsField}.1.maxTokens`, `the child level's maxTokens (${child}) must not exceed the parent level's (${parent})`);
  }
  const overlapTokens = int(required(sub, "overlapTokens", field), `${field}.overlapTokens`, 1);
  // Basalt's rule: an overlap as large as a child would make every child repeat the previous one.
  if (overlapTokens >= child) {
    throw validation(`${field}.overlapTokens`, `must be less than the child level's maxTokens (${child})`);
  }
  return { levelConfigurations: [{ maxTokens: parent }, { maxTokens: child }], overlapTokens };
}
