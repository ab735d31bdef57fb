// A/B aid for gateway latency work: the same config served by two checkouts of Basalt (e.g. main
// and a `git worktree` with an experiment), measured in interleaved rounds against one upstream,
// with the direct upstream as the baseline. Interleaving cancels the machine's drift, which on a
// shared VM is larger than most single changes. Prints each side's added p50 and CPU per request.
// Usage: node --import tsx bench/lib/ab-gateway.ts <rootA> <rootB> [perRound=1000] [rounds=10]
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "undici";
import { freePort, percentile, spawnServer, type Served } from "./processes.ts";

const [rootA, rootB, perRoundArg, roundsArg] = process.argv.slice(2);
if (!rootA || !rootB) throw new Error("usage: ab-gateway.ts <rootA> <rootB> [perRound] [rounds]");
const perRound = Number(perRoundArg ?? 1000);
const rounds = Number(roundsArg ?? 10);
const BODY = JSON.stringify({ model: "bench", messages: [{ role: "user", content: "Say hello." }], max_tokens: 16 });

const upPort = await freePort();
const upstream = await spawnServer({ command: process.execPath, args: ["--import", "tsx", "bench/lib/upstream.ts", String(upPort)], port: upPort, readyPath: "/" });

async function basalt(root: string): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), "basalt-ab-"));
  const port = await freePort();
  const config = { dataDir: dir, server: { port }, embeddedDefaults: false, models: [{ id: "bench", provider: "openai", baseUrl: `${upstream.url}/v1`, upstreamModel: "bench", connections: 64 }] };
  writeFileSync(join(dir, "basalt.json"), JSON.stringify(config));
  return spawnServer({ command: process.execPath, args: [join(root, "bin/basalt.js"), "serve", "--config", join(dir, "basalt.json")], port, readyPath: "/v1/models" });
}

/** CPU milliseconds (user + system) a process has used, from /proc (Linux, USER_HZ = 100). */
function cpuMs(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function run(url: string, n: number): Promise<number[]> {
  const client = new Client(url, { pipelining: 1 });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const res = await client.request({ method: "POST", path: "/v1/chat/completions", headers: { "content-type": "application/json" }, body: BODY });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
    times.push(performance.now() - start);
  }
  await client.close();
  return times;
}

const targets: Record<"direct" | "A" | "B", Served> = { direct: upstream, A: await basalt(rootA), B: await basalt(rootB) };
const samples = { direct: [] as number[], A: [] as number[], B: [] as number[] };
const cpu = { A: 0, B: 0 };
for (const served of Object.values(targets)) await run(served.url, 3000); // warm up: JIT and keep-alive sockets
for (let r = 0; r < rounds; r++) {
  for (const name of ["direct", "A", "B"] as const) {
    const served = targets[name];
    const before = name === "direct" ? 0 : cpuMs(served.process.pid);
    samples[name].push(...(await run(served.url, perRound)));
    if (name !== "direct") cpu[name] += cpuMs(served.process.pid) - before;
  }
}
for (const list of Object.values(samples)) list.sort((a, b) => a - b);
const direct = percentile(samples.direct, 50);
for (const name of ["A", "B"] as const) {
  const p50 = percentile(samples[name], 50);
  console.log(`${name} (${name === "A" ? rootA : rootB}): p50 ${p50.toFixed(3)} ms, added ${(p50 - direct).toFixed(3)} ms; CPU ${((1000 * cpu[name]) / (perRound * rounds)).toFixed(0)} µs per request`);
}
for (const served of Object.values(targets)) await served.stop();
