// A guardrail applied around one model call (Converse, ConverseStream, InvokeModel, the OpenAI
// route): the request's guardrail configuration, authorization on the guardrail, input and output
// checks with metrics and log fields, and the trace Bedrock returns.
import type { ApplyRequest, ApplyResult, CompiledGuardrail, GuardrailContent } from "../../guardrails/engine/apply.ts";
import type { StreamProcessingMode } from "../../guardrails/engine/stream-window.ts";
import type { Assessment, GuardrailSource } from "../../guardrails/guardrail.ts";
import { guardrailArn } from "../../iam/actions.ts";
import { BasaltError, validation } from "../../spec/errors.ts";
import { object, oneOf, optionalObject, string } from "../../util/validate.ts";
import type { ApiDeps } from "../deps.ts";
import type { RequestContext } from "../protocol/http.ts";

/** `guardrailConfig` of a Converse request, or the guardrail headers of InvokeModel. */
export interface GuardrailRequestConfig {
  identifier: string;
  version: string;
  trace: "enabled" | "disabled" | "enabled_full";
  streamProcessingMode: StreamProcessingMode;
}

/** Parses Converse's `guardrailConfig` (ConverseStream adds `streamProcessingMode`). */
export function parseGuardrailConfig(value: unknown, field = "guardrailConfig"): GuardrailRequestConfig | undefined {
  const config = optionalObject(value, field);
  if (!config) return undefined;
  return {
    identifier: string(config.guardrailIdentifier, `${field}.guardrailIdentifier`, { min: 0, max: 2048 }),
    version: string(config.guardrailVersion, `${field}.guardrailVersion`, { pattern: /^(([1-9][0-9]{0,7})|(DRAFT))$/ }),
    trace: config.trace === undefined ? "disabled" : oneOf(config.trace, `${field}.trace`, ["enabled", "disabled", "enabled_full"]),
    streamProcessingMode: config.streamProcessingMode === undefined ? "sync" : oneOf(config.streamProcessingMode, `${field}.streamProcessingMode`, ["sync", "async"]),
  };
}

/** The InvokeModel headers `X-Amzn-Bedrock-GuardrailIdentifier`, `-GuardrailVersion` and `-Trace`. */
export function guardrailConfigFromHeaders(headers: Record<string, string | string[] | undefined>): GuardrailRequestConfig | undefined {
  // Every guarded route asks, so the common answer (no guardrail headers) allocates nothing.
  const identifier = firstHeader(headers, "x-amzn-bedrock-guardrailidentifier");
  const version = firstHeader(headers, "x-amzn-bedrock-guardrailversion");
  if (identifier === undefined && version === undefined) return undefined;
  if (!identifier) throw validation("guardrailIdentifier", "must be given with guardrailVersion");
  if (!version) throw validation("guardrailVersion", "must be given with guardrailIdentifier");
  const trace = (firstHeader(headers, "x-amzn-bedrock-trace") ?? "DISABLED").toUpperCase();
  if (!["ENABLED", "DISABLED", "ENABLED_FULL"].includes(trace)) throw validation("trace", "Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_FULL]");
  return parseGuardrailConfig({ guardrailIdentifier: identifier, guardrailVersion: version, trace: trace.toLowerCase() }, "guardrail");
}

