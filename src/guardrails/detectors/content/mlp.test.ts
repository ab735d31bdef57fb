// The perceptron head: its file layout, its training on a problem no linear head can learn,
// and seeds concatenated into one perceptron that averages them exactly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../../../util/seeded-random.ts";
import { addMlpLogits, mlpFromFlat, mlpSize, mlpToFlat, type MlpWeights } from "./mlp.ts";
import { concatMlps, trainMlp, type MlpExample, type MlpOptions } from "./training/mlp-trainer.ts";

/** XOR of the signs of two inputs (head 0), and head 1 unknown everywhere. */
function xorExamples(n: number, seed: number): MlpExample[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const a = random() * 2 - 1;
    const b = random() * 2 - 1;
    return { input: Float32Array.of(a, b, 1), y: Int8Array.of(a * b > 0 ? 1 : 0, -1), weight: 1 };
  });
}

const OPTIONS: MlpOptions = { hidden: 16, epochs: 40, learningRate: 0.01, weightDecay: 0, batch: 16, seed: 5, balance: 0 };

function logits(m: MlpWeights, input: Float32Array): Float64Array {
  const out = new Float64Array(m.outputs);
  addMlpLogits(m, input, new Float32Array(m.hidden), out);
  return out;
}

describe("mlp", () => {
  it("learns XOR, which a linear head cannot, and leaves an unknown-only head at its start", () => {
    const model = trainMlp(xorExamples(800, 1), 2, OPTIONS);
    const held = xorExamples(300, 2);
    const correct = held.filter((e) => logits(model, e.input)[0]! > 0 === (e.y[0] === 1)).length;
    assert.ok(correct / held.length > 0.9, `${correct}/${held.length}`);
    assert.equal(model.b2[1], 0);
  });

  it("is deterministic for a seed", () => {
    const examples = xorExamples(200, 3);
    const options = { ...OPTIONS, epochs: 3 };
    assert.deepEqual(trainMlp(examples, 2, options), trainMlp(examples, 2, options));
  });

  it("round-trips through the flat file layout", () => {
    const model = trainMlp(xorExamples(100, 4), 2, { ...OPTIONS, epochs: 1, hidden: 5 });
    const flat = mlpToFlat(model);
    assert.equal(flat.length, mlpSize(3, 5, 2));
    const back = mlpFromFlat(flat, 3, 5, 2);
    const input = Float32Array.of(0.3, -0.7, 1);
    assert.deepEqual(logits(back, input), logits(model, input));
    assert.throws(() => mlpFromFlat(flat.subarray(1), 3, 5, 2));
  });

  it("concatenates seeds into one perceptron whose logits are their mean", () => {
    const examples = xorExamples(200, 6);
    const members = [1, 2, 3].map((seed) => trainMlp(examples, 2, { ...OPTIONS, epochs: 2, hidden: 4, seed }));
    const joined = concatMlps(members);
    assert.equal(joined.hidden, 12);
    for (const e of examples.slice(0, 20)) {
      const mean = members.map((m) => logits(m, e.input)).reduce((sum, z) => sum.map((v, h) => v + z[h]! / members.length), [0, 0]);
      const got = logits(joined, e.input);
      for (let h = 0; h < 2; h++) assert.ok(Math.abs(got[h]! - mean[h]!) < 1e-5, `${got[h]} vs ${mean[h]}`);
    }
  });
});
