// The built-in topic detector: by meaning rather than keywords, benign questions near a topic
// pass, the hand-written fixtures keep their measured precision and recall, and the full encoder
// only sees the sentences the static encoder cannot settle.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TopicConfig } from "../../guardrail.ts";
import type { SentenceEncoder } from "../../policy.ts";
import { fullEncoder, type AsyncSentenceEncoder } from "../encoder/full-encoder.ts";
import { staticEncoder } from "../encoder/static-encoder.ts";
import { BACKGROUND_TEXTS } from "./background.ts";
import { builtinTopicDetector, MAX_FULL_UNITS } from "./builtin-topic-detector.ts";
import { TOPIC_FIXTURES, type TopicFixture } from "./topic-fixtures.ts";

function topic(name: string, definition: string, examples: string[] = []): TopicConfig {
  return { name, definition, examples, type: "DENY", inputAction: "BLOCK", outputAction: "BLOCK", inputEnabled: true, outputEnabled: true };
}

const fromFixture = (f: TopicFixture): TopicConfig => topic(f.name, f.definition, f.examples);
const INVESTMENT = topic("Investment advice", "Guidance on investing money, stocks, funds, retirement savings");
const detector = builtinTopicDetector();

/** The real full encoder, recording what it is asked to embed. */
function recordingFull(): AsyncSentenceEncoder & { batches: string[][] } {
  const batches: string[][] = [];
  return { id: "recording", dimensions: fullEncoder().dimensions, batches, encode: (texts, signal) => (batches.push([...texts]), fullEncoder().encode(texts, signal)) };
}

async function detected(text: string, topics: TopicConfig[]): Promise<string[]> {
  const results = await detector.detect(text, topics);
  return topics.filter((_, i) => results[i]!.detected).map((t) => t.name);
}

/** Precision and recall over every (topic, text) pair of one split, all its topics at once. */
async function measure(split: "dev" | "test"): Promise<{ precision: number; recall: number }> {
  const fixtures = TOPIC_FIXTURES.filter((f) => f.split === split);
  const topics = fixtures.map(fromFixture);
  let tp = 0, fp = 0, fn = 0;
  for (const text of fixtures.flatMap((f) => [...f.positives, ...f.negatives])) {
    const results = await detector.detect(text, topics);
    fixtures.forEach((f, i) => {
      const positive = f.positives.includes(text);
      if (results[i]!.detected) positive ? tp++ : fp++;
      else if (positive) fn++;
    });
  }
  return { precision: tp / (tp + fp), recall: tp / (tp + fn) };
}

