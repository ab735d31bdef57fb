// ApplyGuardrail latency on 1 KB of text with every offline detector on (topics, all six content
// filters, words + PROFANITY, all 31 PII types + a regex, contextual grounding), measured two ways:
// through a live server (HTTP/1.1, one request in flight, the route the AWS SDK calls) and in
// process (the engine alone). Target: p50 ≤ 10 ms on 2 cores.
// Usage: node --import tsx bench/guardrails-latency.ts [--requests N]
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { Client } from "undici";
import { PII_ENTITY_TYPES } from "../src/guardrails/guardrail.ts";
import { percentile } from "./lib/processes.ts";
import { startTestServer } from "../test/helpers/server.ts";

const argAt = process.argv.indexOf("--requests");
const REQUESTS = argAt > 0 ? Number(process.argv[argAt + 1]) : 500;

/** 1 KB of ordinary support-chat text with a few entities in it. */
const PARAGRAPH = [
  "Hi, I am writing about my order from last week. The parcel arrived on Tuesday but the box was damaged",
  "and two of the glasses inside were broken. I would like a replacement rather than a refund if possible.",
  "You can reach me at jane.doe@example.com or on 415-555-0132 during office hours. My account was opened",
  "in 2019 and I have always been happy with the service, so I hope we can sort this out quickly. The order",
  "number is ORD-482913 and the delivery went to 42 Market Street, Springfield. Could you also tell me",
  "whether the new catalogue includes the blue ceramic set? My sister saw it in the store in Boston and",
  "would like to buy one for her kitchen. Thanks in advance for your help, and have a nice weekend!",
  "P.S. The courier was very friendly and left the parcel with my neighbour as I asked in the notes.",
]
  .join(" ");
const TEXT = `${PARAGRAPH} ${PARAGRAPH}`.slice(0, 1024);

const GUARDRAIL = {
  name: "bench-all-detectors",
  blockedInputMessaging: "Blocked.",
  blockedOutputsMessaging: "Blocked.",
  topicPolicyConfig: {
    topicsConfig: [
      { name: "Investment advice", definition: "Recommendations about investing money in stocks, bonds, funds or crypto.", type: "DENY", examples: ["Which stocks should I buy?"] },
      { name: "Medical diagnosis", definition: "Telling someone which illness they have from their symptoms.", type: "DENY" },
    ],
  },
  contentPolicyConfig: {
    filtersConfig: ["HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT", "PROMPT_ATTACK"].map((type) => ({ type, inputStrength: "HIGH", outputStrength: type === "PROMPT_ATTACK" ? "NONE" : "HIGH" })),
  },
  wordPolicyConfig: { wordsConfig: [{ text: "bluebird" }, { text: "project falcon" }], managedWordListsConfig: [{ type: "PROFANITY" }] },
  sensitiveInformationPolicyConfig: {
    piiEntitiesConfig: PII_ENTITY_TYPES.map((type) => ({ type, action: "ANONYMIZE" })),
    regexesConfig: [{ name: "ORDER_ID", pattern: "ORD-[0-9]{6}", action: "ANONYMIZE" }],
  },
  contextualGroundingPolicyConfig: { filtersConfig: [{ type: "GROUNDING", threshold: 0.5 }, { type: "RELEVANCE", threshold: 0.5 }] },
};

function summarize(samples: number[]): { p50: number; p99: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

async function main(): Promise<void> {
  const server = await startTestServer({ embeddedDefaults: false, models: [{ provider: "mock", id: "mock.echo" }] });
  const client = new Client(server.url);
  const call = async (method: "POST", path: string, body: unknown) => {
    const res = await client.request({ method, path, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const json = (await res.body.json()) as Record<string, unknown>;
    if (res.statusCode >= 300) throw new Error(`${path}: ${res.statusCode} ${JSON.stringify(json)}`);
    return json;
  };
  try {
    const { guardrailId } = (await call("POST", "/guardrails", GUARDRAIL)) as { guardrailId: string };
    const apply = (source: "INPUT" | "OUTPUT") => ({
      source,
      content:
        source === "INPUT"
          ? [{ text: { text: TEXT } }]
          : [
              { text: { text: TEXT, qualifiers: ["grounding_source"] } },
              { text: { text: "Where did the parcel go?", qualifiers: ["query"] } },
              { text: { text: TEXT, qualifiers: ["guard_content"] } },
            ],
    });
    const rows: Array<[string, { p50: number; p99: number; mean: number }]> = [];
    for (const source of ["INPUT", "OUTPUT"] as const) {
      const path = `/guardrail/${guardrailId}/version/DRAFT/apply`;
      for (let i = 0; i < 50; i++) await call("POST", path, apply(source)); // warm-up: weights, JIT
      const http: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const t = performance.now();
        await call("POST", path, apply(source));
        http.push(performance.now() - t);
      }
      rows.push([`HTTP ApplyGuardrail, ${source}${source === "OUTPUT" ? " (+ grounding)" : ""}`, summarize(http)]);
    }
    const compiled = await server.guardrails.resolve("000000000000", guardrailId, "DRAFT");
    const engine: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      await compiled.apply({ source: "INPUT", content: [{ text: TEXT }] });
      engine.push(performance.now() - t);
    }
    rows.push(["engine only, INPUT", summarize(engine)]);

    const lines = [
      `ApplyGuardrail on ${TEXT.length} characters, every offline detector on; ${REQUESTS} requests each, one in flight; ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}.`,
      "",
      "| path | p50 ms | p99 ms | mean ms | target p50 ≤ 10 ms |",
      "|---|---:|---:|---:|---|",
      ...rows.map(([name, s]) => `| ${name} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.mean.toFixed(2)} | ${s.p50 <= 10 ? "met" : "not met"} |`),
    ];
    console.log(lines.join("\n"));
    writeFileSync("bench/results/guardrails-latency.json", JSON.stringify({ chars: TEXT.length, requests: REQUESTS, rows: Object.fromEntries(rows) }, null, 2));
  } finally {
    await client.close();
    await server.stop();
  }
}

await main();
