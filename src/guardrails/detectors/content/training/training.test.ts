// The training pieces on small synthetic problems: splits, the trainer, calibration, blending.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FeatureExtractor } from "../features.ts";
import { addMlpLogits } from "../mlp.ts";
import { fitStack, mergeModels, partLogits } from "./blend.ts";
import { trainMlp } from "./mlp-trainer.ts";
import { calibrateThresholds, tuneJointly } from "./calibrate.ts";
import { assign, bucketOf, row, TEST_PERCENT } from "./rows.ts";
import { seededRandom } from "../../../../util/seeded-random.ts";
import { logit, trainLogistic, type Example } from "./trainer.ts";

const BITS = 12;

describe("splits", () => {
  it("are a fixed function of the key, about 30% test", () => {
    assert.deepEqual(assign("some text"), assign("some text"));
    const keys = Array.from({ length: 4000 }, (_, i) => `row ${i}`);
    const test = keys.filter((k) => assign(k).split === "test").length / keys.length;
    assert.ok(Math.abs(test - TEST_PERCENT / 100) < 0.03, `${test}`);
    for (const k of keys.slice(0, 50)) assert.equal(assign(k).split === "test", bucketOf(k) >= 100 - TEST_PERCENT);
  });

  it("keep duplicates of a text together, whatever their case or padding", () => {
    const a = row({ text: "Hello World", set: "x", labels: {} });
    const b = row({ text: "  hello world ", set: "y", labels: {} });
    assert.equal(a.split, b.split);
    assert.equal(a.fold, b.fold);
  });
});

/** A toy corpus: texts about "violence words" (head 0 = 1) or "garden words" (0), head 1 unknown. */
function toyExamples(n: number, seed: number): Example[] {
  const random = seededRandom(seed);
  const bad = ["stab", "shoot", "kill", "punch", "strangle"];
  const good = ["garden", "tomato", "flower", "sunny", "bread"];
  const filler = ["the", "a", "today", "we", "they", "with", "quickly"];
  const extractor = new FeatureExtractor({ bits: BITS, charMin: 3, charMax: 4, wordWeight: 1, charWeight: 1 });
  const pick = (list: string[]) => list[Math.floor(random() * list.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const harmful = i % 3 === 0;
    const text = [pick(filler), pick(harmful ? bad : good), pick(filler), pick(filler)].join(" ");
    return { x: extractor.extract(text), y: Int8Array.of(harmful ? 1 : 0, -1), weight: 1 };
  });
}

describe("trainLogistic", () => {
  const options = { bits: BITS, heads: 2, denseDims: 0, epochs: 4, learningRate: 0.3, l2: 1e-5, seed: 7, balance: 0.5 };

  it("separates a learnable problem and leaves an unknown-only head untrained", () => {
    const model = trainLogistic(toyExamples(600, 1), options);
    const held = toyExamples(200, 2);
    const correct = held.filter((e) => logit(model, 2, 1 << BITS, e, 0) > 0 === (e.y[0] === 1)).length;
    assert.ok(correct / held.length > 0.95, `${correct}/${held.length}`);
    assert.equal(model.bias[1], 0);
    for (let f = 0; f < 1 << BITS; f++) assert.equal(model.weights[f * 2 + 1], 0);
  });

  it("is deterministic for a seed", () => {
    const examples = toyExamples(200, 3);
    assert.deepEqual(trainLogistic(examples, options), trainLogistic(examples, options));
  });
});

describe("calibrateThresholds", () => {
  it("orders LOW < MEDIUM < HIGH and puts MEDIUM between the classes when they separate", () => {
    const points = [
      ...Array.from({ length: 50 }, (_, i) => ({ score: 0.6 + i * 0.005, label: 1 as const })),
      ...Array.from({ length: 50 }, (_, i) => ({ score: 0.1 + i * 0.005, label: 0 as const })),
    ];
    const t = calibrateThresholds(points);
    assert.ok(t.low < t.medium && t.medium < t.high);
    assert.ok(t.medium > 0.35 && t.medium <= 0.6, `${t.medium}`);
  });

  it("keeps a given MEDIUM and places the others around it", () => {
    const random = seededRandom(5);
    const points = Array.from({ length: 400 }, () => {
      const label = random() < 0.3 ? 1 : 0;
      return { score: Math.min(1, Math.max(0, (label ? 0.6 : 0.35) + (random() - 0.5) * 0.5)), label: label as 0 | 1 };
    });
    const t = calibrateThresholds(points, 0.5);
    assert.equal(t.medium, 0.5);
    assert.ok(t.low < 0.5 && t.high > 0.5);
  });
});

