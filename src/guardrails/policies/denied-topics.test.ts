// The topic policy: Bedrock's entries for detected topics, per direction, BLOCKED or (detect
// mode) NONE — on the real built-in detector.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtinTopicDetector } from "../detectors/topics/builtin-topic-detector.ts";
import type { TopicConfig } from "../guardrail.ts";
import { createTopicPolicy } from "./denied-topics.ts";

type Switches = Partial<Pick<TopicConfig, "inputAction" | "outputAction" | "inputEnabled" | "outputEnabled">>;

const detector = builtinTopicDetector();

function investment(switches: Switches = {}): TopicConfig {
  return {
    name: "Investment advice",
    definition: "Guidance on investing money, stocks, funds, retirement savings",
    examples: ["Which stocks should I buy this year?"],
    type: "DENY",
    inputAction: "BLOCK",
    outputAction: "BLOCK",
    inputEnabled: true,
    outputEnabled: true,
    ...switches,
  };
}

const politics: TopicConfig = { ...investment(), name: "Politics", definition: "Opinions about political parties, elections, candidates and politicians.", examples: ["Who should I vote for?"] };
const ADVICE = "Should I put my 401k into an index fund?";

describe("topic policy", () => {
  it("blocks a denied topic on input and lists only the detected topics", async () => {
    const policy = createTopicPolicy({ topics: [investment(), politics] }, detector);
    assert.deepEqual(await policy.check({ text: ADVICE, source: "INPUT" }), {
      assessment: { topics: [{ name: "Investment advice", type: "DENY", action: "BLOCKED", detected: true }] },
      blocked: true,
      masks: [],
    });
  });

  it("reports without blocking in detect mode (action NONE)", async () => {
    const policy = createTopicPolicy({ topics: [investment({ outputAction: "NONE" })] }, detector);
    assert.deepEqual(await policy.check({ text: ADVICE, source: "OUTPUT" }), {
      assessment: { topics: [{ name: "Investment advice", type: "DENY", action: "NONE", detected: true }] },
      blocked: false,
      masks: [],
    });
  });

  it("uses each direction's own switch and action", async () => {
    const policy = createTopicPolicy({ topics: [investment({ inputEnabled: false, outputAction: "BLOCK" })] }, detector);
    assert.deepEqual(await policy.check({ text: ADVICE, source: "INPUT" }), { blocked: false, masks: [] });
    assert.equal((await policy.check({ text: ADVICE, source: "OUTPUT" })).blocked, true);
  });

  it("returns no assessment for benign text near the topic, or empty text", async () => {
    const policy = createTopicPolicy({ topics: [investment()] }, detector);
    assert.deepEqual(await policy.check({ text: "What are the opening hours of the bank?", source: "INPUT" }), { blocked: false, masks: [] });
    assert.deepEqual(await policy.check({ text: " ", source: "INPUT" }), { blocked: false, masks: [] });
  });
});
