// Local generation benchmark: tokens/s through Basalt (llama-cpp provider, InvokeModel with a
// Meta Llama body → raw completion) versus node-llama-cpp called directly, on the same GGUF
// and thread count. The model is a random-weight GGUF with the body shape of a 0.5B model
// (speed does not depend on weight values), made with ../shared/tools/make-random-gguf.mjs.
// Usage: node --import tsx bench/llama.ts [--quick]. Writes bench/results/llama.json.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync, mkdtempSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { getLlama, LlamaCompletion } from "node-llama-cpp";
import { request } from "undici";
import { freePort, spawnServer } from "./lib/processes.ts";

const quick = process.argv.includes("--quick");
const threads = availableParallelism();
const maxTokens = quick ? 32 : 128;
const runs = quick ? 2 : 5;
const PROMPT = "Once upon a time, in a quiet village by the sea, there lived";

function ensureModel(): string {
  const dir = resolve(".tmp");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "bench-0.5b-shape-q8_0.gguf");
  if (!existsSync(file)) {
    console.error("generating a random-weight 0.5B-shaped GGUF (once)…");
    execFileSync(process.execPath, [resolve("../shared/tools/make-random-gguf.mjs"), file], {
      env: { ...process.env, HPARAMS: JSON.stringify({ n_embd: 896, n_head: 14, n_head_kv: 2, n_layer: 24, n_ff: 4864 }), QUANT: "q8_0" },
      stdio: "inherit",
    });
  }
  return file;
}

/** node-llama-cpp called directly: one completion on a fresh sequence, tokens/s. */
async function directRunner(modelPath: string): Promise<{ run: () => Promise<number>; close: () => Promise<void> }> {
  const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" as never });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: 1024, threads });
  return {
    async run() {
      const sequence = context.getSequence();
      const completion = new LlamaCompletion({ contextSequence: sequence });
      let tokens = 0;
      const start = performance.now();
      await completion.generateCompletion(PROMPT, { maxTokens, temperature: 0, onToken: (t) => (tokens += t.length) });
      const seconds = (performance.now() - start) / 1000;
      completion.dispose();
      sequence.dispose();
      return tokens / seconds;
    },
    async close() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

/** Basalt in its own process: InvokeModel with a Meta Llama body (a raw completion), tokens/s. */
async function basaltRunner(modelPath: string): Promise<{ run: () => Promise<number>; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "basalt-bench-llama-"));
  const port = await freePort();
  const config = join(dir, "basalt.json");
  writeFileSync(
    config,
    JSON.stringify({
      dataDir: dir,
      server: { port },
      embeddedDefaults: false,
      llama: { threads },
      models: [{ id: "meta.llama3-bench", provider: "llama-cpp", path: modelPath, contextSize: 1024, invokeFormat: "meta-llama" }],
    }),
  );
  const server = await spawnServer({ command: process.execPath, args: ["bin/basalt.js", "serve", "--config", config], port, readyPath: "/foundation-models" });
  return {
    async run() {
      const start = performance.now();
      const res = await request(`${server.url}/model/meta.llama3-bench/invoke`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: PROMPT, max_gen_len: maxTokens, temperature: 0 }),
      });
      const body = (await res.body.json()) as { generation_token_count?: number };
      if (res.statusCode !== 200) throw new Error(`Basalt answered ${res.statusCode}: ${JSON.stringify(body)}`);
      return (body.generation_token_count ?? 0) / ((performance.now() - start) / 1000);
    },
    close: () => server.stop(),
  };
}

/** Alternates the two run by run (after one warm-up each), so machine load hits both alike. */
async function measure(modelPath: string): Promise<{ directRates: number[]; basaltRates: number[] }> {
  const direct = await directRunner(modelPath);
  const basalt = await basaltRunner(modelPath);
  const directRates: number[] = [];
  const basaltRates: number[] = [];
  try {
    await direct.run();
    await basalt.run();
    for (let i = 0; i < runs; i++) {
      directRates.push(await direct.run());
      basaltRates.push(await basalt.run());
    }
  } finally {
    await basalt.close();
    await direct.close();
  }
  return { directRates, basaltRates };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const modelPath = ensureModel();
const { directRates, basaltRates } = await measure(modelPath);
const ratio = mean(basaltRates) / mean(directRates);
const cpu = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`;
console.log(`\nLocal generation — ${new Date().toISOString()} — ${cpu}, ${threads} threads, ${maxTokens} tokens, 0.5B-shaped q8_0 GGUF`);
console.log("| measure | Basalt | node-llama-cpp direct | target |\n|---|---|---|---|");
console.log(`| tokens/s (prompt + generation) | ${mean(basaltRates).toFixed(1)} | ${mean(directRates).toFixed(1)} | ≥ 0.95× (got ${ratio.toFixed(3)}×) |`);
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/llama.json", JSON.stringify({ date: new Date().toISOString(), cpu, threads, maxTokens, directRates, basaltRates, ratio }, null, 2));
