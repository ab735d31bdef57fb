// Applying one guardrail version to content: every policy checks every guarded text, their
// findings merge into Bedrock's single assessment, masks are applied, and the action, outputs,
// usage units and coverage are worked out as ApplyGuardrail reports them. Converse, InvokeModel,
// the OpenAI route and streamed output all come through here.
import type {
  Assessment,
  ContentFilterAssessment,
  ContentQualifier,
  GuardrailConfig,
  GuardrailSource,
  GuardrailUsage,
  TopicAssessment,
} from "../guardrail.ts";
import type { GuardrailPolicy, PolicyCheck, TextMask } from "../policy.ts";

/** One content block given to a guardrail. */
export interface GuardrailContent {
  text: string;
  qualifiers?: readonly ContentQualifier[];
}

/** What to apply a guardrail to. */
export interface ApplyRequest {
  source: GuardrailSource;
  content: readonly GuardrailContent[];
  /** FULL also reports the filters and topics that found nothing, and returns unchanged texts. */
  outputScope?: "INTERVENTIONS" | "FULL";
  /** Blocks ApplyGuardrail could not evaluate (images), for the coverage figures. */
  unguardedBlocks?: number;
  signal?: AbortSignal;
}

/** The outcome, in ApplyGuardrail's terms plus what callers inside Basalt need. */
export interface ApplyResult {
  action: "GUARDRAIL_INTERVENED" | "NONE";
  actionReason: string;
  /** True when an entry blocked: the content must be replaced by the blocked message. */
  blocked: boolean;
  outputs: { text: string }[];
  assessment: Assessment;
  usage: GuardrailUsage;
  /** Each content block's text after masking (unchanged where nothing was masked), in request order. */
  texts: string[];
  /** The masks applied to each content block, in request order (offsets into the original text). */
  masks: TextMask[][];
  coverage: { textCharacters: { guarded: number; total: number } };
}

type PolicyAssessment<K extends keyof Assessment> = NonNullable<Assessment[K]>;

/** A contextual-grounding policy: unlike the others it needs the source and query as well as the response. */
export interface GroundingPolicy {
  check(input: { response: string; groundingSource?: string; query?: string; signal?: AbortSignal }): Promise<PolicyCheck<PolicyAssessment<"contextualGroundingPolicy">>>;
}

/** The policies a guardrail version configures, built once from its configuration. */
export interface GuardrailPolicies {
  topicPolicy?: GuardrailPolicy<PolicyAssessment<"topicPolicy">>;
  contentPolicy?: GuardrailPolicy<PolicyAssessment<"contentPolicy">>;
  wordPolicy?: GuardrailPolicy<PolicyAssessment<"wordPolicy">>;
  sensitiveInformationPolicy?: GuardrailPolicy<PolicyAssessment<"sensitiveInformationPolicy">>;
  contextualGroundingPolicy?: GroundingPolicy;
}

/** Bedrock bills and meters guardrails in text units of up to 1,000 characters. */
const TEXT_UNIT = 1000;

/** A guardrail version ready to apply: its configuration and built policies. */
export class CompiledGuardrail {
  constructor(
    readonly id: string,
    readonly version: string,
    readonly config: GuardrailConfig,
    private readonly policies: GuardrailPolicies,
  ) {}

