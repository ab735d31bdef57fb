// The contextual grounding policy: GROUNDING (is the response supported by the grounding source?)
// and RELEVANCE (does it address the query?). Each enabled filter is reported with its score,
// as Bedrock does, whether or not it intervenes; a score below the filter's threshold is
// detected, and BLOCKED when the filter's action is BLOCK. A filter whose input is missing
// (no grounding source for GROUNDING, no query for RELEVANCE) is skipped.
import type { Assessment, GroundingAssessment, GroundingFilterConfig, GuardrailPolicies } from "../guardrail.ts";
import type { GroundingScorer, PolicyCheck } from "../policy.ts";

type GroundingPolicyAssessment = NonNullable<Assessment["contextualGroundingPolicy"]>;

/** What the grounding policy checks: the model's response, with the source and query it answers. */
export interface GroundingCheckInput {
  response: string;
  groundingSource?: string;
  query?: string;
  signal?: AbortSignal;
}

/** The contextual grounding policy of one guardrail version. */
export interface GroundingPolicy {
  check(input: GroundingCheckInput): Promise<PolicyCheck<GroundingPolicyAssessment>>;
}

/** Builds the contextual grounding policy of one guardrail version. */
export function createGroundingPolicy(config: NonNullable<GuardrailPolicies["contextualGroundingPolicy"]>, scorer: GroundingScorer): GroundingPolicy {
  return {
    async check(input: GroundingCheckInput): Promise<PolicyCheck<GroundingPolicyAssessment>> {
      const source = input.groundingSource?.trim() ? input.groundingSource : undefined;
      const query = input.query?.trim() ? input.query : undefined;
      const filters = config.filters.filter((f) => f.enabled && (f.type === "GROUNDING" ? source !== undefined : query !== undefined));
      if (filters.length === 0) return { blocked: false, masks: [] };
      const scores = await scorer.score({ source: source ?? "", query: query ?? "", response: input.response }, input.signal);
      const entries = filters.map((f) => entry(f, f.type === "GROUNDING" ? scores.grounding : scores.relevance));
      return { assessment: { filters: entries }, blocked: entries.some((e) => e.action === "BLOCKED"), masks: [] };
    },
  };
}

function entry(filter: GroundingFilterConfig, raw: number): GroundingAssessment {
  // Bedrock reports two decimals; the comparison uses the reported value so that what a caller
  // sees (score 0.70, threshold 0.7) agrees with the verdict.
  const score = Math.round(Math.min(1, Math.max(0, raw)) * 100) / 100;
  const detected = score < filter.threshold;
  return { type: filter.type, threshold: filter.threshold, score, action: detected && filter.action === "BLOCK" ? "BLOCKED" : "NONE", detected };
}
