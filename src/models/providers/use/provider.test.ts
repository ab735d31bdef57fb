// The offline USE-lite embedder, run in the process's USE-lite worker: the same vectors and token
// counts as the main-thread provider it replaced (reference-vectors.json), batching in order,
// dimension checks, aborts that do not wait for the worker, a worker crash that fails only the
// call in flight, and an idle worker that lets the process exit.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { BasaltError } from "../../../spec/errors.ts";
import type { EmbeddingModel } from "../../../spec/model.ts";
import { useProvider } from "./provider.ts";
import { useLite } from "./runtime.ts";

interface Reference {
  texts: string[];
  tokens: number[];
  vectors: number[][];
}

const reference = JSON.parse(readFileSync(new URL("./reference-vectors.json", import.meta.url), "utf8")) as Reference;
const model = useProvider.create({ id: "amazon.titan-embed-text-v2:0", provider: "use" } as never, {} as never).embedding as EmbeddingModel;

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((sum, v, i) => sum + v * b[i]!, 0);
const unit = (v: readonly number[]) => v.map((x) => x / Math.sqrt(dot(v, v)));

function assertClose(actual: readonly number[], expected: readonly number[], tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length);
  const worst = Math.max(...actual.map((v, i) => Math.abs(v - expected[i]!)));
  assert.ok(worst <= tolerance, `differs by ${worst}`);
}

describe("use provider", () => {
  it("gives the vectors and token counts the main-thread provider gave, raw and normalized", async () => {
    const raw = await model.embed({ texts: reference.texts, normalize: false });
    const normalized = await model.embed({ texts: reference.texts });
    reference.vectors.forEach((expected, i) => {
      assertClose(raw.embeddings[i]!, expected);
      assertClose(normalized.embeddings[i]!, unit(expected));
    });
    assert.equal(raw.usage.inputTokens, reference.tokens.reduce((a, b) => a + b, 0));
    assert.deepEqual(await Promise.all(reference.texts.map((t) => model.countTokens(t))), reference.tokens);
  });

  it("places paraphrases closer than unrelated texts", async () => {
    const { embeddings: [a, b, c] } = await model.embed({ texts: ["Which stocks should I buy?", "What shares are worth investing in?", "How do I bake sourdough bread?"] });
    assert.ok(dot(a!, b!) > dot(a!, c!) + 0.2, `${dot(a!, b!)} vs ${dot(a!, c!)}`);
  });

  it("embeds more texts than one forward pass holds, in order", async () => {
    const texts = Array.from({ length: 19 }, (_, i) => `Paragraph ${i} is about ${i % 2 ? "the weather" : "a football match"}.`);
    const all = await model.embed({ texts });
    const alone = await model.embed({ texts: [texts[17]!] });
    assert.equal(all.embeddings.length, texts.length);
    assertClose(all.embeddings[17]!, alone.embeddings[0]!);
    assert.equal(all.usage.inputTokens, (await Promise.all(texts.map((t) => model.countTokens(t)))).reduce((a, b) => a + b, 0));
  });

  it("answers an empty request without a pass", async () => {
    assert.deepEqual(await model.embed({ texts: [] }), { embeddings: [], usage: { inputTokens: 0 }, warnings: [] });
  });

  it("rejects a dimension it does not produce", async () => {
    await assert.rejects(model.embed({ texts: ["x"], dimensions: 256 }), (error) => error instanceof BasaltError && error.code === "VALIDATION");
  });

  it("stops when its signal is aborted, without waiting for the worker's pass", async () => {
    await assert.rejects(model.embed({ texts: ["Never embedded."], signal: AbortSignal.abort() }), { name: "AbortError" });
    let earlierSettled = false;
    // Posted first, so the worker answers it first.
    const earlier = model.embed({ texts: ["A text posted before the aborted one."] }).finally(() => (earlierSettled = true));
    const controller = new AbortController();
    const aborted = model.embed({ texts: ["A text whose caller gives up."], signal: controller.signal });
    controller.abort();
    await assert.rejects(aborted, { name: "AbortError" });
    assert.equal(earlierSettled, false);
    await earlier;
  });

  it("fails the call in flight with a BasaltError when the worker dies, and the next call works", async () => {
    const inFlight = model.embed({ texts: ["Lost with the worker."] });
    await useLite().kill();
    await assert.rejects(inFlight, (error) => {
      assert.ok(error instanceof BasaltError);
      assert.equal(error.code, "INTERNAL");
      assert.match(error.message, /worker thread stopped unexpectedly/);
      return true;
    });
    const again = await model.embed({ texts: reference.texts.slice(0, 1), normalize: false });
    assertClose(again.embeddings[0]!, reference.vectors[0]!);
  });

  it("runs a small call (a query) before bulk calls queued ahead of it", async () => {
    const chunk = (n: number) => Array.from({ length: 8 }, (_, i) => `Chunk ${n}.${i}: ${"the quarterly report covers revenue, costs and hiring plans. ".repeat(6)}`);
    const finished: string[] = [];
    const bulk = [1, 2, 3].map((n) => useLite().embed(chunk(n)).then(() => finished.push(`bulk ${n}`)));
    const query = useLite().embed(["What did the report say about hiring?"]).then(() => finished.push("query"));
    await Promise.all([...bulk, query]);
    assert.ok(finished.indexOf("query") < finished.indexOf("bulk 2"), `order: ${finished.join(", ")}`);
  });

  it("drops a queued call whose signal aborted, and sends the queued ones to a fresh worker after a crash", async () => {
    const running = useLite().embed(["Running when the worker dies.", "a", "b"]);
    const controller = new AbortController();
    const dropped = useLite().embed(["Given up while queued.", "a", "b"], { signal: controller.signal });
    const queued = useLite().embed(["Queued behind the crash.", "a", "b"]);
    controller.abort(new BasaltError("VALIDATION", "gone"));
    await useLite().kill();
    await assert.rejects(running, (error) => error instanceof BasaltError && error.code === "INTERNAL");
    await assert.rejects(dropped, { message: "gone" });
    assert.equal((await queued).vectors.length, 3);
  });

  it("lets the process exit once the worker is idle", () => {
    const script = `const { useProvider } = await import(${JSON.stringify(new URL("./provider.ts", import.meta.url).href)});
      const { embeddings } = await useProvider.create({ id: "use", provider: "use" }).embedding.embed({ texts: ["Done."] });
      console.log(embeddings[0].length);`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", script], {
      cwd: fileURLToPath(new URL("../../../../", import.meta.url)),
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(child.signal, null, "the process did not exit by itself");
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), "512");
  });
});