  /** Applies the guardrail; policies run concurrently and each sees every guarded text. */
  async apply(request: ApplyRequest): Promise<ApplyResult> {
    const started = performance.now();
    const { source, content } = request;
    const onlyGuardContent = content.some((c) => c.qualifiers?.includes("guard_content"));
    const guarded: number[] = [];
    const groundingSource: string[] = [];
    const query: string[] = [];
    content.forEach((block, index) => {
      const qualifiers = block.qualifiers ?? [];
      if (qualifiers.includes("grounding_source")) groundingSource.push(block.text);
      else if (qualifiers.includes("query")) query.push(block.text);
      else if (!onlyGuardContent || qualifiers.includes("guard_content")) guarded.push(index);
    });

    const checks = await Promise.all(guarded.map((index) => this.checkText(content[index]!.text, source, request.signal)));
    const grounding = await this.checkGrounding(source, guarded.map((i) => content[i]!.text).join("\n"), groundingSource, query, request.signal);

    const assessment: Assessment = {};
    let blocked = grounding?.blocked ?? false;
    let masked = false;
    const texts = content.map((c) => c.text);
    const masks: TextMask[][] = content.map(() => []);
    checks.forEach((check, n) => {
      const index = guarded[n]!;
      blocked ||= check.blocked;
      mergeInto(assessment, check.assessments);
      if (check.masks.length > 0) {
        masks[index] = check.masks;
        texts[index] = applyMasks(texts[index]!, check.masks);
        masked = true;
      }
    });
    if (grounding?.assessment) assessment.contextualGroundingPolicy = grounding.assessment;
    if (request.outputScope === "FULL") this.addUndetected(assessment, source);

    const guardedChars = guarded.reduce((n, i) => n + content[i]!.text.length, 0);
    const totalChars = content.reduce((n, c) => n + c.text.length, 0);
    const usage = this.usage(guardedChars, groundingSource.length > 0 || query.length > 0);
    const coverage = { textCharacters: { guarded: guardedChars, total: totalChars } };
    assessment.invocationMetrics = { guardrailProcessingLatency: Math.round(performance.now() - started), usage, guardrailCoverage: coverage };

    const intervened = blocked || masked;
    const message = source === "INPUT" ? this.config.blockedInputMessaging : this.config.blockedOutputsMessaging;
    let outputs: { text: string }[] = [];
    if (blocked) outputs = [{ text: message }];
    else if (masked || request.outputScope === "FULL") outputs = guarded.map((i) => ({ text: texts[i]! }));
    return {
      action: intervened ? "GUARDRAIL_INTERVENED" : "NONE",
      actionReason: blocked ? "Guardrail blocked." : masked ? "Guardrail masked." : "No action.",
      blocked,
      outputs,
      assessment,
      usage,
      texts,
      masks,
      coverage,
    };
  }

  private async checkText(text: string, source: GuardrailSource, signal?: AbortSignal): Promise<{ blocked: boolean; masks: TextMask[]; assessments: Assessment }> {
    const { topicPolicy, contentPolicy, wordPolicy, sensitiveInformationPolicy } = this.policies;
    const input = { text, source, signal };
    const [topics, contentFilters, words, pii] = await Promise.all([
      topicPolicy?.check(input),
      contentPolicy?.check(input),
      wordPolicy?.check(input),
      sensitiveInformationPolicy?.check(input),
    ]);
    const assessments: Assessment = {};
    if (topics?.assessment) assessments.topicPolicy = topics.assessment;
    if (contentFilters?.assessment) assessments.contentPolicy = contentFilters.assessment;
    if (words?.assessment) assessments.wordPolicy = words.assessment;
    if (pii?.assessment) assessments.sensitiveInformationPolicy = pii.assessment;
    const all = [topics, contentFilters, words, pii];
    return { blocked: all.some((c) => c?.blocked === true), masks: pii?.masks ?? [], assessments };
  }

  private async checkGrounding(source: GuardrailSource, response: string, groundingSource: string[], query: string[], signal?: AbortSignal) {
    const policy = this.policies.contextualGroundingPolicy;
    // Contextual grounding judges a model's answer, so it applies to OUTPUT only.
    if (!policy || source !== "OUTPUT" || response.length === 0) return undefined;
    return policy.check({
      response,
      ...(groundingSource.length > 0 ? { groundingSource: groundingSource.join("\n") } : {}),
      ...(query.length > 0 ? { query: query.join("\n") } : {}),
      signal,
    });
  }