function firstHeader(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Which policies intervened (blocked or masked) in an assessment. */
function interveningPolicies(a: Assessment): string[] {
  const acted = (entries: Array<{ action: string }> | undefined) => entries?.some((e) => e.action === "BLOCKED" || e.action === "ANONYMIZED") ?? false;
  const policies: string[] = [];
  if (acted(a.topicPolicy?.topics)) policies.push("topicPolicy");
  if (acted(a.contentPolicy?.filters)) policies.push("contentPolicy");
  if (acted(a.wordPolicy?.customWords) || acted(a.wordPolicy?.managedWordLists)) policies.push("wordPolicy");
  if (acted(a.sensitiveInformationPolicy?.piiEntities) || acted(a.sensitiveInformationPolicy?.regexes)) policies.push("sensitiveInformationPolicy");
  if (acted(a.contextualGroundingPolicy?.filters)) policies.push("contextualGroundingPolicy");
  return policies;
}

/** An assessment with every matched value removed: what logs may keep. */
export function redactAssessment(a: Assessment): Assessment {
  const strip = <T extends { match?: string }>(entries: T[]): T[] => entries.map(({ match: _match, ...rest }) => rest as T);
  return {
    ...a,
    ...(a.wordPolicy ? { wordPolicy: { customWords: strip(a.wordPolicy.customWords), managedWordLists: strip(a.wordPolicy.managedWordLists) } } : {}),
    ...(a.sensitiveInformationPolicy ? { sensitiveInformationPolicy: { piiEntities: strip(a.sensitiveInformationPolicy.piiEntities), regexes: strip(a.sensitiveInformationPolicy.regexes) } } : {}),
  };
}

/** Applies a guardrail and reports it: metrics, log fields (assessments without matched values). */
export async function applyAndObserve(deps: ApiDeps, ctx: RequestContext, guardrail: CompiledGuardrail, request: ApplyRequest, operation: string): Promise<ApplyResult> {
  const started = performance.now();
  const result = await guardrail.apply({ ...request, signal: request.signal ?? ctx.signal });
  const policies = interveningPolicies(result.assessment);
  deps.usage?.metrics.guardrail({
    guardrail: `${guardrail.id}:${guardrail.version}`,
    source: request.source,
    operation,
    intervened: result.action === "GUARDRAIL_INTERVENED",
    policies,
    latencyMs: performance.now() - started,
  });
  const key = request.source === "INPUT" ? "guardrailInput" : "guardrailOutput";
  ctx.logFields[key] = { action: result.action, ...(policies.length > 0 ? { policies } : {}) };
  return result;
}

/** A guardrail around one model call. */
export class GuardrailSession {
  input: ApplyResult | undefined;
  readonly outputs: ApplyResult[] = [];

  private constructor(
    private readonly deps: ApiDeps,
    private readonly ctx: RequestContext,
    readonly guardrail: CompiledGuardrail,
    readonly config: GuardrailRequestConfig,
    private readonly operation: string,
  ) {}

  /** Authorizes bedrock:ApplyGuardrail on the guardrail and loads it; undefined without a configuration. */
  static async open(deps: ApiDeps, ctx: RequestContext, config: GuardrailRequestConfig | undefined, operation: string): Promise<GuardrailSession | undefined> {
    if (!config) return undefined;
    if (!deps.guardrails) throw new BasaltError("VALIDATION", "Guardrails are not available on this server.");
    ctx.authorize("ApplyGuardrail", guardrailArn(deps.config.region, ctx.principal.accountId, config.identifier));
    const guardrail = await deps.guardrails.resolve(ctx.principal.accountId, config.identifier, config.version);
    ctx.logFields.guardrailId = `${guardrail.id}:${guardrail.version}`;
    return new GuardrailSession(deps, ctx, guardrail, config, operation);
  }

  private apply(source: GuardrailSource, content: readonly GuardrailContent[]): Promise<ApplyResult> {
    return applyAndObserve(this.deps, this.ctx, this.guardrail, { source, content, outputScope: this.config.trace === "enabled_full" ? "FULL" : "INTERVENTIONS" }, this.operation);
  }

  /** Checks the request's content. */
  async checkInput(content: readonly GuardrailContent[]): Promise<ApplyResult> {
    this.input = await this.apply("INPUT", content);
    return this.input;
  }

  /** Checks (part of) the model's answer; `context` carries grounding source and query blocks. */
  async checkOutput(text: string, context: readonly GuardrailContent[] = []): Promise<ApplyResult> {
    const result = await this.apply("OUTPUT", [...context, { text }]);
    this.outputs.push(result);
    return result;
  }

  get blockedInputMessage(): string {
    return this.guardrail.config.blockedInputMessaging;
  }

  get blockedOutputMessage(): string {
    return this.guardrail.config.blockedOutputsMessaging;
  }

  /** Whether any check intervened. */
  get intervened(): boolean {
    return this.input?.action === "GUARDRAIL_INTERVENED" || this.outputs.some((o) => o.action === "GUARDRAIL_INTERVENED");
  }

  /** Converse's `trace` (undefined when tracing is off): assessments keyed by guardrail id, and the model's unaltered output if it was changed. */
  trace(modelOutput?: string[]): Record<string, unknown> | undefined {
    if (this.config.trace === "disabled") return undefined;
    const id = this.guardrail.id;
    const changed = this.outputs.some((o) => o.action === "GUARDRAIL_INTERVENED");
    return {
      guardrail: {
        ...(changed && modelOutput ? { modelOutput } : {}),
        ...(this.input ? { inputAssessment: { [id]: this.input.assessment } } : {}),
        ...(this.outputs.length > 0 ? { outputAssessments: { [id]: this.outputs.map((o) => o.assessment) } } : {}),
      },
    };
  }
}

/** Parses ApplyGuardrail's content list. */
export function parseGuardrailContent(value: unknown[]): { content: GuardrailContent[]; images: number } {
  const content: GuardrailContent[] = [];
  let images = 0;
  value.forEach((raw, i) => {
    const block = object(raw, `content.${i}`);
    if (block.image !== undefined) {
      const image = object(block.image, `content.${i}.image`);
      oneOf(image.format, `content.${i}.image.format`, ["jpeg", "png"]);
      object(image.source, `content.${i}.image.source`);
      images++;
      return;
    }
    const text = object(block.text, `content.${i}.text`);
    const qualifiers = text.qualifiers === undefined ? [] : (text.qualifiers as unknown[]);
    if (!Array.isArray(qualifiers)) throw validation(`content.${i}.text.qualifiers`, "must be a list");
    content.push({
      text: string(text.text, `content.${i}.text.text`),
      qualifiers: qualifiers.map((q, j) => oneOf(q, `content.${i}.text.qualifiers.${j}`, ["grounding_source", "query", "guard_content"])),
    });
  });
  return { content, images };
}
