// The sensitive-information policy: built-in PII entity types (through a PiiRecognizer) and
// custom regexes, each with per-direction switches and actions. Every match is an assessment
// entry; BLOCK blocks the content, ANONYMIZE masks the match as {TYPE} or {<regex name>},
// NONE only reports it. Custom regexes run on re2js (RE2: linear time, no backtracking), so a
// pattern such as (a+)+$ cannot stall the guardrail.
import { RE2JS, RE2JSException } from "re2js";
import type {
  Assessment,
  DirectionalActions,
  GuardrailPolicies,
  GuardrailSource,
  PiiAction,
  PiiEntityAssessment,
  PiiEntityType,
  RegexAssessment,
  RegexConfig,
} from "../guardrail.ts";
import { actionFor } from "../guardrail.ts";
import type { GuardrailPolicy, PiiRecognizer, PolicyCheck, PolicyInput, TextMask } from "../policy.ts";
import { builtinPiiRecognizer } from "../detectors/pii/recognizer.ts";
import { validation } from "../../spec/errors.ts";

type SensitiveInformationConfig = NonNullable<GuardrailPolicies["sensitiveInformationPolicy"]>;
type SensitiveInformationAssessment = NonNullable<Assessment["sensitiveInformationPolicy"]>;
type EntryAction = PiiEntityAssessment["action"];

/** Most matches one custom regex reports in one text; the rest are not scanned for. */
export const MAX_REGEX_MATCHES = 1000;
/** Bedrock's limit on a regex pattern's length. */
const MAX_PATTERN_LENGTH = 500;
/** How many regex matches run between two looks at the abort signal. */
const SIGNAL_EVERY = 64;

/**
 * Compiles a custom sensitive-information regex with RE2 semantics. Throws a
 * ValidationException naming `field` when the pattern is empty, too long, malformed, or uses
 * what RE2 cannot do in linear time (backreferences, lookaround).
 */
export function compileGuardrailRegex(pattern: string, field: string): RE2JS {
  if (pattern.length === 0) throw validation(field, "Member must have length greater than or equal to 1");
  if (pattern.length > MAX_PATTERN_LENGTH) throw validation(field, `Member must have length less than or equal to ${MAX_PATTERN_LENGTH}`);
  try {
    return RE2JS.compile(pattern);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    throw validation(field, `the regular expression is invalid or not supported (RE2 syntax: no backreferences or lookaround): ${error.message}`);
  }
}

const ENTRY_ACTION: Record<PiiAction, EntryAction> = { BLOCK: "BLOCKED", ANONYMIZE: "ANONYMIZED", NONE: "NONE" };

/** Sorts masks and merges overlapping ones; the earlier (then longer) mask's replacement is kept. */
export function mergeMasks(masks: readonly TextMask[]): TextMask[] {
  const sorted = [...masks].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: TextMask[] = [];
  for (const m of sorted) {
    const last = out[out.length - 1];
    if (last && m.start < last.end) last.end = Math.max(last.end, m.end);
    else out.push({ ...m });
  }
  return out;
}

interface CompiledRegex {
  config: RegexConfig;
  re: RE2JS;
}

/** Findings of one check, gathered before they become an assessment. */
interface Findings {
  piiEntities: PiiEntityAssessment[];
  regexes: RegexAssessment[];
  masks: TextMask[];
}

function findEntities(recognizer: PiiRecognizer, config: SensitiveInformationConfig, input: PolicyInput, out: Findings): void {
  const actions = new Map<PiiEntityType, PiiAction>();
  for (const entity of config.piiEntities) {
    const action = actionFor(entity, input.source);
    if (action) actions.set(entity.type, action);
  }
  if (actions.size === 0) return;
  for (const m of recognizer.find(input.text, new Set(actions.keys()))) {
    const action = actions.get(m.type);
    if (!action) continue;
    out.piiEntities.push({ match: m.match, type: m.type, action: ENTRY_ACTION[action], detected: true });
    if (action === "ANONYMIZE") out.masks.push({ start: m.start, end: m.end, replacement: `{${m.type}}` });
  }
}

function findRegexes(regexes: readonly CompiledRegex[], input: PolicyInput, out: Findings): void {
  for (const { config, re } of regexes) {
    const action = actionFor(config, input.source);
    if (!action) continue;
    const matcher = re.matcher(input.text);
    let found = 0;
    while (found < MAX_REGEX_MATCHES && matcher.find()) {
      if (++found % SIGNAL_EVERY === 0) input.signal?.throwIfAborted();
      const start = matcher.start();
      const end = matcher.end();
      if (end <= start) continue; // an empty match names nothing
      out.regexes.push({ name: config.name, match: input.text.slice(start, end), regex: config.pattern, action: ENTRY_ACTION[action], detected: true });
      if (action === "ANONYMIZE") out.masks.push({ start, end, replacement: `{${config.name}}` });
    }
  }
}

/** Builds the sensitive-information policy of one guardrail version; regexes are compiled here, once. */
export function createSensitiveInformationPolicy(
  config: SensitiveInformationConfig,
  recognizer: PiiRecognizer = builtinPiiRecognizer,
): GuardrailPolicy<SensitiveInformationAssessment> {
  const regexes: CompiledRegex[] = config.regexes.map((regex, i) => ({
    config: regex,
    re: compileGuardrailRegex(regex.pattern, `sensitiveInformationPolicyConfig.regexesConfig.${i + 1}.member.pattern`),
  }));
  return {
    async check(input: PolicyInput): Promise<PolicyCheck<SensitiveInformationAssessment>> {
      input.signal?.throwIfAborted();
      const found: Findings = { piiEntities: [], regexes: [], masks: [] };
      if (input.text.length > 0) {
        findEntities(recognizer, config, input, found);
        findRegexes(regexes, input, found);
      }
      if (found.piiEntities.length === 0 && found.regexes.length === 0) return { blocked: false, masks: [] };
      const blocked = [...found.piiEntities, ...found.regexes].some((e) => e.action === "BLOCKED");
      return {
        assessment: { piiEntities: found.piiEntities, regexes: found.regexes },
        blocked,
        masks: mergeMasks(found.masks),
      };
    },
  };
}
