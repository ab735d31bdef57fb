// Profiling aid for the gateway's per-request path: starts the bench upstream and Basalt (with
// --cpu-prof into PROFILE_DIR when set), sends sequential chat completions on one keep-alive
// connection, prints the p50 round trip through Basalt and directly, then stops both.
// Usage: node --import tsx bench/lib/profile-gateway.ts [requests] [profileDir]
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "undici";
import { freePort, percentile, spawnServer } from "./processes.ts";

const requests = Number(process.argv[2] ?? 20_000);
const profileDir = process.argv[3];
const BODY = JSON.stringify({ model: "bench", messages: [{ role: "user", content: "Say hello." }], max_tokens: 16 });
const upPort = await freePort();
const upstream = await spawnServer({ command: process.execPath, args: ["--import", "tsx", "bench/lib/upstream.ts", String(upPort)], port: upPort, readyPath: "/" });
const dir = mkdtempSync(join(tmpdir(), "basalt-prof-"));
const port = await freePort();
writeFileSync(join(dir, "basalt.json"), JSON.stringify({
  dataDir: dir, server: { port }, embeddedDefaults: false,
  models: [{ id: "bench", provider: "openai", baseUrl: `${upstream.url}/v1`, upstreamModel: "bench", connections: 64 }],
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
await run(basalt.url, 2000);
await run(upstream.url, 2000);
const viaBasalt = await run(basalt.url, requests);
const direct = await run(upstream.url, requests);
console.log(`basalt p50 ${percentile(viaBasalt, 50).toFixed(3)} ms, direct p50 ${percentile(direct, 50).toFixed(3)} ms, added ${(percentile(viaBasalt, 50) - percentile(direct, 50)).toFixed(3)} ms`);
await basalt.stop();
await upstream.stop();
