// The full Universal Sentence Encoder lite, run in the process's USE-lite worker thread: unit
// vectors from the weights in node_modules, by meaning and equal to the knowledge-base
// embedder's, each sentence embedded once; an abort that does not wait for the
// worker, a worker crash that fails only the calls in flight, and an idle worker that lets the
// process exit.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BasaltError } from "../../../spec/errors.ts";
import { useProvider } from "../../../models/providers/use/provider.ts";
import { UseLiteWorker } from "../../../models/providers/use/runtime.ts";
import { FullEncoder } from "./full-encoder.ts";
import { cosine } from "./static-encoder.ts";

describe("full sentence encoder", () => {
  it("gives unit vectors that are closer for paraphrases than for unrelated sentences", async () => {
    const encoder = new FullEncoder();
    const [a, b, c] = await encoder.encode(["Which stocks should I buy?", "What shares are worth investing in?", "How do I bake sourdough bread?"]);
    for (const v of [a!, b!, c!]) assert.ok(Math.abs(cosine(v, v) - 1) < 1e-4);
    assert.equal(a!.length, encoder.dimensions);
    assert.ok(cosine(a!, b!) > cosine(a!, c!) + 0.2, `${cosine(a!, b!)} vs ${cosine(a!, c!)}`);
  });

  it("gives the same vector as the knowledge-base embedder, which shares its worker", async () => {
    const text = "Our refund policy covers thirty days.";
    const [vector] = await new FullEncoder().encode([text]);
    const embedder = useProvider.create({ id: "use", provider: "use" } as never, {} as never).embedding!;
    const { embeddings } = await embedder.embed({ texts: [text] });
    assert.deepEqual(embeddings[0], Array.from(vector!));
  });

  it("returns the cached vector for a sentence it has seen, duplicates included", async () => {
    const encoder = new FullEncoder();
    const [first] = await encoder.encode(["Hello there."]);
    const again = await encoder.encode(["Hello there.", "Hello there."]);
    assert.equal(again[0], first);
    assert.equal(again[1], first);
  });

  it("embeds more texts than one batch holds, in order", async () => {
    const texts = Array.from({ length: 11 }, (_, i) => `Sentence number ${i} is about ${i % 2 ? "the weather" : "a football match"}.`);
    const vectors = await new FullEncoder().encode(texts);
    const alone = await new FullEncoder().encode([texts[9]!]);
    assert.equal(vectors.length, texts.length);
    assert.ok(cosine(vectors[9]!, alone[0]!) > 0.9999);
  });

  it("stops when its signal is aborted", async () => {
    await assert.rejects(new FullEncoder().encode(["Something new."], AbortSignal.abort()), { name: "AbortError" });
  });

  it("rejects an aborted call without waiting for the worker", async () => {
    const encoder = new FullEncoder();
    let earlierSettled = false;
    // Posted first, so the worker answers it first.
    const earlier = encoder.encode(["A sentence posted before the aborted one."]).finally(() => (earlierSettled = true));
    const controller = new AbortController();
    const aborted = encoder.encode(["A sentence whose caller gives up."], controller.signal);
    controller.abort();
    await assert.rejects(aborted, { name: "AbortError" });
    assert.equal(earlierSettled, false);
    await earlier;
  });

  it("fails the calls in flight when its worker dies, and starts a new worker on the next call", async () => {
    const worker = new UseLiteWorker();
    const encoder = new FullEncoder(worker);
    const inFlight = encoder.encode(["Lost with the worker."]);
    await worker.kill();
    await assert.rejects(inFlight, (error) => {
      assert.ok(error instanceof BasaltError);
      assert.equal(error.code, "INTERNAL");
      assert.match(error.message, /worker thread stopped unexpectedly/);
      return true;
    });
    const [again] = await encoder.encode(["Lost with the worker."]);
    const [reference] = await new FullEncoder().encode(["Lost with the worker."]);
    assert.ok(cosine(again!, reference!) > 0.9999);
  });
});