describe("tuneJointly", () => {
  it("raises a threshold that over-blocks safe rows past the limit", () => {
    // Two categories; category 1 fires on every safe row at 0.3 and on positives at 0.9.
    const scores = [
      ...Array.from({ length: 20 }, () => Float64Array.of(0, 0.9)),
      ...Array.from({ length: 80 }, () => Float64Array.of(0, 0.3)),
    ];
    const flagged = scores.map((_, i) => (i < 20 ? 1 : 0) as 0 | 1);
    const cuts = tuneJointly(
      { scores, harm: [0, 1], flagged, labels: scores.map((_, i) => [undefined, i < 20 ? 1 : 0]), safe: flagged.map((f) => f === 0), maxOverBlock: 0.1, categoryWeight: 0.5 },
      [0.5, 0.2],
    );
    assert.ok(cuts[1]! > 0.3 && cuts[1]! <= 0.9, `${cuts[1]}`);
  });
});

describe("blending", () => {
  it("fits stacking weights that favour the informative logit", () => {
    const random = seededRandom(9);
    const points = Array.from({ length: 2000 }, () => {
      const y = random() < 0.5 ? 1 : 0;
      return { z: [random() * 4 - 2, (y ? 1.5 : -1.5) + (random() - 0.5)], y: y as 0 | 1, weight: 1 };
    });
    const w = fitStack(points);
    assert.ok(w.weights[1]! > 1 && Math.abs(w.weights[0]!) < 0.3, JSON.stringify(w));
  });

  it("stays finite when a few points separate perfectly", () => {
    const points = [
      { z: [3, 2, 1], y: 1 as const, weight: 1 },
      { z: [2, 3, 2], y: 1 as const, weight: 1 },
      { z: [-2, -1, -3], y: 0 as const, weight: 1 },
    ];
    const w = fitStack(points);
    for (const v of [...w.weights, w.bias]) assert.ok(Number.isFinite(v) && Math.abs(v) < 1e4, JSON.stringify(w));
  });

  it("folds a blend of three parts into the shipped weights, giving the blended logit", () => {
    const examples = toyExamples(50, 4).map((e, i) => ({ ...e, dense: Float32Array.of(i % 2, 1 - (i % 2), 0.5) }));
    const options = { bits: BITS, heads: 2, denseDims: 3, epochs: 2, learningRate: 0.3, l2: 0, seed: 1, balance: 0 };
    const sparse = trainLogistic(examples, { ...options, parts: { sparse: true, dense: false } });
    const dense = trainLogistic(examples, { ...options, parts: { sparse: false, dense: true } });
    const mlp = trainMlp(examples.map((e) => ({ input: e.dense, y: e.y, weight: 1 })), 2, { hidden: 4, epochs: 3, learningRate: 0.01, weightDecay: 0, batch: 8, seed: 3, balance: 0 });
    const parts = { sparse, dense, mlp };
    const stack = [{ weights: [0.7, 1.3, 0.4], bias: -0.2 }, { weights: [1, 1, 1], bias: 0 }];
    const merged = mergeModels(parts, stack, BITS);
    const out = new Float64Array(2);
    for (const e of examples.slice(0, 10)) {
      const z = partLogits(parts, 2, BITS, e);
      const expected = 0.7 * z[0]![0]! + 1.3 * z[0]![1]! + 0.4 * z[0]![2]! - 0.2;
      out.fill(0);
      addMlpLogits(merged.mlp!, e.dense, new Float32Array(4), out);
      assert.ok(Math.abs(logit(merged.linear, 2, 1 << BITS, e, 0) + out[0]! - expected) < 1e-4);
    }
  });
});
