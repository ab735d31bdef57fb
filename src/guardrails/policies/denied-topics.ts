// The topic policy (Bedrock "denied topics"): each topic enabled for the checked direction is
// scored by the detector; a detected topic is reported with its direction's action — BLOCKED,
// or NONE in detect mode (action NONE). Undetected topics are not listed, as in Bedrock.
import type { Assessment, GuardrailPolicies, GuardrailSource, TopicAssessment, TopicConfig } from "../guardrail.ts";
import type { GuardrailPolicy, PolicyCheck, PolicyInput, TopicDetector } from "../policy.ts";

type TopicPolicyAssessment = NonNullable<Assessment["topicPolicy"]>;

/** Builds the topic policy of one guardrail version. */
export function createTopicPolicy(
  config: NonNullable<GuardrailPolicies["topicPolicy"]>,
  detector: TopicDetector,
): GuardrailPolicy<TopicPolicyAssessment> {
  return {
    async check(input: PolicyInput): Promise<PolicyCheck<TopicPolicyAssessment>> {
      const topics = config.topics.filter((topic) => enabledFor(topic, input.source));
      if (topics.length === 0 || input.text.trim().length === 0) return { blocked: false, masks: [] };
      const results = await detector.detect(input.text, topics, input.signal);
      const entries: TopicAssessment[] = [];
      topics.forEach((topic, i) => {
        if (!results[i]?.detected) return;
        const action = input.source === "INPUT" ? topic.inputAction : topic.outputAction;
        entries.push({ name: topic.name, type: "DENY", action: action === "BLOCK" ? "BLOCKED" : "NONE", detected: true });
      });
      if (entries.length === 0) return { blocked: false, masks: [] };
      return { assessment: { topics: entries }, blocked: entries.some((e) => e.action === "BLOCKED"), masks: [] };
    },
  };
}

function enabledFor(topic: TopicConfig, source: GuardrailSource): boolean {
  return source === "INPUT" ? topic.inputEnabled : topic.outputEnabled;
}
