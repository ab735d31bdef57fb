// The content filters policy: HATE, INSULTS, SEXUAL, VIOLENCE, MISCONDUCT and PROMPT_ATTACK.
// The classifier scores the text; each score maps to a confidence (NONE / LOW / MEDIUM /
// HIGH), and a filter of a given strength blocks at or above one confidence level — as in
// Bedrock, HIGH strength blocks the most (LOW confidence and up), MEDIUM blocks MEDIUM and
// HIGH, LOW blocks only HIGH, NONE nothing. A filter is reported only when it trips; with
// the direction's action NONE it is reported as detected but not blocked (detect mode).
// PROMPT_ATTACK judges input only: Bedrock requires its output strength to be NONE.
import type { Assessment, Confidence, ContentFilterAssessment, ContentFilterConfig, FilterStrength, GuardrailPolicies, GuardrailSource } from "../guardrail.ts";
import type { ContentClassifier, GuardrailPolicy, PolicyCheck, PolicyInput } from "../policy.ts";
import { scoreToConfidence } from "../detectors/content/confidence.ts";

export { CONFIDENCE_CUTS, scoreToConfidence, type ConfidenceThresholds } from "../detectors/content/confidence.ts";

type ContentPolicyAssessment = NonNullable<Assessment["contentPolicy"]>;

const LEVEL: Record<FilterStrength, number> = { NONE: 0, LOW: 1, MEDIUM: 2, HIGH: 3 };

/** The lowest confidence a filter of each strength blocks; undefined for NONE (blocks nothing). */
const BLOCKS_FROM: Record<FilterStrength, Confidence | undefined> = { NONE: undefined, LOW: "HIGH", MEDIUM: "MEDIUM", HIGH: "LOW" };

/** Whether a filter of `strength` trips on content found with `confidence`. */
export function blocksAt(strength: FilterStrength, confidence: Confidence): boolean {
  const from = BLOCKS_FROM[strength];
  return from !== undefined && confidence !== "NONE" && LEVEL[confidence] >= LEVEL[from];
}

/** A filter's settings for one direction. */
interface DirectionalFilter {
  type: ContentFilterConfig["type"];
  strength: FilterStrength;
  blocks: boolean;
}

/** The filters that judge text from `source`, with that direction's strength and action. */
function activeFilters(filters: readonly ContentFilterConfig[], source: GuardrailSource): DirectionalFilter[] {
  const input = source === "INPUT";
  return filters.flatMap((f) => {
    const enabled = input ? f.inputEnabled : f.outputEnabled;
    const strength = input ? f.inputStrength : f.outputStrength;
    const modalities = input ? f.inputModalities : f.outputModalities;
    const judgesText = modalities.length === 0 || modalities.includes("TEXT");
    if (!enabled || strength === "NONE" || !judgesText || (f.type === "PROMPT_ATTACK" && !input)) return [];
    return [{ type: f.type, strength, blocks: (input ? f.inputAction : f.outputAction) === "BLOCK" }];
  });
}

/** Builds the content filters policy of one guardrail version. */
export function createContentPolicy(
  config: NonNullable<GuardrailPolicies["contentPolicy"]>,
  classifier: ContentClassifier,
): GuardrailPolicy<ContentPolicyAssessment> {
  return {
    async check(input: PolicyInput): Promise<PolicyCheck<ContentPolicyAssessment>> {
      const filters = activeFilters(config.filters, input.source);
      if (filters.length === 0 || input.text.trim() === "") return { blocked: false, masks: [] };
      const scores = await classifier.classify(input.text, input.signal, input.source);
      const entries: ContentFilterAssessment[] = [];
      for (const filter of filters) {
        const confidence = scoreToConfidence(scores[filter.type]);
        if (!blocksAt(filter.strength, confidence)) continue;
        entries.push({ type: filter.type, confidence, filterStrength: filter.strength, action: filter.blocks ? "BLOCKED" : "NONE", detected: true });
      }
      if (entries.length === 0) return { blocked: false, masks: [] };
      return { assessment: { filters: entries }, blocked: entries.some((e) => e.action === "BLOCKED"), masks: [] };
    },
  };
}