  /** outputScope FULL: every enabled content filter and topic appears, detected or not. */
  private addUndetected(assessment: Assessment, source: GuardrailSource): void {
    const input = source === "INPUT";
    const filters = this.config.contentPolicy?.filters.filter((f) => (input ? f.inputEnabled : f.outputEnabled) && (input || f.type !== "PROMPT_ATTACK")) ?? [];
    if (filters.length > 0) {
      const reported = assessment.contentPolicy?.filters ?? [];
      const missing: ContentFilterAssessment[] = filters
        .filter((f) => !reported.some((r) => r.type === f.type))
        .map((f) => ({ type: f.type, confidence: "NONE", filterStrength: input ? f.inputStrength : f.outputStrength, action: "NONE", detected: false }));
      assessment.contentPolicy = { filters: [...reported, ...missing] };
    }
    const topics = this.config.topicPolicy?.topics.filter((t) => (input ? t.inputEnabled : t.outputEnabled)) ?? [];
    if (topics.length > 0) {
      const reported = assessment.topicPolicy?.topics ?? [];
      const missing: TopicAssessment[] = topics.filter((t) => !reported.some((r) => r.name === t.name)).map((t) => ({ name: t.name, type: "DENY", action: "NONE", detected: false }));
      assessment.topicPolicy = { topics: [...reported, ...missing] };
    }
  }

  /** Text units per configured policy; regexes alone are Bedrock's free sensitive-information units. */
  private usage(guardedChars: number, hasGroundingInput: boolean): GuardrailUsage {
    const units = Math.ceil(guardedChars / TEXT_UNIT);
    const c = this.config;
    const pii = c.sensitiveInformationPolicy;
    return {
      topicPolicyUnits: c.topicPolicy ? units : 0,
      contentPolicyUnits: c.contentPolicy ? units : 0,
      wordPolicyUnits: c.wordPolicy ? units : 0,
      sensitiveInformationPolicyUnits: pii && pii.piiEntities.length > 0 ? units : 0,
      sensitiveInformationPolicyFreeUnits: pii && pii.regexes.length > 0 ? units : 0,
      contextualGroundingPolicyUnits: c.contextualGroundingPolicy && hasGroundingInput ? units : 0,
    };
  }
}

/** Merges one text's assessment into the request's: one entry per filter type and topic, every match listed. */
function mergeInto(into: Assessment, from: Assessment): void {
  if (from.topicPolicy) {
    const topics = into.topicPolicy?.topics ?? [];
    for (const t of from.topicPolicy.topics) {
      const at = topics.findIndex((x) => x.name === t.name);
      if (at === -1) topics.push(t);
      else if (t.action === "BLOCKED") topics[at] = t;
    }
    into.topicPolicy = { topics };
  }
  if (from.contentPolicy) {
    const filters = into.contentPolicy?.filters ?? [];
    for (const f of from.contentPolicy.filters) {
      const at = filters.findIndex((x) => x.type === f.type);
      if (at === -1) filters.push(f);
      else if (rank(f) > rank(filters[at]!)) filters[at] = f;
    }
    into.contentPolicy = { filters };
  }
  if (from.wordPolicy) {
    into.wordPolicy = {
      customWords: [...(into.wordPolicy?.customWords ?? []), ...from.wordPolicy.customWords],
      managedWordLists: [...(into.wordPolicy?.managedWordLists ?? []), ...from.wordPolicy.managedWordLists],
    };
  }
  if (from.sensitiveInformationPolicy) {
    into.sensitiveInformationPolicy = {
      piiEntities: [...(into.sensitiveInformationPolicy?.piiEntities ?? []), ...from.sensitiveInformationPolicy.piiEntities],
      regexes: [...(into.sensitiveInformationPolicy?.regexes ?? []), ...from.sensitiveInformationPolicy.regexes],
    };
  }
}

const CONFIDENCE_RANK = { NONE: 0, LOW: 1, MEDIUM: 2, HIGH: 3 } as const;
function rank(f: ContentFilterAssessment): number {
  return (f.action === "BLOCKED" ? 10 : 0) + CONFIDENCE_RANK[f.confidence];
}

/** Replaces each masked span with its placeholder; overlapping masks keep the first. */
export function applyMasks(text: string, masks: readonly TextMask[]): string {
  const sorted = [...masks].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = "";
  let at = 0;
  for (const mask of sorted) {
    if (mask.start < at) continue;
    out += text.slice(at, mask.start) + mask.replacement;
    at = mask.end;
  }
  return out + text.slice(at);
}
