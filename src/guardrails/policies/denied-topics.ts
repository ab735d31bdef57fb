// The topic policy (Bedrock "denied topics"): each topic enabled for the checked direction is
// scored by the detector; a detected topic is reported with its direction's action — BLOCKED,
// or NONE in detect mode (action NONE). Undetected topics are not listed, as in Bedrock.
import { actionFor, type Assessment, type GuardrailPolicies, type TopicAssessment } from "../guardrail.ts";
import type { GuardrailPolicy, PolicyCheck, PolicyInput, TopicDetector } from "../policy.ts";

type TopicPolicyAssessment = NonNullable<Assessment["topicPolicy"]>;

/** Builds the topic policy of one guardrail version. */
export function createTopicPolicy(
  config: NonNullable<GuardrailPolicies["topicPolicy"]>,
  detector: TopicDetector,
): GuardrailPolicy<TopicPolicyAssessment> {
  return {
    async check(input: PolicyInput): Promise<PolicyCheck<TopicPolicyAssessment>> {
      const topics = config.topics.filter((topic) => actionFor(topic, input.source) !== undefined);
      if (topics.length === 0 || input.text.trim().length === 0) return { blocked: false, masks: [] };
      const results = await detector.detect(input.text, topics, input.signal, input.source);
      const entries: TopicAssessment[] = [];
      topics.forEach((topic, i) => {
        if (!results[i]?.detected) return;
        const action = actionFor(topic, input.source);
        entries.push({ name: topic.name, type: "DENY", action: action === "BLOCK" ? "BLOCKED" : "NONE", detected: true });
      });
      if (entries.length === 0) return { blocked: false, masks: [] };
      return { assessment: { topics: entries }, blocked: entries.some((e) => e.action === "BLOCKED"), masks: [] };
    },
  };
}
