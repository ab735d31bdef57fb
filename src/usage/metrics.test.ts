import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { register as globalRegistry } from "prom-client";
import { QuotaLimiter } from "../quotas/limiter.ts";
import { UsageMetrics } from "./metrics.ts";
import type { UsageRecord } from "./recorder.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format back: samples plus HELP and TYPE lines. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string>; helps: Set<string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Set<string>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") types.set(meta[2]!, meta[3]!);
      else helps.add(meta[2]!);
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { samples, types, helps };
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length)?.value;
}

const rec = (over: Partial<UsageRecord>): UsageRecord => ({
  timestamp: new Date().toISOString(),
  principal: "arn:aws:iam::111122223333:user/alice",
  model: "m",
  inputTokens: 10,
  outputTokens: 20,
  latencyMs: 300,
  outcome: "success",
  ...over,
});

describe("UsageMetrics", () => {
  it("exposes requests, tokens, latency, errors and throttles with their labels", async () => {
    const metrics = new UsageMetrics({ processMetrics: false });
    metrics.observe(rec({}), 40);
    metrics.observe(rec({ latencyMs: 7_000, inputTokens: 5, outputTokens: 1 }));
    metrics.observe(rec({ outcome: "client_error", errorName: "ValidationException", inputTokens: 0, outputTokens: 0, latencyMs: 2 }));
    metrics.observe(rec({ model: "other", principal: 'we"ird', outcome: "server_error", errorName: "ModelErrorException", latencyMs: 50 }));
    const limiter = new QuotaLimiter({ config: { models: { m: { requestsPerMinute: 1 } } }, onThrottle: (event) => metrics.throttled(event) });
    limiter.reserve({ model: "m", principal: "bob", inputTokens: 0, maxTokens: 0 });
    assert.throws(() => limiter.reserve({ model: "m", principal: "bob", inputTokens: 0, maxTokens: 0 }), { name: "ThrottlingException" });

    assert.match(metrics.contentType, /^text\/plain; version=0\.0\.4/);
    const { samples, types, helps } = parseExposition(await metrics.render());
    const alice = "arn:aws:iam::111122223333:user/alice";
    assert.equal(types.get("basalt_requests_total"), "counter");
    assert.equal(types.get("basalt_request_duration_seconds"), "histogram");
    for (const name of ["basalt_requests_total", "basalt_tokens_total", "basalt_errors_total", "basalt_quota_throttles_total"]) assert.ok(helps.has(name), name);

    assert.equal(value(samples, "basalt_requests_total", { model: "m", principal: alice, outcome: "success" }), 2);
    assert.equal(value(samples, "basalt_requests_total", { model: "m", principal: alice, outcome: "client_error" }), 1);
    assert.equal(value(samples, "basalt_requests_total", { model: "other", principal: 'we"ird', outcome: "server_error" }), 1, "label values are escaped and parse back");
    assert.equal(value(samples, "basalt_tokens_total", { model: "m", principal: alice, type: "input" }), 15);
    assert.equal(value(samples, "basalt_tokens_total", { model: "m", principal: alice, type: "output" }), 21);
    assert.equal(value(samples, "basalt_request_duration_seconds_count", { model: "m", outcome: "success" }), 2);
    assert.equal(value(samples, "basalt_request_duration_seconds_sum", { model: "m", outcome: "success" }), 7.3);
    assert.equal(value(samples, "basalt_request_duration_seconds_bucket", { model: "m", outcome: "success", le: "0.5" }), 1);
    assert.equal(value(samples, "basalt_request_duration_seconds_bucket", { model: "m", outcome: "success", le: "10" }), 2);
    assert.equal(value(samples, "basalt_request_duration_seconds_bucket", { model: "m", outcome: "success", le: "+Inf" }), 2);
    assert.equal(value(samples, "basalt_time_to_first_token_seconds_count", { model: "m" }), 1);
    assert.equal(value(samples, "basalt_errors_total", { model: "m", exception: "ValidationException" }), 1);
    assert.equal(value(samples, "basalt_errors_total", { model: "other", exception: "ModelErrorException" }), 1);
    assert.equal(value(samples, "basalt_quota_throttles_total", { model: "m", principal: "bob", limit: "requests", scope: "model" }), 1);
  });

  it("keeps its own registry: nothing leaks into prom-client's global default", async () => {
    const a = new UsageMetrics({ processMetrics: false });
    const b = new UsageMetrics({ processMetrics: false });
    a.observe(rec({}));
    assert.equal(value(parseExposition(await b.render()).samples, "basalt_requests_total", { model: "m", principal: rec({}).principal, outcome: "success" }), undefined);
    assert.doesNotMatch(await globalRegistry.metrics(), /basalt_/);
  });

  it("adds process and runtime metrics unless turned off", async () => {
    const { types } = parseExposition(await new UsageMetrics().render());
    assert.ok(types.has("process_cpu_user_seconds_total"));
    assert.ok(types.has("nodejs_eventloop_lag_seconds"));
  });
});
