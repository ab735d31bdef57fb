// Profiling aid for the gateway's per-request path: starts the bench upstream and Basalt (with
// --cpu-prof into PROFILE_DIR when set), sends sequential chat completions on one keep-alive
// connection, prints the p50 round trip through Basalt and directly and Basalt's CPU time per
// request (steadier than the round trip on a shared machine), then stops both. With
// `streams:N`, it opens N concurrent streams (64 chunks, 20 ms apart) three times instead and
// prints the worst gap between chunks.
// Usage: node --import tsx bench/lib/profile-gateway.ts [requests | streams:N] [profileDir]
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, Pool } from "undici";
import { freePort, percentile, spawnServer } from "./processes.ts";

const streamMode = /^streams:(\d+)$/.exec(process.argv[2] ?? "");
const requests = streamMode ? 0 : Number(process.argv[2] ?? 20_000);
const profileDir = process.argv[3];
const BODY = JSON.stringify({ model: "bench", messages: [{ role: "user", content: "Say hello." }], max_tokens: 16 });
const upPort = await freePort();
const upstream = await spawnServer({ command: process.execPath, args: ["--import", "tsx", "bench/lib/upstream.ts", String(upPort)], port: upPort, readyPath: "/" });
const dir = mkdtempSync(join(tmpdir(), "basalt-prof-"));
const port = await freePort();
writeFileSync(join(dir, "basalt.json"), JSON.stringify({
  dataDir: dir, server: { port }, embeddedDefaults: false,
  models: [
    { id: "bench", provider: "openai", baseUrl: `${upstream.url}/v1`, upstreamModel: "bench", connections: 64 },
    { id: "stream-64x20", provider: "openai", baseUrl: `${upstream.url}/v1`, upstreamModel: "stream-64x20", connections: 1024 },
  ],
}));
const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
const basalt = await spawnServer({ command: process.execPath, args: [...profile, "bin/basalt.js", "serve", "--config", join(dir, "basalt.json")], port, readyPath: "/v1/models" });
async function run(url: string, n: number): Promise<number[]> {
  const client = new Client(url, { pipelining: 1 });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const res = await client.request({ method: "POST", path: "/v1/chat/completions", headers: { "content-type": "application/json", authorization: "Bearer sk" }, body: BODY });
    await res.body.text();
    times.push(performance.now() - start);
  }
  await client.close();
  return times.sort((a, b) => a - b);
}
/** N concurrent streams; the worst gap between two chunks of one stream, in ms. */
async function streams(url: string, n: number): Promise<number> {
  const pool = new Pool(url, { connections: n, pipelining: 1 });
  const body = JSON.stringify({ model: "stream-64x20", stream: true, messages: [{ role: "user", content: "Stream please." }] });
  const gaps = await Promise.all(
    Array.from({ length: n }, async () => {
      const res = await pool.request({ method: "POST", path: "/v1/chat/completions", headers: { "content-type": "application/json" }, body });
      let last = 0;
      let worst = 0;
      for await (const _ of res.body) {
        const now = performance.now();
        if (last) worst = Math.max(worst, now - last);
        last = now;
      }
      return worst;
    }),
  );
  await pool.destroy();
  return Math.max(...gaps);
}
if (streamMode) {
  for (let i = 0; i < 3; i++) console.log(`${streamMode[1]} streams: worst gap ${(await streams(basalt.url, Number(streamMode[1]))).toFixed(1)} ms`);
  await basalt.stop();
  await upstream.stop();
  process.exit(0);
}
await run(basalt.url, 2000);
await run(upstream.url, 2000);
/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}
const cpuBefore = cpuSeconds(basalt.process.pid);
const viaBasalt = await run(basalt.url, requests);
const cpuPerRequest = ((cpuSeconds(basalt.process.pid) - cpuBefore) / requests) * 1e6;
const direct = await run(upstream.url, requests);
console.log(`basalt p50 ${percentile(viaBasalt, 50).toFixed(3)} ms, direct p50 ${percentile(direct, 50).toFixed(3)} ms, added ${(percentile(viaBasalt, 50) - percentile(direct, 50)).toFixed(3)} ms; Basalt's CPU ${cpuPerRequest.toFixed(0)} µs per request`);
await basalt.stop();
await upstream.stop();
