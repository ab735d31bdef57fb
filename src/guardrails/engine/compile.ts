// Building a guardrail version's policies from its configuration and the detectors it chose.
// Detectors are shared: the built-in ones load their weights once per process, and a model
// judge is just a handle on a catalog model.
import type { ModelRegistry } from "../../models/registry.ts";
import { validation } from "../../spec/errors.ts";
import { builtinContentClassifier } from "../detectors/content/index.ts";
import { builtinGroundingScorer } from "../detectors/grounding/index.ts";
import { modelJudgeContentClassifier, modelJudgeTopicDetector } from "../detectors/model-judge/index.ts";
import { builtinTopicDetector } from "../detectors/topics/index.ts";
import type { DetectorChoice, GuardrailConfig } from "../guardrail.ts";
import type { ContentClassifier, TopicDetector } from "../policy.ts";
import { createContentPolicy } from "../policies/content-filters.ts";
import { createGroundingPolicy } from "../policies/contextual-grounding.ts";
import { createTopicPolicy } from "../policies/denied-topics.ts";
import { createSensitiveInformationPolicy } from "../policies/sensitive-information.ts";
import { createWordPolicy } from "../policies/word-filters.ts";
import { CompiledGuardrail, type GuardrailPolicies } from "./apply.ts";

/** Resolves a guardrail's detector choices to detectors. */
export class DetectorResolver {
  constructor(private readonly registry: ModelRegistry) {}

  content(choice: DetectorChoice | undefined): ContentClassifier {
    // Llama Guard has no prompt-attack category: the built-in classifier scores that one.
    if (choice?.kind === "model") return modelJudgeContentClassifier(this.judge(choice.modelId, "content"), { fallback: builtinContentClassifier() });
    return builtinContentClassifier();
  }

  topics(choice: DetectorChoice | undefined): TopicDetector {
    if (choice?.kind === "model") return modelJudgeTopicDetector(this.judge(choice.modelId, "topics"));
    return builtinTopicDetector();
  }

  private judge(modelId: string, policy: string) {
    const model = this.registry.find(modelId);
    if (!model?.language) throw validation(`tags.basalt:detector:${policy}`, `the judge model ${modelId} is not a text model in this server's catalog`);
    return model.language;
  }
}

/** Builds the policies of one guardrail version. */
export function compileGuardrail(id: string, version: string, config: GuardrailConfig, detectors: DetectorResolver): CompiledGuardrail {
  const policies: GuardrailPolicies = {};
  if (config.topicPolicy) policies.topicPolicy = createTopicPolicy(config.topicPolicy, detectors.topics(config.detectors.topics));
  if (config.contentPolicy) policies.contentPolicy = createContentPolicy(config.contentPolicy, detectors.content(config.detectors.content));
  if (config.wordPolicy) policies.wordPolicy = createWordPolicy(config.wordPolicy);
  if (config.sensitiveInformationPolicy) policies.sensitiveInformationPolicy = createSensitiveInformationPolicy(config.sensitiveInformationPolicy);
  if (config.contextualGroundingPolicy) policies.contextualGroundingPolicy = createGroundingPolicy(config.contextualGroundingPolicy, builtinGroundingScorer());
  return new CompiledGuardrail(id, version, config, policies);
}