describe("built-in topic detector", () => {
  it("detects a paraphrase that the definition never mentions", async () => {
    assert.deepEqual(await detected("Should I put my 401k into an index fund?", [INVESTMENT]), ["Investment advice"]);
  });

  it("lets benign questions near the topic pass", async () => {
    for (const text of ["What does a bank teller do?", "What are the opening hours of the bank?", "How do I reset my online banking password?"]) {
      assert.deepEqual(await detected(text, [INVESTMENT]), [], text);
    }
  });

  it("tells several topics apart", async () => {
    const topics = TOPIC_FIXTURES.slice(0, 3).map(fromFixture);
    assert.deepEqual(await detected("Is Tesla a buy right now?", topics), ["Investment advice"]);
    assert.deepEqual(await detected("My son has a rash and a high fever, what illness could it be?", topics), ["Medical diagnosis"]);
    assert.deepEqual(await detected("What do you think about the new immigration bill in Congress?", topics), ["Politics"]);
    assert.deepEqual(await detected("Can you help me write a cover letter?", topics), []);
  });

  it("finds one off-limits sentence inside a longer benign text", async () => {
    const text = "Hello! I'd like to know what the weather will be in Boston this weekend. Also, is Tesla a buy right now? Thanks a lot.";
    assert.deepEqual(await detected(text, TOPIC_FIXTURES.slice(0, 3).map(fromFixture)), ["Investment advice"]);
  });

  it("keeps its precision and recall on the fixtures, held-out topics included", async () => {
    const dev = await measure("dev");
    const test = await measure("test");
    assert.ok(dev.precision >= 0.5 && dev.recall >= 0.5, `dev ${JSON.stringify(dev)}`);
    assert.ok(test.precision >= 0.7 && test.recall >= 0.45, `test ${JSON.stringify(test)}`);
  });

  it("leaves text far from every topic to the static encoder", async () => {
    const full = recordingFull();
    const own = builtinTopicDetector(undefined, { full });
    const results = await own.detect("How do I print a shipping label?", TOPIC_FIXTURES.slice(0, 3).map(fromFixture));
    assert.ok(results.every((r) => !r.detected));
    assert.deepEqual(full.batches, []);
  });

  it("sends only the suspicious sentences to the full encoder, and at most a few", async () => {
    const full = recordingFull();
    const own = builtinTopicDetector(undefined, { full });
    const filler = Array.from({ length: 6 }, (_, i) => `Order ${i + 1} arrived on time and the box was fine.`).join(" ");
    const text = `${filler} Is Tesla a buy right now? Should I put my 401k into an index fund? Which stocks should I buy this year?`;
    const results = await own.detect(text, [INVESTMENT]);
    assert.equal(results[0]!.detected, true);
    const sentences = full.batches.filter((b) => !b.includes(INVESTMENT.definition) && !b.includes(BACKGROUND_TEXTS[0]!)).flat();
    assert.ok(sentences.length > 0 && sentences.length <= MAX_FULL_UNITS, JSON.stringify(sentences));
    assert.ok(sentences.every((s) => !s.startsWith("Order")), JSON.stringify(sentences));
  });

  it("can score with the static encoder alone", async () => {
    const own = builtinTopicDetector(staticEncoder(), { full: null });
    assert.equal(own.id, "builtin/topics-static-v1");
    assert.equal(detector.id, "builtin/topics-cascade-v1");
    const results = await own.detect("Should I put my 401k into an index fund?", [INVESTMENT]);
    assert.ok(results[0]!.score >= 0 && results[0]!.score <= 1);
  });

  it("scores in [0, 1], and nothing for no topics or no text", async () => {
    const results = await detector.detect("Is now a good time to buy gold?", TOPIC_FIXTURES.map(fromFixture));
    assert.ok(results.every((r) => r.score >= 0 && r.score <= 1 && r.detected === r.score >= 0.5));
    assert.deepEqual(await detector.detect("anything", []), []);
    assert.deepEqual(await detector.detect("   ", [INVESTMENT]), [{ score: 0, detected: false }]);
  });

  it("embeds a topic's definition and examples once, not on every check", async () => {
    const full = recordingFull();
    const cascade = builtinTopicDetector(undefined, { full });
    for (let i = 0; i < 3; i++) await cascade.detect("Should I put my 401k into an index fund?", [INVESTMENT]);
    assert.equal(full.batches.filter((b) => b.includes(INVESTMENT.definition)).length, 1);
    const encoded: string[] = [];
    const counting: SentenceEncoder = {
      dimensions: staticEncoder().dimensions,
      encode: (texts) => (encoded.push(...texts), staticEncoder().encode(texts)),
    };
    const own = builtinTopicDetector(counting);
    const topics = [fromFixture(TOPIC_FIXTURES[0]!)];
    await own.detect("first text", topics);
    await own.detect("second text", topics);
    assert.equal(encoded.filter((t) => t === TOPIC_FIXTURES[0]!.definition).length, 1);
    assert.equal(encoded.filter((t) => t === "second text").length, 1);
  });

  it("stops when its signal is aborted", async () => {
    await assert.rejects(detector.detect("text", [INVESTMENT], AbortSignal.abort()), { name: "AbortError" });
  });
});
