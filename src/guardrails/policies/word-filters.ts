// The word policy: custom words and phrases plus the managed PROFANITY list, each with its own
// per-direction switches and actions. Entries name the text as it appeared; the same text
// found twice is reported once. Word filters never mask.
import type {
  Assessment,
  AssessmentAction,
  BlockAction,
  CustomWordAssessment,
  DirectionalActions,
  GuardrailPolicies,
  GuardrailSource,
  ManagedWordAssessment,
} from "../guardrail.ts";
import { actionFor } from "../guardrail.ts";
import type { GuardrailPolicy, PolicyCheck, PolicyInput } from "../policy.ts";
import { createCustomWordMatcher, type CustomWordMatcher } from "../detectors/words/custom-words.ts";
import { findProfanity } from "../detectors/words/profanity.ts";

type WordPolicyConfig = NonNullable<GuardrailPolicies["wordPolicy"]>;
type WordAssessment = NonNullable<Assessment["wordPolicy"]>;

/** The action an entry of `source` takes, or undefined when the entry is off for that source. */
function entryAction(entry: DirectionalActions<BlockAction>, source: GuardrailSource): AssessmentAction | undefined {
  const action = actionFor(entry, source);
  return action === undefined ? undefined : action === "BLOCK" ? "BLOCKED" : "NONE";
}

/** BLOCKED wins when several entries report the same text. */
function stricter(a: AssessmentAction | undefined, b: AssessmentAction): AssessmentAction {
  return a === "BLOCKED" || b === "BLOCKED" ? "BLOCKED" : "NONE";
}

function customWords(matcher: CustomWordMatcher, config: WordPolicyConfig, input: PolicyInput): CustomWordAssessment[] {
  const byText = new Map<string, AssessmentAction>();
  for (const found of matcher.find(input.text)) {
    for (const index of found.words) {
      const action = entryAction(config.words[index]!, input.source);
      if (action) byText.set(found.match, stricter(byText.get(found.match), action));
    }
  }
  return [...byText].map(([match, action]) => ({ match, action, detected: true }));
}

function managedWords(config: WordPolicyConfig, input: PolicyInput): ManagedWordAssessment[] {
  let action: AssessmentAction | undefined;
  for (const list of config.managedWordLists) {
    const listAction = list.type === "PROFANITY" ? entryAction(list, input.source) : undefined;
    if (listAction) action = stricter(action, listAction);
  }
  if (!action) return [];
  const seen = new Set<string>();
  const out: ManagedWordAssessment[] = [];
  for (const found of findProfanity(input.text)) {
    if (seen.has(found.match)) continue;
    seen.add(found.match);
    out.push({ match: found.match, type: "PROFANITY", action, detected: true });
  }
  return out;
}

/** Builds the word policy of one guardrail version; the word matcher is built here, once. */
export function createWordPolicy(config: WordPolicyConfig): GuardrailPolicy<WordAssessment> {
  const matcher = createCustomWordMatcher(config.words.map((word) => word.text));
  const wordsOn: Record<GuardrailSource, boolean> = {
    INPUT: config.words.some((word) => word.inputEnabled),
    OUTPUT: config.words.some((word) => word.outputEnabled),
  };
  return {
    async check(input: PolicyInput): Promise<PolicyCheck<WordAssessment>> {
      input.signal?.throwIfAborted();
      const custom = wordsOn[input.source] ? customWords(matcher, config, input) : [];
      const managed = managedWords(config, input);
      if (custom.length === 0 && managed.length === 0) return { blocked: false, masks: [] };
      const blocked = [...custom, ...managed].some((entry) => entry.action === "BLOCKED");
      return { assessment: { customWords: custom, managedWordLists: managed }, blocked, masks: [] };
    },
  };
}
