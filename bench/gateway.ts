// Gateway benchmark: Basalt side by side with Portkey's gateway (@portkey-ai/gateway 1.15.2)
// in front of the same local OpenAI-compatible upstream, each in its own process.
// Measures added latency at 1 in flight, maximum requests/s with p99 ≤ 20 ms, added
// time-to-first-token, and concurrent streams (64 chunks, 20 ms apart) held without stalls.
// A bare node:http proxy over Basalt's upstream pool (bench/lib/bare-proxy.ts) is measured at 1 in flight too, as the floor.
// Usage: npm run bench [-- --quick]. Prints a table and writes bench/results/gateway.json.
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { Client, Pool } from "undici";
import { freePort, percentile, spawnServer, type Served } from "./lib/processes.ts";

const quick = process.argv.includes("--quick");
const BODY = JSON.stringify({ model: "bench", messages: [{ role: "user", content: "Say hello." }], max_tokens: 16 });
const streamBody = (model: string) => JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "Stream please." }] });

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}

async function startAll(): Promise<{ upstream: Served; basalt: Served; portkey: Served; bare: Served; targets: Target[] }> {
  const upPort = await freePort();
  const upstream = await spawnServer({ command: process.execPath, args: ["--import", "tsx", "bench/lib/upstream.ts", String(upPort)], port: upPort, readyPath: "/" });
  const upstreamV1 = `${upstream.url}/v1`;
  const dir = mkdtempSync(join(tmpdir(), "basalt-bench-"));
  const configFile = join(dir, "basalt.json");
  const basaltPort = await freePort();
  writeFileSync(
    configFile,
    JSON.stringify({
      dataDir: dir,
      server: { port: basaltPort },
      embeddedDefaults: false,
      models: [
        { id: "bench", provider: "openai", baseUrl: upstreamV1, upstreamModel: "bench", connections: 1024 },
        { id: "stream-64x20", provider: "openai", baseUrl: upstreamV1, upstreamModel: "stream-64x20", connections: 1024 },
      ],
    }),
  );
  const basalt = await spawnServer({ command: process.execPath, args: ["bin/basalt.js", "serve", "--config", configFile], port: basaltPort, readyPath: "/v1/models" });
  const portkeyPort = await freePort();
  const portkey = await spawnServer({
    command: process.execPath,
    args: ["node_modules/@portkey-ai/gateway/build/start-server.js", `--port=${portkeyPort}`, "--headless"],
    port: portkeyPort,
    readyPath: "/",
  });
  const barePort = await freePort();
  const bare = await spawnServer({ command: process.execPath, args: ["--import", "tsx", "bench/lib/bare-proxy.ts", String(barePort), upstream.url], port: barePort, readyPath: "/" });
  const json = { "content-type": "application/json", authorization: "Bearer sk-bench" };
  const targets: Target[] = [
    { name: "direct", url: upstream.url, headers: json },
    { name: "basalt", url: basalt.url, headers: json },
    { name: "portkey", url: portkey.url, headers: { ...json, "x-portkey-provider": "openai", "x-portkey-custom-host": upstreamV1 } },
  ];
  return { upstream, basalt, portkey, bare, targets };
}

