// Sampling parameters, mapped as data: the request's own fields plus the providerOptions
// (Converse's additionalModelRequestFields) llama.cpp understands. Unknown options become
// warnings; values of the wrong kind are rejected with the field named.
import { validation } from "../../../spec/errors.ts";
import type { GenerateRequest, Warning } from "../../../spec/model.ts";

/** Sampling settings in node-llama-cpp's terms. */
export interface Sampling {
  temperature: number;
  topP?: number;
  topK?: number;
  minP?: number;
  seed?: number;
  repeatPenalty?: { penalty: number };
}

/**
 * Used when the request sets none: Bedrock's defaults for Meta Llama models, so a client that
 * omits them gets the behaviour it would get on Bedrock (node-llama-cpp alone is greedy).
 */
export const DEFAULT_SAMPLING = { temperature: 0.5, topP: 0.9 } as const;

interface OptionRule {
  key: keyof Omit<Sampling, "repeatPenalty"> | "repeatPenalty";
  integer?: boolean;
  min: number;
  max: number;
}

/** providerOptions keys llama.cpp honours, with their ranges. */
const PROVIDER_OPTIONS: Record<string, OptionRule> = {
  seed: { key: "seed", integer: true, min: 0, max: 2 ** 32 - 1 },
  top_k: { key: "topK", integer: true, min: 0, max: 1_000_000 },
  min_p: { key: "minP", min: 0, max: 1 },
  repeat_penalty: { key: "repeatPenalty", min: 0, max: 10 },
};

/** Builds the sampling settings of a request, adding a warning per option it cannot honour. */
export function samplingOptions(request: GenerateRequest, warnings: Warning[]): Sampling {
  const sampling: Sampling = {
    temperature: request.temperature ?? DEFAULT_SAMPLING.temperature,
    topP: request.topP ?? DEFAULT_SAMPLING.topP,
    topK: request.topK,
  };
  for (const [name, value] of Object.entries(request.providerOptions ?? {})) {
    const rule = PROVIDER_OPTIONS[name];
    if (!rule) {
      warnings.push({ type: "unsupported-setting", setting: name, message: `llama.cpp models do not support the option ${name}; it was ignored.` });
      continue;
    }
    if (typeof value !== "number" || (rule.integer && !Number.isInteger(value)) || value < rule.min || value > rule.max) {
      throw validation(name, `must be ${rule.integer ? "an integer" : "a number"} from ${rule.min} to ${rule.max}`);
    }
    if (rule.key === "repeatPenalty") sampling.repeatPenalty = { penalty: value };
    else if (rule.key === "topK" && request.topK !== undefined) continue; // the request's own field wins
    else sampling[rule.key] = value;
  }
  return sampling;
}
