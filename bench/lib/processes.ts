// Starting the benchmarked servers as separate processes and waiting until they answer.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { request } from "undici";

/** A child process serving on a port. */
export interface Served {
  port: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Waits until `url` answers any HTTP status. */
export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await request(url, { method: "GET" });
      await res.body.dump();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

/** Spawns a server process on `port` and waits for `readyUrl`. */
export async function spawnServer(options: { command: string; args: string[]; port: number; readyPath: string; env?: NodeJS.ProcessEnv }): Promise<Served> {
  const child = spawn(options.command, options.args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, ...options.env } });
  const url = `http://127.0.0.1:${options.port}`;
  await waitForHttp(`${url}${options.readyPath}`);
  return {
    port: options.port,
    url,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      }),
  };
}

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
