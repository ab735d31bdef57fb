// Prometheus metrics on a registry Basalt owns (not prom-client's global default, which any
// dependency may write to, and which tests would share). Principal is a label on counters
// only: principals are IAM users and roles, a bounded set, but multiplied by every histogram
// bucket they would swell the exposition, so histograms are by model and outcome.
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { UsageRecord } from "./recorder.ts";

/** Latency buckets in seconds: from a cached short answer to a long generation. */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];
/** Time-to-first-token buckets in seconds. */
export const FIRST_TOKEN_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Guardrail latency buckets in seconds: detectors run in milliseconds, a model judge in seconds. */
export const GUARDRAIL_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** One guardrail evaluation, as the engine's callers report it. */
export interface GuardrailObservation {
  /** The guardrail's id and version, e.g. `abc123def456:1`. */
  guardrail: string;
  source: "INPUT" | "OUTPUT";
  /** Where it ran: ApplyGuardrail, Converse, ConverseStream, InvokeModel, … */
  operation: string;
  intervened: boolean;
  /** Policies with an intervening (blocked or masked) entry: topicPolicy, contentPolicy, … */
  policies: readonly string[];
  latencyMs: number;
}

/** A quota refusal, as the limiter reports it. */
export interface ThrottleObservation {
  model: string;
  principal: string;
  limit: string;
  scope: string;
}

/** Options of {@link UsageMetrics}. */
export interface UsageMetricsOptions {
  /** Also export process and Node.js runtime metrics (memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
}

/** The series one finished request touches, bound to their labels once. */
interface RequestSeries {
  requests: { inc(): void };
  input: { inc(value: number): void };
  output: { inc(value: number): void };
  latency: { observe(value: number): void };
}

/** Basalt's metrics and their text exposition for `/metrics`. */
export class UsageMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"model" | "principal" | "outcome">;
  private readonly tokens: Counter<"model" | "principal" | "type">;
  private readonly latency: Histogram<"model" | "outcome">;
  private readonly firstToken: Histogram<"model">;
  private readonly errors: Counter<"model" | "exception">;
  private readonly throttles: Counter<"model" | "principal" | "limit" | "scope">;
  private readonly guardrailInvocations: Counter<"guardrail" | "source" | "operation" | "action">;
  private readonly guardrailInterventions: Counter<"guardrail" | "source" | "policy">;
  private readonly guardrailLatency: Histogram<"source">;
  // Every model call lands here: binding label values (prom-client hashes them per call) once
  // per (model, principal, outcome) keeps observe() to a map lookup and four increments.
  private readonly series = new Map<string, RequestSeries>();

  constructor(options: UsageMetricsOptions = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: "basalt_requests_total", help: "Model invocations by model, principal and outcome.", labelNames: ["model", "principal", "outcome"], registers });
    this.tokens = new Counter({ name: "basalt_tokens_total", help: "Tokens by model, principal and type (input or output).", labelNames: ["model", "principal", "type"], registers });
    this.latency = new Histogram({ name: "basalt_request_duration_seconds", help: "Model invocation latency, request to last byte.", labelNames: ["model", "outcome"], buckets: LATENCY_BUCKETS, registers });
    this.firstToken = new Histogram({ name: "basalt_time_to_first_token_seconds", help: "Streaming latency to the first generated token.", labelNames: ["model"], buckets: FIRST_TOKEN_BUCKETS, registers });
    this.errors = new Counter({ name: "basalt_errors_total", help: "Failed invocations by model and Bedrock exception name.", labelNames: ["model", "exception"], registers });
    this.throttles = new Counter({ name: "basalt_quota_throttles_total", help: "Requests refused by Basalt's quotas, by the limit that refused them.", labelNames: ["model", "principal", "limit", "scope"], registers });
    this.guardrailInvocations = new Counter({
      name: "basalt_guardrail_invocations_total",
      help: "Guardrail evaluations by guardrail (id:version), source, operation and action (INTERVENED or NONE).",
      labelNames: ["guardrail", "source", "operation", "action"],
      registers,
    });
    this.guardrailInterventions = new Counter({
      name: "basalt_guardrail_interventions_total",
      help: "Guardrail interventions by guardrail, source and the policy that intervened.",
      labelNames: ["guardrail", "source", "policy"],
      registers,
    });
    this.guardrailLatency = new Histogram({ name: "basalt_guardrail_duration_seconds", help: "Time to evaluate a guardrail, by source.", labelNames: ["source"], buckets: GUARDRAIL_LATENCY_BUCKETS, registers });
    // The event-loop delay sampler's default 10 ms resolution wakes an idle server 100 times a
    // second; 100 ms still catches every stall worth an alert.
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
  }

  /** Counts one finished request; `firstTokenMs` for streams. */
  observe(record: UsageRecord, firstTokenMs?: number): void {
    const { model, principal, outcome } = record;
    const key = `${model}\u0000${principal}\u0000${outcome}`;
    let series = this.series.get(key);
    if (!series) {
      series = {
        requests: this.requests.labels({ model, principal, outcome }),
        input: this.tokens.labels({ model, principal, type: "input" }),
        output: this.tokens.labels({ model, principal, type: "output" }),
        latency: this.latency.labels({ model, outcome }),
      };
      this.series.set(key, series);
    }
    series.requests.inc();
    if (record.inputTokens > 0) series.input.inc(record.inputTokens);
    if (record.outputTokens > 0) series.output.inc(record.outputTokens);
    series.latency.observe(record.latencyMs / 1000);
    if (firstTokenMs !== undefined) this.firstToken.observe({ model }, firstTokenMs / 1000);
    if (record.errorName) this.errors.inc({ model, exception: record.errorName });
  }

  /** Counts one quota refusal. */
  throttled(event: ThrottleObservation): void {
    this.throttles.inc({ model: event.model, principal: event.principal, limit: event.limit, scope: event.scope });
  }

  /** Counts one guardrail evaluation. */
  guardrail(event: GuardrailObservation): void {
    const { guardrail, source } = event;
    this.guardrailInvocations.inc({ guardrail, source, operation: event.operation, action: event.intervened ? "INTERVENED" : "NONE" });
    for (const policy of event.policies) this.guardrailInterventions.inc({ guardrail, source, policy });
    this.guardrailLatency.observe({ source }, event.latencyMs / 1000);
  }

  /** The Content-Type of {@link render}'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition format, for a `/metrics` route. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