/** Sequential requests on one keep-alive connection, interleaved across targets to cancel drift. */
async function latencyAtOne(targets: Target[], options: { warmup: number; perRound: number; rounds: number }): Promise<Map<string, number[]>> {
  const { warmup, perRound, rounds } = options;
  const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const clients = new Map(targets.map((t) => [t.name, new Client(t.url, { pipelining: 1 })]));
  const once = async (t: Target) => {
    const start = performance.now();
    const res = await clients.get(t.name)!.request({ method: "POST", path: "/v1/chat/completions", headers: t.headers, body: BODY });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${t.name} answered ${res.statusCode}`);
    return performance.now() - start;
  };
  for (const t of targets) for (let i = 0; i < warmup; i++) await once(t); // warm up: JIT and keep-alive sockets
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) for (let i = 0; i < perRound; i++) samples.get(t.name)!.push(await once(t));
  }
  await Promise.all([...clients.values()].map((c) => c.close()));
  for (const list of samples.values()) list.sort((a, b) => a - b);
  return samples;
}

interface ThroughputPoint {
  connections: number;
  rps: number;
  p99: number;
}

function cannon(t: Target, connections: number, seconds: number): Promise<ThroughputPoint> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: `${t.url}/v1/chat/completions`, method: "POST", headers: t.headers, body: BODY, connections, duration: seconds },
      (error, result) => {
        if (error) return reject(error);
        if (result.non2xx || result.errors) return reject(new Error(`${t.name}: ${result.non2xx} non-2xx, ${result.errors} errors`));
        resolve({ connections, rps: result.requests.average, p99: result.latency.p99 });
      },
    );
  });
}

/** Highest requests/s over a ramp of connection counts whose p99 stays within 20 ms. */
async function maxThroughput(t: Target, seconds: number): Promise<{ best: ThroughputPoint | undefined; points: ThroughputPoint[] }> {
  const points: ThroughputPoint[] = [];
  for (const connections of [1, 2, 4, 8, 16, 32, 64]) {
    const point = await cannon(t, connections, seconds);
    points.push(point);
    if (point.p99 > 40) break; // far past the bound: more connections only queue
  }
  const within = points.filter((p) => p.p99 <= 20);
  const best = within.sort((a, b) => b.rps - a.rps)[0];
  return { best, points };
}

interface StreamRun {
  streams: number;
  completed: number;
  stalled: number;
  ttftP99: number;
  maxGap: number;
}

/** Opens `n` concurrent streams of 64 chunks 20 ms apart; a stall is a gap over 200 ms or an incomplete stream. */
async function concurrentStreams(t: Target, n: number): Promise<StreamRun> {
  const pool = new Pool(t.url, { connections: n, pipelining: 1 });
  const ttfts: number[] = [];
  let completed = 0;
  let stalled = 0;
  let maxGap = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      const start = performance.now();
      try {
        const res = await pool.request({ method: "POST", path: "/v1/chat/completions", headers: t.headers, body: streamBody("stream-64x20"), headersTimeout: 30_000, bodyTimeout: 30_000 });
        let last = 0;
        let chunks = 0;
        let first = true;
        let worst = 0;
        for await (const data of res.body) {
          const now = performance.now();
          const text = (data as Buffer).toString("utf8");
          const count = text.split("tok").length - 1;
          if (count && first) {
            ttfts.push(now - start);
            first = false;
          } else if (count) worst = Math.max(worst, now - last);
          if (count) last = now;
          chunks += count;
        }
        maxGap = Math.max(maxGap, worst);
        if (chunks >= 64 && worst <= 200) completed++;
        else stalled++;
      } catch {
        stalled++;
      }
    }),
  );
  await pool.destroy();
  ttfts.sort((a, b) => a - b);
  return { streams: n, completed, stalled, ttftP99: percentile(ttfts, 99), maxGap };
}

async function streamCapacity(t: Target, levels: number[]): Promise<{ held: number; runs: StreamRun[] }> {
  const runs: StreamRun[] = [];
  let held = 0;
  for (const n of levels) {
    const run = await concurrentStreams(t, n);
    runs.push(run);
    if (run.stalled > 0) break;
    held = n;
  }
  return { held, runs };
}

const fmt = (n: number | undefined, digits = 2) => (n === undefined || Number.isNaN(n) ? "—" : n.toFixed(digits));

async function main(): Promise<void> {
  const { upstream, basalt, portkey, bare, targets } = await startAll();
  const [direct, basaltT, portkeyT] = targets as [Target, Target, Target];
  // The floor: a bare node:http proxy over Basalt's upstream pool, measured at 1 in flight only.
  const bareT: Target = { name: "bare", url: bare.url, headers: direct.headers };
  try {
    console.error("measuring latency at 1 in flight…");
    const lat = await latencyAtOne([...targets, bareT], quick ? { warmup: 300, perRound: 300, rounds: 2 } : { warmup: 3000, perRound: 1000, rounds: 6 });
    const p = (name: string, q: number) => percentile(lat.get(name)!, q);
    const added = (name: string, q: number) => p(name, q) - p("direct", q);

    console.error("measuring throughput…");
    const seconds = quick ? 2 : 5;
    const tput = { direct: await maxThroughput(direct, seconds), basalt: await maxThroughput(basaltT, seconds), portkey: await maxThroughput(portkeyT, seconds) };

    console.error("measuring streams…");
    const levels = quick ? [64, 256, 512] : [64, 128, 256, 512, 768, 1024];
    const ttftDirect = await concurrentStreams(direct, 64);
    const streams = { basalt: await streamCapacity(basaltT, levels), portkey: await streamCapacity(portkeyT, levels) };

    const rows: Array<[string, string, string, string]> = [
      ["added latency p50 (ms), 1 in flight", fmt(added("basalt", 50), 3), fmt(added("portkey", 50), 3), "≤ 0.5 and ≤ ¼ Portkey's"],
      ["added latency p99 (ms), 1 in flight", fmt(added("basalt", 99), 3), fmt(added("portkey", 99), 3), ""],
      ["max requests/s with p99 ≤ 20 ms", fmt(tput.basalt.best?.rps, 0), fmt(tput.portkey.best?.rps, 0), "≥ 3× Portkey's"],
      ["added TTFT p99 (ms), 64 streams", fmt(streams.basalt.runs[0]!.ttftP99 - ttftDirect.ttftP99), fmt(streams.portkey.runs[0]!.ttftP99 - ttftDirect.ttftP99), ""],
      ["concurrent streams held (64×20 ms)", String(streams.basalt.held), String(streams.portkey.held), "≥ 512"],
    ];
    const cpu = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`;
    console.log(`\nGateway benchmark — ${new Date().toISOString()} — ${cpu}, Node ${process.version}`);
    console.log(`upstream direct: p50 ${fmt(p("direct", 50), 3)} ms, p99 ${fmt(p("direct", 99), 3)} ms, max ${fmt(tput.direct.best?.rps, 0)} req/s`);
    console.log(`bare node:http proxy over Basalt's upstream pool (the floor): added p50 ${fmt(added("bare", 50), 3)} ms, p99 ${fmt(added("bare", 99), 3)} ms\n`);
    console.log("| measure | Basalt | Portkey 1.15.2 | target |\n|---|---|---|---|");
    for (const row of rows) console.log(`| ${row.join(" | ")} |`);
    writeFileSync(
      "bench/results/gateway.json",
      JSON.stringify({ date: new Date().toISOString(), cpu, node: process.version, quick, latency: Object.fromEntries([...lat].map(([k, v]) => [k, { p50: percentile(v, 50), p99: percentile(v, 99), n: v.length }])), throughput: tput, streams, ttftDirect }, null, 2),
    );
  } finally {
    await Promise.all([basalt.stop(), portkey.stop(), bare.stop(), upstream.stop()]);
  }
}

await main();
